import { describe, expect, it } from "vitest";
import { RateBuckets } from "./rate-buckets.ts";

describe("RateBuckets", () => {
  const clock = (start = 0) => {
    let t = start;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it("admits a second's worth at once, then refills at the rate", () => {
    const c = clock();
    const b = new RateBuckets(c.now);
    const one = [{ key: "a", ratePerS: 2, cost: 1 }];
    expect(b.take(one).waitS).toBe(0);
    expect(b.take(one).waitS).toBe(0);
    expect(b.take(one)).toEqual({ waitS: 1, index: 0 });
    c.advance(500);
    expect(b.take(one).waitS).toBe(0);
  });

  it("admits one request larger than the bucket when it is full, and makes the tenant pay the debt off", () => {
    const c = clock();
    const b = new RateBuckets(c.now);
    const big = [{ key: "a", ratePerS: 100, cost: 300 }];
    expect(b.take(big).waitS).toBe(0);
    // 200 owed plus a full bucket (what a request this size needs) at 100/s.
    expect(b.take(big).waitS).toBe(3);
    c.advance(2_999);
    expect(b.take(big).waitS).toBe(1);
    c.advance(1);
    expect(b.take(big).waitS).toBe(0);
  });

  it("takes every charge or none, names the limiting one, and keeps tenants apart", () => {
    const b = new RateBuckets(() => 0);
    const charges = [
      { key: "a/requests", ratePerS: 10, cost: 1 },
      { key: "a/bytes", ratePerS: 100, cost: 100 },
    ];
    expect(b.take(charges).waitS).toBe(0);
    expect(b.take(charges)).toEqual({ waitS: 1, index: 1 });
    // The refused request took no request token: nine are left.
    for (let i = 0; i < 9; i++) expect(b.take([charges[0]!]).waitS).toBe(0);
    expect(b.take([charges[0]!]).index).toBe(0);
    expect(b.take([{ key: "b/bytes", ratePerS: 100, cost: 100 }]).waitS).toBe(0);
    expect(b.take([{ key: "c", ratePerS: 0, cost: 1e9 }]).waitS).toBe(0);
  });
});
