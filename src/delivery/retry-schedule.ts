/**
 * When the next attempt happens. The schedule is data: entry i is the delay in seconds before attempt i+1, so the
 * default `[0, 300, 1800, 7200, 18000, 36000, 43200, 43200]` means "now, 5 min, 30 min, 2 h, 5 h, 10 h, 12 h, 12 h":
 * eight attempts, then dead. Each delay gets up to +25% jitter so that endpoints recovering from an outage are not
 * hit by every retry in the same second.
 */

export const MAX_SCHEDULE_ENTRIES = 50;
export const MAX_DELAY_S = 7 * 24 * 3600;
/** A 429 is never retried sooner than this, whatever Retry-After says. */
export const RATE_LIMITED_MIN_DELAY_MS = 60_000;
export const JITTER_FRACTION = 0.25;

/** @example parseRetrySchedule("0, 5, 30") // [0, 5, 30] */
export function parseRetrySchedule(text: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  // Number("") is 0: a stray comma must be an error, not a silent extra attempt.
  const bad = parts.find((p) => !/^\d+$/.test(p));
  if (bad !== undefined) throw new Error(`entries must be whole seconds, got ${JSON.stringify(bad)}`);
  const schedule = parts.map(Number);
  validateRetrySchedule(schedule);
  return schedule;
}

export function validateRetrySchedule(schedule: readonly number[]): void {
  if (schedule.length < 1 || schedule.length > MAX_SCHEDULE_ENTRIES) {
    throw new Error(`must have 1 to ${MAX_SCHEDULE_ENTRIES} entries`);
  }
  for (const s of schedule) {
    if (!Number.isInteger(s) || s < 0 || s > MAX_DELAY_S) {
      throw new Error(`entries must be whole seconds from 0 to ${MAX_DELAY_S}`);
    }
  }
}

/**
 * Delay before the next attempt once `attemptsInCycle` attempts have failed, or null when the schedule is used up.
 * @example nextRetryDelayMs([0, 60], 1, () => 0) // 60000
 */
export function nextRetryDelayMs(
  schedule: readonly number[],
  attemptsInCycle: number,
  random: () => number = Math.random,
): number | null {
  const seconds = schedule[attemptsInCycle];
  if (seconds === undefined) return null;
  return Math.round(seconds * 1000 * (1 + JITTER_FRACTION * random()));
}

/**
 * A 429's delay: the receiver's Retry-After, clamped to between the scheduled delay and twice it, and never under a
 * minute, so a receiver cannot pull retries forward nor push them out of the schedule entirely.
 */
export function rateLimitedDelayMs(scheduledMs: number, retryAfterMs: number | null): number {
  const wanted = retryAfterMs ?? scheduledMs;
  const clamped = Math.min(Math.max(wanted, scheduledMs), 2 * scheduledMs);
  return Math.max(clamped, RATE_LIMITED_MIN_DELAY_MS);
}

/**
 * Retry-After is either delta-seconds or an HTTP date.
 * @example parseRetryAfterMs("120", 0) // 120000
 */
export function parseRetryAfterMs(header: string | undefined, nowMs: number): number | null {
  if (header === undefined) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}
