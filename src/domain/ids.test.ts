import { describe, expect, it } from "vitest";
import { newId, pooledRandom } from "./ids.ts";

describe("newId", () => {
  it("gives prefixed 26-letter ULIDs that are unique and sort in creation order", () => {
    const ids = Array.from({ length: 20_000 }, () => newId("dlv"));
    for (const id of ids.slice(0, 100)) expect(id).toMatch(/^dlv_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it("draws its randomness uniformly over the 32-letter alphabet, in [0, 1)", () => {
    const counts = new Array<number>(32).fill(0);
    const draws = 64_000; // several refills of the 4 KiB pool
    let outOfRange = 0;
    for (let i = 0; i < draws; i++) {
      const x = pooledRandom();
      if (!(x >= 0 && x < 1)) outOfRange++;
      else counts[Math.floor(x * 32)]! += 1;
    }
    expect(outOfRange).toBe(0);
    // Each letter expects 2,000; a stuck or biased pool would leave letters far off.
    for (const n of counts) {
      expect(n).toBeGreaterThan(1_700);
      expect(n).toBeLessThan(2_300);
    }
  });
});
