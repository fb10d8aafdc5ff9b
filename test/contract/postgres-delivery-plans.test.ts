/**
 * The delivery-log search must be answered from indexes on a large log, not by scanning it. This seeds one tenant
 * with enough deliveries (60,000, with skewed types and statuses as a real log has, each in its endpoint's stream,
 * failed ones with their job, dead ones in the dead-letter list) that a sequential scan would be the planner's choice
 * for anything unindexed, ANALYZEs, and EXPLAINs the exact statement the Postgres store runs for each filter
 * (src/store/delivery-search.ts) and for a recover's steps.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newDeliveryId } from "../../src/domain/ids.ts";
import { postgresSearchSql } from "../../src/store/delivery-search.ts";
import { RECOVER_BATCH, RECOVER_COUNT } from "../../src/store/postgres/task-queries.ts";
import type { DeliveryFilter } from "../../src/store/store.ts";
import { openPlanDatabase, type PlanNode, planNodes } from "../support/query-plans.ts";

const N = 60_000;
const T0 = 1_800_000_000_000;

describe("Postgres delivery search plans", () => {
  let client: pg.Client;
  let ids: string[] = [];
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ client, close } = await openPlanDatabase());
    await client.query(`INSERT INTO tenants VALUES ('big', 'Big', '{}', ${T0}, ${T0}), ('small', 'Small', '{}', ${T0}, ${T0})`);
    await client.query(
      `INSERT INTO endpoints (id, tenant_id, url, description, event_types, secret, headers, timeout_ms, disabled,
         metadata, created_at, updated_at)
       SELECT 'ep_' || i, CASE WHEN i = 0 THEN 'small' ELSE 'big' END, 'https://example.com', '', '["*"]', 'whsec_x',
         '{}', 15000, false, '{}', ${T0}, ${T0}
       FROM generate_series(0, 20) AS i`,
    );
    // Types: about 96% order.created, 1% each of invoice.paid, invoice.line.added, user.created, refund.issued, and
    // 0.1% each of audit.login and audit.logout (a rare family, where walking the whole log would hurt most).
    // Statuses: about 97% succeeded, 1% each of failed and dead, and the newest 600 pending (the stream's backlog).
    // created_at one second apart.
    await client.query(
      `INSERT INTO events (tenant_id, id, type, data, created_at)
       SELECT CASE WHEN i % 50 = 0 THEN 'small' ELSE 'big' END, 'evt_' || lpad(i::text, 8, '0'),
         CASE WHEN i % 1000 = 9 THEN 'audit.login' WHEN i % 1000 = 19 THEN 'audit.logout' ELSE
         CASE i % 100 WHEN 1 THEN 'invoice.paid' WHEN 2 THEN 'invoice.line.added' WHEN 3 THEN 'user.created'
           WHEN 4 THEN 'refund.issued' ELSE 'order.created' END END,
         '{}', ${T0} + i * 1000
       FROM generate_series(1, ${N}) AS i`,
    );
    // Delivery ids are ULIDs of their event's creation time, as hookd makes them, so created_at windows work as id
    // ranges here too.
    ids = Array.from({ length: N }, (_, i) => newDeliveryId(T0 + (i + 1) * 1000));
    await client.query(
      `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, seq, status, attempts, next_attempt_at,
         retry_queued, created_at, updated_at)
       SELECT d.id, e.tenant_id, e.id, e.type, e.endpoint_id,
         row_number() OVER (PARTITION BY e.endpoint_id ORDER BY e.n),
         CASE WHEN e.n > ${N} - 600 THEN 'pending' WHEN e.n % 100 = 5 THEN 'failed' WHEN e.n % 100 = 6 THEN 'dead'
           ELSE 'succeeded' END,
         1 + e.n % 3, e.created_at, e.n <= ${N} - 600 AND e.n % 100 = 5, e.created_at, e.created_at
       FROM (SELECT *, substr(id, 5)::int AS n,
               CASE WHEN tenant_id = 'small' THEN 'ep_0' ELSE 'ep_' || (1 + substr(id, 5)::int % 20) END AS endpoint_id
             FROM events) AS e
       JOIN unnest($1::text[]) WITH ORDINALITY AS d (id, n) ON d.n = e.n`,
      [ids],
    );
    await client.query(
      `INSERT INTO delivery_jobs (endpoint_id, run_at, delivery_id, tenant_id, event_id, attempts, cycle_attempts)
       SELECT endpoint_id, next_attempt_at + 3600000, id, tenant_id, event_id, attempts, 1 FROM deliveries
       WHERE status = 'failed'`,
    );
    await client.query(
      `INSERT INTO dead_letters (tenant_id, delivery_id, endpoint_id, died_at)
       SELECT tenant_id, id, endpoint_id, updated_at FROM deliveries WHERE status = 'dead'`,
    );
    await client.query(
      `INSERT INTO endpoint_stream (endpoint_id, acked_seq)
       SELECT endpoint_id, coalesce(min(seq) FILTER (WHERE status = 'pending') - 1, max(seq)) FROM deliveries GROUP BY endpoint_id`,
    );
    await client.query("ANALYZE");
  }, 120_000);

  afterAll(async () => {
    await close?.();
  });

  async function plan(filter: DeliveryFilter, after: string | null = null): Promise<PlanNode[]> {
    const { text, values } = postgresSearchSql("big", filter, { limit: 50, after });
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
    return planNodes(rows);
  }

  function scansOfDeliveries(all: PlanNode[]): PlanNode[] {
    return all.filter((n) => n["Relation Name"] === "deliveries" || n["Index Name"]?.startsWith("deliveries"));
  }

  const mid = T0 + 30_000 * 1000;
  // For each filter: the indexes that answer it well (any one will do: the planner may pick any index that narrows
  // the rows to the few that match), or null where walking an id-ordered index is itself the right plan.
  const cases: [string, DeliveryFilter, string[] | null][] = [
    ["no filter", {}, ["deliveries_pkey"]],
    ["an exact event type", { eventType: "invoice.paid" }, ["deliveries_by_type"]],
    ["a prefix wildcard over a common family", { eventType: "invoice.*" }, null],
    ["a prefix wildcard over a rare family", { eventType: "audit.*" }, ["deliveries_by_type"]],
    // Rows that may have a status other than succeeded are found where they wait, then read by primary key.
    ["one status", { statuses: ["failed"] }, ["deliveries_pkey"]],
    ["the dead-letter list", { statuses: ["dead"] }, ["deliveries_pkey"]],
    ["several statuses", { statuses: ["failed", "dead", "pending"] }, null],
    ["a created_at window", { since: mid, until: mid + 200_000 }, ["deliveries_pkey"]],
    ["an endpoint", { endpointId: "ep_3" }, ["deliveries_by_endpoint_seq"]],
    ["an event", { eventId: "evt_00000777" }, null],
    ["min attempts with a status", { statuses: ["failed"], minAttempts: 2 }, ["deliveries_pkey"]],
  ];

  it.each(cases)("answers %s from an index", async (_name, filter, goodIndexes) => {
    const scans = scansOfDeliveries(await plan(filter));
    expect(scans.length).toBeGreaterThan(0);
    for (const s of scans) expect(s["Node Type"]).not.toBe("Seq Scan");
    if (goodIndexes) expect(scans.some((s) => goodIndexes.includes(s["Index Name"] ?? ""))).toBe(true);
  });

  it("counts and walks an endpoint's failed and dead deliveries for a recover from where they wait", async () => {
    const explainAll = async (text: string, values: unknown[]) => {
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
      return planNodes(rows);
    };
    const window = [T0, Number.MAX_SAFE_INTEGER];
    const bound = "dlv_7ZZZZZZZZZZZZZZZZZZZZZZZZZ";
    const mid = ids[30_000]!;
    for (const all of [
      await explainAll(RECOVER_COUNT, ["ep_3", ...window, "big"]),
      await explainAll(RECOVER_BATCH, ["ep_3", "", bound, ...window, 500, "big"]),
      await explainAll(RECOVER_BATCH, ["ep_3", mid, bound, ...window, 500, "big"]),
    ]) {
      for (const n of all) expect(n["Node Type"]).not.toBe("Seq Scan");
      const indexes = all.map((n) => n["Index Name"]);
      expect(indexes).toContain("dead_letters_by_endpoint");
      expect(indexes).toContain("delivery_jobs_due");
    }
  });

  it("keeps walking an endpoint's stream on later pages (the cursor becomes a bound on seq)", async () => {
    const scans = scansOfDeliveries(await plan({ endpointId: "ep_3" }, ids[30_003]));
    for (const s of scans) expect(s["Node Type"]).not.toBe("Seq Scan");
    expect(scans.map((s) => s["Index Name"])).toContain("deliveries_by_endpoint_seq");
  });

  it("keeps using the index on later pages (the cursor is a bound on id)", async () => {
    const scans = scansOfDeliveries(await plan({ eventType: "audit.*" }, ids[30_000]));
    for (const s of scans) expect(s["Node Type"]).not.toBe("Seq Scan");
    expect(scans.map((s) => s["Index Name"])).toContain("deliveries_by_type");
  });
});
