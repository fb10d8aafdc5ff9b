import { describe, expect, it } from "vitest";
import { available, capacity, refill, take } from "./token-bucket.ts";

describe("token bucket", () => {
  it("starts full: one second's worth, at least one token", () => {
    expect(refill({ tokens: Number.NaN, at: 0 }, 5, 1000)).toEqual({ tokens: 5, at: 1000 });
    expect(capacity(0.5)).toBe(1);
  });

  it("refills at the rate and never above capacity", () => {
    let b = take(refill({ tokens: Number.NaN, at: 0 }, 10, 0), 10);
    expect(available(b)).toBe(0);
    b = refill(b, 10, 250);
    expect(available(b)).toBe(2);
    b = refill(b, 10, 60_000);
    expect(b.tokens).toBe(10);
  });

  it("lets exactly rate x seconds through over a long run (fake clock)", () => {
    let b = refill({ tokens: Number.NaN, at: 0 }, 4, 0);
    let sent = 0;
    for (let t = 0; t <= 10_000; t += 50) {
      b = refill(b, 4, t);
      const n = available(b);
      b = take(b, n);
      sent += n;
    }
    // 4 in the initial burst plus 4/s for 10 s.
    expect(sent).toBe(44);
  });

  it("handles slow rates below one a second", () => {
    let b = take(refill({ tokens: Number.NaN, at: 0 }, 0.5, 0), 1);
    b = refill(b, 0.5, 1_000);
    expect(available(b)).toBe(0);
    b = refill(b, 0.5, 2_000);
    expect(available(b)).toBe(1);
  });
});
