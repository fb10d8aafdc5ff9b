import { describe, expect, it } from "vitest";
import { AppError } from "../../errors/app-error.ts";
import { compileEventSchema, MAX_REPORTED_ERRORS } from "./schema-compiler.ts";
import { MAX_EXPANDED_SUBSCHEMAS } from "./schema-guard.ts";

function refusal(schema: Record<string, unknown>): string {
  try {
    compileEventSchema(schema);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("INVALID_SCHEMA");
    return (err as AppError).message;
  }
  throw new Error("the schema was accepted");
}

describe("compileEventSchema", () => {
  it("runs each pattern of a schema as itself, on strings of any length, in linear time", () => {
    const validate = compileEventSchema({
      type: "object",
      properties: { code: { type: "string", pattern: "^[A-Z]{3}$" }, id: { type: "string", pattern: "^in_[0-9]+$" } },
      patternProperties: { "^n[0-9]$": { type: "integer" } },
    });
    expect(validate({ code: "EUR", id: "in_1", n1: 2 })).toEqual([]);
    expect(validate({ code: "in_1", id: "EUR", n1: "x" })).toEqual([
      { instance_path: "/code", message: 'must match pattern "^[A-Z]{3}$"' },
      { instance_path: "/id", message: 'must match pattern "^in_[0-9]+$"' },
      { instance_path: "/n1", message: "must be integer" },
    ]);
    expect(validate({ id: `in_${"1".repeat(100_000)}` })).toEqual([]);
    expect(validate({ id: `in_${"1".repeat(100_000)}x` })).toEqual([{ instance_path: "/id", message: 'must match pattern "^in_[0-9]+$"' }]);
  });

  it("accepts the shapes that backtrack and runs them in linear time: one hostile event in milliseconds", () => {
    const validate = compileEventSchema({
      type: "object",
      properties: { list: { items: { allOf: ["a*a*b", "^(a+)+$", "^(a|aa)*c$", "(\\w+\\s?)*!"].map((pattern) => ({ not: { pattern } })) } } },
    });
    const started = performance.now();
    expect(validate({ list: Array.from({ length: 990 }, () => "a".repeat(256)) })).toHaveLength(MAX_REPORTED_ERRORS);
    // 990 x 4 tests; a backtracking engine took seconds for the first pattern alone.
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("reads ECMAScript escapes as JavaScript does", () => {
    const validate = compileEventSchema({
      type: "object",
      properties: {
        e: { pattern: "^caf\\u00e9$" },
        rocket: { pattern: "^\\uD83D\\uDE80$" },
        dot: { pattern: "^a.b$" },
        space: { pattern: "^\\s$" },
      },
    });
    expect(validate({ e: "caf\u00e9", rocket: "\ud83d\ude80", dot: "a\u00e9b", space: "\u00a0" })).toEqual([]);
    expect(validate({ dot: "a\nb" })).toEqual([{ instance_path: "/dot", message: 'must match pattern "^a.b$"' }]);
  });

  it("sees only the data's own properties, never what Object.prototype lends it", () => {
    const validate = compileEventSchema({
      type: "object",
      required: ["toString"],
      properties: { constructor: { type: "string" } },
      dependentRequired: { hasOwnProperty: ["valueOf"] },
    });
    expect(validate({})).toEqual([{ instance_path: "", message: "must have required property 'toString'" }]);
    expect(validate({ toString: 1 })).toEqual([]);
    expect(validate({ toString: 1, constructor: 2 })).toEqual([{ instance_path: "/constructor", message: "must be string" }]);
    expect(validate(Object.assign(Object.create(null), { toString: 1 }))).toEqual([]);
  });

  it("never changes the data it validates", () => {
    const validate = compileEventSchema({
      type: "object",
      properties: { n: { type: "integer", default: 5 }, s: { type: "string" } },
      additionalProperties: false,
    });
    const data = { s: 7, extra: true };
    expect(validate(data).map((p) => p.message)).toEqual(["must NOT have additional properties", "must be string"]);
    expect(data).toEqual({ s: 7, extra: true });
  });

  it("lists at most MAX_REPORTED_ERRORS problems", () => {
    const validate = compileEventSchema({ type: "array", items: { type: "integer" } });
    expect(validate(Array.from({ length: 100 }, () => "x"))).toHaveLength(MAX_REPORTED_ERRORS);
  });

  it("counts references by their expansion: shared definitions are fine, doubling ones are refused", () => {
    const money = { $defs: { money: { type: "integer", minimum: 0 } } };
    const props = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, { $ref: "#/$defs/money" }]));
    expect(compileEventSchema({ ...money, type: "object", properties: props })({ f1: -1 })).toEqual([
      { instance_path: "/f1", message: "must be >= 0" },
    ]);

    const defs: Record<string, unknown> = { d0: { type: "integer" } };
    for (let i = 1; i <= 14; i++) defs[`d${i}`] = { allOf: [{ $ref: `#/$defs/d${i - 1}` }, { $ref: `#/$defs/d${i - 1}` }] };
    // 2^14 leaves: over the bound, from a document of a few hundred bytes.
    expect(refusal({ $defs: defs, $ref: "#/$defs/d14" })).toContain(`more than ${MAX_EXPANDED_SUBSCHEMAS} subschemas`);
    // 2^11 leaves (about 8,000 subschemas in all) is still allowed.
    for (const name of ["d12", "d13", "d14"]) delete defs[name];
    expect(() => compileEventSchema({ $defs: defs, $ref: "#/$defs/d11" })).not.toThrow();
  });

  it("refuses what would fetch, loop or hide a reference, with the reason", () => {
    expect(refusal({ $ref: "http://169.254.169.254/latest" })).toMatch(/only "#\/\.\.\." pointers/);
    expect(refusal({ $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } }, $ref: "#/$defs/a" })).toMatch(/recursive/);
    // Unreferenced definitions are compiled too, so their shape is checked as well.
    expect(refusal({ $defs: { unused: { properties: { x: { $ref: "#/$defs/unused" } } } } })).toMatch(/recursive/);
    expect(refusal({ $defs: { a: { $anchor: "here" } } })).toMatch(/\$anchor is not supported/);
    expect(refusal({ $defs: { a: {} }, $ref: "#/$defs/a%ZZ" })).toMatch(/not a valid JSON pointer/);
    expect(refusal({ $defs: { a: {} }, $ref: "#/$defs/b" })).toMatch(/points at nothing/);
    expect(refusal({ type: "object", properties: { p: { type: "string", pattern: "^(?=\\d)\\w+$" } } })).toMatch(/linear-time engine/);
  });

  it("allows uniqueItems only where it cannot compare every pair of a long array", () => {
    expect(refusal({ type: "array", uniqueItems: true })).toMatch(/uniqueItems at # needs/);
    expect(refusal({ type: "array", items: { type: "object" }, uniqueItems: true, maxItems: 101 })).toMatch(/uniqueItems/);
    const scalar = compileEventSchema({ type: "array", items: { type: "string" }, uniqueItems: true });
    expect(scalar(["a", "b", "a"]).map((p) => p.message)).toEqual([
      "must NOT have duplicate items (items ## 2 and 0 are identical)",
    ]);
    const bounded = compileEventSchema({ type: "array", items: { type: "object" }, uniqueItems: true, maxItems: 100 });
    expect(bounded([{ a: 1 }, { a: 1 }])).toHaveLength(1);
  });

  it("resolves escaped JSON pointers", () => {
    const validate = compileEventSchema({ $defs: { "a/b": { type: "string" }, "c~d": { type: "integer" } }, properties: {
      x: { $ref: "#/$defs/a~1b" },
      y: { $ref: "#/$defs/c~0d" },
    } });
    expect(validate({ x: 1, y: "s" }).map((p) => p.message)).toEqual(["must be string", "must be integer"]);
  });
});
