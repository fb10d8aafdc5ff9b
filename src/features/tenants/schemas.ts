import { Type } from "typebox";
import type { Tenant } from "../../domain/types.ts";
import { CALLER_ID_PATTERN } from "../../domain/ids.ts";
import type { Quotas } from "../../domain/quotas.ts";
import { iso, Metadata, TEXT_PATTERN } from "../../http/common-schemas.ts";
import { QuotaPatchSchema, tenantQuotasToApi } from "../quotas/schemas.ts";

/**
 * An event larger than the full-payload limit (HOOKD_MAX_EVENT_BYTES): refused with 413, or accepted up to
 * HOOKD_MAX_THIN_EVENT_BYTES and delivered thin to every endpoint (docs/delivery.md#thin-deliveries).
 */
const OversizedEvents = Type.Union([Type.Literal("reject"), Type.Literal("thin")]);

export const CreateTenantBody = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: CALLER_ID_PATTERN })),
    name: Type.String({ minLength: 1, maxLength: 256, pattern: TEXT_PATTERN }),
    metadata: Type.Optional(Metadata),
    oversized_events: Type.Optional(OversizedEvents),
    quotas: Type.Optional(QuotaPatchSchema),
  },
  { additionalProperties: false },
);

export const PatchTenantBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: TEXT_PATTERN })),
    metadata: Type.Optional(Metadata),
    oversized_events: Type.Optional(OversizedEvents),
    quotas: Type.Optional(QuotaPatchSchema),
  },
  { additionalProperties: false },
);

/** `defaults`: the HOOKD_QUOTA_* settings, to show the quotas in effect beside the tenant's overrides. */
export function tenantToApi(t: Tenant, defaults: Readonly<Quotas>) {
  return {
    id: t.id,
    name: t.name,
    metadata: t.metadata,
    oversized_events: t.oversizedEvents,
    ...tenantQuotasToApi(t, defaults),
    created_at: iso(t.createdAt),
    updated_at: iso(t.updatedAt),
  };
}
