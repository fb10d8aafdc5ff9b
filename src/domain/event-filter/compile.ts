/**
 * Payload filters: an endpoint may hold a filter over each event's `type` and `data`, and gets a delivery only of the
 * events it matches. The language is a JSON object in the style MongoDB made familiar (and Convoy and Outpost use):
 *
 *   {"type": {"$prefix": "invoice."},
 *    "data": {"amount": {"$gte": 1000}, "currency": {"$in": ["EUR", "USD"]}, "customer": {"tier": "gold"}},
 *    "$not": {"data": {"test": true}}}
 *
 * One rule reads every object: each key is a clause and all of them must hold. A key starting with `$` is an operator
 * applied to the value at this position; any other key descends into the value's property of that name (or, on an
 * array, the element at that index). A scalar in place of an object means "equals". At the top only `type`, `data`
 * and the logical operators may appear. Operators: `$eq`, `$neq`, `$gt`, `$gte`, `$lt`, `$lte` (numbers with
 * numbers, strings with strings), `$in`, `$nin` (a list of scalars), `$exists` (true or false), `$prefix` (strings),
 * and `$and`, `$or` (lists of filters), `$not` (a filter), which apply at the position where they stand.
 *
 * Only scalars (strings, numbers, booleans, null) are compared: equality with a whole object or array would cost as
 * much as the value compared, and the bounds (limits.ts) promise a constant cost per clause. A missing value fails
 * every comparison and `$prefix`, and satisfies `$neq`, `$nin` and `$exists: false`.
 *
 * A filter is compiled once (per subscription cache entry, store/plan/subscriptions.ts) into closures; each clause
 * carries its precomputed failure (a JSON pointer into the filter and a reason), so the hot path allocates nothing
 * and `explain` can say which clause failed.
 */
import { MAX_FILTER_BYTES, MAX_FILTER_CLAUSES, MAX_FILTER_DEPTH, MAX_FILTER_LIST } from "./limits.ts";

export type FilterScalar = string | number | boolean | null;

/** What a filter sees of an event. */
export interface FilterEvent {
  type: string;
  data: unknown;
}

/** The clause that did not hold: where it is in the filter (RFC 6901 pointer, "" is the whole filter) and why. */
export interface FilterFailure {
  readonly pointer: string;
  readonly message: string;
}

/** A filter that cannot be saved: the pointer names the offending clause within the filter. */
export class FilterError extends Error {
  constructor(
    readonly pointer: string,
    message: string,
  ) {
    super(message);
    this.name = "FilterError";
  }
}

export interface CompiledFilter {
  /** The filter as JSON text, as it is stored and shown. */
  readonly text: string;
  matches(event: FilterEvent): boolean;
  /** null when the event matches; otherwise the first clause that failed. */
  explain(event: FilterEvent): FilterFailure | null;
}

type Check = (value: unknown) => FilterFailure | null;

const MISSING = Symbol("missing");
const LOGICAL = new Set(["$and", "$or", "$not"]);
const ROOT_FIELDS = new Set(["type", "data"]);
const ARRAY_INDEX = /^(0|[1-9][0-9]{0,8})$/;

/**
 * @throws {FilterError} when the filter breaks the grammar or a limit; the pointer says where.
 * @example compileFilter({ data: { amount: { $gte: 100 } } }).matches({ type: "a", data: { amount: 150 } }) // true
 */
export function compileFilter(filter: unknown): CompiledFilter {
  const text = JSON.stringify(filter);
  if (text !== undefined && Buffer.byteLength(text) > MAX_FILTER_BYTES) {
    throw new FilterError("", `the filter is larger than ${MAX_FILTER_BYTES} bytes`);
  }
  const check = new Compiler().node(filter, "", 1, true);
  return {
    text,
    matches: (event) => check(event) === null,
    explain: (event) => check(event),
  };
}

/** Parses and compiles stored filter text (saved by compileFilter, so it is valid unless a later hookd is stricter). */
export function compileFilterText(text: string): CompiledFilter {
  return compileFilter(JSON.parse(text));
}

class Compiler {
  private clauses = 0;

  node(filter: unknown, pointer: string, depth: number, root: boolean): Check {
    if (!isObject(filter)) {
      throw new FilterError(pointer, root ? "a filter is a JSON object" : "expected a filter object here");
    }
    this.deeper(pointer, depth);
    const keys = Object.keys(filter);
    if (keys.length === 0) {
      throw new FilterError(pointer, "an empty object would match everything: leave it out (a null filter matches every event)");
    }
    const parts = keys.map((key) => {
      const at = `${pointer}/${escapePointer(key)}`;
      const value = filter[key];
      if (key.startsWith("$")) return this.operator(key, value, at, depth, root);
      if (root && !ROOT_FIELDS.has(key)) {
        throw new FilterError(at, `a filter matches the event's "type" and "data"; "${key}" is neither`);
      }
      return this.field(key, value, at, depth);
    });
    return allOf(parts);
  }

  private field(key: string, value: unknown, at: string, depth: number): Check {
    this.count(at);
    const inner = isObject(value) ? this.node(value, at, depth + 1, false) : this.equals(value, at);
    const index = ARRAY_INDEX.test(key) ? Number(key) : -1;
    return (v) => inner(child(v, key, index));
  }

  /** A bare scalar in a field's place: the field must equal it. */
  private equals(value: unknown, at: string): Check {
    if (Array.isArray(value)) {
      throw new FilterError(at, "a list is not a filter: use {\"$in\": [...]} to match one of several values");
    }
    const expected = scalar(value, at, "a scalar (string, number, boolean or null) or a filter object");
    return test((v) => v === expected, at, `expected ${show(expected)}`);
  }

