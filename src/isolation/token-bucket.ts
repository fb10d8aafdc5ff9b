/**
 * A token bucket as a pure value: `ratePerS` tokens a second, holding at most one second's worth (and at least one
 * token), so an endpoint limited to 5/s gets bursts of at most 5. One token is one claimed delivery.
 */

export interface Bucket {
  tokens: number;
  at: number;
}

export function capacity(ratePerS: number): number {
  return Math.max(1, ratePerS);
}

/** The bucket refilled up to `now`. A bucket never used (NaN tokens) starts full. */
export function refill(bucket: Bucket, ratePerS: number, now: number): Bucket {
  const cap = capacity(ratePerS);
  if (Number.isNaN(bucket.tokens)) return { tokens: cap, at: now };
  const elapsedS = Math.max(0, now - bucket.at) / 1000;
  return { tokens: Math.min(cap, bucket.tokens + elapsedS * ratePerS), at: now };
}

/** Whole tokens available now. */
export function available(bucket: Bucket): number {
  return Math.max(0, Math.floor(bucket.tokens + 1e-9));
}

export function take(bucket: Bucket, n: number): Bucket {
  return { tokens: bucket.tokens - n, at: bucket.at };
}
