/**
 * The operator console's aggregate reads on SQLite (the port and its bounds: store/ports/console.ts).
 *
 * Queue reads (docs/architecture.md, "The delivery queue"): never a count over the delivery log. Fresh deliveries
 * are the stream positions each endpoint has not acknowledged (next_seq - acked_seq: one row per endpoint, an upper
 * bound, since positions already recorded beyond the acknowledged prefix still count); retries and replays are job
 * rows, counted per endpoint and stopped at `cap`; the dead-letter list is counted up to `cap`. The cost follows the
 * number of endpoints, not of queued deliveries. These statements are the only ones that know the queue's shape here.
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
    const fresh = this.sql(
      `SELECT coalesce(sum(q.next_seq - st.acked_seq), 0) AS n,
              coalesce(sum(CASE WHEN q.disabled = 0 THEN q.next_seq - st.acked_seq ELSE 0 END), 0) AS sendable
       FROM endpoint_queue q JOIN endpoint_stream st ON st.endpoint_id = q.endpoint_id`,
    ).get() as { n: number; sendable: number };
    const jobs = this.count("SELECT count(*) AS n FROM (SELECT 1 FROM delivery_jobs LIMIT ?)", cap + 1);
    const jobsDue = this.count(
      `SELECT count(*) AS n FROM (
         SELECT 1 FROM endpoint_queue q JOIN delivery_jobs j ON j.endpoint_id = q.endpoint_id AND j.run_at <= ?
         WHERE q.next_due_at IS NOT NULL AND q.disabled = 0 LIMIT ?)`,
      now,
      cap + 1,
    );
    const inFlight = this.count(
      `SELECT coalesce(sum(json_extract(s.data, '$.inFlight')), 0) AS n FROM endpoint_queue q
       JOIN endpoint_state s ON s.endpoint_id = q.endpoint_id WHERE q.owner IS NOT NULL AND q.owner_until > ?`,
      now,
    );
    const queued = fresh.n + jobs;
    const due = Math.max(0, fresh.sendable - inFlight) + jobsDue;
    const dead = this.count("SELECT count(*) AS n FROM (SELECT 1 FROM dead_letters LIMIT ?)", cap + 1);
    const oldest = this.sql(
      "SELECT min(next_due_at) AS m FROM endpoint_queue WHERE next_due_at IS NOT NULL AND owner IS NULL",
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
      backlog: capped(this.backlog(id, cap), cap),
      dead: capped(
        this.count("SELECT count(*) AS n FROM (SELECT 1 FROM dead_letters WHERE tenant_id = ? LIMIT ?)", id, cap + 1),
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

  /** The tenant's unacknowledged stream positions and job rows, stopping at cap + 1. */
  private backlog(tenantId: string, cap: number): number {
    const fresh = this.count(
      `SELECT coalesce(sum(q.next_seq - st.acked_seq), 0) AS n FROM endpoints e
       JOIN endpoint_queue q ON q.endpoint_id = e.id JOIN endpoint_stream st ON st.endpoint_id = e.id
       WHERE e.tenant_id = ?`,
      tenantId,
    );
    if (fresh > cap) return fresh;
    return (
      fresh +
      this.count(
        `SELECT count(*) AS n FROM (
           SELECT 1 FROM endpoints e JOIN delivery_jobs j ON j.endpoint_id = e.id WHERE e.tenant_id = ? LIMIT ?)`,
        tenantId,
        cap + 1 - fresh,
      )
    );
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
