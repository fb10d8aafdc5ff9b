/**
 * Owns reporting the fleet runs (fleet.ts): one table row per store with the fleet it built and what the healthy
 * endpoints saw, the target (healthy e2e p99 under 1 s), and the `fleet_*` fields of the BENCH_RESULT line.
 */
import { type FleetResult, fleetVoidReason, fmtMs } from "./fleet.ts";
import { num } from "./stats.ts";

/** From the issue: a healthy endpoint's events arrive within a second whatever the rest of the fleet does. */
export const FLEET_P99_TARGET_MS = 1_000;

/** Breakers that are not closed: open, or half open with a probe out. */
export function breakersOpen(states: Record<string, number>): number {
  return (states.open ?? 0) + (states.half_open ?? 0);
}

function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return "-";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const FLEET_HEADERS = [
  "store",
  "not due",
  "breakers open (start/end)",
  "hanging held",
  "healthy",
  "setup s",
  "healthy events",
  "delivered/s (offered)",
  "e2e p50 / p99 / max ms",
  "missing",
  "p99 < 1 s",
  "status",
];

export function fleetRows(results: Partial<Record<"sqlite" | "postgres", FleetResult>>): string[][] {
  const rows: string[][] = [];
  for (const kind of ["sqlite", "postgres"] as const) {
    const r = results[kind];
    if (!r) continue;
    const reason = fleetVoidReason(r);
    const p99 = r.e2eP99Ms;
    const setup = r.setupS.endpoints + r.setupS.notDue + (r.setupS.breaker || 0) + (r.setupS.hanging || 0);
    rows.push([
      kind,
      fmt(r.endpoints.notDue),
      `${breakersOpen(r.breakersAtStart)} / ${breakersOpen(r.breakersAtEnd)} of ${r.endpoints.breaker}`,
      `${r.hangingHeld} of ${r.hangingWanted}`,
      String(r.endpoints.healthy),
      fmt(setup, 0),
      fmt(r.healthyEvents),
      `${fmt(r.deliveredRps)} (${fmt(r.offeredRps)})`,
      `${fmt(r.e2eP50Ms)} / ${fmt(p99)} / ${fmt(r.e2eMaxMs)}`,
      String(r.missing),
      Number.isFinite(p99) ? (p99 < FLEET_P99_TARGET_MS ? "yes" : "NO") : "NO",
      reason ? `VOID (${reason})` : "ok",
    ]);
  }
  return rows;
}

/** Notes under the table: setup times, what hookd logged, and percentiles that fell on missing events. */
export function fleetNotes(results: Partial<Record<"sqlite" | "postgres", FleetResult>>): string[] {
  const notes: string[] = [];
  for (const kind of ["sqlite", "postgres"] as const) {
    const r = results[kind];
    if (!r) continue;
    notes.push(
      `- ${kind}: endpoints created at ${fmt(r.endpointsPerS)}/s (${fmt(r.setupS.endpoints, 1)} s); not-due failures settled in ` +
        `${fmt(r.setupS.notDue, 1)} s (earliest retry in ${fmt(r.notDueEarliestRetryS / 60)} min); breakers in ${fmt(r.setupS.breaker, 1)} s; ` +
        `run ${fmt(r.totalS)} s in all`,
    );
    if (r.missing > 0) {
      notes.push(
        `- ${kind}: ${r.missing} of ${r.healthyEvents} healthy events never arrived within ${fmt(r.waitedS)} s after the load; ` +
          `e2e p50 ${fmtMs(r.e2eP50Ms)}, p99 ${fmtMs(r.e2eP99Ms)} ("unknown": the percentile falls on a missing event)`,
      );
    }
    if (r.logNotes.length > 0) notes.push(`- ${kind}: hookd logged (expected in this run) ${r.logNotes.join("; ")}`);
  }
  return notes;
}

export function fleetJson(r: FleetResult | undefined): Record<string, unknown> {
  if (!r) return {};
  const reason = fleetVoidReason(r);
  return {
    fleet_e2e_p50_ms: num(r.e2eP50Ms, 1),
    fleet_e2e_p99_ms: num(r.e2eP99Ms, 1),
    fleet_rps: num(r.deliveredRps, 1),
    fleet_offered_rps: num(r.offeredRps, 1),
    fleet_missing: r.missing,
    fleet_endpoints: r.endpoints.notDue + r.endpoints.breaker + r.endpoints.hanging + r.endpoints.healthy,
    fleet_breakers_open: breakersOpen(r.breakersAtStart),
    fleet_hanging_held: r.hangingHeld,
    fleet_void: reason !== null,
    ...(reason ? { fleet_void_reason: reason } : {}),
  };
}
