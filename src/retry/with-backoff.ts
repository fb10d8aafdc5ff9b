/**
 * The one way hookd retries an operation that failed for a reason that may pass (a database restarting, a dropped
 * connection): p-retry with exponential backoff and jitter, retrying for as long as `shouldRetry` says so (by
 * default for ever) or until `signal` aborts. Each failure is reported through `onRetry` before the wait, so the
 * caller logs it in its own words.
 */
import pRetry from "p-retry";

export interface BackoffOptions {
  /** First wait; it doubles after each failure up to `maxMs`. */
  minMs: number;
  maxMs: number;
  /** Retries before giving up; default: no limit. */
  retries?: number;
  /** False: fail at once with this error (for example one that is not about reachability). */
  shouldRetry?: (err: unknown) => boolean;
  /** Called after each failure that will be retried, with the attempt that failed (1, 2 ...). */
  onRetry?: (err: unknown, attempt: number) => void;
  signal?: AbortSignal;
}

/**
 * @example await withBackoff(() => store.migrate(), { minMs: 250, maxMs: 5_000, shouldRetry: isStoreUnavailable })
 */
export function withBackoff<T>(fn: () => Promise<T>, opts: BackoffOptions): Promise<T> {
  return pRetry(fn, {
    retries: opts.retries ?? Number.POSITIVE_INFINITY,
    factor: 2,
    minTimeout: opts.minMs,
    maxTimeout: opts.maxMs,
    // Up to twice the wait, so processes that failed together do not retry together.
    randomize: true,
    ...(opts.signal ? { signal: opts.signal } : {}),
    shouldRetry: ({ error }) => opts.shouldRetry?.(error) ?? true,
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft > 0 && (opts.shouldRetry?.(error) ?? true)) opts.onRetry?.(error, attemptNumber);
    },
  });
}
