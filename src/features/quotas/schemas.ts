/** The quotas on the wire: tenants carry them (features/tenants), GET /v1/tenants/{id}/quotas adds usage. */
import { type TSchema, Type } from "typebox";
import { effectiveQuotas, QUOTA_NAMES, type QuotaName, type Quotas } from "../../domain/quotas.ts";
import type { Tenant } from "../../domain/types.ts";
import type { QuotaView } from "./service.ts";

const DESCRIPTIONS: Record<QuotaName, string> = {
  max_endpoints: "Endpoints the tenant may have (HOOKD_QUOTA_MAX_ENDPOINTS).",
  max_deliveries_per_request:
    "Deliveries one publish request may create: its events times their matching endpoints (HOOKD_QUOTA_MAX_DELIVERIES_PER_REQUEST).",
  deliveries_per_second: "Deliveries publishing may create per second, per API process (HOOKD_QUOTA_DELIVERIES_PER_SECOND).",
  ingest_requests_per_second: "Publish requests per second, per API process (HOOKD_QUOTA_INGEST_REQUESTS_PER_SECOND).",
  ingest_bytes_per_second: "Publish request bytes per second, per API process (HOOKD_QUOTA_INGEST_BYTES_PER_SECOND).",
  max_stored_bytes: "Event payload bytes kept until retention expunges them (HOOKD_QUOTA_MAX_STORED_BYTES).",
};

const each = <T extends TSchema>(schema: (name: QuotaName) => T) =>
  Object.fromEntries(QUOTA_NAMES.map((name) => [name, schema(name)])) as Record<QuotaName, T>;

const Limit = (name: QuotaName) => Type.Integer({ minimum: 0, maximum: 2 ** 50, description: `${DESCRIPTIONS[name]} 0: no limit.` });

export const QuotasSchema = Type.Object(each(Limit), {
  description: "The tenant's quotas in effect: the HOOKD_QUOTA_* defaults with its overrides (docs/security.md#quotas).",
});

export const QuotaOverridesSchema = Type.Object(each((name) => Type.Optional(Limit(name))), {
  description: "Only the quotas set for this tenant; the others follow the HOOKD_QUOTA_* defaults.",
});

/**
 * A limit or null, as one JSON Schema type list rather than a union: the API's validator coerces types, and in a
 * union it would turn null into 0 (no limit) or 0 into null (the default), whichever branch came first.
 */
const LimitOrNull = (name: QuotaName) =>
  Type.Unsafe<number | null>({
    type: ["integer", "null"],
    minimum: 0,
    maximum: 2 ** 50,
    description: `${DESCRIPTIONS[name]} 0: no limit; null: the default.`,
  });

/** PATCH (and create): a number overrides the default for this tenant, null goes back to the default. Admin key only. */
export const QuotaPatchSchema = Type.Object(
  each((name) => Type.Optional(LimitOrNull(name))),
  {
    additionalProperties: false,
    description: "Per-tenant overrides of the HOOKD_QUOTA_* defaults (admin key only): a number sets one (0: no limit), null removes it.",
  },
);

export const QuotaViewSchema = Type.Object({
  quotas: QuotasSchema,
  overrides: QuotaOverridesSchema,
  usage: Type.Object({
    endpoints: Type.Integer(),
    stored_bytes: Type.Integer({ description: "Event payload bytes kept, from a counter maintained at ingest and expunge." }),
  }),
});

/** The tenant's fields about quotas, for tenantToApi. */
export function tenantQuotasToApi(t: Tenant, defaults: Readonly<Quotas>) {
  return { quotas: effectiveQuotas(defaults, t.quotas), quota_overrides: t.quotas ?? {} };
}

export function quotaViewToApi(v: QuotaView) {
  return { quotas: v.quotas, overrides: v.overrides, usage: { endpoints: v.usage.endpoints, stored_bytes: v.usage.storedBytes } };
}
