/**
 * The delivery-log search must be answered from indexes on a large log, not by scanning it. This seeds one tenant
 * with enough deliveries (60,000, with skewed types and statuses as a real log has) that a sequential scan would be
 * the planner's choice for anything unindexed, ANALYZEs, and EXPLAINs the exact statement the Postgres store runs for
 * each filter (src/store/postgres/delivery-search.ts).
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverySearchSql } from "../../src/store/postgres/delivery-search.ts";
import { RECOVER_BATCH, RECOVER_COUNT } from "../../src/store/postgres/task-queries.ts";
import type { DeliveryFilter } from "../../src/store/store.ts";
import { openPlanDatabase, type PlanNode, planNodes } from "../support/query-plans.ts";

const N = 60_000;
const T0 = 1_800_000_000_000;

describe("Postgres delivery search plans", () => {
  let client: pg.Client;
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
    // Statuses: 97% succeeded, 1% each of failed, dead, pending. created_at one second apart.
    await client.query(
      `INSERT INTO events (tenant_id, id, type, data, created_at)
       SELECT CASE WHEN i % 50 = 0 THEN 'small' ELSE 'big' END, 'evt_' || lpad(i::text, 8, '0'),
         CASE WHEN i % 1000 = 9 THEN 'audit.login' WHEN i % 1000 = 19 THEN 'audit.logout' ELSE
         CASE i % 100 WHEN 1 THEN 'invoice.paid' WHEN 2 THEN 'invoice.line.added' WHEN 3 THEN 'user.created'
           WHEN 4 THEN 'refund.issued' ELSE 'order.created' END END,
         '{}', ${T0} + i * 1000
       FROM generate_series(1, ${N}) AS i`,
    );
    await client.query(
      `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, status, attempts, next_attempt_at,
         created_at, updated_at)
       SELECT 'dlv_' || lpad(e.n::text, 8, '0'), e.tenant_id, e.id, e.type,
         CASE WHEN e.tenant_id = 'small' THEN 'ep_0' ELSE 'ep_' || (1 + e.n % 20) END,
         CASE e.n % 100 WHEN 5 THEN 'failed' WHEN 6 THEN 'dead' WHEN 7 THEN 'pending' ELSE 'succeeded' END,
         1 + e.n % 3, e.created_at, e.created_at, e.created_at
       FROM (SELECT *, substr(id, 5)::int AS n FROM events) AS e`,
    );
    await client.query("ANALYZE");
  }, 120_000);

  afterAll(async () => {
    await close?.();
  });

  async function plan(filter: DeliveryFilter, after: string | null = null): Promise<PlanNode[]> {
    const { text, values } = deliverySearchSql("big", filter, { limit: 50, after });
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
    return planNodes(rows);
  }

  function scansOfDeliveries(all: PlanNode[]): PlanNode[] {
    return all.filter((n) => n["Relation Name"] === "deliveries" || n["Index Name"]?.startsWith("deliveries"));
  }

  const mid = T0 + 30_000 * 1000;
  // For each filter: the indexes that answer it well (any one will do: the planner may pick any index that narrows
  // the rows to the few that match), or null where walking an id-ordered index is itself the right plan.
  const byStatus = ["deliveries_by_status", "deliveries_due", "deliveries_due_by_endpoint", "deliveries_dead"];
  const cases: [string, DeliveryFilter, string[] | null][] = [
    ["no filter", {}, null],
    ["an exact event type", { eventType: "invoice.paid" }, ["deliveries_by_type"]],
    ["a prefix wildcard over a common family", { eventType: "invoice.*" }, null],
    ["a prefix wildcard over a rare family", { eventType: "audit.*" }, ["deliveries_by_type"]],
    ["one status", { statuses: ["failed"] }, byStatus],
    // deliveries_dead (a partial index on id, from the metrics migration) may answer this one instead: either is fine.
    ["the dead-letter list", { statuses: ["dead"] }, null],
    ["several statuses", { statuses: ["failed", "dead"] }, null],
    ["a created_at window", { since: mid, until: mid + 200_000 }, ["deliveries_by_created"]],
    ["an endpoint", { endpointId: "ep_3" }, null],
    ["an event", { eventId: "evt_00000777" }, null],
    ["min attempts with a status", { statuses: ["failed"], minAttempts: 2 }, byStatus],
  ];

  it.each(cases)("answers %s from an index", async (_name, filter, goodIndexes) => {
    const scans = scansOfDeliveries(await plan(filter));
    expect(scans.length).toBeGreaterThan(0);
    for (const s of scans) expect(s["Node Type"]).not.toBe("Seq Scan");
    if (goodIndexes) expect(scans.some((s) => goodIndexes.includes(s["Index Name"] ?? ""))).toBe(true);
  });

  it("counts and walks an endpoint's failed and dead deliveries for a recover from deliveries_recoverable", async () => {
    const explain = async (text: string, values: unknown[]) => {
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
      return scansOfDeliveries(planNodes(rows));
    };
    const window = [T0, Number.MAX_SAFE_INTEGER];
    for (const scans of [
      await explain(RECOVER_COUNT, ["ep_3", ...window]),
      await explain(RECOVER_BATCH, ["ep_3", "", "dlv_99999999", ...window, 500]),
      await explain(RECOVER_BATCH, ["ep_3", "dlv_00030000", "dlv_99999999", ...window, 500]),
    ]) {
      for (const s of scans) expect(s["Node Type"]).not.toBe("Seq Scan");
      expect(scans.map((s) => s["Index Name"])).toContain("deliveries_recoverable");
    }
  });

  it("keeps using the index on later pages (the cursor is a bound on id)", async () => {
    const scans = scansOfDeliveries(await plan({ eventType: "audit.*" }, "dlv_00030000"));
    for (const s of scans) expect(s["Node Type"]).not.toBe("Seq Scan");
    expect(scans.map((s) => s["Index Name"])).toContain("deliveries_by_type");
  });
});
