/**
 * Owns reporting the cost per delivery on PostgreSQL (cost.ts): the cost table (one row per system and measured run),
 * the projection of what 50,000 deliveries/s would need from one PostgreSQL primary, and the `cost` objects of the
 * BENCH_RESULT line. A system's headline cost is that of the run that gave its `deliver_rps` (the faster of single
 * and batch), or of the one run measured.
 */
import type { CostFigures } from "./cost.ts";
import type { RunMetrics } from "./measure.ts";
import { num } from "./stats.ts";

/** The delivery rate the projection is made for (the seed-scale traffic of the issue). */
export const PROJECTED_RPS = 50_000;

export interface CostedSystem {
  label: string;
  /** "hookd" or "worker": whose CPU `procCpuUs` is. */
  own: "hookd" | "worker";
  cost?: { single?: CostFigures; batch?: CostFigures };
  single?: RunMetrics;
  batch?: RunMetrics;
}

/** The cost of the run that gave deliver_rps, else of whichever run was measured. */
export function headlineCost(s: CostedSystem): CostFigures | undefined {
  const { single, batch } = s.cost ?? {};
  if (single && batch) return (s.single?.deliverRps ?? 0) > (s.batch?.deliverRps ?? 0) ? single : batch;
  return batch ?? single;
}

const per = (c: CostFigures, v: number) => (c.deliveries > 0 ? v / c.deliveries : Number.NaN);

function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return "-";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function costRows(systems: CostedSystem[]): string[][] {
  const rows: string[][] = [];
  for (const s of systems) {
    const headline = headlineCost(s);
    for (const c of [s.cost?.single, s.cost?.batch]) {
      if (!c) continue;
      rows.push([
        `${s.label}: ${c.run}${c === headline ? " *" : ""}`,
        fmt(c.deliveries),
        `${fmt(per(c, c.walBytes))}${c.walScope === "server" ? " (server)" : ""}`,
        `${c.walFpiBytes === null ? "-" : fmt(per(c, c.walFpiBytes))} (${c.checkpoints})`,
        fmt(per(c, c.walServerBytes)),
        fmt(per(c, c.xacts), 3),
        `${fmt(per(c, c.rowsInserted + c.rowsUpdated + c.rowsDeleted), 2)} (${fmt(per(c, c.rowsInserted), 2)} / ${fmt(per(c, c.rowsUpdated), 2)} / ${fmt(per(c, c.rowsDeleted), 2)})`,
        c.hotUpdates === null ? "-" : fmt(per(c, c.hotUpdates), 2),
        fmt(per(c, c.pgCpuUs)),
        fmt(per(c, c.pgCpuServerUs)),
        `${fmt(per(c, c.procCpuUs))} (${s.own})`,
      ]);
    }
  }
  return rows;
}

export const COST_HEADERS = [
  "system: run (* = deliver_rps run)",
  "deliveries",
  "WAL B/delivery",
  "of it FPI B (checkpoints)",
  "server WAL B",
  "xacts",
  "rows (ins / upd / del)",
  "HOT upd",
  "PG CPU us",
  "server CPU us",
  "own CPU us",
];

/** One line per system: PostgreSQL cores and WAL bandwidth for PROJECTED_RPS deliveries/s, from its headline cost. */
export function projectionLines(systems: CostedSystem[]): string[] {
  const lines: string[] = [];
  for (const s of systems) {
    const c = headlineCost(s);
    if (!c) continue;
    const cores = (per(c, c.pgCpuUs) * PROJECTED_RPS) / 1e6;
    const walMBs = (per(c, c.walBytes) * PROJECTED_RPS) / 1e6;
    lines.push(
      `- ${s.label}: ${fmt(cores, 1)} PostgreSQL cores and ${fmt(walMBs)} MB/s of WAL ` +
        `(${fmt(per(c, c.pgCpuUs))} us x ${PROJECTED_RPS.toLocaleString("en-US")}/s; ${fmt(per(c, c.walBytes))} B x ${PROJECTED_RPS.toLocaleString("en-US")}/s)`,
    );
  }
  return lines;
}

function figuresJson(c: CostFigures, own: "hookd" | "worker") {
  return {
    run: c.run,
    deliveries: c.deliveries,
    window_s: num(c.seconds, 1),
    wal_bytes_per_delivery: num(per(c, c.walBytes), 0),
    wal_scope: c.walScope,
    wal_server_bytes_per_delivery: num(per(c, c.walServerBytes), 0),
    wal_fpi_bytes_per_delivery: c.walFpiBytes === null ? null : num(per(c, c.walFpiBytes), 0),
    checkpoints_in_window: c.checkpoints,
    xacts_per_delivery: num(per(c, c.xacts), 4),
    rows_per_delivery: num(per(c, c.rowsInserted + c.rowsUpdated + c.rowsDeleted), 3),
    rows_inserted_per_delivery: num(per(c, c.rowsInserted), 3),
    rows_updated_per_delivery: num(per(c, c.rowsUpdated), 3),
    rows_deleted_per_delivery: num(per(c, c.rowsDeleted), 3),
    hot_updates_per_delivery: c.hotUpdates === null ? null : num(per(c, c.hotUpdates), 3),
    write_commits_per_delivery: c.writeCommits === null ? null : num(per(c, c.writeCommits), 4),
    pg_cpu_us_per_delivery: num(per(c, c.pgCpuUs), 1),
    pg_cpu_server_us_per_delivery: num(per(c, c.pgCpuServerUs), 1),
    [`${own}_cpu_us_per_delivery`]: num(per(c, c.procCpuUs), 1),
    projected_pg_cores_at_50k: num((per(c, c.pgCpuUs) * PROJECTED_RPS) / 1e6, 2),
    projected_wal_mb_s_at_50k: num((per(c, c.walBytes) * PROJECTED_RPS) / 1e6, 1),
  };
}

/** The `cost` object: the headline run's figures, and every measured run's under `by_run`. */
export function costJson(s: CostedSystem): Record<string, unknown> | null {
  const headline = headlineCost(s);
  if (!headline) return null;
  const byRun: Record<string, unknown> = {};
  for (const c of [s.cost?.single, s.cost?.batch]) if (c) byRun[c.run] = figuresJson(c, s.own);
  return { ...figuresJson(headline, s.own), by_run: byRun };
}
