/**
 * Ingest (SQLite), with group commit. Every commit is an fsync (synchronous=FULL), and one per request caps
 * single-event ingest at the disk's flush rate. Requests arriving in the same tick are written in one transaction
 * instead, each inside its own savepoint so that one request's conflict rolls back only its own writes. Every caller
 * is answered only after the shared COMMIT returns, so a 202 still means "durably written"; if the commit fails,
 * every request in the group fails with it.
 */
import type { StoredEvent } from "../../domain/types.ts";
import { planFanOut } from "../plan/fan-out.ts";
import { type EventRow, toEvent } from "../rows.ts";
import type { IngestedEvent, IngestPort, IngestRequest, IngestResult, NewEvent } from "../ports/ingest.ts";
import type { SqliteContext } from "./context.ts";
import { enqueueDeliveries, subscriptionsOf } from "./enqueue.ts";

class EventConflict extends Error {
  constructor(readonly eventId: string) {
    super(`event ${eventId} exists with other content`);
  }
}

/** The quota check refused the planned fan-out: rolls back this request's savepoint. */
class Refused extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

interface Queued {
  req: IngestRequest;
  resolve: (r: IngestResult) => void;
  reject: (e: unknown) => void;
}

export function sqliteIngest(ctx: SqliteContext): IngestPort {
  const queue: Queued[] = [];

  const flush = () => {
    const group = queue.splice(0);
    const outcomes: ({ ok: IngestResult } | { err: unknown })[] = [];
    let wake = false;
    try {
      ctx.write(() => {
        for (const { req } of group) {
          try {
            const r = ctx.db.transaction(() => ingestOne(ctx, req))();
            if (r.wake) wake = true;
            outcomes.push({ ok: r.result });
          } catch (err) {
            // SQLITE_FULL, SQLITE_IOERR and kin roll the whole transaction back, not just this savepoint: the
            // group is lost, so fail every request in it rather than run the rest outside any transaction.
            if (!ctx.db.inTransaction) throw err;
            if (err instanceof EventConflict) outcomes.push({ ok: { kind: "event_conflict", eventId: err.eventId } });
            else if (err instanceof Refused) outcomes.push({ ok: { kind: "refused", error: err.error } });
            else outcomes.push({ err });
          }
        }
      });
    } catch (err) {
      for (const item of group) item.reject(err);
      return;
    }
    if (wake) ctx.wake();
    group.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome && "ok" in outcome) item.resolve(outcome.ok);
      else item.reject(outcome?.err);
    });
  };

  return {
    async ingest(req) {
      return new Promise((resolve, reject) => {
        queue.push({ req, resolve, reject });
        if (queue.length === 1) setImmediate(flush);
      });
    },

    async getEvent(tenantId, id): Promise<StoredEvent | null> {
      const row = ctx.sql("SELECT * FROM events WHERE tenant_id = ? AND id = ?").get(tenantId, id) as EventRow | undefined;
      return row ? toEvent(row) : null;
    },

    async eventTraceContexts(tenantId, eventIds) {
      const out = new Map<string, string>();
      if (eventIds.length === 0) return out;
      // json_each keeps this one cached statement whatever the number of ids.
      const rows = ctx
        .sql(
          `SELECT id, trace_context FROM events
           WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?)) AND trace_context IS NOT NULL`,
        )
        .all(tenantId, JSON.stringify(eventIds)) as { id: string; trace_context: string }[];
      for (const r of rows) out.set(r.id, r.trace_context);
      return out;
    },
  };
}

