/**
 * PostgreSQL statements of delivery stats: the per-minute upsert that rides along in the record statement, and the
 * reads behind GET .../stats and the breaker gauge. Exported as text so test/contract/postgres-stats-plans.test.ts
 * can EXPLAIN exactly what the store runs.
 */
import type { AttemptRecord } from "../store.ts";
import { BUCKET_OFFSET, STATS_COUNTERS, statsCell, SUMMED_COUNTERS } from "../attempt-stats-columns.ts";

/**
 * A CTE for the record statement (postgres-store.ts recordIn), which must define `prior` (the leased deliveries with
 * tenant_id and endpoint_id) and `updated` (the ids whose lease held). It counts the attempts of exactly the updated
 * deliveries into their endpoint's minute rows, one upsert per (endpoint, minute), in endpoint then minute order so
 * concurrent recorders lock shared rows in the same order. Being part of the record statement, it commits with it.
 * Params, from `$p`: delivery ids, minute starts, counter index of the outcome class, counter index of the latency
 * bucket (attemptStatsParams, one entry per HTTP attempt), then this process's shard (see the migration).
 */
export function attemptStatsCte(p: number): string {
  const counts = STATS_COUNTERS.map((_c, i) =>
    i === 0 ? "count(*)" : `count(*) FILTER (WHERE s.${i < BUCKET_OFFSET ? "class" : "bucket"} = ${i})`,
  );
  return `attempt_stats AS (
         INSERT INTO endpoint_attempt_stats AS t (tenant_id, endpoint_id, minute, shard, ${STATS_COUNTERS.join(", ")})
         SELECT pr.tenant_id, pr.endpoint_id, s.minute, $${p + 4}::smallint, ${counts.join(", ")}
         FROM unnest($${p}::text[], $${p + 1}::bigint[], $${p + 2}::int[], $${p + 3}::int[]) AS s (id, minute, class, bucket)
           JOIN prior pr ON pr.id = s.id
         WHERE s.id IN (SELECT id FROM updated)
         GROUP BY pr.tenant_id, pr.endpoint_id, s.minute
         ORDER BY pr.endpoint_id, s.minute
         ON CONFLICT (endpoint_id, minute, shard) DO UPDATE SET ${STATS_COUNTERS.map((c) => `${c} = t.${c} + excluded.${c}`).join(", ")}
       )`;
}

/** The four arrays attemptStatsCte reads (records without an HTTP attempt are left out), then the shard. */
export function attemptStatsParams(records: AttemptRecord[], shard: number): unknown[] {
  const ids: string[] = [];
  const minutes: number[] = [];
  const classes: number[] = [];
  const buckets: number[] = [];
  for (const r of records) {
    if (!r.attempt) continue;
    const cell = statsCell(r.attempt);
    ids.push(r.deliveryId);
    minutes.push(cell.minute);
    classes.push(cell.classIndex);
    buckets.push(cell.bucketIndex);
  }
  return [ids, minutes, classes, buckets, shard];
}

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
 * Pending and failed deliveries, counted from an index alone: one endpoint's from deliveries_due_by_endpoint (which
 * holds exactly those rows), a tenant's from deliveries_by_status. Params: $1 tenant or endpoint.
 */
export function deliveryBacklogSql(tenantId: string, endpointId: string | null): { text: string; values: unknown[] } {
  const column = endpointId === null ? "tenant_id" : "endpoint_id";
  return {
    text: `SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'failed') AS failed
           FROM deliveries WHERE ${column} = $1 AND status IN ('pending', 'failed')`,
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