  private operator(op: string, arg: unknown, at: string, depth: number, root: boolean): Check {
    this.count(at);
    if (root && !LOGICAL.has(op)) {
      throw new FilterError(at, `${op} compares a value: put it under "type" or a field of "data"`);
    }
    switch (op) {
      case "$eq": {
        const expected = scalar(arg, at, "a scalar (string, number, boolean or null)");
        return test((v) => v === expected, at, `expected ${show(expected)}`);
      }
      case "$neq": {
        const unwanted = scalar(arg, at, "a scalar (string, number, boolean or null)");
        return test((v) => v !== unwanted, at, `is ${show(unwanted)}`);
      }
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte":
        return this.compare(op, arg, at);
      case "$in":
      case "$nin": {
        const values = this.list(arg, at, depth);
        return op === "$in"
          ? test((v) => values.has(v as FilterScalar), at, `is not one of the ${values.size} listed values`)
          : test((v) => !values.has(v as FilterScalar), at, "is one of the listed values");
      }
      case "$exists": {
        if (typeof arg !== "boolean") throw new FilterError(at, "$exists takes true or false");
        return arg ? test((v) => v !== MISSING, at, "is missing") : test((v) => v === MISSING, at, "is present");
      }
      case "$prefix": {
        if (typeof arg !== "string") throw new FilterError(at, "$prefix takes a string");
        return test((v) => typeof v === "string" && v.startsWith(arg), at, `is not a string starting with ${show(arg)}`);
      }
      case "$and":
      case "$or": {
        if (!Array.isArray(arg) || arg.length === 0) throw new FilterError(at, `${op} takes a non-empty list of filters`);
        this.deeper(at, depth + 1);
        const parts = arg.map((f, i) => this.node(f, `${at}/${i}`, depth + 2, root));
        if (op === "$and") return allOf(parts);
        const failure: FilterFailure = { pointer: at, message: `none of the ${parts.length} alternatives matched` };
        return (v) => (parts.some((p) => p(v) === null) ? null : failure);
      }
      case "$not": {
        const inner = this.node(arg, at, depth + 1, root);
        const failure: FilterFailure = { pointer: at, message: "the negated filter matched" };
        return (v) => (inner(v) === null ? failure : null);
      }
      default:
        throw new FilterError(
          at,
          `unknown operator ${op} (known: $eq, $neq, $gt, $gte, $lt, $lte, $in, $nin, $exists, $prefix, $and, $or, $not)`,
        );
    }
  }

  private compare(op: "$gt" | "$gte" | "$lt" | "$lte", arg: unknown, at: string): Check {
    if (typeof arg !== "number" && typeof arg !== "string") {
      throw new FilterError(at, `${op} compares numbers with numbers or strings with strings: give a number or a string`);
    }
    const kind = typeof arg;
    // The sign of (value - arg), or NaN when the value is not of the literal's kind: every comparison with NaN fails.
    const order =
      typeof arg === "number"
        ? (v: unknown) => (typeof v === "number" ? Math.sign(v - arg) : Number.NaN)
        : (v: unknown) => (typeof v === "string" ? (v < arg ? -1 : v > arg ? 1 : 0) : Number.NaN);
    const symbol = { $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" }[op];
    const message = `is not a ${kind} ${symbol} ${show(arg)}`;
    switch (op) {
      case "$gt":
        return test((v) => order(v) > 0, at, message);
      case "$gte":
        return test((v) => order(v) >= 0, at, message);
      case "$lt":
        return test((v) => order(v) < 0, at, message);
      case "$lte":
        return test((v) => order(v) <= 0, at, message);
    }
  }

  private list(arg: unknown, at: string, depth: number): Set<FilterScalar> {
    if (!Array.isArray(arg) || arg.length === 0) throw new FilterError(at, "expected a non-empty list of scalars");
    this.deeper(at, depth + 1);
    if (arg.length > MAX_FILTER_LIST) throw new FilterError(at, `a list may hold at most ${MAX_FILTER_LIST} values`);
    return new Set(arg.map((v, i) => scalar(v, `${at}/${i}`, "a scalar (string, number, boolean or null)")));
  }

  private count(at: string): void {
    if (++this.clauses > MAX_FILTER_CLAUSES) throw new FilterError(at, `a filter may hold at most ${MAX_FILTER_CLAUSES} clauses`);
  }

  private deeper(at: string, depth: number): void {
    if (depth > MAX_FILTER_DEPTH) throw new FilterError(at, `a filter may nest at most ${MAX_FILTER_DEPTH} levels deep`);
  }
}

function allOf(parts: Check[]): Check {
  if (parts.length === 1) return parts[0]!;
  return (v) => {
    for (const p of parts) {
      const failed = p(v);
      if (failed) return failed;
    }
    return null;
  };
}

function test(pred: (v: unknown) => boolean, pointer: string, reason: string): Check {
  const failure: FilterFailure = { pointer, message: reason };
  return (v) => (pred(v) ? null : failure);
}

/** The value under `key`: a property of an object, an element of an array, or MISSING. */
function child(v: unknown, key: string, index: number): unknown {
  if (v === null || typeof v !== "object") return MISSING;
  if (Array.isArray(v)) return index >= 0 && index < v.length ? (v[index] as unknown) : MISSING;
  return Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : MISSING;
}

function scalar(value: unknown, at: string, wanted: string): FilterScalar {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw new FilterError(at, `expected ${wanted}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** RFC 6901: `~` and `/` in a key are written `~0` and `~1`. */
export function escapePointer(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** A value for a message, cut short so a long literal does not flood it. */
function show(value: FilterScalar): string {
  const text = JSON.stringify(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
