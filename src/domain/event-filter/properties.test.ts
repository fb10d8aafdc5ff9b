/**
 * Properties of the filter language over random filters and events drawn from a small vocabulary (so that fields
 * and values collide often): the compiled filter agrees with a plain recursive reading of the language written
 * independently below, the logical operators obey their laws, explain() agrees with matches(), any JSON either
 * compiles or is refused with a pointer into it, and one evaluation reads at most one property per clause.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileFilter, type FilterEvent, FilterError } from "./compile.ts";
import { MAX_FILTER_DEPTH } from "./limits.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Filter = { [k: string]: unknown };

const KEYS = ["a", "b", "c", "0", "1"];
const scalarArb = fc.oneof(
  fc.constantFrom(null, true, false),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom("", "x", "xy", "y", "inv.a", "inv.b"),
);

const { json: jsonArb } = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalarArb,
    fc.array(tie("json"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie("json"), { maxKeys: 3 }),
  ),
}));

const eventArb: fc.Arbitrary<FilterEvent> = fc.record({
  type: fc.constantFrom("inv.a", "inv.b", "x"),
  data: fc.dictionary(fc.constantFrom(...KEYS), jsonArb, { maxKeys: 4 }),
});

const compareArb = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom("", "x", "xy", "y"));
const opArb: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({ $eq: scalarArb }),
  fc.record({ $neq: scalarArb }),
  fc.constantFrom("$gt", "$gte", "$lt", "$lte").chain((op) => compareArb.map((v) => ({ [op]: v }))),
  fc.record({ $in: fc.array(scalarArb, { minLength: 1, maxLength: 4 }) }),
  fc.record({ $nin: fc.array(scalarArb, { minLength: 1, maxLength: 4 }) }),
  fc.record({ $exists: fc.boolean() }),
  fc.record({ $prefix: fc.constantFrom("", "x", "inv.") }),
);

/** A filter object for a value position, at most `depth` levels of descent. */
const { value: valueFilterArb } = fc.letrec<{ value: Filter }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    opArb,
    fc.dictionary(fc.constantFrom(...KEYS), fc.oneof(scalarArb, tie("value")), { minKeys: 1, maxKeys: 2 }),
    fc.record({ $not: tie("value") }),
    fc.record({ $or: fc.array(tie("value"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ $and: fc.array(tie("value"), { minLength: 1, maxLength: 3 }) }),
  ),
}));

const { root: anyFilterArb } = fc.letrec<{ root: Filter }>((tie) => ({
  root: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc
      .record(
        { type: fc.oneof(fc.constantFrom("inv.a", "x"), fc.record({ $prefix: fc.constantFrom("inv.", "x") })), data: valueFilterArb },
        { requiredKeys: [] },
      )
      .filter((r) => Object.keys(r).length > 0),
    fc.record({ $not: tie("root") }),
    fc.record({ $or: fc.array(tie("root"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ $and: fc.array(tie("root"), { minLength: 1, maxLength: 3 }) }),
  ),
}));

/**
 * Filters within the limits (limits.ts), with room for the tests to wrap two of them in a few more levels: the
 * random ones sometimes nest deeper than a filter may.
 */
const filterArb = anyFilterArb.filter((f) => {
  if (depth(f) > MAX_FILTER_DEPTH - 4) return false;
  try {
    compileFilter(f);
    return true;
  } catch {
    return false;
  }
});

function depth(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  return 1 + Math.max(0, ...Object.values(v).map(depth));
}

// The language read directly, one clause at a time, without compiling.
const ABSENT = Symbol("absent");

function lookup(v: unknown, key: string): unknown {
  if (Array.isArray(v)) return /^(0|[1-9]\d*)$/.test(key) && Number(key) < v.length ? v[Number(key)] : ABSENT;
  if (v !== null && typeof v === "object" && Object.prototype.hasOwnProperty.call(v, key)) {
    return (v as Record<string, unknown>)[key];
  }
  return ABSENT;
}

function holds(filter: Filter, value: unknown): boolean {
  return Object.entries(filter).every(([key, arg]) => {
    const list = arg as Filter[];
    switch (key) {
      case "$and":
        return list.every((f) => holds(f, value));
      case "$or":
        return list.some((f) => holds(f, value));
      case "$not":
        return !holds(arg as Filter, value);
      case "$eq":
        return value === arg;
      case "$neq":
        return value !== arg;
      case "$in":
        return (arg as unknown[]).some((x) => x === value);
      case "$nin":
        return !(arg as unknown[]).some((x) => x === value);
      case "$exists":
        return (value !== ABSENT) === arg;
      case "$prefix":
        return typeof value === "string" && value.startsWith(arg as string);
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte": {
        if (typeof value !== typeof arg) return false;
        const [v, a] = [value as number, arg as number];
        return key === "$gt" ? v > a : key === "$gte" ? v >= a : key === "$lt" ? v < a : v <= a;
      }
      default: {
        const inner = lookup(value, key);
        return arg !== null && typeof arg === "object" ? holds(arg as Filter, inner) : inner === arg;
      }
    }
  });
}

