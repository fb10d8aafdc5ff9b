/**
 * The operator console's aggregate reads on SQLite (the port and its bounds: store/ports/console.ts).
 *
 * Queue reads: the console never counts the whole backlog. Counts stop at `cap` (a `LIMIT cap + 1` subquery over a
 * partial or per-tenant index); "due" and the oldest due time are found per endpoint on deliveries_due_by_endpoint
 * (a range and a min seek each), so their cost follows the number of endpoints, not of queued deliveries. These
 * statements are the only ones that know the queue's shape here; a new queue table changes this file alone.
 */
import type { Statement } from "better-sqlite3";
import type { AttemptStatsTotals } from "../../domain/attempt-stats.ts";
import { breakerCounts, SUMMED_COUNTERS } from "../attempt-stats-columns.ts";
import { capped, toActivityBuckets, toSeries } from "../console-rows.ts";
import type { ConsoleStore, SystemHealth, TenantActivity } from "../ports/console.ts";
import { BREAKER_COUNTS_SQL } from "./attempt-stats.ts";

const MINUTE_MS = 60_000;
/** The recent delivery rate is read from the per-minute stats of the last five whole minutes and this one. */
const RECENT_MINUTES = 5;

const BREAKER = "coalesce(json_extract(s.data, '$.breaker'), 'closed')";

export class SqliteConsole implements ConsoleStore {
  constructor(private readonly sql: (text: string) => Statement<unknown[]>) {}

  private count(text: string, ...params: unknown[]): number {
    return (this.sql(text).get(...params) as { n: number }).n;
  }

  async systemHealth(now: number, cap: number, breakerLimit: number): Promise<SystemHealth> {
    const queued = this.count(
      "SELECT count(*) AS n FROM (SELECT 1 FROM deliveries WHERE status IN ('pending', 'failed') LIMIT ?)",
      cap + 1,
    );
    const due = this.count(
      `SELECT count(*) AS n FROM (
         SELECT 1 FROM endpoints e JOIN deliveries d
           ON d.endpoint_id = e.id AND d.status IN ('pending', 'failed') AND d.next_attempt_at <= ?
         LIMIT ?)`,
      now,
      cap + 1,
    );
    const inFlight = this.count(
      "SELECT count(*) AS n FROM (SELECT 1 FROM deliveries WHERE lease_token IS NOT NULL AND locked_until > ? LIMIT ?)",
      now,
      cap + 1,
    );
    const dead = this.count("SELECT count(*) AS n FROM (SELECT 1 FROM deliveries WHERE status = 'dead' LIMIT ?)", cap + 1);
    const oldest = this.sql(
      `SELECT min(m) AS m FROM (
         SELECT (SELECT min(next_attempt_at) FROM deliveries d
                 WHERE d.endpoint_id = e.id AND d.status = 'pending') AS m FROM endpoints e
         UNION ALL
         SELECT (SELECT min(next_attempt_at) FROM deliveries d
                 WHERE d.endpoint_id = e.id AND d.status = 'failed') FROM endpoints e)`,
    ).get() as { m: number | null };
    const from = Math.floor(now / MINUTE_MS) * MINUTE_MS - RECENT_MINUTES * MINUTE_MS;
    const recent = this.count("SELECT coalesce(sum(attempts), 0) AS n FROM endpoint_attempt_stats WHERE minute >= ?", from);
    const open = this.sql(
      `SELECT e.tenant_id, e.id, e.url, ${BREAKER} AS breaker, json_extract(s.data, '$.openUntil') AS open_until
       FROM endpoint_state s JOIN endpoints e ON e.id = s.endpoint_id
       WHERE ${BREAKER} <> 'closed' ORDER BY open_until, e.id LIMIT ?`,
    ).all(breakerLimit) as { tenant_id: string; id: string; url: string; breaker: string; open_until: number | null }[];
    return {
      queued: capped(queued, cap),
      due: capped(due, cap),
      inFlight: capped(inFlight, cap),
      dead: capped(dead, cap),
      oldestDueAt: oldest.m !== null && oldest.m <= now ? oldest.m : null,
      recentAttempts: recent,
      recentMs: now - from,
      breakers: breakerCounts(this.sql(BREAKER_COUNTS_SQL).all() as { state: string; count: number }[]),
      openBreakers: open.map((r) => ({
        tenantId: r.tenant_id,
        endpointId: r.id,
        url: r.url,
        breaker: r.breaker as "open" | "half_open",
        openUntil: r.open_until || null,
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
    const to = from + bucketMs * buckets;
    const statsRows = tenantIds.flatMap(
      (id) =>
        this.sql(
          `SELECT tenant_id, CAST((minute - ?) / ? AS INTEGER) AS b, sum(attempts) AS attempts, sum(success) AS succeeded
           FROM endpoint_attempt_stats WHERE tenant_id = ? AND minute >= ? AND minute < ? GROUP BY tenant_id, b`,
        ).all(from, bucketMs, id, from, to) as { tenant_id: string; b: number; attempts: number; succeeded: number }[],
    );
    const series = toActivityBuckets(statsRows, tenantIds, buckets);
    return tenantIds.map((id) => ({
      tenantId: id,
      buckets: series.get(id) ?? [],
      backlog: capped(
        this.count(
          "SELECT count(*) AS n FROM (SELECT 1 FROM deliveries WHERE tenant_id = ? AND status IN ('pending', 'failed') LIMIT ?)",
          id,
          cap + 1,
        ),
        cap,
      ),
      dead: capped(
        this.count(
          "SELECT count(*) AS n FROM (SELECT 1 FROM deliveries WHERE tenant_id = ? AND status = 'dead' LIMIT ?)",
          id,
          cap + 1,
        ),
        cap,
      ),
      endpoints: this.count("SELECT count(*) AS n FROM endpoints WHERE tenant_id = ?", id),
      openBreakers: this.count(
        `SELECT count(*) AS n FROM endpoints e JOIN endpoint_state s ON s.endpoint_id = e.id
         WHERE e.tenant_id = ? AND ${BREAKER} <> 'closed'`,
        id,
      ),
    }));
  }

  async attemptSeries(
    tenantId: string,
    endpointId: string | null,
    from: number,
    bucketMs: number,
    buckets: number,
  ): Promise<AttemptStatsTotals[]> {
    const to = from + bucketMs * buckets;
    const rows =
      endpointId === null
        ? this.sql(
            `SELECT CAST((minute - ?) / ? AS INTEGER) AS b, ${SUMMED_COUNTERS} FROM endpoint_attempt_stats
             WHERE tenant_id = ? AND minute >= ? AND minute < ? GROUP BY b`,
          ).all(from, bucketMs, tenantId, from, to)
        : this.sql(
            `SELECT CAST((minute - ?) / ? AS INTEGER) AS b, ${SUMMED_COUNTERS} FROM endpoint_attempt_stats
             WHERE endpoint_id = ? AND minute >= ? AND minute < ? AND tenant_id = ? GROUP BY b`,
          ).all(from, bucketMs, endpointId, from, to, tenantId);
    return toSeries(rows as Record<string, number | null>[], buckets);
  }
}
