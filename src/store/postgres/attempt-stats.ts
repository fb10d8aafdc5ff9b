/**
 * PostgreSQL statements of delivery stats: the reads behind GET .../stats, the backlog and the breaker gauge (the
 * per-minute upsert rides along in hookd_cycle, migration 000015). Exported as text so
 * test/contract/postgres-stats-plans.test.ts can EXPLAIN exactly what the store runs.
 */
import { SUMMED_COUNTERS } from "../attempt-stats-columns.ts";

/**
 * Sums one endpoint's rows (primary key range) or the tenant's (endpoint_attempt_stats_by_tenant) over [from, to).
 * Params: $1 tenant, $2 endpoint (only for one endpoint), then from and to.
 */
export function attemptStatsSql(
  tenantId: string,
  endpointId: string | null,
  from: number,
  to: number,
): { text: string; values: unknown[] } {
  if (endpointId === null) {
    return {
      text: `SELECT ${SUMMED_COUNTERS} FROM endpoint_attempt_stats WHERE tenant_id = $1 AND minute >= $2 AND minute < $3`,
      values: [tenantId, from, to],
    };
  }
  return {
    text: `SELECT ${SUMMED_COUNTERS} FROM endpoint_attempt_stats
           WHERE endpoint_id = $2 AND minute >= $3 AND minute < $4 AND tenant_id = $1`,
    values: [tenantId, endpointId, from, to],
  };
}

/**
 * Pending and failed deliveries of one endpoint or of the tenant's endpoints: fresh ones beyond each endpoint's acked
 * stream position, and jobs (replayed pending ones and failed ones), each read from its own index. Params: $1 the
 * endpoint or the tenant.
 */
export function deliveryBacklogSql(tenantId: string, endpointId: string | null): { text: string; values: unknown[] } {
  const endpoints = endpointId === null ? "SELECT id FROM endpoints WHERE tenant_id = $1" : "$1";
  return {
    text: `SELECT
      (SELECT count(*) FROM endpoint_stream s CROSS JOIN LATERAL (SELECT 1 FROM deliveries d
           WHERE d.endpoint_id = s.endpoint_id AND d.seq > s.acked_seq AND d.status = 'pending' AND NOT d.retry_queued
           OFFSET 0) d
         WHERE s.endpoint_id IN (${endpoints}))
      + (SELECT count(*) FROM delivery_jobs j JOIN deliveries d ON d.tenant_id = j.tenant_id AND d.id = j.delivery_id
         WHERE j.endpoint_id IN (${endpoints}) AND d.status = 'pending') AS pending,
      (SELECT count(*) FROM delivery_jobs j JOIN deliveries d ON d.tenant_id = j.tenant_id AND d.id = j.delivery_id
         WHERE j.endpoint_id IN (${endpoints}) AND d.status = 'failed') AS failed`,
    values: [endpointId ?? tenantId],
  };
}

/** One pass over endpoint_state (one small row per endpoint); a document without a breaker is a closed one. */
export const BREAKER_COUNTS_SQL = `SELECT coalesce(data::jsonb ->> 'breaker', 'closed') AS state, count(*) AS count
  FROM endpoint_state GROUP BY 1`;

/** Retention. Params: $1 minutes before this, $2 at most this many rows. */
export const DELETE_STATS_SQL = `DELETE FROM endpoint_attempt_stats WHERE (endpoint_id, minute) IN (
  SELECT endpoint_id, minute FROM endpoint_attempt_stats WHERE minute < $1 ORDER BY minute LIMIT $2
  FOR UPDATE SKIP LOCKED)`;
