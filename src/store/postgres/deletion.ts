/**
 * Removing a deleted endpoint's or tenant's rows (PostgreSQL), one small batch per call, for the deletion tasks
 * (deletion-task.ts). The delivery log's tables have no foreign keys (they would cost a lookup and a row lock per
 * inserted row on the hottest path), and one cascading DELETE of a big endpoint cannot finish within the statement
 * timeout, so every table is emptied here in batches that each find their rows through an index, before the rows
 * whose own cascades take the small rest. Each function deletes from the first table that still has rows and
 * returns what it removed. Only the task's lease holder runs these, so they need no row locks of their own.
 */
import type pg from "pg";
import type { Purged } from "../task-rows.ts";

const rows = (n: number | null): Purged => ({ deliveries: 0, rows: n ?? 0 });

/** Deletes a batch of deliveries chosen by `select` (returning tenant_id, id), with their attempts. */
async function deleteDeliveries(client: pg.PoolClient, select: string, params: unknown[]): Promise<Purged> {
  const { rows: r } = await client.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM deliveries d USING (${select}) b WHERE d.tenant_id = b.tenant_id AND d.id = b.id RETURNING d.id
     ), att AS (
       DELETE FROM attempts a USING gone g WHERE a.delivery_id = g.id
     )
     SELECT count(*)::int AS n FROM gone`,
    params,
  );
  const n = r[0]?.n ?? 0;
  return { deliveries: n, rows: n };
}

/** One batch of an endpoint's rows: its jobs, dead letters, deliveries (with attempts), payload fetches, stats. */
export async function purgeEndpointBatch(client: pg.PoolClient, endpointId: string, limit: number): Promise<Purged> {
  const byCtid = async (table: string) =>
    rows(
      (
        await client.query(
          `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE endpoint_id = $1 LIMIT $2))`,
          [endpointId, limit],
        )
      ).rowCount,
    );
  const jobs = await byCtid("delivery_jobs");
  if (jobs.rows > 0) return jobs;
  const letters = await byCtid("dead_letters");
  if (letters.rows > 0) return letters;
  const deliveries = await deleteDeliveries(
    client,
    "SELECT tenant_id, id FROM deliveries WHERE endpoint_id = $1 ORDER BY seq LIMIT $2",
    [endpointId, limit],
  );
  if (deliveries.rows > 0) return deliveries;
  const fetches = await byCtid("payload_fetches");
  if (fetches.rows > 0) return fetches;
  return byCtid("endpoint_attempt_stats");
}

/**
 * One batch of a tenant's own rows once its endpoints are gone: deliveries left by endpoints deleted earlier (with
 * their attempts), dead letters, events, idempotency keys.
 */
export async function purgeTenantBatch(client: pg.PoolClient, tenantId: string, limit: number): Promise<Purged> {
  const deliveries = await deleteDeliveries(
    client,
    "SELECT tenant_id, id FROM deliveries WHERE tenant_id = $1 ORDER BY id LIMIT $2",
    [tenantId, limit],
  );
  if (deliveries.rows > 0) return deliveries;
  for (const table of ["dead_letters", "events", "idempotency_keys"]) {
    const { rowCount } = await client.query(
      `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE tenant_id = $1 LIMIT $2))`,
      [tenantId, limit],
    );
    if ((rowCount ?? 0) > 0) return rows(rowCount);
  }
  return rows(0);
}
