/**
 * Writes events and their planned deliveries in one statement (PostgreSQL): takes each endpoint's next sequence
 * numbers on its scheduler row (locked in id order, so two ingests never deadlock, and held to COMMIT, so sequence
 * order is commit order), makes an idle endpoint due, inserts the deliveries and notifies the workers when an endpoint
 * no worker owns got work. An endpoint whose scheduler row is gone or disabled (its subscriptions were read before it
 * was deleted or disabled) gets nothing, and neither does a tenant that no longer exists.
 */
import type pg from "pg";
import type { PlannedDelivery } from "../plan/fan-out.ts";
import { subscriptionOf } from "../plan/subscriptions.ts";
import type { NewEvent } from "../ports/ingest.ts";
import type { PostgresContext } from "./context.ts";
import { WORK_CHANNEL } from "./work-listener.ts";

/**
 * Params: $1 tenants; events $2 tenant, $3 id, $4 type, $5 data, $6 created_at; endpoints $7 id, $8 tenant, $9 count;
 * deliveries $10 id, $11 tenant, $12 event, $13 type, $14 endpoint, $15 rank within its endpoint (1-based), $16 at;
 * $17 now; $18 the events' trace contexts and $19 their ordering keys (beside $2-$6); stored payload bytes $20 tenant
 * (sorted, distinct), $21 bytes, $22 slot. Answers the tenants that exist and the endpoints that took their deliveries.
 *
 * The stored-bytes counter (tenant_usage, quota max_stored_bytes) is bumped here, in the statement that already
 * writes the events, so it costs no round trip; a random slot of 16 per tenant keeps concurrent ingests of one
 * tenant from queueing on one row. Every ingest path takes its row locks through this one statement, so they are
 * always taken in the same order.
 */
const ENQUEUE_SQL = `
WITH t AS (
  SELECT id FROM tenants WHERE id = ANY ($1::text[]) AND deleting_at IS NULL FOR KEY SHARE
), ev AS (
  INSERT INTO events (tenant_id, id, type, data, created_at, trace_context, ordering_key)
  SELECT e.tenant_id, e.id, e.type, e.data, e.at, e.tc, e.ok
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $18::text[], $19::text[])
    AS e (tenant_id, id, type, data, at, tc, ok)
  WHERE e.tenant_id IN (SELECT id FROM t)
  RETURNING 1
), locked AS (
  SELECT q.endpoint_id FROM endpoint_queue q WHERE q.endpoint_id = ANY ($7::text[])
  ORDER BY q.endpoint_id FOR NO KEY UPDATE
), alloc AS (
  UPDATE endpoint_queue q SET next_seq = q.next_seq + c.n,
    next_due_at = CASE WHEN q.owner IS NULL AND (q.next_due_at IS NULL OR q.next_due_at > $17) THEN $17 ELSE q.next_due_at END
  FROM unnest($7::text[], $8::text[], $9::int[]) AS c (id, tenant_id, n)
  WHERE q.endpoint_id = c.id AND q.tenant_id = c.tenant_id AND NOT q.disabled
    AND c.tenant_id IN (SELECT id FROM t) AND q.endpoint_id IN (SELECT endpoint_id FROM locked)
  RETURNING q.endpoint_id, q.next_seq - c.n AS base, q.owner IS NULL AS unowned
), ins AS (
  INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, seq, status, next_attempt_at, created_at,
    updated_at)
  SELECT d.id, d.tenant_id, d.event_id, d.type, d.endpoint_id, a.base + d.k, 'pending', d.at, d.at, d.at
  FROM unnest($10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::int[], $16::bigint[])
    AS d (id, tenant_id, event_id, type, endpoint_id, k, at)
  JOIN alloc a ON a.endpoint_id = d.endpoint_id
  RETURNING 1
), usage AS (
  INSERT INTO tenant_usage (tenant_id, slot, stored_bytes)
  SELECT u.tenant_id, $22, u.bytes FROM unnest($20::text[], $21::bigint[]) AS u (tenant_id, bytes)
  WHERE u.bytes > 0 AND u.tenant_id IN (SELECT id FROM t)
  ORDER BY u.tenant_id
  ON CONFLICT (tenant_id, slot) DO UPDATE SET stored_bytes = tenant_usage.stored_bytes + excluded.stored_bytes
), note AS (
  SELECT pg_notify('${WORK_CHANNEL}', '') WHERE EXISTS (SELECT 1 FROM alloc WHERE unowned)
)
SELECT (SELECT coalesce(array_agg(id), '{}') FROM t) AS tenants,
  (SELECT coalesce(array_agg(endpoint_id), '{}') FROM alloc) AS accepted,
  (SELECT count(*) FROM ev) AS events, (SELECT count(*) FROM ins) AS deliveries, (SELECT count(*) FROM note) AS noted`;

