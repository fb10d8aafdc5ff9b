/**
 * Replaying deliveries (PostgreSQL), shared by single replays, bulk replays and recover tasks so all three decide and
 * write the same way (the decision itself is store/plan/replay.ts). Runs inside the caller's transaction on rows
 * the caller locked; notifies the workers when an endpoint no worker owns became due.
 */
import type pg from "pg";
import type { DeliveryStatus } from "../../domain/types.ts";
import { decideReplay } from "../plan/replay.ts";
import type { ReplayResult } from "../ports/delivery-log.ts";
import { WORK_CHANNEL } from "./work-listener.ts";

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

/** The columns requeue needs, for a query over deliveries `d` joined with their events `e`. */
export const REQUEUE_COLUMNS =
  "d.id, d.tenant_id, d.event_id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, e.payload_expunged_at";

export async function requeueAll(client: pg.PoolClient, rows: readonly RequeueRow[], now: number): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  const fresh: RequeueRow[] = [];
  const moved: RequeueRow[] = [];
  for (const row of rows) {
    const job = row.status === "failed" && row.next_attempt_at !== null ? { runAt: row.next_attempt_at } : null;
    const decision = decideReplay({ status: row.status, payloadExpunged: row.payload_expunged_at !== null }, job, now);
    if (decision.kind === "refuse") {
      results.push(decision.result);
      continue;
    }
    results.push("replayed");
    (decision.kind === "move_job" ? moved : fresh).push(row);
  }
  const all = [...fresh, ...moved];
  if (all.length === 0) return results;
  // Lock the scheduler rows before writing the jobs: an owner giving the endpoint back at the same moment then waits
  // for this commit and sees the jobs (its release reads them after taking these locks), and the due-update below,
  // a statement started after the locks, sees the owner as it is now. Locked after the caller's delivery rows, the
  // order a cycle takes them in too.
  await client.query("SELECT 1 FROM endpoint_queue WHERE endpoint_id = ANY ($1::text[]) ORDER BY endpoint_id FOR NO KEY UPDATE", [
    [...new Set(all.map((r) => r.endpoint_id))].sort(),
  ]);
  if (moved.length > 0) {
    await client.query(
      `UPDATE delivery_jobs j SET run_at = $1, cycle_attempts = 0
       FROM unnest($2::text[], $3::bigint[], $4::text[]) AS m (endpoint_id, run_at, delivery_id)
       WHERE j.endpoint_id = m.endpoint_id AND j.run_at = m.run_at AND j.delivery_id = m.delivery_id`,
      [now, moved.map((r) => r.endpoint_id), moved.map((r) => r.next_attempt_at), moved.map((r) => r.id)],
    );
  }
  if (fresh.length > 0) {
    await client.query(
      "DELETE FROM dead_letters d USING unnest($1::text[], $2::text[]) AS x (t, id) WHERE d.tenant_id = x.t AND d.delivery_id = x.id",
      [fresh.map((r) => r.tenant_id), fresh.map((r) => r.id)],
    );
    await client.query(
      `INSERT INTO delivery_jobs (endpoint_id, run_at, delivery_id, tenant_id, event_id, attempts, cycle_attempts)
       SELECT x.e, $1, x.d, x.t, x.ev, x.a, 0 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) AS x (e, d, t, ev, a)`,
      [now, fresh.map((r) => r.endpoint_id), fresh.map((r) => r.id), fresh.map((r) => r.tenant_id), fresh.map((r) => r.event_id), fresh.map((r) => r.attempts)],
    );
  }
  await client.query(
    `UPDATE deliveries d SET status = 'pending', retry_queued = true, next_attempt_at = $1, updated_at = $1
     FROM unnest($2::text[], $3::text[]) AS x (t, id) WHERE d.tenant_id = x.t AND d.id = x.id`,
    [now, all.map((r) => r.tenant_id), all.map((r) => r.id)],
  );
  const endpoints = [...new Set(all.map((r) => r.endpoint_id))].sort();
  const { rowCount } = await client.query(
    `UPDATE endpoint_queue q SET next_due_at = $1
     FROM (SELECT endpoint_id FROM endpoint_queue WHERE endpoint_id = ANY ($2::text[]) ORDER BY endpoint_id FOR NO KEY UPDATE) l
     WHERE q.endpoint_id = l.endpoint_id AND q.owner IS NULL AND NOT q.disabled AND (q.next_due_at IS NULL OR q.next_due_at > $1)`,
    [now, endpoints],
  );
  if (rowCount) await client.query("SELECT pg_notify($1, '')", [WORK_CHANNEL]);
  return results;
}
