/** Stats (PostgreSQL): queue gauges, per-minute attempt stats, backlogs, breaker counts. */
import { breakerCounts, toTotals } from "../attempt-stats-columns.ts";
import type { QueueStats, StatsPort } from "../ports/stats.ts";
import { attemptStatsSql, BREAKER_COUNTS_SQL, deliveryBacklogSql } from "./attempt-stats.ts";
import type { PostgresContext } from "./context.ts";

export function postgresStats(ctx: PostgresContext): StatsPort {
  const pool = ctx.pool;
  return {
    /**
     * One row per endpoint (the scheduler and stream rows), the job table, the dead-letter list and one stats row per
     * endpoint for the last minute: never a count over the delivery log.
     */
    async queueStats(now): Promise<QueueStats> {
      const { rows } = await pool.query<{
        fresh: number;
        in_flight: number;
        oldest_due: number | null;
        jobs_due: number;
        jobs_later: number;
        dead: number;
        recent: number;
      }>(
        `SELECT
           (SELECT coalesce(sum(q.next_seq - s.acked_seq), 0) FROM endpoint_queue q
              JOIN endpoint_stream s ON s.endpoint_id = q.endpoint_id WHERE NOT q.disabled)::bigint AS fresh,
           (SELECT coalesce(sum((st.data::jsonb ->> 'inFlight')::int), 0) FROM endpoint_queue q
              JOIN endpoint_state st ON st.endpoint_id = q.endpoint_id
              WHERE q.owner IS NOT NULL AND q.owner_until > $1)::bigint AS in_flight,
           (SELECT min(next_due_at) FROM endpoint_queue WHERE owner IS NULL AND next_due_at <= $1) AS oldest_due,
           (SELECT count(*) FILTER (WHERE run_at <= $1) FROM delivery_jobs) AS jobs_due,
           (SELECT count(*) FILTER (WHERE run_at > $1) FROM delivery_jobs) AS jobs_later,
           (SELECT count(*) FROM dead_letters) AS dead,
           (SELECT coalesce(sum(attempts), 0) FROM endpoint_attempt_stats WHERE minute >= $2)::bigint AS recent`,
        [now, Math.floor((now - 60_000) / 60_000) * 60_000],
      );
      const r = rows[0]!;
      return {
        due: Math.max(0, Number(r.fresh) - Number(r.in_flight)) + Number(r.jobs_due),
        scheduled: Number(r.jobs_later),
        inFlight: Number(r.in_flight),
        oldestDueAt: r.oldest_due === null ? null : Number(r.oldest_due),
        dead: Number(r.dead),
        attemptsLastMinute: Number(r.recent),
      };
    },

    async attemptStats(tenantId, endpointId, from, to) {
      const { text, values } = attemptStatsSql(tenantId, endpointId, from, to);
      const { rows } = await pool.query<Record<string, number>>(text, values);
      return toTotals(rows[0] ?? {});
    },

    async deliveryBacklog(tenantId, endpointId) {
      const { text, values } = deliveryBacklogSql(tenantId, endpointId);
      const { rows } = await pool.query<{ pending: number; failed: number }>(text, values);
      return { pending: Number(rows[0]?.pending ?? 0), failed: Number(rows[0]?.failed ?? 0) };
    },

    async countEndpointsByBreaker() {
      const { rows } = await pool.query<{ state: string; count: number }>(BREAKER_COUNTS_SQL);
      return breakerCounts(rows);
    },
  };
}
