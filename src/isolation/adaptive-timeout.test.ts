import { describe, expect, it } from "vitest";
import { adaptiveTimeoutMs, percentile } from "./adaptive-timeout.ts";

describe("adaptive timeout", () => {
  it("keeps the configured timeout with fewer than 100 attempts of history", () => {
    expect(adaptiveTimeoutMs(15_000, Array(99).fill(20))).toBe(15_000);
  });

  it("uses max(5 s, 10 x p99) when p99 is under 1 s", () => {
    expect(adaptiveTimeoutMs(15_000, Array(100).fill(20))).toBe(5_000);
    const samples = [...Array(98).fill(100), 700, 800];
    expect(percentile(samples, 99)).toBe(700);
    expect(adaptiveTimeoutMs(15_000, samples)).toBe(7_000);
  });

  it("never goes above the configured timeout", () => {
    expect(adaptiveTimeoutMs(6_000, [...Array(98).fill(100), 900, 900])).toBe(6_000);
  });

  it("keeps the configured timeout when p99 is 1 s or more", () => {
    expect(adaptiveTimeoutMs(15_000, [...Array(98).fill(10), 1_000, 1_000])).toBe(15_000);
  });

  it("looks only at the last 100 attempts", () => {
    expect(adaptiveTimeoutMs(15_000, [...Array(50).fill(5_000), ...Array(100).fill(10)])).toBe(5_000);
  });
});
