import { describe, expect, it } from "vitest";
import { hasNonFiniteNumber } from "./finite-numbers.ts";

describe("hasNonFiniteNumber", () => {
  it("finds Infinity and NaN at any depth", () => {
    expect(hasNonFiniteNumber(JSON.parse('{"a":[1,{"b":1e309}]}'))).toBe(true);
    expect(hasNonFiniteNumber({ limit: -Infinity })).toBe(true);
    expect(hasNonFiniteNumber([Number.NaN])).toBe(true);
    expect(hasNonFiniteNumber(Infinity)).toBe(true);
  });

  it("accepts finite numbers, other values and very deep input without overflowing", () => {
    expect(hasNonFiniteNumber({ a: 1.5e308, b: "Infinity", c: null, d: [true, -0] })).toBe(false);
    expect(hasNonFiniteNumber(undefined)).toBe(false);
    const deep = JSON.parse(`${"[".repeat(100_000)}1${"]".repeat(100_000)}`);
    expect(hasNonFiniteNumber(deep)).toBe(false);
  });
});
