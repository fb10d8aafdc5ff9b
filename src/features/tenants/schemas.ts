import { Type } from "typebox";
import type { Tenant } from "../../domain/types.ts";
import { CALLER_ID_PATTERN } from "../../domain/ids.ts";
import { iso, Metadata, TEXT_PATTERN } from "../../http/common-schemas.ts";

export const CreateTenantBody = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: CALLER_ID_PATTERN })),
    name: Type.String({ minLength: 1, maxLength: 256, pattern: TEXT_PATTERN }),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const PatchTenantBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: TEXT_PATTERN })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export function tenantToApi(t: Tenant) {
  return { id: t.id, name: t.name, metadata: t.metadata, created_at: iso(t.createdAt), updated_at: iso(t.updatedAt) };
}
