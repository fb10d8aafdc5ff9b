/**
 * Per-tenant quotas: what one tenant may use of a shared hookd, so that it cannot slow or fill it for the others
 * (docs/security.md#quotas). Defaults come from the HOOKD_QUOTA_* settings; a tenant may carry overrides of any of
 * them (PATCH /v1/tenants/{id} with `quotas`). 0 means "no limit" for that quota.
 */

/** The quotas, by the name the API and the stored overrides use. */
export const QUOTA_NAMES = [
  "max_endpoints",
  "max_deliveries_per_request",
  "deliveries_per_second",
  "ingest_requests_per_second",
  "ingest_bytes_per_second",
  "max_stored_bytes",
] as const;

export type QuotaName = (typeof QUOTA_NAMES)[number];

/** Every quota with its value (0: unlimited). */
export type Quotas = Record<QuotaName, number>;

/** A tenant's overrides: only the quotas that differ from the defaults. */
export type QuotaOverrides = Partial<Quotas>;

/** The defaults with a tenant's overrides applied. */
export function effectiveQuotas(defaults: Readonly<Quotas>, overrides: QuotaOverrides | undefined): Quotas {
  return { ...defaults, ...overrides };
}

/** Overrides as stored (JSON text, NULL for none), read back leniently: unknown keys and bad values are ignored. */
export function parseQuotaOverrides(text: string | null | undefined): QuotaOverrides {
  if (!text) return {};
  const raw = JSON.parse(text) as Record<string, unknown>;
  const out: QuotaOverrides = {};
  for (const name of QUOTA_NAMES) {
    const v = raw[name];
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) out[name] = v;
  }
  return out;
}

export function quotaOverridesToStore(overrides: QuotaOverrides | undefined): string | null {
  return overrides && Object.keys(overrides).length > 0 ? JSON.stringify(overrides) : null;
}

/**
 * Applies a PATCH: a number sets the override, null removes it (back to the default), a missing key keeps it.
 * @example mergeQuotaOverrides({ max_endpoints: 10 }, { max_endpoints: null, deliveries_per_second: 50 })
 *   // { deliveries_per_second: 50 }
 */
export function mergeQuotaOverrides(
  current: QuotaOverrides | undefined,
  patch: Partial<Record<QuotaName, number | null>>,
): QuotaOverrides {
  const out: QuotaOverrides = { ...current };
  for (const name of QUOTA_NAMES) {
    const v = patch[name];
    if (v === null) delete out[name];
    else if (v !== undefined) out[name] = v;
  }
  return out;
}
