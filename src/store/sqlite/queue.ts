/**
 * The queue port on SQLite: one cycle is one immediate transaction (ports/queue.ts has the model). The steps run in
 * the same order as on PostgreSQL: fence (which endpoints the worker still owns), outcomes, disables, acks, states,
 * renewals, releases, refills, takeover. SQLite has one writer at a time, so nothing here waits on row locks; the
 * ownership fence still matters, because the delivery thread is restarted after a crash with a new worker id and an
 * in-flight cycle of the old one must not apply.
 */
import { parseEndpointState, serializeEndpointState } from "../../domain/endpoint-state.ts";
import { newOperationalEvent, type OperationalEvent } from "../../domain/operational-events.ts";
import { groupStats } from "../attempt-stats-columns.ts";
import { attemptOperationalEvents } from "../plan/outcome-events.ts";
import { attemptParams } from "../rows.ts";
import { lineKey, PARKED_RUN_AT } from "../../domain/ordering.ts";
import type {
  CycleInput,
  CycleResult,
  EndpointConfig,
  Outcome,
  Park,
  QueuePort,
  Refill,
  SkippedSeq,
  TakenEndpoint,
  WorkItem,
} from "../ports/queue.ts";
import { UPSERT_STATS_SQL } from "./attempt-stats.ts";
import type { SqliteContext } from "./context.ts";
import { insertOperationalEvents } from "./operational-events.ts";
import { type ConfigRow, toEndpointConfig } from "../queue-rows.ts";

export function sqliteQueue(ctx: SqliteContext): QueuePort {
  return {
    async cycle(input) {
      // Unflushed: a cycle lost to a power cut only means its deliveries are sent again (context.ts).
      const { result, wake } = ctx.writeUnflushed(() => runCycle(ctx, input));
      if (wake) ctx.wake();
      return result;
    },
    subscribeWork(onWork) {
      ctx.work.on("work", onWork);
      return () => ctx.work.off("work", onWork);
    },
    subscribeEndpointChanges(onChange) {
      ctx.work.on("endpoints", onChange);
      return () => ctx.work.off("endpoints", onChange);
    },
  };
}

