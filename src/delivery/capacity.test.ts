import { describe, expect, it } from "vitest";
import { ACTIVE_MS, Capacity } from "./capacity.ts";

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
});
