/**
 * PostgreSQL only: what one cycle costs does not grow with what is not due. The database holds 10,000 endpoints
 * whose only work is a retry an hour away, 200 endpoints with open breakers (given back until their cool-down ends),
 * a stream of 100,000 deliveries already delivered, and one healthy endpoint with one fresh delivery. A worker's
 * takeover cycle runs inside a transaction, and the per-table counters of that transaction
 * (pg_stat_xact_user_tables, this connection's own, exact) show every table it read: no sequential scan of any
 * table that grows, and a handful of rows fetched from the scheduler rows, however many endpoints wait.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newDeliveryId } from "../../src/domain/ids.ts";
import { openPlanDatabase } from "../support/query-plans.ts";

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;
const IDLE = 10_000;
const BREAKERS = 200;
const DELIVERED = 100_000;

interface TableCounters {
  relname: string;
  seq_scan: number;
  idx_scan: number;
  idx_tup_fetch: number;
  n_tup_ins: number;
  n_tup_upd: number;
}

describe("PostgreSQL cycle cost", () => {
  let client: pg.Client;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ client, close } = await openPlanDatabase());
    await client.query(`INSERT INTO tenants (id, name, metadata, created_at, updated_at) VALUES ('fleet', 'Fleet', '{}', ${T0}, ${T0})`);
    // ep_0: healthy, one fresh delivery; ep_1: a long delivered stream; ep_2 .. : retries an hour out or open breakers.
    const endpoints = IDLE + BREAKERS + 2;
    await client.query(
      `INSERT INTO endpoints (id, tenant_id, url, description, event_types, secret, headers, timeout_ms, disabled,
         metadata, created_at, updated_at)
       SELECT 'ep_' || lpad(i::text, 6, '0'), 'fleet', 'https://example.com/' || i, '', '["*"]', 'whsec_x', '{}', 15000,
         false, '{}', ${T0}, ${T0}
       FROM generate_series(0, ${endpoints - 1}) AS i`,
    );
    await client.query(`INSERT INTO endpoint_state (endpoint_id, data, updated_at) SELECT id, '{}', ${T0} FROM endpoints`);
    await client.query(`INSERT INTO endpoint_stream (endpoint_id, acked_seq) SELECT id, 0 FROM endpoints`);
    await client.query(
      `INSERT INTO endpoint_queue (endpoint_id, tenant_id, next_seq, next_due_at)
       SELECT id, 'fleet', 0,
         CASE WHEN id = 'ep_000000' THEN ${T0}
              WHEN id = 'ep_000001' THEN NULL
              WHEN substr(id, 4)::int < ${IDLE + 2} THEN ${T0 + HOUR}
              ELSE ${T0 + 30_000} END
       FROM endpoints`,
    );
    // The long delivered stream of ep_1.
    const ids = Array.from({ length: DELIVERED }, (_, i) => newDeliveryId(T0 - DELIVERED + i));
    await client.query(
      `INSERT INTO events (tenant_id, id, type, data, created_at)
       SELECT 'fleet', 'evt_old_' || n, 'order.created', '{}', ${T0} - ${DELIVERED} + n FROM generate_series(1, ${DELIVERED}) AS n`,
    );
    await client.query(
      `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, seq, status, attempts, created_at, updated_at)
       SELECT d.id, 'fleet', 'evt_old_' || d.n, 'order.created', 'ep_000001', d.n, 'succeeded', 1, ${T0}, ${T0}
       FROM unnest($1::text[]) WITH ORDINALITY AS d (id, n)`,
      [ids],
    );
    await client.query(`UPDATE endpoint_queue SET next_seq = ${DELIVERED} WHERE endpoint_id = 'ep_000001'`);
    await client.query(`UPDATE endpoint_stream SET acked_seq = ${DELIVERED} WHERE endpoint_id = 'ep_000001'`);
    // The idle endpoints' one failed delivery each, retried in an hour.
    await client.query(
      `INSERT INTO events (tenant_id, id, type, data, created_at)
       SELECT 'fleet', 'evt_idle_' || i, 'order.created', '{}', ${T0} FROM generate_series(2, ${IDLE + 1}) AS i`,
    );
    await client.query(
      `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, seq, status, attempts, next_attempt_at,
         retry_queued, created_at, updated_at)
       SELECT 'dlv_idle_' || i, 'fleet', 'evt_idle_' || i, 'order.created', 'ep_' || lpad(i::text, 6, '0'), 1, 'failed', 1,
         ${T0 + HOUR}, true, ${T0}, ${T0}
       FROM generate_series(2, ${IDLE + 1}) AS i`,
    );
    await client.query(
      `INSERT INTO delivery_jobs (endpoint_id, run_at, delivery_id, tenant_id, event_id, attempts, cycle_attempts)
       SELECT endpoint_id, next_attempt_at, id, tenant_id, event_id, 1, 1 FROM deliveries WHERE retry_queued`,
    );
    await client.query(
      "UPDATE endpoint_queue q SET next_seq = 1 FROM endpoint_stream s WHERE s.endpoint_id = q.endpoint_id AND q.endpoint_id IN (SELECT endpoint_id FROM delivery_jobs)",
    );
    await client.query("UPDATE endpoint_stream SET acked_seq = 1 WHERE endpoint_id IN (SELECT endpoint_id FROM delivery_jobs)");
    // The healthy endpoint's fresh delivery.
    await client.query(`INSERT INTO events (tenant_id, id, type, data, created_at) VALUES ('fleet', 'evt_fresh', 'order.created', '{}', ${T0})`);
    await client.query(
      `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, seq, status, created_at, updated_at)
       VALUES ('${newDeliveryId(T0)}', 'fleet', 'evt_fresh', 'order.created', 'ep_000000', 1, 'pending', ${T0}, ${T0})`,
    );
    await client.query("UPDATE endpoint_queue SET next_seq = 1 WHERE endpoint_id = 'ep_000000'");
    await client.query("ANALYZE");
  }, 180_000);

  afterAll(async () => {
    await close?.();
  });

  const COUNTERS_SQL = `SELECT relname, seq_scan::int, coalesce(idx_scan, 0)::int AS idx_scan,
      coalesce(idx_tup_fetch, 0)::int AS idx_tup_fetch, n_tup_ins::int, n_tup_upd::int
    FROM pg_stat_xact_user_tables`;

  /**
   * Runs one cycle in a transaction and returns its answer and the per-table counters of that cycle: the difference
   * of the transaction's counters around it. (Since PostgreSQL 15 these views also hold the backend's counts not yet
   * flushed from earlier transactions, which a busy server flushes late, so the counters alone are not the cycle's.)
   */
  async function measured(param: object): Promise<{ answer: Record<string, unknown>; tables: Map<string, TableCounters> }> {
    await client.query("BEGIN");
    try {
      const before = new Map((await client.query<TableCounters>(COUNTERS_SQL)).rows.map((r) => [r.relname, r]));
      const { rows } = await client.query("SELECT hookd_cycle($1::jsonb) AS r", [JSON.stringify(param)]);
      const after = await client.query<TableCounters>(COUNTERS_SQL);
      const diff = after.rows.map((r) => {
        const b = before.get(r.relname);
        return {
          relname: r.relname,
          seq_scan: r.seq_scan - (b?.seq_scan ?? 0),
          idx_scan: r.idx_scan - (b?.idx_scan ?? 0),
          idx_tup_fetch: r.idx_tup_fetch - (b?.idx_tup_fetch ?? 0),
          n_tup_ins: r.n_tup_ins - (b?.n_tup_ins ?? 0),
          n_tup_upd: r.n_tup_upd - (b?.n_tup_upd ?? 0),
        };
      });
      return { answer: rows[0].r, tables: new Map(diff.map((r) => [r.relname, r])) };
    } finally {
      await client.query("ROLLBACK");
    }
  }

  const GROWING = ["deliveries", "delivery_jobs", "endpoint_queue", "endpoint_stream", "events", "attempts", "dead_letters", "endpoints"];

  it("takes over the one due endpoint next to 10,200 waiting ones, reading a handful of scheduler rows", async () => {
    const { answer, tables } = await measured({
      worker: "w",
      now: T0 + 1,
      takeover: { count: 32, margin: 5000, sl: 32, jl: 32 },
    });
    expect((answer.taken as { e: string }[]).map((t) => t.e)).toEqual(["ep_000000"]);
    expect((answer.work as { ev: string }[]).map((w) => w.ev)).toEqual(["evt_fresh"]);
    for (const name of GROWING) expect(tables.get(name)?.seq_scan ?? 0, `${name} scanned`).toBe(0);
    expect(tables.get("endpoint_queue")?.idx_tup_fetch ?? 0).toBeLessThanOrEqual(8);
    expect(tables.get("deliveries")?.idx_tup_fetch ?? 0).toBeLessThanOrEqual(4);
    expect(tables.get("delivery_jobs")?.idx_tup_fetch ?? 0).toBe(0);
  });

  it("refills a long-delivered stream from its acked position, not from its start", async () => {
    const { tables } = await measured({
      worker: "w",
      now: T0 + 1,
      takeover: null,
      owners: [],
      refills: [],
    });
    expect(tables.get("deliveries")?.seq_scan ?? 0).toBe(0);
    // Ownership of ep_1, then a refill after its acked position: nothing to read.
    await client.query("UPDATE endpoint_queue SET next_due_at = $1 WHERE endpoint_id = 'ep_000001'", [T0 + 1]);
    const taken = await measured({ worker: "w", now: T0 + 2, takeover: { count: 32, margin: 5000, sl: 32, jl: 32 } });
    await client.query("UPDATE endpoint_queue SET next_due_at = NULL WHERE endpoint_id = 'ep_000001'");
    expect((taken.answer.taken as { e: string }[]).map((t) => t.e).sort()).toEqual(["ep_000000", "ep_000001"]);
    expect(taken.tables.get("deliveries")?.seq_scan ?? 0).toBe(0);
    expect(taken.tables.get("deliveries")?.idx_tup_fetch ?? 0).toBeLessThanOrEqual(4);
  });

  it("refills from a long pending stream reading only the next positions, even when the statistics have not seen it", async () => {
    // 30,000 fresh deliveries land on ep_0 in the transaction that then takes it over: the planner's statistics still
    // say the endpoint has one delivery (as after a burst that autovacuum has not analyzed yet). The refill must
    // read the next `sl` positions, not every pending one (a bitmap scan of the whole backlog cost 20 ms a cycle).
    await client.query("BEGIN");
    try {
      await client.query(
        `INSERT INTO events (tenant_id, id, type, data, created_at)
         SELECT 'fleet', 'evt_burst_' || n, 'order.created', '{}', ${T0} FROM generate_series(1, 30000) AS n`,
      );
      await client.query(
        `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, seq, status, created_at, updated_at)
         SELECT 'dlv_burst_' || n, 'fleet', 'evt_burst_' || n, 'order.created', 'ep_000000', 1 + n, 'pending', ${T0}, ${T0}
         FROM generate_series(1, 30000) AS n`,
      );
      await client.query(
        `UPDATE endpoint_queue SET next_seq = 30001, next_due_at = ${T0 + 1} WHERE endpoint_id = 'ep_000000'`,
      );
      // What the planner chose with stale statistics: a bitmap scan (forced here, so the test does not depend on
      // which plan this server's statistics happen to give).
      await client.query("SET LOCAL enable_indexscan = off");
      const before = new Map((await client.query<TableCounters>(COUNTERS_SQL)).rows.map((r) => [r.relname, r]));
      const { rows } = await client.query("SELECT hookd_cycle($1::jsonb) AS r", [
        JSON.stringify({ worker: "w", now: T0 + 2, takeover: { count: 32, margin: 5000, sl: 32, jl: 32 } }),
      ]);
      const after = new Map((await client.query<TableCounters>(COUNTERS_SQL)).rows.map((r) => [r.relname, r]));
      const work = (rows[0].r.work as { e: string }[]).filter((w) => w.e === "ep_000000");
      expect(work).toHaveLength(32);
      const fetched = (after.get("deliveries")?.idx_tup_fetch ?? 0) - (before.get("deliveries")?.idx_tup_fetch ?? 0);
      const scanned = (after.get("deliveries")?.seq_scan ?? 0) - (before.get("deliveries")?.seq_scan ?? 0);
      expect(scanned).toBe(0);
      // The 32 positions, never the 30,000.
      expect(fetched).toBeLessThanOrEqual(40);
    } finally {
      await client.query("ROLLBACK");
    }
  });
});