/** One request's writes, inside its savepoint. */
function ingestOne(ctx: SqliteContext, req: IngestRequest): { result: IngestResult; wake: boolean } {
  if (!ctx.sql("SELECT 1 FROM tenants WHERE id = ? AND deleting_at IS NULL").get(req.tenantId)) return { result: { kind: "tenant_not_found" }, wake: false };
  const idem = req.idempotency;
  if (idem) {
    const seen = ctx
      .sql("SELECT request_hash, response, created_at FROM idempotency_keys WHERE tenant_id = ? AND key = ?")
      .get(req.tenantId, idem.key) as { request_hash: string; response: string; created_at: number } | undefined;
    if (seen && seen.created_at >= idem.notBefore) {
      if (seen.request_hash !== idem.requestHash) return { result: { kind: "idempotency_mismatch" }, wake: false };
      return { result: { kind: "replayed", responseJson: seen.response }, wake: false };
    }
    if (seen) ctx.sql("DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ?").run(req.tenantId, idem.key);
  }
  const target = req.target ?? null;
  if (target) {
    const ep = ctx
      .sql("SELECT disabled FROM endpoints WHERE tenant_id = ? AND id = ?")
      .get(req.tenantId, target.endpointId) as { disabled: number } | undefined;
    if (!ep) return { result: { kind: "target_not_found" }, wake: false };
    if (ep.disabled) return { result: { kind: "target_disabled" }, wake: false };
  }
  const insertEvent = ctx.sql(
    "INSERT INTO events (tenant_id, id, type, data, created_at, trace_context, ordering_key) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
  );
  const fresh = req.events.filter(
    (ev) =>
      insertEvent.run(req.tenantId, ev.id, ev.type, ev.dataJson, ev.createdAt, ev.traceContext ?? null, ev.orderingKey ?? null).changes === 1,
  );
  const plan = planFanOut(target ? [] : subscriptionsOf(ctx, req.tenantId), fresh, target, req.admit?.maxDeliveries);
  const refusal = req.admit?.check(plan.length);
  if (refusal) throw new Refused(refusal);
  addStoredBytes(ctx, req.tenantId, fresh);
  const now = Math.min(...fresh.map((e) => e.createdAt));
  const { written, refused, wake } = enqueueDeliveries(ctx, req.tenantId, plan, now);
  if (refused.size > 0) ctx.subscriptions.invalidate(req.tenantId);
  const matched = new Map<string, number>();
  for (const d of written) matched.set(d.eventId, (matched.get(d.eventId) ?? 0) + 1);
  const freshIds = new Set(fresh.map((e) => e.id));
  const out: IngestedEvent[] = req.events.map((ev) =>
    freshIds.has(ev.id)
      ? { id: ev.id, type: ev.type, createdAt: ev.createdAt, matchedEndpoints: matched.get(ev.id) ?? 0 }
      : existingEvent(ctx, req.tenantId, ev),
  );
  if (idem) {
    ctx
      .sql("INSERT INTO idempotency_keys (tenant_id, key, request_hash, response, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(req.tenantId, idem.key, idem.requestHash, req.renderResponse(out), req.events[0]?.createdAt ?? 0);
  }
  return { result: { kind: "created", events: out }, wake };
}

/** The tenant's stored payload bytes grow by the new events' data (quota `max_stored_bytes`; migration 000041). */
function addStoredBytes(ctx: SqliteContext, tenantId: string, events: readonly NewEvent[]): void {
  let bytes = 0;
  for (const e of events) bytes += Buffer.byteLength(e.dataJson);
  if (bytes === 0) return;
  ctx
    .sql(
      `INSERT INTO tenant_usage (tenant_id, slot, stored_bytes) VALUES (?, 0, ?)
       ON CONFLICT (tenant_id, slot) DO UPDATE SET stored_bytes = stored_bytes + excluded.stored_bytes`,
    )
    .run(tenantId, bytes);
}

/** A caller-chosen id seen before: the same content is an idempotent repeat, other content a conflict. */
function existingEvent(ctx: SqliteContext, tenantId: string, ev: { id: string; type: string; dataJson: string }): IngestedEvent {
  const row = ctx.sql("SELECT * FROM events WHERE tenant_id = ? AND id = ?").get(tenantId, ev.id) as EventRow;
  if (row.type !== ev.type || row.data !== ev.dataJson) throw new EventConflict(ev.id);
  const { n } = ctx.sql("SELECT count(*) AS n FROM deliveries WHERE tenant_id = ? AND event_id = ?").get(tenantId, ev.id) as {
    n: number;
  };
  return { id: row.id, type: row.type, createdAt: row.created_at, matchedEndpoints: n };
}
