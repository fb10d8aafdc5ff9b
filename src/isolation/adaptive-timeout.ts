/**
 * The adaptive timeout: when an endpoint's last 100 attempts answered with a p99 under 1 s, a stuck connection is
 * dropped after max(5 s, 10 x p99) instead of the full configured timeout, which stays the ceiling. A slow endpoint
 * (p99 >= 1 s) or one with too little history keeps its configured timeout.
 */

export const ADAPTIVE_SAMPLES = 100;
export const ADAPTIVE_P99_LIMIT_MS = 1_000;
export const ADAPTIVE_FLOOR_MS = 5_000;

/** Nearest-rank percentile; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** @example adaptiveTimeoutMs(15_000, Array(100).fill(40)) // 5000 */
export function adaptiveTimeoutMs(configuredMs: number, recentMs: readonly number[]): number {
  if (recentMs.length < ADAPTIVE_SAMPLES) return configuredMs;
  const p99 = percentile(recentMs.slice(-ADAPTIVE_SAMPLES), 99);
  if (!(p99 < ADAPTIVE_P99_LIMIT_MS)) return configuredMs;
  return Math.min(configuredMs, Math.max(ADAPTIVE_FLOOR_MS, Math.ceil(10 * p99)));
}
