/**
 * Owns the arithmetic: percentiles (nearest rank), rates over a time span, and the rounding used when printing.
 */

/** Nearest-rank percentile of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Events per second for `count` events spread over [startMs, endMs]. */
export function ratePerSecond(count: number, startMs: number, endMs: number): number {
  const span = endMs - startMs;
  if (count <= 1 || span <= 0) return Number.NaN;
  return (count / span) * 1000;
}

/**
 * Steady-state delivery rate from receive times: deliveries per second between the first and the last receive
 * (count - 1 intervals over the span).
 */
export function deliveryRate(times: Iterable<number>): { rate: number; firstMs: number; lastMs: number } {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let count = 0;
  for (const t of times) {
    count++;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  if (count < 2 || last <= first) return { rate: Number.NaN, firstMs: first, lastMs: last };
  return { rate: ((count - 1) / (last - first)) * 1000, firstMs: first, lastMs: last };
}

export function round(value: number, digits = 0): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A JSON-safe number: NaN and infinities become null. */
export function num(value: number, digits = 1): number | null {
  return Number.isFinite(value) ? round(value, digits) : null;
}
