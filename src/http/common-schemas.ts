/**
 * Schema pieces every resource shares: path params, pagination and the error body.
 */
import { Type } from "typebox";
import { CALLER_ID_PATTERN } from "../domain/ids.ts";

export const TenantParams = Type.Object({ tenant_id: Type.String({ pattern: CALLER_ID_PATTERN }) });

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

export const Metadata = Type.Record(Type.String({ maxLength: 128 }), Type.Unknown(), {
  maxProperties: 64,
  description: "Free-form JSON the caller keeps with the object.",
});

export const ErrorBody = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Array(Type.Unknown())),
});

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
