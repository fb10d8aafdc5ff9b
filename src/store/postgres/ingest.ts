/**
 * Ingest (PostgreSQL). Requests whose events all have generated ids and no Idempotency-Key cannot conflict with
 * anything, so concurrent ones are merged into groups: one statement writes a whole group's events, takes its
 * endpoints' sequence numbers and inserts its deliveries (enqueue.ts), committing on its own, one round trip in all.
 * Up to MAX_GROUPS run at once; whatever arrives meanwhile forms the next group. Every caller is answered after its
 * group's commit. Requests with an Idempotency-Key, caller-chosen event ids or a test-send target take the
 * per-request path: one transaction each.
 */
import type pg from "pg";
import { planFanOut, type PlannedDelivery } from "../plan/fan-out.ts";
import { type EventRow, toEvent } from "../rows.ts";
import type { IngestedEvent, IngestPort, IngestRequest, IngestResult } from "../ports/ingest.ts";
import type { PostgresContext } from "./context.ts";
import { enqueue, payloadBytes, subscriptionsOf } from "./enqueue.ts";
import { inTransaction } from "./pool.ts";

class EventConflict extends Error {
  constructor(readonly eventId: string) {
    super(`event ${eventId} exists with other content`);
  }
}

/** The quota check refused the planned fan-out: rolls the request's transaction back. */
class Refused extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

/** A concurrent request holding the same Idempotency-Key committed first; start over and read its answer. */
class IdempotencyRace extends Error {}

const MAX_GROUPS = 4;
const MAX_GROUP_EVENTS = 5_000;

interface Queued {
  req: IngestRequest;
  resolve: (r: IngestResult) => void;
  reject: (e: unknown) => void;
}

export function postgresIngest(ctx: PostgresContext): IngestPort {
  const queue: Queued[] = [];
  let groupsInFlight = 0;

  const pump = () => {
    while (groupsInFlight < MAX_GROUPS && queue.length > 0) {
      let events = 0;
      let take = 0;
      while (take < queue.length && (take === 0 || events < MAX_GROUP_EVENTS)) {
        events += queue[take]?.req.events.length ?? 0;
        take++;
      }
      const group = queue.splice(0, take);
      groupsInFlight++;
      ingestGroup(ctx, group.map((g) => g.req))
        .then(
          (results) => group.forEach((g, i) => g.resolve(results[i] ?? { kind: "tenant_not_found" })),
          (err) => group.forEach((g) => g.reject(err)),
        )
        .finally(() => {
          groupsInFlight--;
          pump();
        });
    }
  };

  return {
    async ingest(req) {
      if (req.idempotency === null && req.target === undefined && req.events.every((e) => e.generatedId)) {
        return new Promise((resolve, reject) => {
          queue.push({ req, resolve, reject });
          if (queue.length === 1) setImmediate(pump);
        });
      }
      return ingestOne(ctx, req);
    },

    async getEvent(tenantId, id) {
      const { rows } = await ctx.pool.query<EventRow>("SELECT * FROM events WHERE tenant_id = $1 AND id = $2", [tenantId, id]);
      return rows[0] ? toEvent(rows[0]) : null;
    },

    async eventTraceContexts(tenantId, eventIds) {
      const out = new Map<string, string>();
      if (eventIds.length === 0) return out;
      const { rows } = await ctx.pool.query<{ id: string; trace_context: string }>(
        "SELECT id, trace_context FROM events WHERE tenant_id = $1 AND id = ANY ($2::text[]) AND trace_context IS NOT NULL",
        [tenantId, eventIds],
      );
      for (const r of rows) out.set(r.id, r.trace_context);
      return out;
    },
  };
}

/**
 * One statement for the whole group; the tenants that do not exist get nothing written and `tenant_not_found`. A
 * request whose planned fan-out its quota check refuses is left out of the statement (every event in this path has
 * a generated id, so the plan covers all of them and nothing needs rolling back).
 */
async function ingestGroup(ctx: PostgresContext, all: IngestRequest[]): Promise<IngestResult[]> {
  const refusals = new Map<IngestRequest, Error>();
  const planned = new Map<IngestRequest, PlannedDelivery[]>();
  for (const req of all) {
    const plan = planFanOut(await subscriptionsOf(ctx, ctx.pool, req.tenantId), req.events, null, req.admit?.maxDeliveries);
    const refusal = req.admit?.check(plan.length);
    if (refusal) refusals.set(req, refusal);
    else planned.set(req, plan);
  }
  const reqs = all.filter((r) => planned.has(r));
  const plans = reqs.map((r) => planned.get(r) ?? []);
  if (reqs.length === 0) return all.map((r) => ({ kind: "refused", error: refusals.get(r)! }));
  const result = await enqueue(ctx.pool, {
    tenants: [...new Set(reqs.map((r) => r.tenantId))],
    events: reqs.flatMap((req) => req.events.map((event) => ({ tenantId: req.tenantId, event }))),
    deliveries: reqs.flatMap((req, i) => (plans[i] ?? []).map((d) => ({ tenantId: req.tenantId, d }))),
    storedBytes: reqs.map((req) => ({ tenantId: req.tenantId, bytes: payloadBytes(req.events) })),
    now: Math.min(...reqs.flatMap((r) => r.events.map((e) => e.createdAt))),
  });
  return all.map((req) => {
    const refusal = refusals.get(req);
    if (refusal) return { kind: "refused", error: refusal };
    const i = reqs.indexOf(req);
    if (!result.tenants.has(req.tenantId)) return { kind: "tenant_not_found" };
    const written = (plans[i] ?? []).filter((d) => result.accepted.has(d.endpointId));
    if (written.length < (plans[i] ?? []).length) ctx.subscriptions.invalidate(req.tenantId);
    return { kind: "created", events: req.events.map((e) => summary(e, written)) };
  });
}

