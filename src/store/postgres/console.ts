/**
 * The operator console's aggregate reads on PostgreSQL (the port and its bounds: store/ports/console.ts).
 *
 * Queue reads (docs/architecture.md, "The delivery queue"): never a count over the delivery log. Fresh deliveries
 * are the stream positions each endpoint has not acknowledged (next_seq - acked_seq: one row per endpoint, an upper
 * bound, since positions already recorded beyond the acknowledged prefix still count); retries and replays are job
 * rows, counted per endpoint (LATERAL on delivery_jobs_due) and stopped at `cap`; the dead-letter list is counted up
 * to `cap`. The cost follows the number of endpoints, not of queued deliveries. These statements are the only ones
 * that know the queue's shape here. A page of tenants is read in one statement per kind of figure.
 */
import type pg from "pg";
import type { AttemptStatsTotals } from "../../domain/attempt-stats.ts";
import { breakerCounts, SUMMED_COUNTERS } from "../attempt-stats-columns.ts";
import { capped, toActivityBuckets, toSeries } from "../console-rows.ts";
import type { ConsoleStore, SystemHealth, TenantActivity } from "../ports/console.ts";
import { BREAKER_COUNTS_SQL } from "./attempt-stats.ts";

const MINUTE_MS = 60_000;
const RECENT_MINUTES = 5;
const BREAKER = "coalesce(s.data::jsonb ->> 'breaker', 'closed')";

/** Params: $1 now, $2 cap + 1. */
const HEALTH_SQL = `SELECT
  (SELECT coalesce(sum(q.next_seq - st.acked_seq), 0) FROM endpoint_queue q
     JOIN endpoint_stream st ON st.endpoint_id = q.endpoint_id)::bigint AS fresh,
  (SELECT coalesce(sum(q.next_seq - st.acked_seq), 0) FROM endpoint_queue q
     JOIN endpoint_stream st ON st.endpoint_id = q.endpoint_id WHERE NOT q.disabled)::bigint AS sendable,
  (SELECT count(*) FROM (SELECT 1 FROM delivery_jobs LIMIT $2) x) AS jobs,
  (SELECT count(*) FROM (
     SELECT 1 FROM endpoint_queue q CROSS JOIN LATERAL (
       SELECT 1 FROM delivery_jobs j WHERE j.endpoint_id = q.endpoint_id AND j.run_at <= $1 LIMIT $2) x
     WHERE q.next_due_at IS NOT NULL AND NOT q.disabled LIMIT $2) y) AS jobs_due,
  (SELECT coalesce(sum((s.data::jsonb ->> 'inFlight')::int), 0) FROM endpoint_queue q
     JOIN endpoint_state s ON s.endpoint_id = q.endpoint_id
     WHERE q.owner IS NOT NULL AND q.owner_until > $1)::bigint AS in_flight,
  (SELECT count(*) FROM (SELECT 1 FROM dead_letters LIMIT $2) x) AS dead,
  (SELECT min(next_due_at) FROM endpoint_queue WHERE next_due_at IS NOT NULL AND owner IS NULL) AS oldest`;

/** Params: $1 tenant ids, $2 cap + 1. */
const TENANT_FIGURES_SQL = `SELECT t.id AS tenant_id,
  (SELECT coalesce(sum(q.next_seq - st.acked_seq), 0) FROM endpoints e
     JOIN endpoint_queue q ON q.endpoint_id = e.id JOIN endpoint_stream st ON st.endpoint_id = e.id
     WHERE e.tenant_id = t.id)::bigint AS fresh,
  (SELECT count(*) FROM (
     SELECT 1 FROM endpoints e CROSS JOIN LATERAL (
       SELECT 1 FROM delivery_jobs j WHERE j.endpoint_id = e.id LIMIT $2) x
     WHERE e.tenant_id = t.id LIMIT $2) y) AS jobs,
  (SELECT count(*) FROM (SELECT 1 FROM dead_letters d WHERE d.tenant_id = t.id LIMIT $2) q) AS dead,
  (SELECT count(*) FROM endpoints e WHERE e.tenant_id = t.id) AS endpoints,
  (SELECT count(*) FROM endpoints e JOIN endpoint_state s ON s.endpoint_id = e.id
     WHERE e.tenant_id = t.id AND ${BREAKER} <> 'closed') AS open_breakers
FROM unnest($1::text[]) AS t(id)`;

export class PostgresConsole implements ConsoleStore {
  constructor(private readonly pool: pg.Pool) {}

