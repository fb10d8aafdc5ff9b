/** The HOOKD_QUOTA_* settings as the quotas every tenant has unless it carries overrides. */
import type { Config } from "../../config/config.ts";
import type { Quotas } from "../../domain/quotas.ts";

export function quotaDefaults(config: Readonly<Config>): Quotas {
  return {
    max_endpoints: config.quotaMaxEndpoints,
    max_deliveries_per_request: config.quotaMaxDeliveriesPerRequest,
    deliveries_per_second: config.quotaDeliveriesPerSecond,
    ingest_requests_per_second: config.quotaIngestRequestsPerSecond,
    ingest_bytes_per_second: config.quotaIngestBytesPerSecond,
    max_stored_bytes: config.quotaMaxStoredBytes,
  };
}
