import { describe, expect, it } from "vitest";
import { INITIAL_LIMIT, nextLimit, startingLimit } from "./concurrency-limit.ts";

describe("adaptive concurrency limit", () => {
  it("starts low and reaches max_in_flight within a dozen quick answers while the limit holds requests back", () => {
    let limit = startingLimit(0, 16);
    expect(limit).toBe(INITIAL_LIMIT);
    for (let i = 0; i < 12; i++) limit = nextLimit(limit, 16, { kind: "answered", durationMs: 2 }, 1, true);
    expect(limit).toBe(16);
    expect(nextLimit(16, 16, { kind: "answered", durationMs: 2 }, 1, true)).toBe(16);
  });

  it("does not grow when the limit was not what held requests back", () => {
    expect(nextLimit(4, 16, { kind: "answered", durationMs: 2 }, 1, false)).toBe(4);
  });

  it("shrinks when answers slow down far beyond the fastest, and halves on a timeout, never below 1", () => {
    expect(nextLimit(10, 16, { kind: "answered", durationMs: 900 }, 5, true)).toBe(9);
    expect(nextLimit(10, 16, { kind: "timeout" }, 5, true)).toBe(5);
    expect(nextLimit(1, 16, { kind: "timeout" }, 5, true)).toBe(1);
  });

  it("keeps a uniformly slow endpoint where it is: slowness alone is not congestion", () => {
    expect(nextLimit(4, 16, { kind: "answered", durationMs: 29_000 }, 28_500, true)).toBe(5);
  });

  it("never exceeds a max_in_flight lowered since the limit was stored", () => {
    expect(startingLimit(12, 4)).toBe(4);
    expect(nextLimit(12, 4, { kind: "failed" }, 1, true)).toBe(4);
  });
});
