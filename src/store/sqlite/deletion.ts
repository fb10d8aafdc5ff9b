/**
 * Removing a deleted endpoint's or tenant's rows (SQLite), one small batch per call, for the deletion tasks
 * (task-queries.ts). The delivery log's tables have no foreign keys (they would cost a lookup per inserted row on the
 * hottest path), and a cascading DELETE of a big endpoint would hold SQLite's one write lock for minutes, so every
 * table is emptied here in batches that each find their rows through an index, before the rows whose own cascades
 * take the small rest. Each function deletes from the first table that still has rows and returns what it removed.
 */
import type { Purged } from "../task-rows.ts";
import type { SqliteContext } from "./context.ts";

/** Deletes the given deliveries with their attempts; returns how many deliveries went. */
function deleteDeliveries(ctx: SqliteContext, rows: readonly { tenant_id: string; id: string }[]): number {
  const attempts = ctx.sql("DELETE FROM attempts WHERE delivery_id = ?");
  const delivery = ctx.sql("DELETE FROM deliveries WHERE tenant_id = ? AND id = ?");
  for (const r of rows) {
    attempts.run(r.id);
    delivery.run(r.tenant_id, r.id);
  }
  return rows.length;
}

/** One batch of an endpoint's rows: its jobs, dead letters, deliveries (with attempts), payload fetches, stats. */
export function purgeEndpointBatch(ctx: SqliteContext, endpointId: string, limit: number): Purged {
  const rows = (n: number): Purged => ({ deliveries: 0, rows: n });
  const jobs = ctx
    .sql("DELETE FROM delivery_jobs WHERE rowid IN (SELECT rowid FROM delivery_jobs WHERE endpoint_id = ? LIMIT ?)")
    .run(endpointId, limit).changes;
  if (jobs > 0) return rows(jobs);
  const letters = ctx
    .sql("DELETE FROM dead_letters WHERE rowid IN (SELECT rowid FROM dead_letters WHERE endpoint_id = ? LIMIT ?)")
    .run(endpointId, limit).changes;
  if (letters > 0) return rows(letters);
  const batch = ctx
    .sql("SELECT tenant_id, id FROM deliveries WHERE endpoint_id = ? ORDER BY seq LIMIT ?")
    .all(endpointId, limit) as { tenant_id: string; id: string }[];
  if (batch.length > 0) {
    const n = deleteDeliveries(ctx, batch);
    return { deliveries: n, rows: n };
  }
  const fetches = ctx
    .sql("DELETE FROM payload_fetches WHERE id IN (SELECT id FROM payload_fetches WHERE endpoint_id = ? LIMIT ?)")
    .run(endpointId, limit).changes;
  if (fetches > 0) return rows(fetches);
  return rows(
    ctx
      .sql(
        `DELETE FROM endpoint_attempt_stats WHERE endpoint_id = ? AND minute IN (
           SELECT minute FROM endpoint_attempt_stats WHERE endpoint_id = ? LIMIT ?)`,
      )
      .run(endpointId, endpointId, limit).changes,
  );
}

/**
 * One batch of a tenant's own rows once its endpoints are gone: deliveries left by endpoints deleted earlier (with
 * their attempts), dead letters, events, idempotency keys.
 */
export function purgeTenantBatch(ctx: SqliteContext, tenantId: string, limit: number): Purged {
  const rows = (n: number): Purged => ({ deliveries: 0, rows: n });
  const batch = ctx
    .sql("SELECT tenant_id, id FROM deliveries WHERE tenant_id = ? ORDER BY id LIMIT ?")
    .all(tenantId, limit) as { tenant_id: string; id: string }[];
  if (batch.length > 0) {
    const n = deleteDeliveries(ctx, batch);
    return { deliveries: n, rows: n };
  }
  for (const table of ["dead_letters", "events", "idempotency_keys"]) {
    const n = ctx
      .sql(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE tenant_id = ? LIMIT ?)`)
      .run(tenantId, limit).changes;
    if (n > 0) return rows(n);
  }
  return rows(0);
}
