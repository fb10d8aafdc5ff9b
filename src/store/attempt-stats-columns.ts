/**
 * The columns of endpoint_attempt_stats (one row per endpoint and minute; created by the `*_endpoint_attempt_stats.sql`
 * migration of both adapters) and the conversions both adapters share: which counters one attempt adds to, and a
 * summed row back to domain totals. Every counter column is summed on upsert and on read, so adding a column here and
 * in the migrations is all it takes.
 */
import {
  type AttemptStatsTotals,
  LATENCY_BOUNDS_MS,
  latencyBucketOf,
  minuteOf,
  OUTCOME_CLASSES,
  outcomeClassOf,
} from "../domain/attempt-stats.ts";
import type { BreakerState } from "../domain/endpoint-state.ts";
import type { Attempt } from "../domain/types.ts";

/** `ms_upto_1` ... `ms_upto_60000`, then `ms_over_60000`. */
const LATENCY_COLUMNS = [
  ...LATENCY_BOUNDS_MS.map((b) => `ms_upto_${b}`),
  `ms_over_${LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]}`,
];

/** Every counter, in a fixed order: attempts, one per outcome class, one per latency bucket. */
export const STATS_COUNTERS: readonly string[] = ["attempts", ...OUTCOME_CLASSES, ...LATENCY_COLUMNS];
/** Index in STATS_COUNTERS of the first outcome class and of the first latency bucket. */
export const CLASS_OFFSET = 1;
export const BUCKET_OFFSET = 1 + OUTCOME_CLASSES.length;

/** Where one attempt is counted: its minute, and the counter indexes of its class and its latency bucket. */
export function statsCell(a: Attempt): { minute: number; classIndex: number; bucketIndex: number } {
  return {
    minute: minuteOf(a.startedAt),
    classIndex: CLASS_OFFSET + OUTCOME_CLASSES.indexOf(outcomeClassOf(a)),
    bucketIndex: BUCKET_OFFSET + latencyBucketOf(a.durationMs),
  };
}

export interface StatsGroup {
  tenantId: string;
  endpointId: string;
  minute: number;
  /** One value per STATS_COUNTERS entry. */
  counts: number[];
}

/**
 * Sums attempts into one group per (endpoint, minute), sorted by endpoint then minute: upserting in that order means
 * two recorders always lock shared rows in the same order.
 */
export function groupStats(landed: { tenantId: string; endpointId: string; attempt: Attempt }[]): StatsGroup[] {
  const groups = new Map<string, StatsGroup>();
  for (const { tenantId, endpointId, attempt } of landed) {
    const cell = statsCell(attempt);
    const key = `${endpointId}\u0000${cell.minute}`;
    let g = groups.get(key);
    if (!g) {
      g = { tenantId, endpointId, minute: cell.minute, counts: new Array<number>(STATS_COUNTERS.length).fill(0) };
      groups.set(key, g);
    }
    g.counts[0]! += 1;
    g.counts[cell.classIndex]! += 1;
    g.counts[cell.bucketIndex]! += 1;
  }
  return [...groups.values()].sort((a, b) =>
    a.endpointId === b.endpointId ? a.minute - b.minute : a.endpointId < b.endpointId ? -1 : 1,
  );
}

/** `coalesce(sum(c), 0) AS c` for every counter: the select list of a read over any set of rows. */
export const SUMMED_COUNTERS = STATS_COUNTERS.map((c) => `coalesce(sum(${c}), 0) AS ${c}`).join(", ");

/** A row of SUMMED_COUNTERS to domain totals. */
export function toTotals(row: Record<string, number | bigint | null>): AttemptStatsTotals {
  const n = (c: string) => Number(row[c] ?? 0);
  return {
    attempts: n("attempts"),
    byClass: Object.fromEntries(OUTCOME_CLASSES.map((c) => [c, n(c)])) as AttemptStatsTotals["byClass"],
    latencyBuckets: LATENCY_COLUMNS.map(n),
  };
}

/** (state, count) rows to a count for every breaker state; a state no endpoint is in counts 0. */
export function breakerCounts(rows: { state: string; count: number | bigint }[]): Record<BreakerState, number> {
  const out: Record<BreakerState, number> = { closed: 0, open: 0, half_open: 0 };
  for (const r of rows) if (r.state in out) out[r.state as BreakerState] += Number(r.count);
  return out;
}
