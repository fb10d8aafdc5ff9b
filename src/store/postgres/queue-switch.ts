/**
 * Pausing and resuming an endpoint's queue (PostgreSQL), for disable and enable, inside the caller's transaction. A
 * paused endpoint is not due and gets no new deliveries; a worker sending to it hears of the change (NOTIFY on
 * hookd_endpoints), starts nothing more until its next cycle brings the disabled config, and then gives the endpoint
 * back (a release computes "not due" for a disabled endpoint).
 */
import type pg from "pg";
import { WORK_CHANNEL } from "./work-listener.ts";

export async function pauseQueue(client: pg.PoolClient, endpointId: string): Promise<void> {
  await client.query(
    `UPDATE endpoint_queue SET disabled = true, next_due_at = CASE WHEN owner IS NULL THEN NULL ELSE next_due_at END
     WHERE endpoint_id = $1`,
    [endpointId],
  );
}

export async function resumeQueue(client: pg.PoolClient, endpointId: string, now: number): Promise<void> {
  await client.query("UPDATE endpoint_queue SET disabled = false WHERE endpoint_id = $1", [endpointId]);
  const { rowCount } = await client.query(
    `UPDATE endpoint_queue q SET next_due_at = $2
     WHERE q.endpoint_id = $1 AND q.owner IS NULL AND (
       EXISTS (SELECT 1 FROM deliveries d JOIN endpoint_stream s ON s.endpoint_id = d.endpoint_id
               WHERE d.endpoint_id = $1 AND d.seq > s.acked_seq AND d.status = 'pending' AND NOT d.retry_queued)
       OR EXISTS (SELECT 1 FROM delivery_jobs j WHERE j.endpoint_id = $1))`,
    [endpointId, now],
  );
  if (rowCount) await client.query("SELECT pg_notify($1, '')", [WORK_CHANNEL]);
}
