/**
 * Schema pieces every resource shares: path params, pagination and the error body.
 */
import { Type } from "typebox";
import { CALLER_ID_PATTERN } from "../domain/ids.ts";
import type { JsonObject } from "../domain/types.ts";
import { AppError } from "../errors/app-error.ts";
import { isUnstorableText } from "./unstorable-text.ts";

/** Free text kept in text columns: anything but NUL, which a PostgreSQL text value cannot hold. */
export const TEXT_PATTERN = "^[^\\x00]*$";

export const TenantParams = Type.Object({ tenant_id: Type.String({ pattern: CALLER_ID_PATTERN }) });

/** For actions that take no input: an absent body is validated as {} and any field is refused. */
export const EmptyBody = Type.Object({}, { additionalProperties: false });

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

export const Metadata = Type.Record(Type.String({ maxLength: 128 }), Type.Unknown(), {
  maxProperties: 64,
  // The key schema above becomes a pattern that accepts any name; propertyNames is what enforces the length.
  propertyNames: { maxLength: 128 },
  description: "Free-form JSON the caller keeps with the object.",
});


/**
 * What the Metadata schema cannot say: no key or string anywhere inside may hold text PostgreSQL's jsonb refuses, so
 * such metadata is a 400 on both stores instead of a 500 on one.
 */
export function checkMetadata(metadata: JsonObject | undefined): void {
  if (metadata === undefined) return;
  const pending: unknown[] = [metadata];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === "string") {
      if (isUnstorableText(value)) {
        throw new AppError("VALIDATION_FAILED", "metadata may not contain NUL characters or unpaired surrogates", [
          { path: "body/metadata", message: "contains a NUL character or an unpaired surrogate" },
        ]);
      }
    } else if (Array.isArray(value)) {
      pending.push(...value);
    } else if (value !== null && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) pending.push(key, child);
    }
  }
}

export const ErrorBody = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Array(Type.Unknown())),
});

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * An RFC 3339 time the schema accepted, as epoch ms. The schema's date-time format admits a few strings Date.parse
 * cannot read (a leap second); those are a 400 here rather than a NaN in a query.
 */
export function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new AppError("VALIDATION_FAILED", `${field} is not a time hookd can read`, [
      { path: field, message: "must be an RFC 3339 date-time" },
    ]);
  }
  return ms;
}
