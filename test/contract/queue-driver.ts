/**
 * Plays a delivery worker against the queue port, through the same cycle() calls the real worker makes: takes
 * endpoints over, receives their work, records outcomes with the stream acks a worker would send, and releases them.
 * The contract suites use it to drive the production path step by step, at the times they choose.
 */
import type { Attempt, AttemptOutcome } from "../../src/domain/types.ts";
import type {
  CycleInput,
  CycleResult,
  EndpointConfig,
  Outcome,
  Ownership,
  QueuePort,
  WorkItem,
} from "../../src/store/ports/queue.ts";

/** Fixture endpoints time out after 15 s; with this margin an ownership lasts 30 s. */
export const MARGIN = 15_000;
export const OWNERSHIP = 30_000;

interface Held {
  owner: Ownership;
  config: EndpointConfig;
  ackedSeq: number;
  streamEnd: number;
  outstanding: Set<number>;
  heldJobs: Set<string>;
}

export interface OutcomeShape {
  /** HTTP status of the answer (2xx succeeds), or null when none came. */
  status: number | null;
  errorClass?: Attempt["errorClass"];
  durationMs?: number;
  responseBody?: string | null;
  startedAt?: number;
  outcome?: AttemptOutcome;
  /** Default: succeeded for a 2xx, else failed with a retry at `retryAt` (default: now). */
  deliveryStatus?: Outcome["status"];
  retryAt?: number;
  /** No HTTP attempt at all. */
  noAttempt?: boolean;
}

export class QueueDriver {
  readonly held = new Map<string, Held>();
  last: CycleResult | null = null;

  constructor(
    private readonly queue: QueuePort,
    readonly worker = "worker-a",
  ) {}

  private base(now: number): CycleInput {
    return {
      worker: this.worker,
      now,
      outcomes: [],
      acks: [],
      states: [],
      disables: [],
      renewals: [],
      releases: [],
      refills: [],
      takeover: null,
    };
  }

  /** Runs one cycle and keeps the driver's view of ownership in step with it. */
  async cycle(input: CycleInput): Promise<CycleResult> {
    const result = await this.queue.cycle(input);
    this.last = result;
    for (const o of input.outcomes) {
      const h = this.held.get(o.owner.endpointId);
      if (!h || result.lost.includes(o.owner.endpointId)) continue;
      if (o.source.kind === "stream") h.outstanding.delete(o.source.seq);
      else h.heldJobs.delete(o.deliveryId);
    }
    for (const p of input.parks ?? []) {
      if (!result.lost.includes(p.owner.endpointId)) this.held.get(p.owner.endpointId)?.outstanding.delete(p.seq);
    }
    for (const a of input.acks) {
      const h = this.held.get(a.owner.endpointId);
      if (h) h.ackedSeq = Math.max(h.ackedSeq, a.seq);
    }
    for (const r of input.releases) this.held.delete(r.owner.endpointId);
    for (const id of result.lost) this.held.delete(id);
    for (const t of result.taken) {
      this.held.set(t.owner.endpointId, {
        owner: t.owner,
        config: t.config,
        ackedSeq: t.ackedSeq,
        streamEnd: t.ackedSeq,
        outstanding: new Set(),
        heldJobs: new Set(),
      });
    }
    for (const c of result.configs) {
      const h = this.held.get(c.endpointId);
      if (h) h.config = c;
    }
    for (const w of result.work) {
      const h = this.held.get(w.endpointId);
      if (!h) continue;
      if (w.source.kind === "stream") h.outstanding.add(w.source.seq);
      else h.heldJobs.add(w.deliveryId);
    }
    for (const e of result.streamEnds) {
      const h = this.held.get(e.endpointId);
      if (h) h.streamEnd = Math.max(h.streamEnd, e.seq);
    }
    return result;
  }

  /**
   * Takes over due endpoints and refills the ones held: the work a worker would start now.
   * @param limit work per endpoint (stream and jobs each)
   */
  async take(now: number, opts: { count?: number; limit?: number } = {}): Promise<WorkItem[]> {
    const limit = opts.limit ?? 100;
    const input = this.base(now);
    for (const h of this.held.values()) {
      input.refills.push({
        owner: h.owner,
        afterSeq: h.streamEnd,
        streamLimit: limit,
        jobLimit: limit,
        heldJobs: [...h.heldJobs],
        configVersion: h.config.version,
        fifo: h.config.ordering === "fifo",
      });
    }
    input.takeover = { count: opts.count ?? 100, leaseMarginMs: MARGIN, streamLimit: limit, jobLimit: limit };
    return (await this.cycle(input)).work;
  }

