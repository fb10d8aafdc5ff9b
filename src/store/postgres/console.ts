/**
 * The operator console's aggregate reads on PostgreSQL (the port and its bounds: store/ports/console.ts).
 *
 * Queue reads: the console never counts the whole backlog. Counts stop at `cap` (a `LIMIT cap + 1` subquery over a
 * partial or per-tenant index); "due" and the oldest due time are found per endpoint (LATERAL) on
 * deliveries_due_by_endpoint, a range and a min seek each, so their cost follows the number of endpoints, not of
 * queued deliveries. These statements are the only ones that know the queue's shape here; a new queue table
 * changes this file alone. A page of tenants is read in one statement per kind of figure.
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
  (SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE status IN ('pending', 'failed') LIMIT $2) q) AS queued,
  (SELECT count(*) FROM (
     SELECT 1 FROM endpoints e CROSS JOIN LATERAL (
       SELECT 1 FROM deliveries d
       WHERE d.endpoint_id = e.id AND d.status IN ('pending', 'failed') AND d.next_attempt_at <= $1 LIMIT $2) x
     LIMIT $2) q) AS due,
  (SELECT count(*) FROM (
     SELECT 1 FROM deliveries WHERE lease_token IS NOT NULL AND locked_until > $1 LIMIT $2) q) AS in_flight,
  (SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE status = 'dead' LIMIT $2) q) AS dead,
  (SELECT min(least(p.m, f.m)) FROM endpoints e
     CROSS JOIN LATERAL (SELECT min(next_attempt_at) AS m FROM deliveries d
                         WHERE d.endpoint_id = e.id AND d.status = 'pending') p
     CROSS JOIN LATERAL (SELECT min(next_attempt_at) AS m FROM deliveries d
                         WHERE d.endpoint_id = e.id AND d.status = 'failed') f) AS oldest`;

/** Params: $1 tenant ids, $2 cap + 1. */
const TENANT_FIGURES_SQL = `SELECT t.id AS tenant_id,
  (SELECT count(*) FROM (SELECT 1 FROM deliveries d
     WHERE d.tenant_id = t.id AND d.status IN ('pending', 'failed') LIMIT $2) q) AS backlog,
  (SELECT count(*) FROM (SELECT 1 FROM deliveries d WHERE d.tenant_id = t.id AND d.status = 'dead' LIMIT $2) q) AS dead,
  (SELECT count(*) FROM endpoints e WHERE e.tenant_id = t.id) AS endpoints,
  (SELECT count(*) FROM endpoints e JOIN endpoint_state s ON s.endpoint_id = e.id
     WHERE e.tenant_id = t.id AND ${BREAKER} <> 'closed') AS open_breakers
FROM unnest($1::text[]) AS t(id)`;

export class PostgresConsole implements ConsoleStore {
  constructor(private readonly pool: pg.Pool) {}

  async systemHealth(now: number, cap: number, breakerLimit: number): Promise<SystemHealth> {
    const from = Math.floor(now / MINUTE_MS) * MINUTE_MS - RECENT_MINUTES * MINUTE_MS;
    const [health, recent, breakers, open] = await Promise.all([
      this.pool.query<{ queued: number; due: number; in_flight: number; dead: number; oldest: number | null }>(
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
    return {
      queued: capped(h.queued, cap),
      due: capped(h.due, cap),
      inFlight: capped(h.in_flight, cap),
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
      this.pool.query<{ tenant_id: string; backlog: number; dead: number; endpoints: number; open_breakers: number }>(
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
        backlog: capped(f?.backlog ?? 0, cap),
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
