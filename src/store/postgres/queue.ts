/**
 * The queue port on PostgreSQL. A cycle is one call of hookd_cycle (migration 000015): one round trip, one
 * transaction, whatever the batch holds. Only a cycle that may record operational events (a delivery dead, one
 * recovered after a failure, an endpoint disabled) runs in an explicit transaction, so that those events, and their
 * forwarding to the operator webhook, commit with the outcomes that caused them; they are rare by nature.
 */
import { parseEndpointState } from "../../domain/endpoint-state.ts";
import { newOperationalEvent, type OperationalEvent } from "../../domain/operational-events.ts";
import { statsCell } from "../attempt-stats-columns.ts";
import { attemptOperationalEvents } from "../plan/outcome-events.ts";
import type { CycleInput, CycleResult, Outcome, QueuePort, TakenEndpoint, WorkItem } from "../ports/queue.ts";
import { type ConfigRow, toEndpointConfig } from "../queue-rows.ts";
import type { PostgresContext } from "./context.ts";
import { insertOperationalEvents } from "./operational-events.ts";
import { inTransaction, withClient } from "./pool.ts";
import { ENDPOINTS_CHANNEL } from "./work-listener.ts";

interface CycleAnswer {
  lost: string[];
  landed: string[];
  disabled: { e: string; t: string }[];
  taken: { e: string; ep: number; acked: number; until: number }[];
  states: { e: string; data: string }[];
  configs: ConfigRow[];
  work: WorkRow[];
  ends: { e: string; seq: number }[];
  next_due: number | null;
}

type WorkRow =
  | { k: "s"; e: string; d: string; t: string; ev: string; seq: number; live: boolean; a: number; hf: boolean; ty: string; data: string; ca: number; ok: string | null; bl: boolean }
  | { k: "j"; e: string; d: string; t: string; ev: string; run: number; seq: number | null; live: boolean; a: number; c: number; hf: boolean; ty: string | null; data: string | null; ca: number | null; ok: string | null };

export function postgresQueue(ctx: PostgresContext): QueuePort {
  /** Jobs found stale by a refill (their delivery settled meanwhile), deleted by the next cycle. */
  let stale: { e: string; run: number; d: string }[] = [];

  return {
    async cycle(input) {
      const mayRecordEvents = input.disables.length > 0 || input.outcomes.some((o) => attemptOperationalEvents(o).length > 0);
      const staleNow = stale;
      stale = [];
      const param = JSON.stringify(cycleParam(input, ctx.statsShard, staleNow));
      let answer: CycleAnswer;
      try {
        if (!mayRecordEvents) {
          answer = await withClient(ctx.pool, async (client) => {
            const { rows } = await client.query<{ r: CycleAnswer }>({ name: "hookd_cycle", text: "SELECT hookd_cycle($1::jsonb) AS r", values: [param] });
            return rows[0]!.r;
          });
        } else {
          answer = await inTransaction(ctx.pool, async (client) => {
            const { rows } = await client.query<{ r: CycleAnswer }>({ name: "hookd_cycle", text: "SELECT hookd_cycle($1::jsonb) AS r", values: [param] });
            const r = rows[0]!.r;
            const landed = new Set(r.landed);
            // An endpoint.disabled comes before the delivery.dead of the attempt that caused it.
            const ops: OperationalEvent[] = [];
            for (const d of r.disabled) {
              const asked = input.disables.find((x) => x.owner.endpointId === d.e);
              const subject = { tenantId: d.t, endpointId: d.e, ...(asked?.cause ?? {}) };
              ops.push(newOperationalEvent("endpoint.disabled", subject, { reason: asked?.reason ?? "" }, input.now));
              await client.query("SELECT pg_notify($1, $2)", [ENDPOINTS_CHANNEL, d.t]);
            }
            ops.push(...input.outcomes.filter((o) => landed.has(o.deliveryId)).flatMap(attemptOperationalEvents));
            await insertOperationalEvents(ctx, client, ops);
            return r;
          });
        }
      } catch (err) {
        stale = [...staleNow, ...stale];
        throw err;
      }
      for (const d of answer.disabled) ctx.subscriptions.invalidate(d.t);
      return toResult(answer, (s) => stale.push(s));
    },

    subscribeWork(onWork) {
      ctx.listen();
      ctx.work.on("work", onWork);
      // A new subscriber looks for work at once: anything due before it subscribed was signalled to nobody.
      setImmediate(onWork);
      return () => ctx.work.off("work", onWork);
    },

    subscribeEndpointChanges(onChange) {
      ctx.listen();
      ctx.work.on("endpoints", onChange);
      return () => ctx.work.off("endpoints", onChange);
    },
  };
}

