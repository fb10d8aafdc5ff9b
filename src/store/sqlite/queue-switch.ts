/**
 * Pausing and resuming an endpoint's queue (SQLite), for disable and enable. A paused endpoint is not due and gets
 * no new deliveries; its owner, if a worker is sending to it, hears of the change (QueuePort.subscribeEndpointChanges),
 * starts nothing more until its next cycle brings the disabled config, and then gives the endpoint back (release
 * computes "not due" for a disabled endpoint).
 */
import type { SqliteContext } from "./context.ts";

export function pauseQueue(ctx: SqliteContext, endpointId: string): void {
  ctx
    .sql(
      `UPDATE endpoint_queue SET disabled = 1, next_due_at = CASE WHEN owner IS NULL THEN NULL ELSE next_due_at END
       WHERE endpoint_id = ?`,
    )
    .run(endpointId);
}

/** Returns whether the endpoint had work waiting and is now due (wake the workers). */
export function resumeQueue(ctx: SqliteContext, endpointId: string, now: number): boolean {
  ctx.sql("UPDATE endpoint_queue SET disabled = 0 WHERE endpoint_id = ?").run(endpointId);
  const due = ctx
    .sql(
      `UPDATE endpoint_queue SET next_due_at = @now
       WHERE endpoint_id = @id AND owner IS NULL AND (${HAS_WORK})
       RETURNING 1`,
    )
    .get({ now, id: endpointId });
  return due !== undefined;
}

/** True when the endpoint (`@id`) has a fresh delivery not yet dealt with, or any job. */
export const HAS_WORK = `EXISTS (
    SELECT 1 FROM deliveries d JOIN endpoint_stream s ON s.endpoint_id = d.endpoint_id
    WHERE d.endpoint_id = @id AND d.seq > s.acked_seq AND d.status = 'pending' AND d.retry_queued = 0)
  OR EXISTS (SELECT 1 FROM delivery_jobs j WHERE j.endpoint_id = @id)`;
