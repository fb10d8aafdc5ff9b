import { describe, expect, it } from "vitest";
import { compileFilter, type FilterEvent, FilterError } from "./compile.ts";
import { MAX_FILTER_BYTES, MAX_FILTER_CLAUSES, MAX_FILTER_DEPTH, MAX_FILTER_LIST } from "./limits.ts";

const ev = (data: unknown, type = "invoice.paid"): FilterEvent => ({ type, data });

function refused(filter: unknown): { pointer: string; message: string } {
  try {
    compileFilter(filter);
  } catch (err) {
    if (err instanceof FilterError) return { pointer: err.pointer, message: err.message };
    throw err;
  }
  throw new Error(`filter ${JSON.stringify(filter)} was accepted`);
}

describe("compileFilter: matching", () => {
  it("matches nested fields, implicit equality and every comparison", () => {
    const f = compileFilter({
      type: { $prefix: "invoice." },
      data: { amount: { $gte: 100, $lt: 1000 }, currency: { $in: ["EUR", "USD"] }, customer: { tier: "gold" } },
    });
    expect(f.matches(ev({ amount: 100, currency: "EUR", customer: { tier: "gold" } }))).toBe(true);
    expect(f.matches(ev({ amount: 999.5, currency: "USD", customer: { tier: "gold", id: 7 } }))).toBe(true);
    expect(f.matches(ev({ amount: 99, currency: "EUR", customer: { tier: "gold" } }))).toBe(false);
    expect(f.matches(ev({ amount: 1000, currency: "EUR", customer: { tier: "gold" } }))).toBe(false);
    expect(f.matches(ev({ amount: 100, currency: "GBP", customer: { tier: "gold" } }))).toBe(false);
    expect(f.matches(ev({ amount: 100, currency: "EUR", customer: { tier: "silver" } }))).toBe(false);
    expect(f.matches(ev({ amount: 100, currency: "EUR", customer: { tier: "gold" } }, "order.paid"))).toBe(false);
  });

  it("compares numbers with numbers and strings with strings only", () => {
    const n = compileFilter({ data: { v: { $gt: 5 } } });
    expect([6, 5, "6", true, null].map((v) => n.matches(ev({ v })))).toEqual([true, false, false, false, false]);
    const s = compileFilter({ data: { at: { $lte: "2026-01-31" } } });
    expect(["2026-01-01", "2026-01-31", "2026-02-01", 20260101].map((at) => s.matches(ev({ at })))).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it("treats a missing value as failing comparisons and satisfying the negative operators", () => {
    const cases: [unknown, boolean][] = [
      [{ $eq: null }, false],
      [{ $neq: 1 }, true],
      [{ $nin: [1] }, true],
      [{ $in: [null] }, false],
      [{ $exists: false }, true],
      [{ $exists: true }, false],
      [{ $gte: 0 }, false],
      [{ $prefix: "" }, false],
    ];
    for (const [clause, expected] of cases) {
      expect(compileFilter({ data: { gone: clause } }).matches(ev({})), JSON.stringify(clause)).toBe(expected);
    }
    // null is a value, not an absence.
    expect(compileFilter({ data: { v: { $exists: true } } }).matches(ev({ v: null }))).toBe(true);
    expect(compileFilter({ data: { v: null } }).matches(ev({ v: null }))).toBe(true);
  });

  it("descends into arrays by index and never into inherited properties", () => {
    const f = compileFilter({ data: { items: { "0": { sku: "A" }, "2": { $exists: false } } } });
    expect(f.matches(ev({ items: [{ sku: "A" }, { sku: "B" }] }))).toBe(true);
    expect(f.matches(ev({ items: [{ sku: "B" }] }))).toBe(false);
    expect(f.matches(ev({ items: [{ sku: "A" }, 1, 2] }))).toBe(false);
    expect(compileFilter({ data: { constructor: { $exists: true } } }).matches(ev({}))).toBe(false);
    expect(compileFilter({ data: { toString: { $exists: true } } }).matches(ev({ toString: 1 }))).toBe(true);
  });

  it("combines with $and, $or and $not at any position", () => {
    const f = compileFilter({
      $or: [{ type: "a" }, { data: { n: { $or: [{ $lt: 0 }, { $gt: 10 }] } } }],
      $not: { data: { test: true } },
    });
    expect(f.matches(ev({ n: 5 }, "a"))).toBe(true);
    expect(f.matches(ev({ n: 5 }, "b"))).toBe(false);
    expect(f.matches(ev({ n: 11 }, "b"))).toBe(true);
    expect(f.matches(ev({ n: -1, test: true }, "b"))).toBe(false);
    expect(compileFilter({ $and: [{ type: "a" }, { data: { n: 1 } }] }).matches(ev({ n: 1 }, "a"))).toBe(true);
  });

  it("explains which clause failed with a JSON pointer into the filter", () => {
    const f = compileFilter({ data: { "a/b": { "x~y": { $gte: 3 } }, currency: "EUR" } });
    expect(f.explain(ev({ "a/b": { "x~y": 4 }, currency: "EUR" }))).toBeNull();
    expect(f.explain(ev({ "a/b": { "x~y": 2 }, currency: "EUR" }))).toEqual({
      pointer: "/data/a~1b/x~0y/$gte",
      message: "is not a number >= 3",
    });
    expect(f.explain(ev({ "a/b": { "x~y": 3 }, currency: "USD" }))).toEqual({ pointer: "/data/currency", message: 'expected "EUR"' });
    expect(compileFilter({ $or: [{ type: "a" }, { type: "b" }] }).explain(ev({}, "c"))).toEqual({
      pointer: "/$or",
      message: "none of the 2 alternatives matched",
    });
    expect(compileFilter({ $not: { type: "c" } }).explain(ev({}, "c"))).toEqual({ pointer: "/$not", message: "the negated filter matched" });
  });

  it("keeps the filter's text as given", () => {
    expect(compileFilter({ data: { b: 1, a: { $in: [2, 3] } } }).text).toBe('{"data":{"b":1,"a":{"$in":[2,3]}}}');
  });
});

describe("compileFilter: validation", () => {
  it("refuses bad clauses with a pointer to them", () => {
    expect(refused([])).toEqual({ pointer: "", message: "a filter is a JSON object" });
    expect(refused({})).toMatchObject({ pointer: "" });
    expect(refused({ id: "evt_1" })).toMatchObject({ pointer: "/id" });
    expect(refused({ $eq: 1 })).toMatchObject({ pointer: "/$eq" });
    expect(refused({ data: { a: { $gte: true } } })).toMatchObject({ pointer: "/data/a/$gte" });
    expect(refused({ data: { a: { $in: [1, { b: 2 }] } } })).toMatchObject({ pointer: "/data/a/$in/1" });
    expect(refused({ data: { a: { $in: [] } } })).toMatchObject({ pointer: "/data/a/$in" });
    expect(refused({ data: { a: { $regex: "x" } } })).toMatchObject({ pointer: "/data/a/$regex", message: expect.stringMatching(/unknown operator/) });
    expect(refused({ data: { a: [1, 2] } })).toMatchObject({ pointer: "/data/a", message: expect.stringMatching(/\$in/) });
    expect(refused({ data: { a: { $eq: { b: 1 } } } })).toMatchObject({ pointer: "/data/a/$eq" });
    expect(refused({ data: { a: {} } })).toMatchObject({ pointer: "/data/a" });
    expect(refused({ $or: [{ type: "a" }, 3] })).toMatchObject({ pointer: "/$or/1" });
    expect(refused({ $and: [] })).toMatchObject({ pointer: "/$and" });
    expect(refused({ data: { a: { $exists: 1 } } })).toMatchObject({ pointer: "/data/a/$exists" });
    expect(refused({ data: { a: { $prefix: 1 } } })).toMatchObject({ pointer: "/data/a/$prefix" });
    expect(refused({ data: { "x/y": { $not: 1 } } })).toMatchObject({ pointer: "/data/x~1y/$not" });
  });

  it("enforces the size, depth, clause and list limits", () => {
    const big = { data: { s: "x".repeat(MAX_FILTER_BYTES) } };
    expect(refused(big)).toEqual({ pointer: "", message: `the filter is larger than ${MAX_FILTER_BYTES} bytes` });

    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < MAX_FILTER_DEPTH; i++) deep = { n: deep };
    expect(refused({ data: deep }).message).toMatch(/levels deep/);
    let fits: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < MAX_FILTER_DEPTH - 3; i++) fits = { n: fits };
    expect(() => compileFilter({ data: fits })).not.toThrow();

    const many = Object.fromEntries(Array.from({ length: MAX_FILTER_CLAUSES }, (_, i) => [`k${i}`, i]));
    expect(refused({ data: many })).toEqual({ pointer: `/data/k${MAX_FILTER_CLAUSES - 1}`, message: `a filter may hold at most ${MAX_FILTER_CLAUSES} clauses` });
    const most = Object.fromEntries(Array.from({ length: MAX_FILTER_CLAUSES - 1 }, (_, i) => [`k${i}`, i]));
    expect(compileFilter({ data: most }).matches(ev(most))).toBe(true);

    const list = Array.from({ length: MAX_FILTER_LIST + 1 }, (_, i) => i);
    expect(refused({ data: { n: { $in: list } } })).toMatchObject({ pointer: "/data/n/$in" });
    expect(compileFilter({ data: { n: { $in: list.slice(1) } } }).matches(ev({ n: MAX_FILTER_LIST }))).toBe(true);
  });
});