function summary(e: { id: string; type: string; createdAt: number }, written: readonly PlannedDelivery[]): IngestedEvent {
  return { id: e.id, type: e.type, createdAt: e.createdAt, matchedEndpoints: written.filter((d) => d.eventId === e.id).length };
}

async function ingestOne(ctx: PostgresContext, req: IngestRequest): Promise<IngestResult> {
  for (let round = 0; ; round++) {
    try {
      return await inTransaction(ctx.pool, (client) => ingestIn(ctx, client, req));
    } catch (err) {
      if (err instanceof EventConflict) return { kind: "event_conflict", eventId: err.eventId };
      if (err instanceof Refused) return { kind: "refused", error: err.error };
      if (err instanceof IdempotencyRace && round < 3) continue;
      throw err;
    }
  }
}

async function ingestIn(ctx: PostgresContext, client: pg.PoolClient, req: IngestRequest): Promise<IngestResult> {
  const tenant = await client.query("SELECT 1 FROM tenants WHERE id = $1 AND deleting_at IS NULL FOR KEY SHARE", [req.tenantId]);
  if (tenant.rowCount === 0) return { kind: "tenant_not_found" };
  const idem = req.idempotency;
  const now = Math.min(...req.events.map((e) => e.createdAt));
  if (idem) {
    const { rows } = await client.query<{ request_hash: string; response: string; created_at: number }>(
      "SELECT request_hash, response, created_at FROM idempotency_keys WHERE tenant_id = $1 AND key = $2",
      [req.tenantId, idem.key],
    );
    const seen = rows[0];
    if (seen && seen.created_at >= idem.notBefore) {
      if (seen.request_hash !== idem.requestHash) return { kind: "idempotency_mismatch" };
      return { kind: "replayed", responseJson: seen.response };
    }
    if (seen) await client.query("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2", [req.tenantId, idem.key]);
    // Blocks while a concurrent request with this key is uncommitted; if it commits first we start over.
    const claimed = await client.query(
      `INSERT INTO idempotency_keys (tenant_id, key, request_hash, response, created_at) VALUES ($1, $2, $3, '', $4)
       ON CONFLICT DO NOTHING`,
      [req.tenantId, idem.key, idem.requestHash, now],
    );
    if (claimed.rowCount !== 1) throw new IdempotencyRace();
  }
  const target = req.target ?? null;
  if (target) {
    // FOR SHARE: a concurrent disable or delete waits for this commit instead of slipping in between.
    const { rows } = await client.query<{ disabled: boolean }>(
      "SELECT disabled FROM endpoints WHERE tenant_id = $1 AND id = $2 FOR SHARE",
      [req.tenantId, target.endpointId],
    );
    if (!rows[0]) return { kind: "target_not_found" };
    if (rows[0].disabled) return { kind: "target_disabled" };
  }
  const { rows: inserted } = await client.query<{ id: string }>(
    `INSERT INTO events (tenant_id, id, type, data, created_at, trace_context, ordering_key)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[])
     ON CONFLICT DO NOTHING RETURNING id`,
    [
      req.tenantId,
      req.events.map((e) => e.id),
      req.events.map((e) => e.type),
      req.events.map((e) => e.dataJson),
      req.events.map((e) => e.createdAt),
      req.events.map((e) => e.traceContext ?? null),
      req.events.map((e) => e.orderingKey ?? null),
    ],
  );
  const freshIds = new Set(inserted.map((r) => r.id));
  const fresh = req.events.filter((e) => freshIds.has(e.id));
  const plan = planFanOut(target ? [] : await subscriptionsOf(ctx, client, req.tenantId), fresh, target, req.admit?.maxDeliveries);
  const refusal = req.admit?.check(plan.length);
  if (refusal) throw new Refused(refusal);
  let written: PlannedDelivery[] = [];
  // The same statement as the grouped path also counts the new events' bytes (tenant_usage), so every ingest takes
  // its scheduler-row and usage-row locks in one order.
  if (plan.length > 0 || fresh.length > 0) {
    const result = await enqueue(client, {
      tenants: [req.tenantId],
      events: [],
      deliveries: plan.map((d) => ({ tenantId: req.tenantId, d })),
      storedBytes: [{ tenantId: req.tenantId, bytes: payloadBytes(fresh) }],
      now,
    });
    written = plan.filter((d) => result.accepted.has(d.endpointId));
    if (written.length < plan.length) ctx.subscriptions.invalidate(req.tenantId);
  }
  const out: IngestedEvent[] = [];
  for (const ev of req.events) out.push(freshIds.has(ev.id) ? summary(ev, written) : await existingEvent(client, req.tenantId, ev));
  if (idem) {
    await client.query("UPDATE idempotency_keys SET response = $3 WHERE tenant_id = $1 AND key = $2", [
      req.tenantId,
      idem.key,
      req.renderResponse(out),
    ]);
  }
  return { kind: "created", events: out };
}

/** A caller-chosen id seen before: the same content is an idempotent repeat, other content a conflict. */
async function existingEvent(
  client: pg.PoolClient,
  tenantId: string,
  ev: { id: string; type: string; dataJson: string },
): Promise<IngestedEvent> {
  const { rows } = await client.query<EventRow & { n: number }>(
    `SELECT e.*, (SELECT count(*) FROM deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id) AS n
     FROM events e WHERE e.tenant_id = $1 AND e.id = $2`,
    [tenantId, ev.id],
  );
  const row = rows[0];
  if (!row || row.type !== ev.type || row.data !== ev.dataJson) throw new EventConflict(ev.id);
  return { id: row.id, type: row.type, createdAt: row.created_at, matchedEndpoints: row.n };
}
