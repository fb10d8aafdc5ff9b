/**
 * Delivery stats must be answered from indexes, never by scanning the aggregates or the deliveries. This seeds 8 days
 * of per-minute aggregates for 45 endpoints (5 of them the tenant under test, the rest another tenant's) and 60,000
 * deliveries with a small backlog, ANALYZEs, and EXPLAINs the exact statements the Postgres store runs
 * (src/store/postgres/attempt-stats.ts).
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STATS_WINDOWS, type StatsWindow, windowBounds } from "../../src/domain/attempt-stats.ts";
import { attemptStatsSql, DELETE_STATS_SQL, deliveryBacklogSql } from "../../src/store/postgres/attempt-stats.ts";
import { openPlanDatabase, type PlanNode, planNodes } from "../support/query-plans.ts";

const T0 = 1_800_000_000_000;
const DAY = 86_400_000;
/** "Now" for the windows: the end of the seeded 8 days. */
const NOW = T0 + 8 * DAY;

describe("Postgres stats plans", () => {
  let client: pg.Client;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ client, close } = await openPlanDatabase());
    await client.query(`INSERT INTO tenants VALUES ('big', 'Big', '{}', ${T0}, ${T0}), ('crowd', 'Crowd', '{}', ${T0}, ${T0})`);
    await client.query(
      `INSERT INTO endpoints (id, tenant_id, url, description, event_types, secret, headers, timeout_ms, disabled,
         metadata, created_at, updated_at)
       SELECT 'ep_' || i, CASE WHEN i < 5 THEN 'big' ELSE 'crowd' END, 'https://example.com', '', '["*"]', 'whsec_x',
         '{}', 15000, false, '{}', ${T0}, ${T0}
       FROM generate_series(0, 44) AS i`,
    );
    // One row every other minute for 8 days per endpoint (a busy endpoint has one every minute; the planner's
    // choice is the same at this size).
    await client.query(
      `INSERT INTO endpoint_attempt_stats (endpoint_id, minute, tenant_id, attempts, success, http_5xx, ms_upto_50)
       SELECT 'ep_' || e, ${T0} + m * 120000, CASE WHEN e < 5 THEN 'big' ELSE 'crowd' END, 10, 9, 1, 10
       FROM generate_series(0, 44) AS e, generate_series(0, ${(8 * DAY) / 120_000 - 1}) AS m`,
    );
    // 60,000 deliveries, the newest 600 pending (each endpoint's stream backlog) and 1% failed (waiting as jobs): the
    // backlog is a small part of a large table.
    await client.query(
      `INSERT INTO events (tenant_id, id, type, data, created_at)
       SELECT CASE WHEN i % 9 = 0 THEN 'big' ELSE 'crowd' END, 'evt_' || i, 'order.created', '{}', ${T0} + i
       FROM generate_series(1, 60000) AS i`,
    );
    await client.query(
      `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, seq, status, attempts, next_attempt_at,
         retry_queued, created_at, updated_at)
       SELECT 'dlv_' || n, e.tenant_id, e.id, e.type, e.endpoint_id,
         row_number() OVER (PARTITION BY e.endpoint_id ORDER BY n),
         CASE WHEN n % 100 = 5 THEN 'failed' WHEN n > 59400 THEN 'pending' ELSE 'succeeded' END, 1, e.created_at,
         n % 100 = 5, e.created_at, e.created_at
       FROM (SELECT *, substr(id, 5)::int AS n,
               'ep_' || CASE WHEN tenant_id = 'big' THEN substr(id, 5)::int % 5 ELSE 5 + substr(id, 5)::int % 40 END AS endpoint_id
             FROM events) AS e`,
    );
    await client.query(
      `INSERT INTO delivery_jobs (endpoint_id, run_at, delivery_id, tenant_id, event_id, attempts, cycle_attempts)
       SELECT endpoint_id, next_attempt_at, id, tenant_id, event_id, 1, 1 FROM deliveries WHERE retry_queued`,
    );
    await client.query(
      `INSERT INTO endpoint_stream (endpoint_id, acked_seq)
       SELECT ep.id, coalesce((SELECT min(seq) - 1 FROM deliveries d WHERE d.endpoint_id = ep.id AND d.status = 'pending'),
         (SELECT max(seq) FROM deliveries d WHERE d.endpoint_id = ep.id), 0)
       FROM endpoints ep`,
    );
    await client.query("ANALYZE");
  }, 120_000);

  afterAll(async () => {
    await close?.();
  });

  async function plan(text: string, values: unknown[]): Promise<PlanNode[]> {
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
    return planNodes(rows);
  }

  function scansOf(all: PlanNode[], table: string): PlanNode[] {
    return all.filter((n) => n["Relation Name"] === table || n["Index Name"]?.startsWith(table));
  }

  /** No sequential scan, and the index that serves the query is used (directly or through a bitmap). */
  function expectIndexed(scans: PlanNode[], index: string): void {
    expect(scans.length).toBeGreaterThan(0);
    for (const s of scans) expect(s["Node Type"]).not.toBe("Seq Scan");
    expect(scans.map((s) => s["Index Name"])).toContain(index);
  }

  const windows = Object.keys(STATS_WINDOWS) as StatsWindow[];

  it.each(windows)("sums one endpoint's %s from its primary key range", async (window) => {
    const { from, to } = windowBounds(window, NOW);
    const { text, values } = attemptStatsSql("big", "ep_3", from, to);
    const scans = scansOf(await plan(text, values), "endpoint_attempt_stats");
    expectIndexed(scans, "endpoint_attempt_stats_pkey");
  });

  it.each(windows)("sums a tenant's %s from the tenant index", async (window) => {
    const { from, to } = windowBounds(window, NOW);
    const { text, values } = attemptStatsSql("big", null, from, to);
    const scans = scansOf(await plan(text, values), "endpoint_attempt_stats");
    expectIndexed(scans, "endpoint_attempt_stats_by_tenant");
  });

  it.each([
    ["an endpoint", "ep_3", ["deliveries_by_endpoint_seq", "deliveries_pkey"]],
    ["a tenant", null, ["deliveries_by_endpoint_seq", "deliveries_pkey"]],
  ] as const)("counts the backlog of %s from an index", async (_name, endpointId, good) => {
    const { text, values } = deliveryBacklogSql("big", endpointId);
    const scans = scansOf(await plan(text, values), "deliveries");
    expect(scans.length).toBeGreaterThan(0);
    for (const s of scans) expect(s["Node Type"]).not.toBe("Seq Scan");
    expect(scans.some((s) => (good as readonly string[]).includes(s["Index Name"] ?? ""))).toBe(true);
  });

  it("finds the rows retention deletes through the index on minute", async () => {
    const scans = scansOf(await plan(DELETE_STATS_SQL, [T0 + DAY, 500]), "endpoint_attempt_stats");
    expect(scans.some((s) => s["Index Name"] === "endpoint_attempt_stats_by_minute")).toBe(true);
    for (const s of scans) expect(s["Node Type"]).not.toBe("Seq Scan");
  });
});
