/**
 * One step of an `endpoint.delete` or `tenant.delete` task on PostgreSQL (the contract is runDeletionStep in
 * ports/tasks.ts): one transaction that locks the task row first (so a runner whose lease ran out and the one that
 * took the task over never both write a step), deletes one batch and saves the progress with it. A crash loses at
 * most the step that was running; the next runner finds the rows that are left and goes on.
 */
import type pg from "pg";
import type { RecoverBatchRequest, RecoverBatchResult } from "../store.ts";
import {
  afterDeletionStep,
  deletionCounted,
  type DeletionStep,
  nextOrphanEndpoint,
  type TaskRow,
  toTask,
} from "../task-rows.ts";
import { purgeEndpointBatch, purgeTenantBatch } from "./deletion.ts";
import { inTransaction } from "./pool.ts";

export function runDeletionStep(
  pool: pg.Pool,
  req: RecoverBatchRequest,
  save: (client: pg.PoolClient, r: TaskRow) => Promise<void>,
): Promise<RecoverBatchResult> {
  return inTransaction(pool, async (client): Promise<RecoverBatchResult> => {
    const { rows: tasks } = await client.query<TaskRow>("SELECT * FROM tasks WHERE id = $1 FOR UPDATE", [req.taskId]);
    const row = tasks[0];
    if (!row || row.status !== "running" || row.lease_token !== req.leaseToken) return { kind: "lease_lost" };
    if (row.total === null) {
      const next = deletionCounted(row, await countDeliveries(client, row), req.leaseMs, req.now);
      await save(client, next);
      return { kind: "progress", task: toTask(next) };
    }
    const step = row.kind === "endpoint.delete" ? await endpointStep(client, row, req.limit) : await tenantStep(client, row, req.limit);
    const after = afterDeletionStep(row, step, req.leaseMs, req.now);
    if (after.save) await save(client, after.save);
    return after.result;
  });
}

async function endpointStep(client: pg.PoolClient, row: TaskRow, limit: number): Promise<DeletionStep> {
  const purged = await purgeEndpointBatch(client, row.endpoint_id, limit);
  return purged.rows === 0 ? "done" : { purged, cursor: row.cursor_id };
}

async function tenantStep(client: pg.PoolClient, row: TaskRow, limit: number): Promise<DeletionStep> {
  const orphan = nextOrphanEndpoint(row);
  if (orphan) {
    const purged = await purgeEndpointBatch(client, orphan.id, limit);
    // An emptied endpoint moves the cursor on to the next one.
    return { purged, cursor: String(purged.rows === 0 ? orphan.index + 1 : orphan.index) };
  }
  const { rows: live } = await client.query<{ id: string }>(
    "SELECT id FROM endpoints WHERE tenant_id = $1 ORDER BY id LIMIT 1",
    [row.tenant_id],
  );
  if (live[0]) {
    const purged = await purgeEndpointBatch(client, live[0].id, limit);
    // Emptied: its row goes now, with the little that still cascades from it (its isolation state).
    if (purged.rows === 0) await client.query("DELETE FROM endpoints WHERE id = $1", [live[0].id]);
    return { purged, cursor: row.cursor_id };
  }
  const purged = await purgeTenantBatch(client, row.tenant_id, limit);
  if (purged.rows > 0) return { purged, cursor: row.cursor_id };
  await client.query("DELETE FROM tenants WHERE id = $1", [row.tenant_id]);
  return "done";
}

async function countDeliveries(client: pg.PoolClient, row: TaskRow): Promise<number> {
  const { rows } =
    row.kind === "endpoint.delete"
      ? await client.query<{ n: number }>("SELECT count(*)::int AS n FROM deliveries WHERE endpoint_id = $1", [row.endpoint_id])
      : await client.query<{ n: number }>("SELECT count(*)::int AS n FROM deliveries WHERE tenant_id = $1", [row.tenant_id]);
  return rows[0]?.n ?? 0;
}
