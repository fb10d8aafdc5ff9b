import { describe, expect, it } from "vitest";
import { ACTIVE_MS, Capacity, reserveOf } from "./capacity.ts";

const T0 = 1_000_000;

describe("worker capacity", () => {
  it("counts only young requests against the active limit: hung ones stop counting after ACTIVE_MS", () => {
    const cap = new Capacity({ active: 2, open: 100, perTenant: 100 });
    cap.start("a", T0);
    cap.start("a", T0);
    expect(cap.canStart("b", T0 + 10)).toBe(false);
    expect(cap.nextAgeAt()).toBe(T0 + ACTIVE_MS);
    expect(cap.canStart("b", T0 + ACTIVE_MS)).toBe(true);
    expect(cap.stats).toEqual({ young: 0, open: 2 });
  });

  it("frees a young slot when its request finishes, once only", () => {
    const cap = new Capacity({ active: 1, open: 100, perTenant: 100 });
    const done = cap.start("a", T0);
    expect(cap.canStart("a", T0)).toBe(false);
    done();
    done();
    expect(cap.stats).toEqual({ young: 0, open: 0 });
    expect(cap.canStart("a", T0)).toBe(true);
  });

  it("holds the ceilings on open requests in all and per tenant, young or not", () => {
    const cap = new Capacity({ active: 100, open: 3, perTenant: 2 });
    cap.start("a", T0);
    cap.start("a", T0);
    expect(cap.canStart("a", T0 + 5 * ACTIVE_MS)).toBe(false);
    expect(cap.canStart("b", T0 + 5 * ACTIVE_MS)).toBe(true);
    cap.start("b", T0 + 5 * ACTIVE_MS);
    expect(cap.canStart("c", T0 + 9 * ACTIVE_MS)).toBe(false);
  });

  it("keeps the last quarter of young slots for tenants holding few, so a slow tenant cannot take them all", () => {
    const cap = new Capacity({ active: 64, open: 10_000, perTenant: 10_000 });
    expect(reserveOf(64)).toEqual({ slots: 16, smallHolding: 4 });
    // The slow tenant's requests hold their slots for the whole ACTIVE_MS.
    let slow = 0;
    while (cap.canStart("slow", T0)) {
      cap.start("slow", T0);
      slow++;
    }
    expect(slow).toBe(48);
    // A healthy tenant still starts at once, up to the small holding, and its quick requests give the slots back.
    for (let round = 0; round < 100; round++) {
      const done: (() => void)[] = [];
      while (cap.canStart("healthy", T0 + round)) done.push(cap.start("healthy", T0 + round));
      expect(done).toHaveLength(4);
      for (const d of done) d();
    }
    // A second slow tenant gets the reserve's small holding and no more: the rest stays for others.
    let other = 0;
    while (cap.canStart("slow-2", T0 + 200)) {
      cap.start("slow-2", T0 + 200);
      other++;
    }
    expect(other).toBe(4);
    expect(cap.canStart("healthy", T0 + 200)).toBe(true);
    // Once the slow requests age out, the slots are free again.
    expect(cap.canStart("slow", T0 + ACTIVE_MS + 200)).toBe(true);
  });

  it("keeps no reserve in a worker with fewer than 8 young slots", () => {
    const cap = new Capacity({ active: 4, open: 100, perTenant: 100 });
    for (let i = 0; i < 4; i++) {
      expect(cap.canStart("a", T0)).toBe(true);
      cap.start("a", T0);
    }
    expect(cap.canStart("b", T0)).toBe(false);
  });
});
