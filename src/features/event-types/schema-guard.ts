/**
 * Limits on a tenant's JSON Schema, checked before ajv sees it. A schema is code that runs on every event of its
 * type, inside the API process all tenants share, so it must be cheap to compile and cheap to run, and it must
 * never reach outside the process:
 *
 * - at most 64 KiB serialised and 32 levels deep;
 * - `$ref` only to a JSON pointer within the same document (`#` or `#/$defs/...`): nothing is ever fetched, and no
 *   `$id` below the root, `$anchor`, `$dynamicRef` or `$dynamicAnchor` can move what a pointer means;
 * - no reference cycles: a recursive schema can be made to do exponential work (or recurse without end) on nested
 *   data, so payload schemas are finite trees;
 * - at most 10,000 subschemas once every reference is expanded (a small document can name one definition twice at
 *   each of 200 levels: 2^200 checks);
 * - `pattern` and `patternProperties` pass the backtracking check in regex-guard.ts;
 * - `uniqueItems` compares every pair of items unless they are declared scalars (ajv then uses a hash), so over
 *   objects or arrays it needs a `maxItems` of at most MAX_UNIQUE_ITEMS.
 *
 * Everything else (unknown keywords, formats, malformed regular expressions) is left to ajv's strict compile.
 */
import { exceedsJsonDepth } from "../../http/json-depth.ts";
import { unsafePatternReason } from "./regex-guard.ts";

export const MAX_SCHEMA_BYTES = 64 * 1024;
export const MAX_SCHEMA_DEPTH = 32;
export const MAX_EXPANDED_SUBSCHEMAS = 10_000;
/** 100 items are 4,950 comparisons; a 256 KB event could otherwise hold 40,000 `{}` and ask for 800 million. */
export const MAX_UNIQUE_ITEMS = 100;

/** Keywords whose value is one subschema, an array of them, or an object of them (draft 2020-12). */
const ONE = ["not", "if", "then", "else", "items", "contains", "additionalProperties", "propertyNames", "unevaluatedItems", "unevaluatedProperties"];
const LIST = ["allOf", "anyOf", "oneOf", "prefixItems"];
const MAP = ["properties", "patternProperties", "dependentSchemas"];
/** Definitions are only applied through a `$ref`, so they count when referenced, not where they are written. */
const DEFINITIONS = ["$defs", "definitions"];
const REFUSED_KEYWORDS = ["$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor"];

export class SchemaRefused extends Error {}

/** Throws SchemaRefused with a message for the caller when the schema breaks one of the limits above. */
export function checkSchemaLimits(schema: Record<string, unknown>): void {
  if (Buffer.byteLength(JSON.stringify(schema)) > MAX_SCHEMA_BYTES) {
    throw new SchemaRefused(`schema is larger than ${MAX_SCHEMA_BYTES} bytes`);
  }
  if (exceedsJsonDepth(schema, MAX_SCHEMA_DEPTH)) {
    throw new SchemaRefused(`schema is nested more than ${MAX_SCHEMA_DEPTH} levels deep`);
  }
  new ExpansionCounter(schema).count();
}

/**
 * Walks the schema as ajv will apply it, following each `$ref` into its target, and counts the subschemas. Counts
 * are memoised per subschema object, so the walk itself stays linear in the document even when the expansion is
 * not; a subschema met again while it is still being walked is a reference cycle.
 */
class ExpansionCounter {
  private readonly done = new Map<unknown, number>();
  private readonly active = new Set<unknown>();

  constructor(private readonly root: Record<string, unknown>) {}

  count(): number {
    const total = this.walk(this.root, "#", true);
    // Definitions nobody references are still compiled: check their shape too.
    for (const key of DEFINITIONS) {
      for (const [name, sub] of Object.entries(asObject(this.root[key]))) this.walk(sub, `#/${key}/${name}`, false);
    }
    return total;
  }

