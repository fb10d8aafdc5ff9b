import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LATENCY_BOUNDS_MS,
  LATENCY_BUCKET_COUNT,
  latencyBucketOf,
  latencyPercentile,
  OUTCOME_CLASSES,
  outcomeClassOf,
  windowBounds,
} from "./attempt-stats.ts";

describe("outcomeClassOf", () => {
  it.each([
    [{ outcome: "success", errorClass: null, statusCode: 204 }, "success"],
    [{ outcome: "retry", errorClass: "http_status", statusCode: 302 }, "http_3xx"],
    [{ outcome: "permanent", errorClass: "http_status", statusCode: 404 }, "http_4xx"],
    [{ outcome: "retry", errorClass: "http_status", statusCode: 429 }, "http_4xx"],
    [{ outcome: "retry", errorClass: "http_status", statusCode: 503 }, "http_5xx"],
    [{ outcome: "permanent", errorClass: "http_status", statusCode: 101 }, "http_other"],
    [{ outcome: "retry", errorClass: "timeout", statusCode: null }, "timeout"],
    [{ outcome: "permanent", errorClass: "ssrf_blocked", statusCode: null }, "ssrf_blocked"],
    [{ outcome: "retry", errorClass: null, statusCode: null }, "internal"],
  ] as const)("%j is %s", (attempt, expected) => {
    expect(outcomeClassOf(attempt)).toBe(expected);
    expect(OUTCOME_CLASSES).toContain(expected);
  });
});

describe("latency buckets", () => {
  it("puts a bound in its own bucket and the next millisecond in the next one", () => {
    expect(LATENCY_BUCKET_COUNT).toBe(30);
    expect(latencyBucketOf(0)).toBe(0);
    expect(latencyBucketOf(1)).toBe(0);
    expect(latencyBucketOf(2)).toBe(1);
    expect(latencyBucketOf(100)).toBe(LATENCY_BOUNDS_MS.indexOf(100));
    expect(latencyBucketOf(101)).toBe(LATENCY_BOUNDS_MS.indexOf(150));
    expect(latencyBucketOf(60_000)).toBe(28);
    expect(latencyBucketOf(60_001)).toBe(29);
  });

  it("grows by at most 2x per bucket (1.67x above 3 ms): the documented precision", () => {
    for (let i = 1; i < LATENCY_BOUNDS_MS.length; i++) {
      const ratio = LATENCY_BOUNDS_MS[i]! / LATENCY_BOUNDS_MS[i - 1]!;
      expect(ratio).toBeLessThanOrEqual(LATENCY_BOUNDS_MS[i - 1]! >= 3 ? 5 / 3 : 2);
    }
  });
});

describe("latencyPercentile", () => {
  const histogram = (samples: number[]) => {
    const b = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
    for (const s of samples) b[latencyBucketOf(s)]! += 1;
    return b;
  };

  it("interpolates within the bucket, and is null without samples", () => {
    expect(latencyPercentile(histogram([]), 0.5)).toBeNull();
    // Four samples in (2, 3]: the median is the second of four, halfway through the bucket.
    expect(latencyPercentile(histogram([3, 3, 3, 3]), 0.5)).toBe(2.5);
    expect(latencyPercentile(histogram([3, 3, 3, 3]), 1)).toBe(3);
    expect(latencyPercentile(histogram([10, 400]), 0.99)).toBeCloseTo(300 + 200 * 0.98, 5);
    expect(latencyPercentile(histogram([90_000]), 0.5)).toBe(60_000);
  });

  it("always lands in the bucket of the true nearest-rank percentile", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 59_000 }), { minLength: 1, maxLength: 200 }),
        fc.constantFrom(0.5, 0.95, 0.99),
        (samples, q) => {
          const sorted = [...samples].sort((a, b) => a - b);
          const truth = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
          const i = latencyBucketOf(truth);
          const estimate = latencyPercentile(histogram(samples), q)!;
          expect(estimate).toBeGreaterThanOrEqual(i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!);
          expect(estimate).toBeLessThanOrEqual(LATENCY_BOUNDS_MS[i]!);
        },
      ),
    );
  });
});

describe("windowBounds", () => {
  it("ends with the current minute and spans the window exactly", () => {
    const now = 1_800_000_123_456;
    expect(windowBounds("1h", now)).toEqual({ from: 1_800_000_120_000 - 3_540_000, to: 1_800_000_180_000 });
    expect(windowBounds("7d", now).to - windowBounds("7d", now).from).toBe(604_800_000);
  });
});