/** Whether an RFC 6901 pointer names a location inside `doc`. */
function resolves(doc: unknown, pointer: string): boolean {
  if (pointer === "") return true;
  let at: unknown = doc;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (at === null || typeof at !== "object" || !Object.prototype.hasOwnProperty.call(at, key)) return false;
    at = (at as Record<string, unknown>)[key];
  }
  return true;
}

/** Counts property reads of an event's data, however deep. */
function counting(value: unknown, reads: { n: number }): unknown {
  if (value === null || typeof value !== "object") return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      reads.n++;
      return counting(Reflect.get(target, key, receiver), reads);
    },
  });
}

function clauses(filter: unknown): number {
  if (Array.isArray(filter)) return filter.reduce((n: number, f) => n + clauses(f), 0);
  if (filter === null || typeof filter !== "object") return 0;
  return Object.entries(filter).reduce((n, [k, v]) => n + 1 + (k === "$in" || k === "$nin" ? 0 : clauses(v)), 0);
}

const RUNS = { numRuns: 400 };

describe("filter properties", () => {
  it("the compiled filter agrees with the language read clause by clause", () => {
    fc.assert(
      fc.property(filterArb, eventArb, (f, e) => {
        expect(compileFilter(f).matches(e)).toBe(holds(f, e));
      }),
      RUNS,
    );
  });

  it("not(f) matches exactly when f does not; and/or are conjunction and disjunction", () => {
    fc.assert(
      fc.property(filterArb, filterArb, eventArb, (f, g, e) => {
        const m = (x: Filter) => compileFilter(x).matches(e);
        expect(m({ $not: f })).toBe(!m(f));
        expect(m({ $not: { $not: f } })).toBe(m(f));
        expect(m({ $and: [f, g] })).toBe(m(f) && m(g));
        expect(m({ $or: [f, g] })).toBe(m(f) || m(g));
        // De Morgan
        expect(m({ $not: { $or: [f, g] } })).toBe(m({ $and: [{ $not: f }, { $not: g }] }));
      }),
      RUNS,
    );
  });

  it("$nin is the negation of $in and $neq of $eq, on any field, present or not", () => {
    fc.assert(
      fc.property(fc.constantFrom(...KEYS), fc.array(scalarArb, { minLength: 1, maxLength: 4 }), eventArb, (k, values, e) => {
        const m = (clause: Filter) => compileFilter({ data: { [k]: clause } }).matches(e);
        expect(m({ $nin: values })).toBe(!m({ $in: values }));
        expect(m({ $neq: values[0] })).toBe(!m({ $eq: values[0] }));
        expect(m({ $exists: false })).toBe(!m({ $exists: true }));
      }),
      RUNS,
    );
  });

  it("explain() is null exactly when the event matches, and otherwise points into the filter", () => {
    fc.assert(
      fc.property(filterArb, eventArb, (f, e) => {
        const c = compileFilter(f);
        const failure = c.explain(e);
        expect(failure === null).toBe(c.matches(e));
        if (failure) expect(resolves(f, failure.pointer), failure.pointer).toBe(true);
      }),
      RUNS,
    );
  });

  it("any JSON either compiles or is refused with a FilterError pointing into it", () => {
    const anyJson = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      anyFilterArb.map((f) => JSON.parse(JSON.stringify(f).replace(/"\$(gt|in)"/, '"$bogus"')) as unknown),
    );
    fc.assert(
      fc.property(anyJson, (doc) => {
        try {
          compileFilter(doc);
        } catch (err) {
          expect(err).toBeInstanceOf(FilterError);
          expect(resolves(doc, (err as FilterError).pointer), (err as FilterError).pointer).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it("one evaluation reads at most one property of the event per clause", () => {
    fc.assert(
      fc.property(filterArb, eventArb, (f, e) => {
        const c = compileFilter(f);
        const reads = { n: 0 };
        c.matches(counting(e, reads) as FilterEvent);
        // A field clause reads its property once (an array read may also ask for its length).
        expect(reads.n).toBeLessThanOrEqual(2 * clauses(f));
      }),
      RUNS,
    );
  });
});