export interface EnqueueBatch {
  /** Events to insert with the deliveries (new ids only); empty when the caller inserted them already. */
  events: { tenantId: string; event: NewEvent }[];
  deliveries: { tenantId: string; d: PlannedDelivery }[];
  /** Payload bytes each tenant's new events add to its stored total (several entries for one tenant are summed). */
  storedBytes: { tenantId: string; bytes: number }[];
  /** Tenants whose existence the statement checks (and locks against deletion until COMMIT). */
  tenants: string[];
  now: number;
}

export interface EnqueueResult {
  tenants: Set<string>;
  /** Endpoints that took their deliveries; the others were deleted or disabled. */
  accepted: Set<string>;
}

export async function enqueue(db: pg.Pool | pg.PoolClient, batch: EnqueueBatch): Promise<EnqueueResult> {
  const counts = new Map<string, { tenantId: string; n: number }>();
  const rank: number[] = [];
  for (const { tenantId, d } of batch.deliveries) {
    const c = counts.get(d.endpointId) ?? { tenantId, n: 0 };
    c.n++;
    counts.set(d.endpointId, c);
    rank.push(c.n);
  }
  const endpoints = [...counts.keys()].sort();
  const stored = new Map<string, number>();
  for (const { tenantId, bytes } of batch.storedBytes) stored.set(tenantId, (stored.get(tenantId) ?? 0) + bytes);
  const storedTenants = [...stored.keys()].sort();
  const col = <T>(f: (x: { tenantId: string; d: PlannedDelivery }) => T) => batch.deliveries.map(f);
  const ev = <T>(f: (x: { tenantId: string; event: NewEvent }) => T) => batch.events.map(f);
  const { rows } = await db.query<{ tenants: string[]; accepted: string[] }>({
    name: "hookd_enqueue",
    text: ENQUEUE_SQL,
    values: [
      batch.tenants,
      ev((x) => x.tenantId),
      ev((x) => x.event.id),
      ev((x) => x.event.type),
      ev((x) => x.event.dataJson),
      ev((x) => x.event.createdAt),
      endpoints,
      endpoints.map((id) => counts.get(id)?.tenantId ?? ""),
      endpoints.map((id) => counts.get(id)?.n ?? 0),
      col((x) => x.d.id),
      col((x) => x.tenantId),
      col((x) => x.d.eventId),
      col((x) => x.d.eventType),
      col((x) => x.d.endpointId),
      rank,
      col((x) => x.d.createdAt),
      batch.now,
      ev((x) => x.event.traceContext ?? null),
      ev((x) => x.event.orderingKey ?? null),
      storedTenants,
      storedTenants.map((t) => stored.get(t) ?? 0),
      Math.floor(Math.random() * USAGE_SLOTS),
    ],
  });
  const row = rows[0];
  return { tenants: new Set(row?.tenants ?? []), accepted: new Set(row?.accepted ?? []) };
}

const USAGE_SLOTS = 16;

/** UTF-8 bytes of the events' data, as the stored-bytes quota counts them (octet_length of events.data). */
export function payloadBytes(events: readonly NewEvent[]): number {
  let bytes = 0;
  for (const e of events) bytes += Buffer.byteLength(e.dataJson);
  return bytes;
}

/** The tenant's enabled endpoints and their subscriptions, from the cache or the table. */
export async function subscriptionsOf(ctx: PostgresContext, db: pg.Pool | pg.PoolClient, tenantId: string) {
  ctx.listen();
  const cached = ctx.subscriptions.get(tenantId);
  if (cached) return cached;
  const { rows } = await db.query<{ id: string; event_types: string[]; filter: string | null }>(
    "SELECT id, event_types, filter FROM endpoints WHERE tenant_id = $1 AND NOT disabled ORDER BY id",
    [tenantId],
  );
  const subs = rows.map((r) => subscriptionOf(r.id, r.event_types, r.filter));
  ctx.subscriptions.set(tenantId, subs);
  return subs;
}