  /** Records outcomes, with the stream acks and releases of endpoints left with nothing, as the worker would. */
  async record(
    outcomes: Outcome[],
    now: number,
    opts: { release?: boolean | "idle"; disables?: CycleInput["disables"]; parks?: WorkItem[] } = {},
  ): Promise<CycleResult> {
    const input = this.base(now);
    input.outcomes = outcomes;
    // FIFO: stream items whose line is blocked become parked jobs; they are done as stream positions.
    input.parks = (opts.parks ?? []).map((w) => ({
      owner: this.ownerOf(w.endpointId),
      tenantId: w.tenantId,
      deliveryId: w.deliveryId,
      eventId: w.eventId,
      seq: w.seq,
      fifoKey: w.orderingKey ?? "",
      attempts: w.attempts,
    }));
    input.disables = opts.disables ?? [];
    const recorded = new Map<string, Set<number>>();
    const jobs = new Map<string, Set<string>>();
    for (const w of opts.parks ?? []) {
      if (w.source.kind !== "stream") continue;
      recorded.set(w.endpointId, (recorded.get(w.endpointId) ?? new Set()).add(w.source.seq));
    }
    for (const o of outcomes) {
      if (o.source.kind !== "stream") {
        jobs.set(o.owner.endpointId, (jobs.get(o.owner.endpointId) ?? new Set()).add(o.deliveryId));
        continue;
      }
      const set = recorded.get(o.owner.endpointId) ?? new Set();
      set.add(o.source.seq);
      recorded.set(o.owner.endpointId, set);
    }
    for (const h of this.held.values()) {
      const done = recorded.get(h.owner.endpointId) ?? new Set();
      const open = [...h.outstanding].filter((s) => !done.has(s));
      const ack = open.length > 0 ? Math.min(...open) - 1 : h.streamEnd;
      if (ack > h.ackedSeq) input.acks.push({ owner: h.owner, seq: ack });
      const jobsLeft = [...h.heldJobs].filter((id) => !(jobs.get(h.owner.endpointId) ?? new Set()).has(id));
      // "idle": give back only endpoints with nothing left in hand, as a worker does.
      const idle = open.length === 0 && jobsLeft.length === 0;
      if (opts.release === true || (opts.release === "idle" && idle)) input.releases.push({ owner: h.owner, notBefore: now });
    }
    return this.cycle(input);
  }

  /** Gives every held endpoint back. */
  async releaseAll(now: number, notBefore = now): Promise<CycleResult> {
    const input = this.base(now);
    for (const h of this.held.values()) input.releases.push({ owner: h.owner, notBefore });
    return this.cycle(input);
  }

  ownerOf(endpointId: string): Ownership {
    const h = this.held.get(endpointId);
    if (!h) throw new Error(`${this.worker} does not hold ${endpointId}`);
    return h.owner;
  }

  /** The outcome a worker would write for one attempt of `item`. */
  outcome(item: WorkItem, now: number, shape: OutcomeShape, over: Partial<Outcome> = {}): Outcome {
    const ok = shape.status !== null && shape.status >= 200 && shape.status < 300;
    const errorClass = ok ? null : (shape.errorClass ?? "http_status");
    const error = ok ? null : shape.status !== null ? `HTTP ${shape.status}` : `${errorClass} failure`;
    const status = shape.deliveryStatus ?? (ok ? "succeeded" : "failed");
    const attempts = shape.noAttempt ? item.attempts : item.attempts + 1;
    return {
      owner: this.ownerOf(item.endpointId),
      tenantId: item.tenantId,
      deliveryId: item.deliveryId,
      eventId: item.eventId,
      source: item.source,
      attempt: shape.noAttempt
        ? null
        : {
            id: `atm_${item.deliveryId}_${attempts}`,
            deliveryId: item.deliveryId,
            attempt: attempts,
            startedAt: shape.startedAt ?? now,
            durationMs: shape.durationMs ?? 5,
            statusCode: shape.status,
            responseBody: shape.responseBody ?? null,
            error,
            errorClass,
            outcome: shape.outcome ?? (ok ? "success" : status === "dead" ? "permanent" : "retry"),
            timeoutMs: 15_000,
          },
      status,
      nextAttemptAt: status === "failed" ? (shape.retryAt ?? now) : null,
      attempts,
      cycleAttempts: item.cycleAttempts + (shape.noAttempt ? 0 : 1),
      lastStatusCode: shape.status,
      lastError: error,
      now,
      hadFailure: item.hadFailure,
      ...over,
    };
  }

  /** Takes whatever is due and records the same outcome for all of it. */
  async settleAll(now: number, shape: OutcomeShape): Promise<WorkItem[]> {
    const work = await this.take(now);
    if (work.length > 0) await this.record(work.map((w) => this.outcome(w, now + 1, shape)), now + 1);
    return work;
  }
}