function cycleParam(input: CycleInput, shard: number, stale: { e: string; run: number; d: string }[]) {
  const owners = new Map<string, number>();
  for (const x of [...input.outcomes, ...(input.parks ?? []), ...input.acks, ...input.states, ...input.disables, ...input.renewals, ...input.releases, ...input.refills]) {
    owners.set(x.owner.endpointId, x.owner.epoch);
  }
  return {
    worker: input.worker,
    now: input.now,
    shard,
    owners: [...owners].map(([e, ep]) => ({ e, ep })),
    parks: (input.parks ?? []).map((k) => ({
      e: k.owner.endpointId,
      t: k.tenantId,
      d: k.deliveryId,
      ev: k.eventId,
      seq: k.seq,
      k: k.fifoKey,
      a: k.attempts,
    })),
    outcomes: input.outcomes.map(outcomeParam),
    acks: input.acks.map((a) => ({ e: a.owner.endpointId, seq: a.seq })),
    states: input.states.map((s) => ({ e: s.owner.endpointId, data: JSON.stringify(s.state) })),
    disables: input.disables.map((d) => ({ e: d.owner.endpointId, reason: d.reason })),
    renewals: input.renewals.map((r) => ({ e: r.owner.endpointId, until: r.until })),
    releases: input.releases.map((r) => ({ e: r.owner.endpointId, nb: r.notBefore })),
    refills: input.refills.map((r) => ({
      e: r.owner.endpointId,
      after: r.afterSeq,
      sl: r.streamLimit,
      jl: r.jobLimit,
      held: r.heldJobs,
      ver: r.configVersion,
      fifo: r.fifo === true,
    })),
    stale,
    takeover: input.takeover && {
      count: input.takeover.count,
      margin: input.takeover.leaseMarginMs,
      sl: input.takeover.streamLimit,
      jl: input.takeover.jobLimit,
    },
  };
}

function outcomeParam(o: Outcome) {
  const cell = o.attempt ? statsCell(o.attempt) : null;
  const a = o.attempt;
  return {
    e: o.owner.endpointId,
    t: o.tenantId,
    d: o.deliveryId,
    ev: o.eventId,
    sk: o.source.kind,
    run: o.source.kind === "job" ? o.source.runAt : null,
    st: o.status,
    n: o.nextAttemptAt,
    a: o.attempts,
    c: o.cycleAttempts,
    code: o.lastStatusCode,
    err: o.lastError,
    at: o.now,
    att: a && {
      id: a.id,
      attempt: a.attempt,
      started_at: a.startedAt,
      duration_ms: a.durationMs,
      status_code: a.statusCode,
      response_body: a.responseBody,
      error: a.error,
      error_class: a.errorClass,
      outcome: a.outcome,
      timeout_ms: a.timeoutMs,
      request_url: a.requestUrl ?? null,
      request_headers: a.requestHeaders ?? null,
      response_headers: a.responseHeaders ?? null,
    },
    mi: cell?.minute ?? null,
    cl: cell?.classIndex ?? null,
    bu: cell?.bucketIndex ?? null,
    fk: o.fifoKey ?? null,
    sq: o.seq ?? null,
    hl: o.halt === true,
  };
}

function toResult(r: CycleAnswer, onStale: (s: { e: string; run: number; d: string }) => void): CycleResult {
  const states = new Map(r.states.map((s) => [s.e, s.data]));
  const configs = r.configs.map(toEndpointConfig);
  const configOf = new Map(configs.map((c) => [c.endpointId, c]));
  const taken: TakenEndpoint[] = [];
  for (const t of r.taken) {
    const config = configOf.get(t.e);
    if (!config) continue;
    taken.push({
      owner: { endpointId: t.e, epoch: t.ep },
      config,
      state: parseEndpointState(states.get(t.e) ?? "{}"),
      ackedSeq: t.acked,
      ownedUntil: t.until,
    });
  }
  const takenIds = new Set(r.taken.map((t) => t.e));
  const work: WorkItem[] = [];
  for (const w of r.work) {
    if (!w.live) {
      if (w.k === "j") onStale({ e: w.e, run: w.run, d: w.d });
      continue;
    }
    work.push({
      deliveryId: w.d,
      tenantId: w.t,
      eventId: w.ev,
      endpointId: w.e,
      source: w.k === "s" ? { kind: "stream", seq: w.seq } : { kind: "job", runAt: w.run },
      seq: Number(w.seq ?? 0),
      orderingKey: w.ok ?? null,
      blocked: w.k === "s" && w.bl === true,
      attempts: w.a,
      cycleAttempts: w.k === "j" ? w.c : 0,
      hadFailure: w.hf,
      event: { type: w.ty ?? "", dataJson: w.data ?? "", createdAt: w.ca ?? 0 },
    });
  }
  return {
    lost: r.lost,
    taken,
    configs: configs.filter((c) => !takenIds.has(c.endpointId)),
    work,
    skipped: r.work.filter((w) => w.k === "s" && !w.live).map((w) => ({ endpointId: w.e, seq: (w as { seq: number }).seq })),
    streamEnds: r.ends.map((e) => ({ endpointId: e.e, seq: Number(e.seq) })),
    disabled: r.disabled.map((d) => d.e),
    nextDueAt: r.next_due === null ? null : Number(r.next_due),
  };
}