function runCycle(ctx: SqliteContext, input: CycleInput): { result: CycleResult; wake: boolean } {
  const { now, worker } = input;
  const valid = fence(ctx, input);
  const lost = new Set<string>();
  const holds = (o: { endpointId: string; epoch: number }) => {
    if (valid.get(o.endpointId) === o.epoch) return true;
    lost.add(o.endpointId);
    return false;
  };
  const ops: OperationalEvent[] = [];

  // FIFO parks first: an outcome below that frees a key must see the deliveries parked behind it.
  for (const p of input.parks ?? []) if (holds(p.owner)) parkDelivery(ctx, p);

  // Outcomes: the delivery's next state, its attempt, its job, its dead letter, the stats.
  const landed: { tenantId: string; endpointId: string; outcome: Outcome }[] = [];
  for (const o of input.outcomes) {
    if (!holds(o.owner)) continue;
    if (writeOutcome(ctx, o)) landed.push({ tenantId: o.tenantId, endpointId: o.owner.endpointId, outcome: o });
  }
  // FIFO lines: a death with halt stops the key; a success or a death without halt lets its next parked one go.
  // Every halt first: one cycle can carry a line's success and then the halting death of the delivery the owner
  // sent next, and the deliveries parked behind that death must stay parked (as on PostgreSQL, where the halts are
  // one statement and the releases the next). One release per line and cycle: a line has one head.
  const lines = new Map<string, { endpointId: string; key: string; now: number }>();
  for (const l of landed) {
    const o = l.outcome;
    if (o.fifoKey === undefined || o.fifoKey === null || o.status === "failed") continue;
    if (o.status === "dead" && o.halt) haltKey(ctx, l.endpointId, o.fifoKey, o.tenantId, o.deliveryId, o.now);
    else lines.set(`${l.endpointId}\n${o.fifoKey}`, { endpointId: l.endpointId, key: o.fifoKey, now: o.now });
  }
  for (const line of lines.values()) releaseNextParked(ctx, line.endpointId, line.key, line.now);
  const cells = landed.flatMap((l) => (l.outcome.attempt ? [{ tenantId: l.tenantId, endpointId: l.endpointId, attempt: l.outcome.attempt }] : []));
  const upsert = ctx.sql(UPSERT_STATS_SQL);
  for (const g of groupStats(cells)) upsert.run(g.tenantId, g.endpointId, g.minute, ...g.counts);

  const disabled: string[] = [];
  for (const d of input.disables) {
    if (!holds(d.owner)) continue;
    const flipped = ctx
      .sql("UPDATE endpoints SET disabled = 1, disabled_reason = ?, updated_at = ? WHERE id = ? AND disabled = 0")
      .run(d.reason, now, d.owner.endpointId).changes;
    if (flipped !== 1) continue;
    ctx.sql("UPDATE endpoint_queue SET disabled = 1 WHERE endpoint_id = ?").run(d.owner.endpointId);
    ctx.subscriptions.invalidate(d.tenantId);
    disabled.push(d.owner.endpointId);
    const subject = { tenantId: d.tenantId, endpointId: d.owner.endpointId, ...(d.cause ?? {}) };
    ops.push(newOperationalEvent("endpoint.disabled", subject, { reason: d.reason }, now));
  }

  // After the disables: an endpoint.disabled comes before the delivery.dead of the attempt that caused it.
  for (const l of landed) ops.push(...attemptOperationalEvents(l.outcome));

  const ack = ctx.sql("UPDATE endpoint_stream SET acked_seq = max(acked_seq, ?) WHERE endpoint_id = ?");
  for (const a of input.acks) if (holds(a.owner)) ack.run(a.seq, a.owner.endpointId);

  const state = ctx.sql("UPDATE endpoint_state SET data = ?, updated_at = ? WHERE endpoint_id = ?");
  for (const s of input.states) if (holds(s.owner)) state.run(serializeEndpointState(s.state), now, s.owner.endpointId);

  const renew = ctx.sql("UPDATE endpoint_queue SET owner_until = ?, next_due_at = ? WHERE endpoint_id = ? AND owner = ?");
  for (const r of input.renewals) if (holds(r.owner)) renew.run(r.until, r.until, r.owner.endpointId, worker);

  const released = new Set<string>();
  for (const r of input.releases) {
    if (!holds(r.owner)) continue;
    release(ctx, r.owner.endpointId, Math.max(now, r.notBefore), now);
    released.add(r.owner.endpointId);
  }

  const work: WorkItem[] = [];
  const skipped: SkippedSeq[] = [];
  const streamEnds: { endpointId: string; seq: number }[] = [];
  const configs: EndpointConfig[] = [];
  for (const r of input.refills) {
    if (released.has(r.owner.endpointId) || !holds(r.owner)) continue;
    const end = fetchStream(ctx, r.owner.endpointId, r.afterSeq, r.streamLimit, r.fifo === true, work, skipped);
    streamEnds.push({ endpointId: r.owner.endpointId, seq: end });
    fetchJobs(ctx, r.owner.endpointId, now, r, work);
    const config = readConfig(ctx, r.owner.endpointId);
    if (config && config.version !== r.configVersion) configs.push(config);
  }

  const taken: TakenEndpoint[] = [];
  if (input.takeover && input.takeover.count > 0) {
    const t = input.takeover;
    const due = ctx
      .sql("SELECT endpoint_id FROM endpoint_queue WHERE next_due_at <= ? ORDER BY next_due_at LIMIT ?")
      .all(now, t.count) as { endpoint_id: string }[];
    for (const { endpoint_id: id } of due) {
      const config = readConfig(ctx, id);
      if (!config) continue;
      const stream = ctx
        .sql("UPDATE endpoint_stream SET epoch = epoch + 1 WHERE endpoint_id = ? RETURNING epoch, acked_seq")
        .get(id) as { epoch: number; acked_seq: number };
      const until = now + config.timeoutMs + t.leaseMarginMs;
      ctx.sql("UPDATE endpoint_queue SET owner = ?, owner_until = ?, next_due_at = ? WHERE endpoint_id = ?").run(worker, until, until, id);
      const st = ctx.sql("SELECT data FROM endpoint_state WHERE endpoint_id = ?").get(id) as { data: string };
      const owner = { endpointId: id, epoch: stream.epoch };
      taken.push({ owner, config, state: parseEndpointState(st.data), ackedSeq: stream.acked_seq, ownedUntil: until });
      const fifo = config.ordering === "fifo";
      streamEnds.push({ endpointId: id, seq: fetchStream(ctx, id, stream.acked_seq, t.streamLimit, fifo, work, skipped) });
      fetchJobs(ctx, id, now, { jobLimit: t.jobLimit, heldJobs: [] }, work);
    }
  }

  const wake = insertOperationalEvents(ctx, ops);
  const next = ctx.sql("SELECT min(next_due_at) AS t FROM endpoint_queue WHERE next_due_at IS NOT NULL").get() as { t: number | null };
  return {
    result: { lost: [...lost], taken, configs, work, skipped, streamEnds, disabled, nextDueAt: next.t },
    wake,
  };
}

