import { describe, expect, it } from "vitest";
import { RAMP_FLOOR_PER_S, rampRatePerS } from "./recovery-ramp.ts";

describe("recovery ramp", () => {
  const H = 200;
  const RAMP = 300_000;

  it("starts low, at the floor", () => {
    expect(rampRatePerS(H, 0, RAMP)).toBe(RAMP_FLOOR_PER_S);
  });

  it("follows H * (1 - e^(-t/tau)) with tau a fifth of the ramp", () => {
    expect(rampRatePerS(H, 60_000, RAMP)).toBeCloseTo(H * (1 - Math.exp(-1)), 6);
    expect(rampRatePerS(H, 120_000, RAMP)).toBeCloseTo(H * (1 - Math.exp(-2)), 6);
    expect(rampRatePerS(H, 299_000, RAMP)! / H).toBeGreaterThan(0.99);
  });

  it("climbs monotonically and never above H", () => {
    let last = 0;
    for (let t = 0; t < RAMP; t += 5_000) {
      const r = rampRatePerS(H, t, RAMP)!;
      expect(r).toBeGreaterThanOrEqual(last);
      expect(r).toBeLessThanOrEqual(H);
      last = r;
    }
  });

  it("is over after the ramp's length (no limit any more), and off with a zero length", () => {
    expect(rampRatePerS(H, RAMP, RAMP)).toBeNull();
    expect(rampRatePerS(H, 10, 0)).toBeNull();
  });

  it("keeps the floor for an endpoint with no throughput history", () => {
    expect(rampRatePerS(0, 100_000, RAMP)).toBe(RAMP_FLOOR_PER_S);
  });
});
