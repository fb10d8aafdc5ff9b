import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  JITTER_FRACTION,
  MAX_DELAY_S,
  MAX_SCHEDULE_ENTRIES,
  RATE_LIMITED_MIN_DELAY_MS,
  nextRetryDelayMs,
  parseRetryAfterMs,
  parseRetrySchedule,
  rateLimitedDelayMs,
  validateRetrySchedule,
} from "./retry-schedule.ts";

describe("parseRetrySchedule", () => {
  it.each([
    ["0", [0]],
    ["0,5,30", [0, 5, 30]],
    ["0, 5, 30", [0, 5, 30]],
    ["  10 ,20  ", [10, 20]],
    ["0,300,1800,7200,18000,36000,43200,43200", [0, 300, 1800, 7200, 18000, 36000, 43200, 43200]],
    [String(MAX_DELAY_S), [MAX_DELAY_S]],
  ])("parses %j", (text, expected) => {
    expect(parseRetrySchedule(text)).toEqual(expected);
  });

  it("accepts exactly MAX_SCHEDULE_ENTRIES entries", () => {
    const text = Array.from({ length: MAX_SCHEDULE_ENTRIES }, (_, i) => String(i)).join(",");
    expect(parseRetrySchedule(text)).toHaveLength(MAX_SCHEDULE_ENTRIES);
  });

  it.each([
    ["abc"],
    ["5,abc"],
    ["-1"],
    ["0,-5"],
    ["1.5"],
    ["0,2.25"],
    [String(MAX_DELAY_S + 1)],
    ["Infinity"],
    ["NaN"],
  ])("rejects %j", (text) => {
    expect(() => parseRetrySchedule(text)).toThrow(/whole seconds/);
  });

  it("rejects more than MAX_SCHEDULE_ENTRIES entries", () => {
    const text = Array.from({ length: MAX_SCHEDULE_ENTRIES + 1 }, () => "1").join(",");
    expect(() => parseRetrySchedule(text)).toThrow(/1 to 50 entries/);
  });

  // An empty entry is a typo (a trailing or doubled comma, a blank value), not "retry immediately": Number("") is 0,
  // so without an explicit check "0,300," would silently add a 0-second retry and " " would mean "one attempt only".
  it("rejects empty entries instead of reading them as 0 seconds", () => {
    const accepted: Record<string, number[]> = {};
    for (const text of ["", " ", "0,,300", "0,300,", ",0"]) {
      try {
        accepted[text] = parseRetrySchedule(text);
      } catch {
        // refused, as it should be
      }
    }
    expect(accepted).toEqual({});
  });
});

describe("validateRetrySchedule", () => {
  it("rejects an empty schedule", () => {
    expect(() => validateRetrySchedule([])).toThrow(/entries/);
  });

  it("accepts a schedule of whole seconds within bounds", () => {
    expect(() => validateRetrySchedule([0, 1, MAX_DELAY_S])).not.toThrow();
  });
});

describe("nextRetryDelayMs", () => {
  const schedule = [0, 60, 300];

  it("gives the scheduled delay with no jitter when random() is 0", () => {
    expect(nextRetryDelayMs(schedule, 0, () => 0)).toBe(0);
    expect(nextRetryDelayMs(schedule, 1, () => 0)).toBe(60_000);
    expect(nextRetryDelayMs(schedule, 2, () => 0)).toBe(300_000);
  });

  it("adds at most 25% when random() is 1", () => {
    expect(nextRetryDelayMs(schedule, 1, () => 1)).toBe(75_000);
    expect(nextRetryDelayMs(schedule, 2, () => 1)).toBe(375_000);
  });

  it("scales the jitter linearly with random()", () => {
    expect(nextRetryDelayMs(schedule, 1, () => 0.5)).toBe(67_500);
  });

  it("returns null once the schedule is used up", () => {
    expect(nextRetryDelayMs(schedule, 3, () => 0)).toBeNull();
    expect(nextRetryDelayMs(schedule, 10, () => 0)).toBeNull();
    expect(nextRetryDelayMs([0], 1, () => 0)).toBeNull();
  });

  it("keeps every delay within [base, base * 1.25] for any random value in [0, 1)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: MAX_DELAY_S }), { minLength: 1, maxLength: MAX_SCHEDULE_ENTRIES }),
        fc.nat(),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (sched, rawIndex, r) => {
          const index = rawIndex % sched.length;
          const baseMs = (sched[index] ?? 0) * 1000;
          const delay = nextRetryDelayMs(sched, index, () => r);
          expect(delay).not.toBeNull();
          expect(delay).toBeGreaterThanOrEqual(baseMs);
          expect(delay).toBeLessThanOrEqual(Math.ceil(baseMs * (1 + JITTER_FRACTION)));
          expect(Number.isInteger(delay)).toBe(true);
        },
      ),
    );
  });
});

describe("rateLimitedDelayMs", () => {
  it("uses Retry-After when it lies between the scheduled delay and twice it", () => {
    expect(rateLimitedDelayMs(100_000, 150_000)).toBe(150_000);
  });

  it("never retries sooner than scheduled when Retry-After is shorter", () => {
    expect(rateLimitedDelayMs(100_000, 10_000)).toBe(100_000);
    expect(rateLimitedDelayMs(100_000, 0)).toBe(100_000);
  });

  it("caps Retry-After at twice the scheduled delay", () => {
    expect(rateLimitedDelayMs(100_000, 1_000_000)).toBe(200_000);
  });

  it("never goes under the one-minute floor", () => {
    expect(RATE_LIMITED_MIN_DELAY_MS).toBe(60_000);
    expect(rateLimitedDelayMs(10_000, 15_000)).toBe(60_000);
    expect(rateLimitedDelayMs(10_000, 120_000)).toBe(60_000);
    expect(rateLimitedDelayMs(0, 0)).toBe(60_000);
  });

  it("falls back to the scheduled delay (with the floor) when there is no Retry-After", () => {
    expect(rateLimitedDelayMs(300_000, null)).toBe(300_000);
    expect(rateLimitedDelayMs(5_000, null)).toBe(60_000);
  });
});

describe("parseRetryAfterMs", () => {
  const now = Date.UTC(2024, 0, 15, 12, 0, 0);

  it("returns null when the header is absent", () => {
    expect(parseRetryAfterMs(undefined, now)).toBeNull();
  });

  it.each([
    ["0", 0],
    ["120", 120_000],
    [" 30 ", 30_000],
  ])("reads delta-seconds %j", (header, expected) => {
    expect(parseRetryAfterMs(header, now)).toBe(expected);
  });

  it("reads an HTTP date relative to the injected now", () => {
    expect(parseRetryAfterMs("Mon, 15 Jan 2024 12:02:00 GMT", now)).toBe(120_000);
    expect(parseRetryAfterMs("Mon, 15 Jan 2024 12:02:00 GMT", now + 30_000)).toBe(90_000);
  });

  it("returns 0 for a date in the past", () => {
    expect(parseRetryAfterMs("Mon, 15 Jan 2024 11:00:00 GMT", now)).toBe(0);
  });

  it.each([["soon"], [""], ["   "], ["12abc"], ["tomorrow"], ["1e3"]])("returns null for garbage %j", (header) => {
    expect(parseRetryAfterMs(header, now)).toBeNull();
  });
});