  private walk(node: unknown, at: string, isRoot: boolean): number {
    if (typeof node === "boolean") return 1;
    if (node === null || typeof node !== "object" || Array.isArray(node)) return 1; // ajv reports the type error
    const known = this.done.get(node);
    if (known !== undefined) return known;
    if (this.active.has(node)) throw new SchemaRefused(`schema refers to itself at ${at}: recursive schemas are not supported`);
    this.active.add(node);
    const s = node as Record<string, unknown>;
    this.checkKeywords(s, at, isRoot);
    let total = 1;
    if (typeof s.$ref === "string") total += this.walk(this.resolve(s.$ref, at), s.$ref, false);
    for (const key of ONE) if (key in s) total += this.walk(s[key], `${at}/${key}`, false);
    for (const key of LIST) {
      if (Array.isArray(s[key])) (s[key] as unknown[]).forEach((sub, i) => (total += this.walk(sub, `${at}/${key}/${i}`, false)));
    }
    for (const key of MAP) {
      for (const [name, sub] of Object.entries(asObject(s[key]))) total += this.walk(sub, `${at}/${key}/${name}`, false);
    }
    if (total > MAX_EXPANDED_SUBSCHEMAS) {
      throw new SchemaRefused(
        `schema expands to more than ${MAX_EXPANDED_SUBSCHEMAS} subschemas once its references are followed`,
      );
    }
    this.active.delete(node);
    this.done.set(node, total);
    return total;
  }

  private checkKeywords(s: Record<string, unknown>, at: string, isRoot: boolean): void {
    for (const key of REFUSED_KEYWORDS) {
      if (key in s) throw new SchemaRefused(`${key} is not supported (at ${at}); use $ref with a JSON pointer`);
    }
    if (!isRoot && ("$id" in s || "$schema" in s)) {
      throw new SchemaRefused(`$id and $schema are allowed only at the root (found at ${at})`);
    }
    if (typeof s.pattern === "string") this.checkPattern(s.pattern, `${at}/pattern`);
    if (s.uniqueItems === true && !hasScalarItems(s) && !(typeof s.maxItems === "number" && s.maxItems <= MAX_UNIQUE_ITEMS)) {
      throw new SchemaRefused(
        `uniqueItems at ${at} needs "items" with a scalar "type" or a "maxItems" of at most ${MAX_UNIQUE_ITEMS}`,
      );
    }
    for (const pattern of Object.keys(asObject(s.patternProperties))) this.checkPattern(pattern, `${at}/patternProperties`);
  }

  private checkPattern(pattern: string, at: string): void {
    const reason = unsafePatternReason(pattern);
    if (reason) throw new SchemaRefused(`pattern ${JSON.stringify(pattern)} at ${at} is refused: ${reason}`);
  }

  /** A `#`-pointer into this document; anything else would be a fetch or a lookup elsewhere, so it is refused. */
  private resolve(ref: string, at: string): unknown {
    if (ref !== "#" && !ref.startsWith("#/")) {
      throw new SchemaRefused(`$ref ${JSON.stringify(ref)} at ${at} is refused: only "#/..." pointers within the schema are allowed`);
    }
    let node: unknown = this.root;
    for (const raw of ref.slice(2).split("/").filter((_, i, all) => !(all.length === 1 && all[0] === ""))) {
      let token: string;
      try {
        token = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
      } catch {
        throw new SchemaRefused(`$ref ${JSON.stringify(ref)} is not a valid JSON pointer`);
      }
      if (node === null || typeof node !== "object" || !Object.hasOwn(node, token)) {
        throw new SchemaRefused(`$ref ${JSON.stringify(ref)} points at nothing in the schema`);
      }
      node = (node as Record<string, unknown>)[token];
    }
    return node;
  }
}

/** What ajv's uniqueItems can check with a hash instead of comparing pairs: items typed, and never as object or array. */
function hasScalarItems(s: Record<string, unknown>): boolean {
  const type = asObject(s.items).type;
  const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
  return types.length > 0 && types.every((t) => typeof t === "string" && t !== "object" && t !== "array");
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
