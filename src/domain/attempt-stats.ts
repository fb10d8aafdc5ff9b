/**
 * The vocabulary of delivery statistics: the outcome class each attempt is counted under, the fixed latency buckets,
 * the windows the API offers, and reading percentiles back from a bucket histogram.
 *
 * Stats are read from per-endpoint, per-minute aggregates that the store updates in the transaction that records the
 * attempts (never by scanning the attempt log), so a 7-day window costs at most 10,080 rows per endpoint however many
 * attempts it saw. The price is precision: latency is kept as counts per bucket, not as samples.
 *
 * Precision of the percentiles: the bucket holding the requested rank is found exactly; within it the value is
 * interpolated linearly between the bucket's bounds (as Prometheus' histogram_quantile does). So the answer lies in
 * the same bucket as the true percentile and is off by less than that bucket's width: at most 1 ms below 3 ms, and
 * at most half of the value above (the bounds grow by 1.5x, once by 1.67x). Attempts over 60 s (longer than any
 * endpoint timeout) are reported as 60,000.
 */
import type { Attempt } from "./types.ts";

/**
 * Every attempt lands in exactly one class, so the classes add up to the attempts. HTTP answers other than 2xx are
 * split by status family; transport failures keep the attempt's error class.
 */
export const OUTCOME_CLASSES = [
  "success",
  "http_3xx",
  "http_4xx",
  "http_5xx",
  "http_other",
  "timeout",
  "connect",
  "dns",
  "tls",
  "ssrf_blocked",
  "response",
  "aborted",
  "internal",
] as const;
export type OutcomeClass = (typeof OUTCOME_CLASSES)[number];

/** Upper bounds (inclusive, ms) of the latency buckets; one more bucket holds everything above the last. */
export const LATENCY_BOUNDS_MS = [
  1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 7_500,
  10_000, 15_000, 20_000, 30_000, 45_000, 60_000,
] as const;
export const LATENCY_BUCKET_COUNT = LATENCY_BOUNDS_MS.length + 1;

export const STATS_WINDOWS = { "1h": 3_600_000, "24h": 86_400_000, "7d": 604_800_000 } as const;
export type StatsWindow = keyof typeof STATS_WINDOWS;
export const DEFAULT_STATS_WINDOW: StatsWindow = "24h";

export const MINUTE_MS = 60_000;
/** Aggregates are kept a day longer than the longest window, then the retention job deletes them. */
export const STATS_RETENTION_MS = Math.max(8 * 86_400_000, ...Object.values(STATS_WINDOWS));

/** Totals over some minutes of one endpoint or a whole tenant. */
export interface AttemptStatsTotals {
  attempts: number;
  byClass: Record<OutcomeClass, number>;
  /** Attempt count per latency bucket, LATENCY_BUCKET_COUNT entries. */
  latencyBuckets: number[];
}

/** @example outcomeClassOf({ outcome: "retry", errorClass: "http_status", statusCode: 503 }) // "http_5xx" */
export function outcomeClassOf(a: Pick<Attempt, "outcome" | "errorClass" | "statusCode">): OutcomeClass {
  if (a.outcome === "success") return "success";
  if (a.errorClass === "http_status" || (a.errorClass === null && a.statusCode !== null)) {
    const family = Math.floor((a.statusCode ?? 0) / 100);
    return family === 3 ? "http_3xx" : family === 4 ? "http_4xx" : family === 5 ? "http_5xx" : "http_other";
  }
  // The aggregates have a column per class; an access token that could not be had is counted with the failures to
  // reach the receiver (the attempt log keeps its own class, `auth`).
  if (a.errorClass === "auth") return "connect";
  // A relay endpoint with no listen session is, for the statistics, an endpoint that could not be reached.
  if (a.errorClass === "relay_not_connected") return "connect";
  return a.errorClass ?? "internal";
}

/** @example latencyBucketOf(12) // 6, the bucket (10, 15] */
export function latencyBucketOf(durationMs: number): number {
  const i = LATENCY_BOUNDS_MS.findIndex((bound) => durationMs <= bound);
  return i === -1 ? LATENCY_BOUNDS_MS.length : i;
}

/** The start of the minute `ms` falls in: the key of the aggregate row an attempt started then is counted in. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/**
 * A window as whole minutes: it ends with the minute now is in (so the latest attempts count) and spans exactly the
 * window's length. `to` is exclusive.
 */
export function windowBounds(window: StatsWindow, now: number): { from: number; to: number } {
  const to = minuteOf(now) + MINUTE_MS;
  return { from: to - STATS_WINDOWS[window], to };
}

/**
 * The q-quantile (0 < q <= 1) of a bucket histogram, interpolated within its bucket; null when it is empty.
 * @example latencyPercentile([0, 0, 4, ...zeros], 0.5) // 2.5: ranks 1-4 lie in (2, 3], the 2nd of 4 halfway
 */
export function latencyPercentile(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i] ?? 0;
    if (count > 0 && below + count >= rank) {
      if (i >= LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i]!;
      return Math.round((lower + ((upper - lower) * (rank - below)) / count) * 10) / 10;
    }
    below += count;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}

export function emptyTotals(): AttemptStatsTotals {
  return {
    attempts: 0,
    byClass: Object.fromEntries(OUTCOME_CLASSES.map((c) => [c, 0])) as Record<OutcomeClass, number>,
    latencyBuckets: new Array<number>(LATENCY_BUCKET_COUNT).fill(0),
  };
}
