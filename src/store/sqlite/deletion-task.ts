/**
 * One step of an `endpoint.delete` or `tenant.delete` task on SQLite (the contract is runDeletionStep in
 * ports/tasks.ts). Each step is one short immediate transaction with the task row's update, so ingest and the
 * delivery cycles interleave with a long deletion instead of waiting for it, and a crash loses at most the step
 * that was running (the next runner finds the rows that are left and goes on).
 */
import type { RecoverBatchRequest, RecoverBatchResult } from "../store.ts";
import {
  afterDeletionStep,
  deletionCounted,
  type DeletionStep,
  nextOrphanEndpoint,
  type TaskRow,
  toTask,
} from "../task-rows.ts";
import type { SqliteContext } from "./context.ts";
import { purgeEndpointBatch, purgeTenantBatch } from "./deletion.ts";

export function runDeletionStep(ctx: SqliteContext, req: RecoverBatchRequest, save: (r: TaskRow) => void): RecoverBatchResult {
  // The count grows with the log, so it is a plain read before the write lock is taken (as a recover's is).
  const pending = ctx.sql("SELECT * FROM tasks WHERE id = ?").get(req.taskId) as TaskRow | undefined;
  const counted = pending && pending.total === null && pending.lease_token === req.leaseToken ? countDeliveries(ctx, pending) : null;
  return ctx.write((): RecoverBatchResult => {
    const row = ctx.sql("SELECT * FROM tasks WHERE id = ?").get(req.taskId) as TaskRow | undefined;
    if (!row || row.status !== "running" || row.lease_token !== req.leaseToken) return { kind: "lease_lost" };
    if (row.total === null) {
      const next = deletionCounted(row, counted ?? countDeliveries(ctx, row), req.leaseMs, req.now);
      save(next);
      return { kind: "progress", task: toTask(next) };
    }
    const step = row.kind === "endpoint.delete" ? endpointStep(ctx, row, req.limit) : tenantStep(ctx, row, req.limit);
    const after = afterDeletionStep(row, step, req.leaseMs, req.now);
    if (after.save) save(after.save);
    return after.result;
  });
}

function endpointStep(ctx: SqliteContext, row: TaskRow, limit: number): DeletionStep {
  const purged = purgeEndpointBatch(ctx, row.endpoint_id, limit);
  return purged.rows === 0 ? "done" : { purged, cursor: row.cursor_id };
}

function tenantStep(ctx: SqliteContext, row: TaskRow, limit: number): DeletionStep {
  const orphan = nextOrphanEndpoint(row);
  if (orphan) {
    const purged = purgeEndpointBatch(ctx, orphan.id, limit);
    // An emptied endpoint moves the cursor on to the next one.
    return { purged, cursor: String(purged.rows === 0 ? orphan.index + 1 : orphan.index) };
  }
  const live = ctx.sql("SELECT id FROM endpoints WHERE tenant_id = ? ORDER BY id LIMIT 1").get(row.tenant_id) as { id: string } | undefined;
  if (live) {
    const purged = purgeEndpointBatch(ctx, live.id, limit);
    // Emptied: its row goes now, with the little that still cascades from it (its isolation state).
    if (purged.rows === 0) ctx.sql("DELETE FROM endpoints WHERE id = ?").run(live.id);
    return { purged, cursor: row.cursor_id };
  }
  const purged = purgeTenantBatch(ctx, row.tenant_id, limit);
  if (purged.rows > 0) return { purged, cursor: row.cursor_id };
  ctx.sql("DELETE FROM tenants WHERE id = ?").run(row.tenant_id);
  return "done";
}

function countDeliveries(ctx: SqliteContext, row: TaskRow): number {
  const sql =
    row.kind === "endpoint.delete"
      ? "SELECT count(*) AS n FROM deliveries WHERE endpoint_id = ?"
      : "SELECT count(*) AS n FROM deliveries WHERE tenant_id = ?";
  return (ctx.sql(sql).get(row.kind === "endpoint.delete" ? row.endpoint_id : row.tenant_id) as { n: number }).n;
}
