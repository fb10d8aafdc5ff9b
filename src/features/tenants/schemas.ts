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

/** The tenant's own HOOKD_EVENT_RETENTION_DAYS; only an admin key may set it. */
// One schema with a type list, not a union: with type coercion on, a union's first branch would turn null into 0
// (keep everything) or 0 into null (the setting); a value that already has one of the listed types is not coerced.
const EventRetentionDays = Type.Unsafe<number | null>({
  type: ["integer", "null"],
  minimum: 0,
  maximum: 36_500,
  description:
    "Days after which this tenant's finished deliveries and their events are deleted (0: keep); null: HOOKD_EVENT_RETENTION_DAYS. Admin only.",
});

export const CreateTenantBody = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: CALLER_ID_PATTERN })),
    name: Type.String({ minLength: 1, maxLength: 256, pattern: TEXT_PATTERN }),
    metadata: Type.Optional(Metadata),
    oversized_events: Type.Optional(OversizedEvents),
    event_retention_days: Type.Optional(EventRetentionDays),
    quotas: Type.Optional(QuotaPatchSchema),
  },
  { additionalProperties: false },
);

export const PatchTenantBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: TEXT_PATTERN })),
    metadata: Type.Optional(Metadata),
    oversized_events: Type.Optional(OversizedEvents),
    event_retention_days: Type.Optional(EventRetentionDays),
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
    event_retention_days: t.eventRetentionDays,
    ...tenantQuotasToApi(t, defaults),
    created_at: iso(t.createdAt),
    updated_at: iso(t.updatedAt),
  };
}
