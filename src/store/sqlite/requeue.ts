/**
 * Replaying one delivery (SQLite), shared by single replays, bulk replays and recover tasks so all three decide and
 * write the same way (the decision itself is store/plan/replay.ts). Runs inside the caller's transaction; returns
 * the result and whether an unowned endpoint became due (wake the workers after COMMIT).
 */
import type { DeliveryStatus } from "../../domain/types.ts";
import { decideReplay } from "../plan/replay.ts";
import type { ReplayResult } from "../ports/delivery-log.ts";
import type { SqliteContext } from "./context.ts";

export interface RequeueRow {
  id: string;
  tenant_id: string;
  event_id: string;
  endpoint_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number | null;
  payload_expunged_at: number | null;
}

/** The columns requeue() needs, for a query over deliveries `d` joined with their events `e`. */
export const REQUEUE_COLUMNS =
  "d.id, d.tenant_id, d.event_id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, e.payload_expunged_at";

export function requeue(ctx: SqliteContext, row: RequeueRow, now: number): { result: ReplayResult; wake: boolean } {
  const job = row.status === "failed" && row.next_attempt_at !== null ? { runAt: row.next_attempt_at } : null;
  const decision = decideReplay({ status: row.status, payloadExpunged: row.payload_expunged_at !== null }, job, now);
  if (decision.kind === "refuse") return { result: decision.result, wake: false };
  if (decision.kind === "move_job") {
    ctx
      .sql("UPDATE delivery_jobs SET run_at = ?, cycle_attempts = 0 WHERE endpoint_id = ? AND run_at = ? AND delivery_id = ?")
      .run(now, row.endpoint_id, row.next_attempt_at, row.id);
  } else {
    ctx.sql("DELETE FROM dead_letters WHERE tenant_id = ? AND delivery_id = ?").run(row.tenant_id, row.id);
    ctx
      .sql(
        `INSERT INTO delivery_jobs (endpoint_id, run_at, delivery_id, tenant_id, event_id, attempts, cycle_attempts)
         VALUES (?, ?, ?, ?, ?, ?, 0)`,
      )
      .run(row.endpoint_id, now, row.id, row.tenant_id, row.event_id, row.attempts);
  }
  ctx
    .sql(
      `UPDATE deliveries SET status = 'pending', retry_queued = 1, next_attempt_at = ?, updated_at = ?
       WHERE tenant_id = ? AND id = ?`,
    )
    .run(now, now, row.tenant_id, row.id);
  const due = ctx
    .sql(
      `UPDATE endpoint_queue SET next_due_at = @now
       WHERE endpoint_id = @id AND owner IS NULL AND disabled = 0 AND (next_due_at IS NULL OR next_due_at > @now)`,
    )
    .run({ now, id: row.endpoint_id }).changes;
  return { result: "replayed", wake: due > 0 };
}
