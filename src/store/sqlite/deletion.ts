/**
 * The delivery log's tables have no foreign keys (they would cost a lookup and a row lock per inserted row on the
 * hottest path), so deleting an endpoint or a tenant removes their rows here, inside the caller's transaction,
 * before the endpoint or tenant row whose own cascades remove the rest.
 */
import type { SqliteContext } from "./context.ts";

export function deleteEndpointLog(ctx: SqliteContext, tenantId: string, endpointId: string): void {
  ctx
    .sql("DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = ? AND endpoint_id = ?)")
    .run(tenantId, endpointId);
  ctx.sql("DELETE FROM delivery_jobs WHERE endpoint_id = ?").run(endpointId);
  ctx.sql("DELETE FROM dead_letters WHERE endpoint_id = ?").run(endpointId);
  ctx.sql("DELETE FROM deliveries WHERE endpoint_id = ?").run(endpointId);
}

export function deleteTenantLog(ctx: SqliteContext, tenantId: string): void {
  ctx.sql("DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = ?)").run(tenantId);
  ctx.sql("DELETE FROM delivery_jobs WHERE tenant_id = ?").run(tenantId);
  ctx.sql("DELETE FROM dead_letters WHERE tenant_id = ?").run(tenantId);
  ctx.sql("DELETE FROM deliveries WHERE tenant_id = ?").run(tenantId);
}
