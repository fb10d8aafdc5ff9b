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

/** Params: endpoint (deliveries_due_by_endpoint) or tenant (deliveries_by_status). */
export const backlogSql = (by: "endpoint_id" | "tenant_id") =>
  `SELECT coalesce(sum(status = 'pending'), 0) AS pending, coalesce(sum(status = 'failed'), 0) AS failed
   FROM deliveries WHERE ${by} = ? AND status IN ('pending', 'failed')`;

export const BREAKER_COUNTS_SQL = `SELECT coalesce(json_extract(data, '$.breaker'), 'closed') AS state, count(*) AS count
  FROM endpoint_state GROUP BY 1`;

/** Params: minutes before this, at most this many rows. */
export const DELETE_STATS_SQL = `DELETE FROM endpoint_attempt_stats WHERE (endpoint_id, minute) IN (
  SELECT endpoint_id, minute FROM endpoint_attempt_stats WHERE minute < ? ORDER BY minute LIMIT ?)`;
