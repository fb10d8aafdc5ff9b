/**
 * The adaptive concurrency limit of one endpoint: how many requests its owner keeps open to it at once, between 1
 * and the endpoint's max_in_flight. It starts low and climbs by one with every quick answer received while the limit
 * was what held requests back (additive increase, in the spirit of TCP slow start and Vegas), falls by one when
 * answers slow down well beyond the fastest recent one (queueing at the receiver), and halves on a timeout. An
 * endpoint that never answers therefore never gets more than the starting few requests, while a fast one reaches its
 * max_in_flight within a dozen answers. Slow but steady receivers are not the limit's concern: requests open longer
 * than a second stop counting against the worker's shared capacity (delivery/capacity.ts).
 */

/** Requests a new (or reset) endpoint may have open before it has answered anything. */
export const INITIAL_LIMIT = 4;
/** Latency above 2x the fastest recent answer plus this much counts as queueing; below, as room to grow. */
const SLACK_MS = 50;

export type Sample = { kind: "answered"; durationMs: number } | { kind: "timeout" } | { kind: "failed" };

/** The limit to use with `max` configured and `stored` kept in the endpoint's state (0: never set). */
export function startingLimit(stored: number, max: number): number {
  return clamp(stored > 0 ? stored : INITIAL_LIMIT, max);
}

/**
 * @param limited whether requests were being held back by the limit when this one was sent (only then does a quick
 *   answer say the limit could be higher)
 * @param fastestMs the fastest recent answer (the endpoint's baseline latency)
 * @example nextLimit(4, 16, { kind: "answered", durationMs: 3 }, 2, true) // 5
 */
export function nextLimit(limit: number, max: number, sample: Sample, fastestMs: number, limited: boolean): number {
  if (sample.kind === "timeout") return clamp(Math.floor(limit / 2), max);
  if (sample.kind === "failed") return clamp(limit, max);
  const base = Number.isFinite(fastestMs) ? fastestMs : sample.durationMs;
  if (sample.durationMs > 4 * base + 2 * SLACK_MS) return clamp(limit - 1, max);
  if (limited && sample.durationMs <= 2 * base + SLACK_MS) return clamp(limit + 1, max);
  return clamp(limit, max);
}

function clamp(limit: number, max: number): number {
  return Math.max(1, Math.min(max, limit));
}
