/**
 * SQLite statements of delivery stats: the per-minute upsert recordAttempts runs once per (endpoint, minute) of a
 * batch, inside its transaction, and the reads behind GET .../stats and the breaker gauge.
 */
import { STATS_COUNTERS, SUMMED_COUNTERS } from "../attempt-stats-columns.ts";

/** Params: tenant, endpoint, minute, then one value per STATS_COUNTERS entry. */
export const UPSERT_STATS_SQL = `INSERT INTO endpoint_attempt_stats (tenant_id, endpoint_id, minute, ${STATS_COUNTERS.join(", ")})
  VALUES (?, ?, ?, ${STATS_COUNTERS.map(() => "?").join(", ")})
  ON CONFLICT (endpoint_id, minute) DO UPDATE SET ${STATS_COUNTERS.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`;

/** Params: tenant, from, to (one tenant's rows, endpoint_attempt_stats_by_tenant). */
export const TENANT_STATS_SQL = `SELECT ${SUMMED_COUNTERS} FROM endpoint_attempt_stats
  WHERE tenant_id = ? AND minute >= ? AND minute < ?`;

/** Params: endpoint, from, to, tenant (a primary key range). */
export const ENDPOINT_STATS_SQL = `SELECT ${SUMMED_COUNTERS} FROM endpoint_attempt_stats
  WHERE endpoint_id = ? AND minute >= ? AND minute < ? AND tenant_id = ?`;

/**
 * Params: @id, an endpoint or a tenant. Pending: fresh deliveries beyond each endpoint's acked stream position, and
 * replayed ones waiting as jobs; failed: jobs of deliveries whose last attempt failed.
 */
export const backlogSql = (by: "endpoint" | "tenant") => {
  const endpoints = by === "endpoint" ? "@id" : "SELECT id FROM endpoints WHERE tenant_id = @id";
  return `SELECT
    (SELECT count(*) FROM endpoint_stream s JOIN deliveries d ON d.endpoint_id = s.endpoint_id AND d.seq > s.acked_seq
       WHERE s.endpoint_id IN (${endpoints}) AND d.status = 'pending' AND d.retry_queued = 0)
    + (SELECT count(*) FROM delivery_jobs j JOIN deliveries d ON d.tenant_id = j.tenant_id AND d.id = j.delivery_id
       WHERE j.endpoint_id IN (${endpoints}) AND d.status = 'pending') AS pending,
    (SELECT count(*) FROM delivery_jobs j JOIN deliveries d ON d.tenant_id = j.tenant_id AND d.id = j.delivery_id
       WHERE j.endpoint_id IN (${endpoints}) AND d.status = 'failed') AS failed`;
};

export const BREAKER_COUNTS_SQL = `SELECT coalesce(json_extract(data, '$.breaker'), 'closed') AS state, count(*) AS count
  FROM endpoint_state GROUP BY 1`;

/** Params: minutes before this, at most this many rows. */
export const DELETE_STATS_SQL = `DELETE FROM endpoint_attempt_stats WHERE (endpoint_id, minute) IN (
  SELECT endpoint_id, minute FROM endpoint_attempt_stats WHERE minute < ? ORDER BY minute LIMIT ?)`;
