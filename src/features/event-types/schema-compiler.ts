/**
 * Turns a declared type's JSON Schema into a validator. hookd speaks JSON Schema draft 2020-12 only (ajv's Ajv2020
 * with ajv-formats); a `$schema` naming any other draft is refused.
 *
 * One ajv instance compiles every schema (a new instance costs tens of milliseconds: it compiles the meta-schemas),
 * but no schema stays registered in it: `addUsedSchema: false` keeps `$id`s out of its registry, so tenants' ids
 * can never collide or be referenced by another schema, and each schema is dropped from its cache once compiled, so
 * the validator is held only by whoever caches it. ajv runs in strict mode for the schema itself (an unknown keyword
 * such as a misspelt `requried`, or an unknown format, is an error rather than silently ignored) but not for types
 * (`properties` without `type: "object"` is fine). It never fetches anything: there is no loadSchema, and
 * schema-guard.ts has already refused every reference that is not a pointer into the same document. It never
 * changes the data (no defaults, coercion or removal). Compiling is the expensive part, so callers cache the result
 * (catalogue.ts).
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import type { RegExpEngine } from "ajv/dist/types/index.js";
import addFormats from "ajv-formats";
import { AppError } from "../../errors/app-error.ts";
import { compileLinearPattern } from "./linear-pattern.ts";
import { checkSchemaLimits, SchemaRefused } from "./schema-guard.ts";

/** How many validation problems an answer lists at most (for one event, or for a whole batch). */
export const MAX_REPORTED_ERRORS = 20;

/**
 * ajv's `pattern` and `patternProperties` run on RE2 (linear-pattern.ts) instead of V8's backtracking engine, so no
 * pattern can take more than linear time on any string, and strings of any length are checked. toString keys ajv's
 * per-pattern cache, so it must be unique per pattern.
 */
const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string) => {
    const compiled = compileLinearPattern(pattern);
    return { test: (s: string) => compiled.test(s), toString: () => `re2:${pattern}` };
  },
  { code: "linearRegExp" },
);

export interface SchemaProblem {
  instance_path: string;
  message: string;
}

export type EventValidator = (data: unknown) => SchemaProblem[];

function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allErrors: true,
    code: { regExp: linearRegExp },
    // Each referenced subschema is compiled once and called, never copied into its callers: inlining can make the
    // generated code grow with the expansion of the references rather than with the document.
    inlineRefs: false,
    addUsedSchema: false,
    messages: true,
    // Only the event's own properties count: without it `required: ["toString"]` finds Object.prototype's
    // toString on `{}` and passes, and `properties: {constructor: ...}` checks the inherited function.
    ownProperties: true,
  });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  return ajv;
}

const ajv = createAjv();

/**
 * @throws AppError INVALID_SCHEMA with the reason (a limit, or ajv's own message) when the schema cannot be used.
 * @example compileEventSchema({ type: "object", required: ["id"] })({}) // [{ instance_path: "", message: "must have required property 'id'" }]
 */
export function compileEventSchema(schema: Record<string, unknown>): EventValidator {
  let validate: ValidateFunction;
  try {
    checkSchemaLimits(schema);
    validate = ajv.compile(schema);
  } catch (err) {
    if (err instanceof SchemaRefused) throw new AppError("INVALID_SCHEMA", err.message);
    // ajv's compile errors (strict mode, a bad regular expression, a meta-schema violation) are about the input.
    throw new AppError("INVALID_SCHEMA", `schema does not compile: ${(err as Error).message}`);
  } finally {
    ajv.removeSchema(schema);
  }
  if ((validate as { $async?: boolean }).$async) {
    // An async validator answers with a promise, which is always truthy: it would accept everything.
    throw new AppError("INVALID_SCHEMA", "$async schemas are not supported");
  }
  return (data) => (validate(data) ? [] : toProblems(validate.errors ?? []));
}

function toProblems(errors: ErrorObject[]): SchemaProblem[] {
  return errors.slice(0, MAX_REPORTED_ERRORS).map((e) => ({
    instance_path: e.instancePath,
    message: e.message ?? `fails ${e.keyword}`,
  }));
}