  async systemHealth(now: number, cap: number, breakerLimit: number): Promise<SystemHealth> {
    const from = Math.floor(now / MINUTE_MS) * MINUTE_MS - RECENT_MINUTES * MINUTE_MS;
    const [health, recent, breakers, open] = await Promise.all([
      this.pool.query<{
        fresh: string;
        sendable: string;
        jobs: string;
        jobs_due: string;
        in_flight: string;
        dead: string;
        oldest: string | null;
      }>(
        HEALTH_SQL,
        [now, cap + 1],
      ),
      this.pool.query<{ n: number }>(
        "SELECT coalesce(sum(attempts), 0)::bigint AS n FROM endpoint_attempt_stats WHERE minute >= $1",
        [from],
      ),
      this.pool.query<{ state: string; count: number }>(BREAKER_COUNTS_SQL),
      this.pool.query<{ tenant_id: string; id: string; url: string; breaker: string; open_until: string | null }>(
        `SELECT e.tenant_id, e.id, e.url, ${BREAKER} AS breaker, s.data::jsonb ->> 'openUntil' AS open_until
         FROM endpoint_state s JOIN endpoints e ON e.id = s.endpoint_id
         WHERE ${BREAKER} <> 'closed' ORDER BY (s.data::jsonb ->> 'openUntil')::double precision NULLS LAST, e.id
         LIMIT $1`,
        [breakerLimit],
      ),
    ]);
    const h = health.rows[0]!;
    const oldest = h.oldest === null ? null : Number(h.oldest);
    const inFlight = Number(h.in_flight);
    return {
      queued: capped(Number(h.fresh) + Number(h.jobs), cap),
      due: capped(Math.max(0, Number(h.sendable) - inFlight) + Number(h.jobs_due), cap),
      inFlight: capped(inFlight, cap),
      dead: capped(h.dead, cap),
      oldestDueAt: oldest !== null && oldest <= now ? oldest : null,
      recentAttempts: Number(recent.rows[0]?.n ?? 0),
      recentMs: now - from,
      breakers: breakerCounts(breakers.rows),
      openBreakers: open.rows.map((r) => ({
        tenantId: r.tenant_id,
        endpointId: r.id,
        url: r.url,
        breaker: r.breaker as "open" | "half_open",
        openUntil: r.open_until === null || Number(r.open_until) === 0 ? null : Number(r.open_until),
      })),
    };
  }

  async tenantActivity(
    tenantIds: string[],
    from: number,
    bucketMs: number,
    buckets: number,
    cap: number,
  ): Promise<TenantActivity[]> {
    if (tenantIds.length === 0) return [];
    const to = from + bucketMs * buckets;
    const [stats, figures] = await Promise.all([
      this.pool.query<{ tenant_id: string; b: number; attempts: number; succeeded: number }>(
        `SELECT tenant_id, (minute - $2) / $3 AS b, sum(attempts)::bigint AS attempts, sum(success)::bigint AS succeeded
         FROM endpoint_attempt_stats WHERE tenant_id = ANY($1::text[]) AND minute >= $2 AND minute < $4
         GROUP BY 1, 2`,
        [tenantIds, from, bucketMs, to],
      ),
      this.pool.query<{ tenant_id: string; fresh: string; jobs: string; dead: number; endpoints: number; open_breakers: number }>(
        TENANT_FIGURES_SQL,
        [tenantIds, cap + 1],
      ),
    ]);
    const series = toActivityBuckets(stats.rows, tenantIds, buckets);
    const byId = new Map(figures.rows.map((r) => [r.tenant_id, r]));
    return tenantIds.map((id) => {
      const f = byId.get(id);
      return {
        tenantId: id,
        buckets: series.get(id) ?? [],
        backlog: capped(Number(f?.fresh ?? 0) + Number(f?.jobs ?? 0), cap),
        dead: capped(f?.dead ?? 0, cap),
        endpoints: Number(f?.endpoints ?? 0),
        openBreakers: Number(f?.open_breakers ?? 0),
      };
    });
  }

  async attemptSeries(
    tenantId: string,
    endpointId: string | null,
    from: number,
    bucketMs: number,
    buckets: number,
  ): Promise<AttemptStatsTotals[]> {
    const to = from + bucketMs * buckets;
    const { rows } =
      endpointId === null
        ? await this.pool.query(
            `SELECT (minute - $1) / $2 AS b, ${SUMMED_COUNTERS} FROM endpoint_attempt_stats
             WHERE tenant_id = $3 AND minute >= $1 AND minute < $4 GROUP BY 1`,
            [from, bucketMs, tenantId, to],
          )
        : await this.pool.query(
            `SELECT (minute - $1) / $2 AS b, ${SUMMED_COUNTERS} FROM endpoint_attempt_stats
             WHERE endpoint_id = $3 AND minute >= $1 AND minute < $4 AND tenant_id = $5 GROUP BY 1`,
            [from, bucketMs, endpointId, to, tenantId],
          );
    return toSeries(rows as Record<string, number | null>[], buckets);
  }
}