/** The epoch this worker holds for each endpoint it names, read from the rows (absent: lost or deleted). */
function fence(ctx: SqliteContext, input: CycleInput): Map<string, number> {
  const ids = new Set<string>();
  for (const x of [...input.outcomes, ...(input.parks ?? []), ...input.acks, ...input.states, ...input.disables, ...input.renewals, ...input.releases, ...input.refills]) {
    ids.add(x.owner.endpointId);
  }
  const read = ctx.sql(
    `SELECT s.epoch FROM endpoint_stream s JOIN endpoint_queue q ON q.endpoint_id = s.endpoint_id
     WHERE s.endpoint_id = ? AND q.owner = ?`,
  );
  const out = new Map<string, number>();
  for (const id of ids) {
    const row = read.get(id, input.worker) as { epoch: number } | undefined;
    if (row) out.set(id, row.epoch);
  }
  return out;
}

/** Applies one outcome; false when the delivery was settled meanwhile (expunged) or is gone. */
function writeOutcome(ctx: SqliteContext, o: Outcome): boolean {
  const endpointId = o.owner.endpointId;
  const applied =
    ctx
      .sql(
        `UPDATE deliveries SET status = @status, attempts = @attempts, next_attempt_at = @next, last_status_code = @code,
           last_error = @err, updated_at = @now, retry_queued = CASE WHEN @status = 'failed' THEN 1 ELSE retry_queued END
         WHERE tenant_id = @tenant AND id = @id AND status IN ('pending', 'failed')`,
      )
      .run({
        status: o.status,
        attempts: o.attempts,
        next: o.nextAttemptAt,
        code: o.lastStatusCode,
        err: o.lastError,
        now: o.now,
        tenant: o.tenantId,
        id: o.deliveryId,
      }).changes === 1;
  const key = o.source.kind === "job" ? { endpointId, runAt: o.source.runAt, deliveryId: o.deliveryId } : null;
  if (!applied) {
    if (key) ctx.sql("DELETE FROM delivery_jobs WHERE endpoint_id = ? AND run_at = ? AND delivery_id = ?").run(key.endpointId, key.runAt, key.deliveryId);
    return false;
  }
  if (o.attempt) ctx.sql(INSERT_ATTEMPT).run(attemptParams(o.attempt));
  if (o.status === "failed") {
    const runAt = o.nextAttemptAt ?? o.now;
    if (key) {
      ctx
        .sql(
          `UPDATE delivery_jobs SET run_at = ?, attempts = ?, cycle_attempts = ?, ordering_key = coalesce(?, ordering_key),
             seq = coalesce(?, seq)
           WHERE endpoint_id = ? AND run_at = ? AND delivery_id = ?`,
        )
        .run(runAt, o.attempts, o.cycleAttempts, o.fifoKey ?? null, o.fifoKey != null ? (o.seq ?? null) : null, key.endpointId, key.runAt, key.deliveryId);
    } else {
      ctx
        .sql(
          `INSERT INTO delivery_jobs (endpoint_id, run_at, delivery_id, tenant_id, event_id, attempts, cycle_attempts,
             ordering_key, seq)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(endpointId, runAt, o.deliveryId, o.tenantId, o.eventId, o.attempts, o.cycleAttempts, o.fifoKey ?? null, o.fifoKey != null ? (o.seq ?? null) : null);
    }
  } else if (key) {
    ctx.sql("DELETE FROM delivery_jobs WHERE endpoint_id = ? AND run_at = ? AND delivery_id = ?").run(key.endpointId, key.runAt, key.deliveryId);
  }
  if (o.status === "dead") {
    ctx
      .sql("INSERT INTO dead_letters (tenant_id, delivery_id, endpoint_id, died_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
      .run(o.tenantId, o.deliveryId, endpointId, o.now);
  }
  return true;
}

const INSERT_ATTEMPT = `INSERT INTO attempts (id, delivery_id, attempt, started_at, duration_ms, status_code, response_body,
    error, error_class, outcome, timeout_ms, request_url, request_headers, response_headers)
  VALUES (@id, @deliveryId, @attempt, @startedAt, @durationMs, @statusCode, @responseBody, @error, @errorClass, @outcome,
    @timeoutMs, @requestUrl, @requestHeaders, @responseHeaders)
  ON CONFLICT DO NOTHING`;

/**
 * Gives the endpoint back: when it should be looked at next is worked out here, from what is really waiting (a
 * fresh delivery not dealt with, or the earliest job), never from what the owner believes.
 */
function release(ctx: SqliteContext, endpointId: string, notBefore: number, now: number): void {
  const row = ctx
    .sql(
      `SELECT disabled,
         (${HAS_STREAM}) AS stream,
         (SELECT min(run_at) FROM delivery_jobs WHERE endpoint_id = @id AND run_at < ${PARKED_RUN_AT}) AS job_at
       FROM endpoint_queue WHERE endpoint_id = @id`,
    )
    .get({ id: endpointId }) as { disabled: number; stream: number; job_at: number | null } | undefined;
  if (!row) return;
  const due = row.disabled ? null : row.stream ? Math.max(now, notBefore) : row.job_at === null ? null : Math.max(row.job_at, notBefore);
  ctx.sql("UPDATE endpoint_queue SET owner = NULL, owner_until = NULL, next_due_at = ? WHERE endpoint_id = ?").run(due, endpointId);
}

const HAS_STREAM = `EXISTS (
    SELECT 1 FROM deliveries d JOIN endpoint_stream s ON s.endpoint_id = d.endpoint_id
    WHERE d.endpoint_id = @id AND d.seq > s.acked_seq AND d.status = 'pending' AND d.retry_queued = 0)`;

interface StreamRow {
  id: string;
  tenant_id: string;
  event_id: string;
  seq: number;
  status: string;
  retry_queued: number;
  attempts: number;
  last_error: string | null;
  type: string;
  data: string;
  created_at: number;
  payload_expunged_at: number | null;
  ordering_key: string | null;
}

/**
 * The next stream positions after `afterSeq`; returns the last position it looked at. For a FIFO endpoint each
 * position says whether its key is blocked (has a job or is halted), so the owner parks it instead of sending it.
 */
function fetchStream(
  ctx: SqliteContext,
  endpointId: string,
  afterSeq: number,
  limit: number,
  fifo: boolean,
  work: WorkItem[],
  skipped: SkippedSeq[],
): number {
  if (limit <= 0) return afterSeq;
  const rows = ctx
    .sql(
      `SELECT d.id, d.tenant_id, d.event_id, d.seq, d.status, d.retry_queued, d.attempts, d.last_error,
         e.type, e.data, e.created_at, e.payload_expunged_at, e.ordering_key
       FROM deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
       WHERE d.endpoint_id = ? AND d.seq > ? AND d.seq <= ? ORDER BY d.seq LIMIT ?`,
    )
    // Stream positions are dense, so the next `limit` of them are a closed range (as on PostgreSQL).
    .all(endpointId, afterSeq, afterSeq + limit, limit) as StreamRow[];
  for (const r of rows) {
    if (r.status !== "pending" || r.retry_queued === 1 || r.payload_expunged_at !== null) {
      skipped.push({ endpointId, seq: r.seq });
      continue;
    }
    work.push({
      orderingKey: r.ordering_key,
      blocked: fifo && keyBlocked(ctx, endpointId, lineKey(r.ordering_key)),
      deliveryId: r.id,
      tenantId: r.tenant_id,
      eventId: r.event_id,
      endpointId,
      source: { kind: "stream", seq: r.seq },
      seq: r.seq,
      attempts: r.attempts,
      cycleAttempts: 0,
      hadFailure: r.last_error !== null,
      event: { type: r.type, dataJson: r.data, createdAt: r.created_at },
    });
  }
  return rows.at(-1)?.seq ?? afterSeq;
}

interface JobRow {
  run_at: number;
  delivery_id: string;
  tenant_id: string;
  event_id: string;
  attempts: number;
  cycle_attempts: number;
  seq: number | null;
  status: string | null;
  last_error: string | null;
  type: string | null;
  data: string | null;
  created_at: number | null;
  payload_expunged_at: number | null;
  ordering_key: string | null;
}

/** Due jobs the owner does not hold yet; jobs whose delivery was settled meanwhile are deleted on the way. */
function fetchJobs(ctx: SqliteContext, endpointId: string, now: number, r: Pick<Refill, "jobLimit" | "heldJobs">, work: WorkItem[]): void {
  if (r.jobLimit <= 0) return;
  const held = new Set(r.heldJobs);
  const rows = ctx
    .sql(
      `SELECT j.run_at, j.delivery_id, j.tenant_id, j.event_id, j.attempts, j.cycle_attempts, d.seq, d.status, d.last_error,
         e.type, e.data, e.created_at, e.payload_expunged_at, e.ordering_key
       FROM delivery_jobs j
       LEFT JOIN deliveries d ON d.tenant_id = j.tenant_id AND d.id = j.delivery_id
       LEFT JOIN events e ON e.tenant_id = j.tenant_id AND e.id = j.event_id
       WHERE j.endpoint_id = ? AND j.run_at <= ? ORDER BY j.run_at LIMIT ?`,
    )
    .all(endpointId, now, r.jobLimit + held.size) as JobRow[];
  let taken = 0;
  for (const j of rows) {
    if (held.has(j.delivery_id)) continue;
    const live = (j.status === "pending" || j.status === "failed") && j.payload_expunged_at === null && j.type !== null;
    if (!live) {
      ctx.sql("DELETE FROM delivery_jobs WHERE endpoint_id = ? AND run_at = ? AND delivery_id = ?").run(endpointId, j.run_at, j.delivery_id);
      continue;
    }
    if (taken >= r.jobLimit) break;
    taken++;
    work.push({
      orderingKey: j.ordering_key,
      blocked: false,
      deliveryId: j.delivery_id,
      tenantId: j.tenant_id,
      eventId: j.event_id,
      endpointId,
      source: { kind: "job", runAt: j.run_at },
      seq: j.seq ?? 0,
      attempts: j.attempts,
      cycleAttempts: j.cycle_attempts,
      hadFailure: j.last_error !== null,
      event: { type: j.type ?? "", dataJson: j.data ?? "", createdAt: j.created_at ?? 0 },
    });
  }
}

function readConfig(ctx: SqliteContext, endpointId: string): EndpointConfig | null {
  const row = ctx
    .sql(
      `SELECT ep.*, s.reset_at FROM endpoints ep JOIN endpoint_state s ON s.endpoint_id = ep.id WHERE ep.id = ?`,
    )
    .get(endpointId) as ConfigRow | undefined;
  return row ? toEndpointConfig(row) : null;
}

// ---- FIFO lines (docs/architecture.md, "Ordering") ---------------------------------------------------------------

/** A key is blocked while it has a job (a retry, a replay, a parked delivery) or is halted. */
function keyBlocked(ctx: SqliteContext, endpointId: string, key: string): boolean {
  return (
    ctx
      .sql(
        `SELECT EXISTS (SELECT 1 FROM delivery_jobs WHERE endpoint_id = @e AND ordering_key = @k)
           OR EXISTS (SELECT 1 FROM ordering_halts WHERE endpoint_id = @e AND ordering_key = @k) AS b`,
      )
      .get({ e: endpointId, k: key }) as { b: number }
  ).b === 1;
}

/** Parks a fresh FIFO delivery as a never-due job of its key; the stream skips it from now on. */
function parkDelivery(ctx: SqliteContext, p: Park): void {
  const marked = ctx
    .sql("UPDATE deliveries SET retry_queued = 1 WHERE tenant_id = ? AND id = ? AND status = 'pending' AND retry_queued = 0")
    .run(p.tenantId, p.deliveryId).changes;
  if (marked !== 1) return;
  ctx
    .sql(
      `INSERT INTO delivery_jobs (endpoint_id, run_at, delivery_id, tenant_id, event_id, attempts, cycle_attempts, ordering_key, seq)
       VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
    )
    .run(p.owner.endpointId, PARKED_RUN_AT, p.deliveryId, p.tenantId, p.eventId, p.attempts, p.fifoKey, p.seq);
}

function haltKey(ctx: SqliteContext, endpointId: string, key: string, tenantId: string, deliveryId: string, now: number): void {
  ctx
    .sql(
      `INSERT INTO ordering_halts (endpoint_id, ordering_key, tenant_id, delivery_id, halted_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    )
    .run(endpointId, key, tenantId, deliveryId, now);
}

/**
 * Makes the key's lowest parked delivery due, unless the key still has a job that is not parked (a retry waiting)
 * or is halted. Also used by the tenant's release of a halted key (ordering.ts).
 */
export function releaseNextParked(ctx: SqliteContext, endpointId: string, key: string, now: number): boolean {
  return (
    ctx
      .sql(
        `UPDATE delivery_jobs SET run_at = @now
         WHERE rowid = (SELECT rowid FROM delivery_jobs WHERE endpoint_id = @e AND ordering_key = @k AND run_at = @parked
                        ORDER BY seq LIMIT 1)
           AND NOT EXISTS (SELECT 1 FROM delivery_jobs WHERE endpoint_id = @e AND ordering_key = @k AND run_at < @parked)
           AND NOT EXISTS (SELECT 1 FROM ordering_halts WHERE endpoint_id = @e AND ordering_key = @k)`,
      )
      .run({ now, e: endpointId, k: key, parked: PARKED_RUN_AT }).changes === 1
  );
}
