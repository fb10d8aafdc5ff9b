/** Stats (SQLite): queue gauges, per-minute attempt stats, backlogs, breaker counts. */
import type { BreakerState } from "../../domain/endpoint-state.ts";
import { breakerCounts, toTotals } from "../attempt-stats-columns.ts";
import type { DeliveryBacklog, QueueStats, StatsPort } from "../ports/stats.ts";
import { backlogSql, BREAKER_COUNTS_SQL, ENDPOINT_STATS_SQL, TENANT_STATS_SQL } from "./attempt-stats.ts";
import type { SqliteContext } from "./context.ts";

export function sqliteStats(ctx: SqliteContext): StatsPort {
  return {
    async queueStats(now): Promise<QueueStats> {
      const q = ctx
        .sql(
          `SELECT coalesce(sum(q.next_seq - s.acked_seq), 0) AS fresh,
             coalesce(sum(CASE WHEN q.owner IS NOT NULL AND q.owner_until > @now
               THEN coalesce(json_extract(st.data, '$.inFlight'), 0) ELSE 0 END), 0) AS in_flight,
             min(CASE WHEN q.owner IS NULL AND q.next_due_at <= @now THEN q.next_due_at END) AS oldest_due
           FROM endpoint_queue q JOIN endpoint_stream s ON s.endpoint_id = q.endpoint_id
             JOIN endpoint_state st ON st.endpoint_id = q.endpoint_id
           WHERE q.disabled = 0`,
        )
        .get({ now }) as { fresh: number; in_flight: number; oldest_due: number | null };
      const jobs = ctx
        .sql(
          `SELECT coalesce(sum(run_at <= @now), 0) AS due, coalesce(sum(run_at > @now), 0) AS scheduled FROM delivery_jobs`,
        )
        .get({ now }) as { due: number; scheduled: number };
      const dead = ctx.sql("SELECT count(*) AS n FROM dead_letters").get() as { n: number };
      const recent = ctx
        .sql("SELECT coalesce(sum(attempts), 0) AS n FROM endpoint_attempt_stats WHERE minute >= ?")
        .get(Math.floor((now - 60_000) / 60_000) * 60_000) as { n: number };
      return {
        due: Math.max(0, q.fresh - q.in_flight) + jobs.due,
        scheduled: jobs.scheduled,
        inFlight: q.in_flight,
        oldestDueAt: q.oldest_due,
        dead: dead.n,
        attemptsLastMinute: recent.n,
      };
    },

    async attemptStats(tenantId, endpointId, from, to) {
      const row =
        endpointId === null
          ? ctx.sql(TENANT_STATS_SQL).get(tenantId, from, to)
          : ctx.sql(ENDPOINT_STATS_SQL).get(endpointId, from, to, tenantId);
      return toTotals((row ?? {}) as Record<string, number>);
    },

    async deliveryBacklog(tenantId, endpointId): Promise<DeliveryBacklog> {
      const row =
        endpointId === null
          ? ctx.sql(backlogSql("tenant")).get({ id: tenantId })
          : ctx.sql(backlogSql("endpoint")).get({ id: endpointId });
      return row as DeliveryBacklog;
    },

    async countEndpointsByBreaker(): Promise<Record<BreakerState, number>> {
      return breakerCounts(ctx.sql(BREAKER_COUNTS_SQL).all() as { state: string; count: number }[]);
    },
  };
}
