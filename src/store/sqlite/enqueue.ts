/**
 * Writes planned deliveries into their endpoints' streams (SQLite): takes each endpoint's next sequence numbers on
 * its scheduler row, makes an idle endpoint due, and inserts the deliveries. An endpoint whose scheduler row is gone
 * or disabled (its subscriptions were read before it was deleted or disabled) gets nothing. Runs inside the
 * caller's write transaction; returns what it wrote and whether an unowned endpoint got work (wake the workers).
 */
import { countByEndpoint, type PlannedDelivery, plannedEndpoints } from "../plan/fan-out.ts";
import { subscriptionOf } from "../plan/subscriptions.ts";
import type { SqliteContext } from "./context.ts";

export interface Enqueued {
  /** The plan minus deliveries to endpoints that could not take them. */
  written: PlannedDelivery[];
  /** Endpoints the plan named that are deleted or disabled. */
  refused: Set<string>;
  /** Some unowned endpoint got work: a worker should take it over. */
  wake: boolean;
}

export function enqueueDeliveries(ctx: SqliteContext, tenantId: string, plan: readonly PlannedDelivery[], now: number): Enqueued {
  const counts = countByEndpoint(plan);
  const take = ctx.sql(
    `UPDATE endpoint_queue SET next_seq = next_seq + @n,
       next_due_at = CASE WHEN owner IS NULL AND (next_due_at IS NULL OR next_due_at > @now) THEN @now ELSE next_due_at END
     WHERE endpoint_id = @id AND tenant_id = @tenant AND disabled = 0
     RETURNING next_seq, owner IS NULL AS unowned`,
  );
  const firstSeq = new Map<string, number>();
  const refused = new Set<string>();
  let wake = false;
  for (const id of plannedEndpoints(plan)) {
    const n = counts.get(id) ?? 0;
    const row = take.get({ n, now, id, tenant: tenantId }) as { next_seq: number; unowned: number } | undefined;
    if (!row) {
      refused.add(id);
      continue;
    }
    firstSeq.set(id, row.next_seq - n + 1);
    if (row.unowned) wake = true;
  }
  const insert = ctx.sql(
    `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, seq, status, next_attempt_at, created_at,
       updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
  );
  const written: PlannedDelivery[] = [];
  for (const d of plan) {
    const seq = firstSeq.get(d.endpointId);
    if (seq === undefined) continue;
    firstSeq.set(d.endpointId, seq + 1);
    insert.run(d.id, tenantId, d.eventId, d.eventType, d.endpointId, seq, d.createdAt, d.createdAt, d.createdAt);
    written.push(d);
  }
  return { written, refused, wake };
}

/** The tenant's enabled endpoints and their subscriptions, from the cache or the table. */
export function subscriptionsOf(ctx: SqliteContext, tenantId: string) {
  const cached = ctx.subscriptions.get(tenantId);
  if (cached) return cached;
  const subs = (
    ctx.sql("SELECT id, event_types, filter FROM endpoints WHERE tenant_id = ? AND disabled = 0 ORDER BY id").all(tenantId) as {
      id: string;
      event_types: string;
      filter: string | null;
    }[]
  ).map((e) => subscriptionOf(e.id, JSON.parse(e.event_types) as string[], e.filter));
  ctx.subscriptions.set(tenantId, subs);
  return subs;
}
