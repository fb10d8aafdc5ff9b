/**
 * The delivery log's tables have no foreign keys (they would cost a lookup and a row lock per inserted row on the
 * hottest path), so deleting an endpoint or a tenant removes their rows here, inside the caller's transaction,
 * before the endpoint or tenant row whose own cascades remove the rest.
 */
import type pg from "pg";

export async function deleteEndpointLog(client: pg.PoolClient, tenantId: string, endpointId: string): Promise<void> {
  await client.query(
    "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = $1 AND endpoint_id = $2)",
    [tenantId, endpointId],
  );
  await client.query("DELETE FROM delivery_jobs WHERE endpoint_id = $1", [endpointId]);
  await client.query("DELETE FROM dead_letters WHERE endpoint_id = $1", [endpointId]);
  await client.query("DELETE FROM deliveries WHERE endpoint_id = $1", [endpointId]);
}

export async function deleteTenantLog(client: pg.PoolClient, tenantId: string): Promise<void> {
  await client.query("DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = $1)", [tenantId]);
  await client.query("DELETE FROM delivery_jobs WHERE tenant_id = $1", [tenantId]);
  await client.query("DELETE FROM dead_letters WHERE tenant_id = $1", [tenantId]);
  await client.query("DELETE FROM deliveries WHERE tenant_id = $1", [tenantId]);
}
