/**
 * The delivery worker. It owns endpoints (store/ports/queue.ts) and runs two loops over them:
 *
 * - The send pump, whenever a request finishes or work arrives: round robin over tenants, and within a tenant over
 *   its endpoints, it starts one request at a time from an endpoint that may send now: work waiting, under its
 *   concurrency limit, admitted by its isolation rules, owned long enough for the request to finish, and room in the
 *   worker's capacity (delivery/capacity.ts). Nothing here waits on the database.
 * - The cycle loop, one cycle at a time: everything that finished since the last cycle is recorded in the next one,
 *   together with stream acks, state write-backs, renewals, releases, refills and takeovers (one transaction). While
 *   a cycle runs, outcomes accumulate, so the busier the worker, the larger the batch: group commit without a timer.
 *
 * Back-pressure: a worker sends only what it fetched and fetches only a little ahead of what it can send, so a slow
 * database slows delivery down and never makes the worker claim more than it records. A request is started only
 * when ownership lasts beyond its timeout; if the cycles that renew ownership stall, sending stops instead of risking
 * a second owner sending the same delivery.
 *
 * Shutdown: stop taking endpoints and starting requests, let in-flight requests finish for up to the grace period,
 * abort the rest (nothing is recorded for them: whoever owns the endpoint next sends them again), then one last cycle
 * records every outcome and gives every endpoint back.
 */
import { randomUUID } from "node:crypto";
import { initialEndpointState } from "../domain/endpoint-state.ts";
import type { Logger } from "pino";
import type { Dispatcher } from "undici";
import { type Sample, nextLimit } from "../isolation/concurrency-limit.ts";
import type { EndpointIsolation } from "../isolation/policy.ts";
import type { DeliveryObserver } from "../observability/metrics.ts";
import type { EgressPolicy } from "../outbound/egress-policy.ts";
import type { SecretBox } from "../secrets/secret-box.ts";
import type { CycleInput, CycleResult, Outcome, QueuePort, WorkItem } from "../store/ports/queue.ts";
import { type AttemptRun, runAttempt } from "./attempt.ts";
import { Capacity } from "./capacity.ts";
import type { ClaimedDelivery } from "./claimed.ts";
import { EndpointAuth } from "./endpoint-auth.ts";
import { EndpointLane } from "./lane.ts";
import { lineKey } from "../domain/ordering.ts";
import { RequestSigner } from "./sign-request.ts";
import { WakeSignal } from "./wake-signal.ts";

export interface WorkerOptions {
  queue: QueuePort;
  dispatcher: Dispatcher;
  policy: EgressPolicy;
  /** Relay endpoints' requests go out here (outbound/relay-egress.ts); the worker closes it when it stops. */
  relayDispatcher?: Dispatcher | undefined;
  /** Opens the endpoints' encrypted signing secrets. */
  secretBox: SecretBox;
  /** Signs requests (and thin deliveries' payload URLs); default: a signer over secretBox without payload URLs. */
  signer?: RequestSigner;
  log: Logger;
  /** Young requests at once (delivery/capacity.ts). */
  concurrency: number;
  /** Open requests at once, young or not; default 16 x concurrency. */
  maxOpen?: number;
  /** Open requests at once for one tenant; default a quarter of maxOpen, at least concurrency. */
  tenantMaxOpen?: number;
  /** Endpoints owned at once; default 1024. */
  maxEndpoints?: number;
  /** Bytes of event data fetched ahead and waiting, across all endpoints; default 32 MB. */
  prefetchBytes?: number;
  leaseMarginMs: number;
  pollIntervalMs: number;
  shutdownGraceMs: number;
  retryScheduleS: readonly number[];
  isolation: EndpointIsolation;
  /** Told about every attempt (metrics); delivery code itself knows nothing of Prometheus. */
  observer?: DeliveryObserver;
  now?: () => number;
}

/** Isolation state is written back at most this often while it only drifts (latencies, tokens). */
const STATE_WRITE_MS = 1_000;
/** Endpoints taken over per cycle at most. */
const TAKEOVER_BATCH = 32;
/** An endpoint blocked (open breaker, pause) for longer than this is given back rather than held. */
const HOLD_BLOCKED_MS = 1_000;
/**
 * Outcomes alone wait up to this long, or until this many are pending, before a cycle records them: a cycle per
 * outcome made a transaction per delivery on SQLite, where cycles are quick enough to run after every answer.
 * Anything else a cycle is for (an endpoint running low on work, a takeover, a release, a renewal, a breaker
 * change) starts one at once and takes the waiting outcomes along.
 */
const RECORD_DELAY_MS = 10;
/**
 * Fetched work holds its event's data until it is sent. Across all its endpoints a worker keeps at most this much of
 * it waiting, so a thousand endpoints with 256 KB events cannot fill the heap; an endpoint with nothing at all in
 * hand may always fetch one item, so every endpoint makes progress.
 */
const PREFETCH_BYTES = 32 * 1024 * 1024;
/** Work fetched with an endpoint taken over, at most (fewer when the prefetch budget is short). */
const FIRST_FETCH = 8;
/** What the first fetch assumes an unknown endpoint's items may weigh (a 256 KB event is the largest). */
const FIRST_FETCH_ITEM_BYTES = 256 * 1024;
const RECORD_BATCH = 128;
/** How fast a slow cycle is forgotten: its weight in ownership margins halves every this many ms. */
const SLOW_CYCLE_HALF_LIFE_MS = 10_000;

interface FetchBudget {
  bytes: number;
  startable: number;
}

interface Recorded {
  seqs: Set<number>;
  jobs: Set<string>;
}

const NONE: Recorded = { seqs: new Set(), jobs: new Set() };

/** A cycle's input and what applying its result needs to know about how it was built. */
interface BuiltCycle {
  input: CycleInput;
  taken: Pending[];
  parks: PendingPark[];
  /** State write-backs: endpoint id to the lane's state sequence written. */
  written: Map<string, number>;
  /** Lanes that asked for their config because their endpoint changed, with the change count asked for. */
  configsAsked: Map<EndpointLane, number>;
}

interface Pending {
  lane: EndpointLane;
  item: WorkItem;
  outcome: Outcome;
}

/** A FIFO stream item to park (its line is blocked), recorded by the next cycle. */
interface PendingPark {
  lane: EndpointLane;
  item: WorkItem;
}

export class DeliveryWorker {
  readonly id = randomUUID();
  private running = false;
  private stopping = false;
  private readonly lanes = new Map<string, EndpointLane>();
  /** Tenants in round-robin order, each with its lanes in round-robin order. */
  private readonly tenants = new Map<string, EndpointLane[]>();
  private tenantCursor = 0;
  private pending: Pending[] = [];
  private parks: PendingPark[] = [];
  /** How long a cycle takes, leaning to the slowest recent one (cycleTook), and when that was last updated. */
  private slowCycleMs = 0;
  private slowCycleAt = 0;
  /** Tenants whose endpoints changed since the current cycle was built (null: any tenant). */
  private readonly changedDuringCycle = new Set<string | null>();
  /** Bytes of fetched work waiting in all lanes (EndpointLane.queuedBytes summed). */
  private queuedBytes = 0;
  /** When the oldest outcome in `pending` finished. */
  private pendingSince = 0;
  /** Where the next cycle starts handing out the fetch budget. */
  private refillCursor = 0;
  private readonly capacity: Capacity;
  private readonly cycleWake = new WakeSignal();
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private unsubscribe: (() => void) | null = null;
  private readonly now: () => number;
  private readonly signer: RequestSigner;
  /** OAuth2 tokens and mTLS agents of the endpoints this worker sends to (per process). */
  private readonly auth: EndpointAuth;
  private readonly maxEndpoints: number;
  private readonly prefetchBytes: number;
  /** Work arrived that nobody owns: take over in the next cycle. */
  private workSignal = true;
  private nextDueAt: number | null = null;
  private lastTakeoverAt = 0;
  private lastRefillAt = 0;
  private pumpTimer: NodeJS.Timeout | null = null;
  private pumpTimerAt = Number.POSITIVE_INFINITY;

  constructor(private readonly opts: WorkerOptions) {
    this.now = opts.now ?? Date.now;
    this.signer = opts.signer ?? new RequestSigner(opts.secretBox);
    this.auth = new EndpointAuth({ box: opts.secretBox, dispatcher: opts.dispatcher, policy: opts.policy, now: this.now });
    const maxOpen = opts.maxOpen ?? opts.concurrency * 16;
    this.capacity = new Capacity({
      active: opts.concurrency,
      open: maxOpen,
      perTenant: opts.tenantMaxOpen ?? Math.max(opts.concurrency, Math.floor(maxOpen / 4)),
    });
    this.maxEndpoints = opts.maxEndpoints ?? 1024;
    this.prefetchBytes = opts.prefetchBytes ?? PREFETCH_BYTES;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const offWork = this.opts.queue.subscribeWork(() => {
      this.workSignal = true;
      this.cycleWake.notify();
    });
    const offEndpoints = this.opts.queue.subscribeEndpointChanges((tenantId) => this.endpointsChanged(tenantId));
    this.unsubscribe = () => {
      offWork();
      offEndpoints();
    };
    this.loop = this.cycleLoop();
  }

  /**
   * An endpoint of the tenant changed (disabled, edited, secret rotated, deleted): its owned lanes send nothing more
   * until a cycle, started at once, has brought their current configs. Work fetched before a disable is not sent.
   */
  private endpointsChanged(tenantId: string | null): void {
    const lanes = tenantId === null ? [...this.lanes.values()] : (this.tenants.get(tenantId) ?? []);
    for (const lane of lanes) lane.configWanted++;
    this.changedDuringCycle.add(tenantId);
    if (lanes.length > 0) this.cycleWake.notify();
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  get ownedEndpoints(): number {
    return this.lanes.size;
  }

  /** Bytes of event data fetched and waiting to be sent, across all endpoints (the prefetch budget's measure). */
  get prefetchedBytes(): number {
    return this.queuedBytes;
  }

  // ---- the send pump ----------------------------------------------------------------------------------------------

  private pump(): void {
    if (!this.running || this.stopping) return;
    const now = this.now();
    let wakeAt = Number.POSITIVE_INFINITY;
    const tenants = [...this.tenants.keys()];
    let progress = true;
    let refused = false;
    while (progress && this.capacity.hasRoom(now)) {
      progress = false;
      for (let i = 0; i < tenants.length && this.capacity.hasRoom(now); i++) {
        const tenantId = tenants[(this.tenantCursor + i) % tenants.length]!;
        const lanes = this.tenants.get(tenantId);
        if (!lanes || lanes.length === 0) continue;
        if (!this.capacity.canStart(tenantId, now)) {
          refused = true;
          continue;
        }
        for (let k = 0; k < lanes.length; k++) {
          const lane = lanes[0]!;
          // Rotate: the lane looked at goes to the back, so the tenant's next turn starts with another one.
          lanes.push(lanes.shift()!);
          const verdict = this.sendOne(lane, now);
          if (verdict === "sent") {
            progress = true;
            break;
          }
          if (typeof verdict === "number") wakeAt = Math.min(wakeAt, verdict);
        }
      }
      this.tenantCursor = (this.tenantCursor + 1) % Math.max(1, tenants.length);
    }
    // Full, or a tenant held to its share (the reserve of young slots): look again when the oldest young request
    // stops counting, not only when a request ends or a cycle runs.
    if (refused || !this.capacity.hasRoom(now)) wakeAt = Math.min(wakeAt, this.capacity.nextAgeAt() ?? wakeAt);
    this.schedulePump(wakeAt);
  }

  private schedulePump(at: number): void {
    if (!Number.isFinite(at) || at >= this.pumpTimerAt) return;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimerAt = at;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = null;
      this.pumpTimerAt = Number.POSITIVE_INFINITY;
      this.pump();
    }, Math.max(1, at - this.now()));
    this.pumpTimer.unref?.();
  }

  /** Starts one request for the lane if it may; otherwise says nothing can go ("no") or when to look again. */
  private sendOne(lane: EndpointLane, now: number): "sent" | "no" | number {
    if (lane.lost || lane.config.disabled || lane.disableReason !== null || lane.configStale || lane.queued === 0) return "no";
    if (lane.inFlight >= lane.limit) return "no";
    const probeLeaseMs = lane.config.timeoutMs + this.opts.leaseMarginMs;
    const admission = this.opts.isolation.admit(lane.state, lane.config.rateLimitPerS, lane.config.timeoutMs, now, probeLeaseMs);
    if (admission.kind === "wait") return admission.until;
    // The request must be able to finish (and its outcome be recorded) while this worker still owns the endpoint.
    // A slow database delays that recording by up to a cycle: the request must leave that much more time.
    if (now + admission.timeoutMs + this.opts.leaseMarginMs / 2 + this.slowCycleMs > lane.ownedUntil) return "no";
    const before = lane.queuedBytes;
    const item = lane.take();
    if (!item) return "no";
    this.queuedBytes += lane.queuedBytes - before;
    // Always a change: the written state carries the request count (the health API's in_flight), besides any
    // change admission made (a token spent, a probe started).
    lane.changeState(admission.state, admission.state.breaker !== lane.state.breaker);
    const limited = lane.queued > 0 && lane.inFlight + 1 >= lane.limit;
    lane.inFlight++;
    const done = this.capacity.start(lane.tenantId, now);
    const d: ClaimedDelivery = {
      id: item.deliveryId,
      tenantId: item.tenantId,
      eventId: item.eventId,
      endpointId: item.endpointId,
      seq: item.seq,
      attempts: item.attempts,
      cycleAttempts: item.cycleAttempts,
      event: item.event,
      endpoint: {
        type: lane.config.type,
        url: lane.config.url,
        signatureScheme: lane.config.signatureScheme,
        sealedSecret: lane.config.sealedSecret,
        previousSealedSecret: lane.config.previousSealedSecret,
        previousSecretExpiresAt: lane.config.previousSecretExpiresAt,
        headers: lane.config.headers,
        oauth2: lane.config.oauth2,
        mtls: lane.config.mtls,
        timeoutMs: admission.timeoutMs,
        retryScheduleS: lane.config.retryScheduleS,
        payloadMode: lane.config.payloadMode,
      },
    };
    const controller = new AbortController();
    this.controllers.add(controller);
    const task = runAttempt(d, controller, {
      dispatcher: this.opts.dispatcher,
      policy: this.opts.policy,
      signer: this.signer,
      auth: this.auth,
      retryScheduleS: this.opts.retryScheduleS,
      now: this.now,
      relayDispatcher: this.opts.relayDispatcher,
    })
      .then((run) => this.finished(lane, item, run, limited))
      .catch((err: unknown) => {
        // A bug, not a delivery failure: the item stays outstanding, so it is sent again by the endpoint's next owner.
        this.opts.log.error({ err, delivery_id: item.deliveryId, endpoint_id: item.endpointId }, "delivery processing failed");
        lane.inFlight = Math.max(0, lane.inFlight - 1);
        if (lane.fifo) lane.lineFinished(lineKey(item.orderingKey), false);
      })
      .finally(() => {
        this.controllers.delete(controller);
        this.inFlight.delete(task);
        done();
        this.pump();
      });
    this.inFlight.add(task);
    return "sent";
  }

  private finished(lane: EndpointLane, item: WorkItem, run: AttemptRun, limited: boolean): void {
    lane.inFlight--;
    if (run.kind === "aborted" || lane.lost) {
      if (lane.fifo) lane.lineFinished(lineKey(item.orderingKey), false);
      return;
    }
    const r = run.result;
    // FIFO: the line's next delivery may go once this one succeeded or died (and did not halt the key); a retry or
    // a halt keeps the line shut, and what waits in it here is parked.
    const halt = lane.fifo && r.status === "dead" && lane.config.fifoOnDead === "halt";
    const fifoKey = lane.fifo ? lineKey(item.orderingKey) : null;
    if (fifoKey !== null) {
      const before = lane.queuedBytes;
      for (const w of lane.lineFinished(fifoKey, r.status === "failed" || halt)) this.park(lane, w);
      this.queuedBytes += lane.queuedBytes - before;
    }
    const now = r.now;
    const before = lane.state;
    const observed = this.opts.isolation.observe(lane.state, r.attempt, r.endpointPauseMs, now);
    // A breaker that changed state or a new pause must reach the store (and other owners) now, not within a second.
    lane.changeState(observed.state, observed.state.breaker !== before.breaker || observed.state.pausedUntil !== before.pausedUntil);
    const disable = r.disableReason ?? observed.disableReason;
    if (disable !== null && lane.disableReason === null) {
      lane.disableReason = disable;
      lane.disableCause = r.disableReason !== null ? { deliveryId: item.deliveryId, eventId: item.eventId } : null;
    }
    const sample: Sample =
      r.attempt.errorClass === "timeout"
        ? { kind: "timeout" }
        : r.attempt.statusCode !== null
          ? { kind: "answered", durationMs: r.attempt.durationMs }
          : { kind: "failed" };
    lane.limit = nextLimit(lane.limit, lane.config.maxInFlight, sample, Math.min(...lane.state.recentMs), limited);
    if (this.pending.length === 0) this.pendingSince = now;
    this.pending.push({
      lane,
      item,
      outcome: {
        owner: lane.owner,
        tenantId: item.tenantId,
        deliveryId: item.deliveryId,
        eventId: item.eventId,
        source: item.source,
        attempt: r.attempt,
        status: r.status,
        nextAttemptAt: r.nextAttemptAt,
        attempts: r.attempts,
        cycleAttempts: r.cycleAttempts,
        lastStatusCode: r.lastStatusCode,
        lastError: r.lastError,
        now,
        hadFailure: item.hadFailure,
        seq: item.seq,
        fifoKey,
        halt,
      },
    });
    this.cycleWake.notify();
    this.opts.observer?.attempted({
      tenantId: item.tenantId,
      endpointId: item.endpointId,
      eventId: item.eventId,
      deliveryId: item.deliveryId,
      attempt: r.attempt.attempt,
      startedAt: r.attempt.startedAt,
      statusCode: r.attempt.statusCode,
      errorClass: r.attempt.errorClass,
      outcome: run.classification.outcome,
      status: r.status,
      durationMs: run.durationMs,
      eventCreatedAt: item.event.createdAt,
      finishedAt: now,
    });
    const line = {
      event_id: item.eventId,
      delivery_id: item.deliveryId,
      endpoint_id: item.endpointId,
      tenant_id: item.tenantId,
      attempt: r.attempts,
      status_code: r.lastStatusCode,
      outcome: run.classification.outcome,
      duration_ms: run.durationMs,
    };
    if (run.classification.outcome === "success") this.opts.log.debug(line, "delivered");
    else this.opts.log.info({ ...line, error: r.lastError, next_status: r.status }, "attempt failed");
  }

  /** Parks a FIFO stream item whose line is blocked: the next cycle turns it into a parked job. */
  private park(lane: EndpointLane, item: WorkItem): void {
    this.parks.push({ lane, item });
    this.cycleWake.notify();
  }

  // ---- the cycle loop ---------------------------------------------------------------------------------------------

  private async cycleLoop(): Promise<void> {
    let backoffMs = 100;
    while (this.running) {
      const now = this.now();
      if (!this.needsCycle(now)) {
        await this.cycleWake.wait(this.sleepMs(now));
        continue;
      }
      const built = this.buildCycle(now, false);
      const { input, taken } = built;
      let result: CycleResult;
      try {
        result = await this.opts.queue.cycle(input);
        backoffMs = 100;
      } catch (err) {
        if (this.pending.length === 0) this.pendingSince = now;
        this.pending = [...taken, ...this.pending];
        this.parks = [...built.parks, ...this.parks];
        this.opts.log.error({ err, outcomes: taken.length }, "delivery cycle failed; retrying");
        await this.cycleWake.wait(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5_000);
        continue;
      }
      this.cycleTook(this.now() - now);
      this.apply(built, result);
      this.pump();
    }
  }

  /**
   * Remembers how long cycles take, leaning to the slowest: the slowest cycle in the last few seconds counts in full,
   * older ones fade (halving every SLOW_CYCLE_HALF_LIFE_MS). Ownership is held for that much longer and renewed that
   * much earlier, so a database whose transactions arrive late (a slow disk, a lock, a distant primary) slows
   * delivery without letting an endpoint's hold run out under a request it is still sending: the alternative is a
   * second worker taking the endpoint over and sending the same deliveries again.
   */
  private cycleTook(ms: number): void {
    const now = this.now();
    const faded = this.slowCycleMs * 0.5 ** ((now - this.slowCycleAt) / SLOW_CYCLE_HALF_LIFE_MS);
    // Whole milliseconds: holds and margins derived from it are stored as integers.
    this.slowCycleMs = Math.round(Math.max(ms, faded));
    this.slowCycleAt = now;
  }

  /** The margin an endpoint's hold keeps beyond its timeout: the setting, and two cycles of a slow database. */
  private leaseMarginMs(): number {
    return this.opts.leaseMarginMs + 2 * this.slowCycleMs;
  }

  private sleepMs(now: number): number {
    let until = now + this.opts.pollIntervalMs;
    if (this.pending.length > 0) until = Math.min(until, this.pendingSince + RECORD_DELAY_MS);
    if (this.parks.length > 0) until = now;
    if (this.nextDueAt !== null) until = Math.min(until, Math.max(now + 1, this.nextDueAt));
    for (const lane of this.lanes.values()) until = Math.min(until, this.renewAt(lane));
    return Math.max(1, until - now);
  }

  private renewAt(lane: EndpointLane): number {
    // Early enough that the renewal lands (a cycle away) before sending would have to stop.
    return lane.ownedUntil - lane.config.timeoutMs - this.opts.leaseMarginMs / 2 - 2 * this.slowCycleMs;
  }

  private needsCycle(now: number): boolean {
    if (this.pending.length >= RECORD_BATCH) return true;
    if (this.pending.length > 0 && now - this.pendingSince >= RECORD_DELAY_MS) return true;
    if (this.parks.length > 0) return true;
    if (this.wantsTakeover(now)) return true;
    if (now - this.lastRefillAt >= this.opts.pollIntervalMs && this.lanes.size > 0) return true;
    for (const lane of this.lanes.values()) {
      if (lane.disableReason !== null || this.releaseOf(lane, now) !== null) return true;
      if (now >= this.renewAt(lane)) return true;
      // Running low: less than one round of requests left in hand.
      if (!lane.drained && lane.queued < 2 * lane.limit && this.refillOf(lane, this.budgetNow(now)) !== null) return true;
      if (lane.stateDirty && lane.stateWrittenAt === 0) return true;
      if (lane.configStale) return true;
    }
    return false;
  }

  private wantsTakeover(now: number): boolean {
    if (this.stopping || this.lanes.size >= this.maxEndpoints || !this.capacity.hasRoom(now)) return false;
    return this.workSignal || (this.nextDueAt !== null && this.nextDueAt <= now) || now - this.lastTakeoverAt >= this.opts.pollIntervalMs;
  }

  /**
   * When the lane should be given back, and from when the endpoint may be sent to again; null to keep it. `recorded`
   * are the outcomes the same cycle writes: a lane whose last outcomes are among them is given back in that cycle.
   */
  private releaseOf(lane: EndpointLane, now: number, recorded: Recorded = NONE): number | null {
    if (lane.inFlight > 0) return null;
    if (this.stopping || lane.config.disabled) return now;
    if (lane.drained && lane.idleAfter(recorded.seqs, recorded.jobs)) return now;
    const probeLeaseMs = lane.config.timeoutMs + this.opts.leaseMarginMs;
    const a = this.opts.isolation.admit(lane.state, lane.config.rateLimitPerS, lane.config.timeoutMs, now, probeLeaseMs);
    if (a.kind === "wait" && a.until - now > HOLD_BLOCKED_MS) return a.until;
    return null;
  }

  /** What a cycle may still fetch: prefetch bytes, and requests that could start at once. */
  private budgetNow(now: number): FetchBudget {
    return { bytes: this.prefetchBytes - this.queuedBytes, startable: this.capacity.room(now) };
  }

  /**
   * How much more work to fetch for a lane: up to four rounds of requests in hand, within the prefetch budget. Work
   * that can go straight into flight (the lane has nothing waiting and room under its limit and the worker's) is
   * always allowed; work held waiting comes from the budget, and a lane holds no more than its share of it, so a few
   * endpoints at their limit cannot keep the budget from the rest.
   */
  private refillOf(lane: EndpointLane, budget: FetchBudget): { stream: number; jobs: number } | null {
    if (lane.config.disabled || lane.disableReason !== null) return null;
    const target = Math.max(8, 4 * lane.limit);
    let stream = Math.max(0, target - lane.queuedStream);
    let jobs = Math.max(0, target - lane.queuedJobs);
    const startNow = lane.queued === 0 ? Math.min(Math.max(0, lane.limit - lane.inFlight), Math.max(0, budget.startable)) : 0;
    const share = this.prefetchBytes / Math.max(1, this.lanes.size);
    const ahead = Math.floor(Math.max(0, Math.min(budget.bytes, share - lane.queuedBytes)) / lane.itemBytes);
    const affordable = Math.max(startNow, ahead);
    if (stream + jobs > affordable) {
      // An odd allowance (often a single item) goes to jobs and to the stream on alternate cycles.
      const half = this.refillCursor % 2 === 0 ? Math.floor(affordable / 2) : Math.ceil(affordable / 2);
      jobs = Math.min(jobs, half);
      stream = Math.min(stream, affordable - jobs);
    }
    return stream > 0 || jobs > 0 ? { stream, jobs } : null;
  }

  private buildCycle(now: number, final: boolean): BuiltCycle {
    const written = new Map<string, number>();
    const configsAsked = new Map<EndpointLane, number>();
    this.changedDuringCycle.clear();
    const taken = this.pending.filter((p) => !p.lane.lost);
    this.pending = [];
    const parks = this.parks.filter((p) => !p.lane.lost);
    this.parks = [];
    const recorded = new Map<EndpointLane, Recorded>();
    for (const p of [...taken, ...parks]) {
      let r = recorded.get(p.lane);
      if (!r) recorded.set(p.lane, (r = { seqs: new Set(), jobs: new Set() }));
      if (p.item.source.kind === "stream") r.seqs.add(p.item.source.seq);
      else r.jobs.add(p.item.deliveryId);
    }
    const input: CycleInput = {
      worker: this.id,
      now,
      outcomes: taken.map((p) => p.outcome),
      parks: parks.map(({ lane, item }) => ({
        owner: lane.owner,
        tenantId: item.tenantId,
        deliveryId: item.deliveryId,
        eventId: item.eventId,
        seq: item.seq,
        fifoKey: lineKey(item.orderingKey),
        attempts: item.attempts,
      })),
      acks: [],
      states: [],
      disables: [],
      renewals: [],
      releases: [],
      refills: [],
      takeover: null,
    };
    const budget = this.budgetNow(now);
    // Lanes take their turn at the budget from a rotating start, so the same few never take it all.
    const lanes = [...this.lanes.values()];
    const start = lanes.length === 0 ? 0 : this.refillCursor++ % lanes.length;
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[(start + i) % lanes.length]!;
      const done = recorded.get(lane) ?? NONE;
      const ack = lane.ackAfter(done.seqs);
      if (ack > lane.ackedSeq) input.acks.push({ owner: lane.owner, seq: ack });
      if (lane.disableReason !== null) {
        input.disables.push({
          owner: lane.owner,
          tenantId: lane.tenantId,
          reason: lane.disableReason,
          ...(lane.disableCause ? { cause: lane.disableCause } : {}),
        });
      }
      const release = final ? now : this.releaseOf(lane, now, done);
      const writeState = lane.stateDirty && (release !== null || now - lane.stateWrittenAt >= STATE_WRITE_MS);
      if (writeState) {
        input.states.push({ owner: lane.owner, state: lane.stateToWrite() });
        written.set(lane.endpointId, lane.stateSeq);
      }
      if (release !== null) {
        input.releases.push({ owner: lane.owner, notBefore: release });
        continue;
      }
      if (now >= this.renewAt(lane)) {
        input.renewals.push({ owner: lane.owner, until: now + lane.config.timeoutMs + this.leaseMarginMs() });
      }
      const wanted = this.refillOf(lane, budget);
      // A drained lane looks again when this cycle records its own outcomes (a retry or a FIFO line may have made its
      // work due), and at its own poll: new work for an endpoint someone owns wakes nobody, so a lane waiting on a
      // slow request would otherwise see it only when that request ends. Not on everyone's outcomes: with a thousand
      // lanes that was a thousand fetches a cycle (bench:fanout, SQLite).
      const polled = now - lane.lastRefillAt >= this.opts.pollIntervalMs;
      const refill = wanted && (!lane.drained || polled || done !== NONE) ? wanted : null;
      if (refill) {
        budget.bytes -= (refill.stream + refill.jobs) * lane.itemBytes;
        budget.startable -= Math.min(refill.stream + refill.jobs, Math.max(0, lane.limit - lane.inFlight));
      }
      // A lane whose endpoint changed asks for its config even with nothing to fetch (a refill of nothing).
      if (refill || lane.configStale) {
        if (lane.configStale) configsAsked.set(lane, lane.configWanted);
        input.refills.push({
          owner: lane.owner,
          afterSeq: lane.streamEnd,
          streamLimit: refill?.stream ?? 0,
          jobLimit: refill?.jobs ?? 0,
          heldJobs: [...lane.heldJobs],
          configVersion: lane.config.version,
          fifo: lane.fifo,
        });
      }
    }
    if (!final && this.wantsTakeover(now)) {
      const count = Math.min(TAKEOVER_BATCH, this.maxEndpoints - this.lanes.size);
      const bite = Math.max(1, Math.min(FIRST_FETCH, Math.floor(budget.bytes / (count * FIRST_FETCH_ITEM_BYTES))));
      input.takeover = {
        count,
        leaseMarginMs: this.leaseMarginMs(),
        // A first bite: the sizes of a new endpoint's events are unknown until some arrive, and a lane that has
        // started sending asks for more in the next cycle (running low), sized to the prefetch budget.
        streamLimit: bite,
        jobLimit: bite,
      };
    }
    return { input, taken, parks, written, configsAsked };
  }

  private apply(built: BuiltCycle, result: CycleResult): void {
    const { input, taken, written } = built;
    const now = input.now;
    for (const p of taken) {
      p.lane.settled(p.item);
      // A blocking FIFO outcome is in the store now: later fetches see its line blocked.
      const o = p.outcome;
      if (o.fifoKey != null && (o.status === "failed" || o.halt === true)) p.lane.lineRecorded(o.fifoKey);
    }
    for (const p of built.parks) p.lane.settled(p.item);
    for (const a of input.acks) {
      const lane = this.lanes.get(a.owner.endpointId);
      if (lane && lane.epoch === a.owner.epoch) lane.ackedSeq = Math.max(lane.ackedSeq, a.seq);
    }
    for (const [endpointId, seq] of written) this.lanes.get(endpointId)?.stateWritten(seq, now);
    for (const d of input.disables) {
      const lane = this.lanes.get(d.owner.endpointId);
      if (lane) {
        lane.disableReason = null;
        lane.config = { ...lane.config, disabled: true };
      }
    }
    for (const r of input.renewals) {
      const lane = this.lanes.get(r.owner.endpointId);
      if (lane) lane.ownedUntil = r.until;
    }
    for (const r of input.releases) this.drop(r.owner.endpointId);
    for (const id of result.lost) {
      const lane = this.lanes.get(id);
      if (lane) lane.lost = true;
      this.drop(id);
    }
    for (const c of result.configs) {
      const lane = this.lanes.get(c.endpointId);
      if (!lane) continue;
      // The endpoint was enabled (or its state reset) since this lane read it: start over, as the store did.
      if (c.stateResetAt > lane.config.stateResetAt) lane.changeState(initialEndpointState(), true);
      lane.config = c;
      lane.limit = Math.min(lane.limit, c.maxInFlight);
    }
    // Configs asked for are current as of this cycle, unless the endpoint changed again meanwhile.
    for (const [lane, wanted] of built.configsAsked) lane.configHave = Math.max(lane.configHave, wanted);
    for (const t of result.taken) {
      const lane = new EndpointLane({ owner: t.owner, config: t.config, state: t.state, ackedSeq: t.ackedSeq, ownedUntil: t.ownedUntil, now });
      // A change announced while this cycle ran may have committed after it read the config: read it again.
      if (this.changedDuringCycle.has(null) || this.changedDuringCycle.has(lane.tenantId)) lane.configWanted++;
      this.lanes.set(lane.endpointId, lane);
      const list = this.tenants.get(lane.tenantId) ?? [];
      list.push(lane);
      this.tenants.set(lane.tenantId, list);
    }
    // A refill of nothing only asked for a config: it says nothing about whether the endpoint has work left.
    const fetches = input.refills.filter((r) => r.streamLimit > 0 || r.jobLimit > 0);
    const refilled = new Set([...fetches.map((r) => r.owner.endpointId), ...result.taken.map((t) => t.owner.endpointId)]);
    const gotWork = new Set<string>();
    for (const item of result.work) {
      const lane = this.lanes.get(item.endpointId);
      if (!lane) continue;
      const before = lane.queuedBytes;
      if (lane.add(item) === "park") this.park(lane, item);
      this.queuedBytes += lane.queuedBytes - before;
      gotWork.add(item.endpointId);
    }
    for (const e of result.streamEnds) this.lanes.get(e.endpointId)?.seen(e.seq);
    for (const id of refilled) {
      const lane = this.lanes.get(id);
      if (!lane) continue;
      lane.drained = !gotWork.has(id);
      lane.lastRefillAt = now;
    }
    if (fetches.length > 0) this.lastRefillAt = now;
    if (input.takeover) {
      this.lastTakeoverAt = now;
      // A full batch suggests more endpoints are due: keep taking over in the next cycle.
      this.workSignal = result.taken.length >= input.takeover.count;
    }
    this.nextDueAt = result.nextDueAt;
  }

  private drop(endpointId: string): void {
    const lane = this.lanes.get(endpointId);
    if (!lane) return;
    this.lanes.delete(endpointId);
    this.queuedBytes -= lane.queuedBytes;
    const list = this.tenants.get(lane.tenantId);
    if (!list) return;
    const i = list.indexOf(lane);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.tenants.delete(lane.tenantId);
  }

  /** Graceful stop; see the module comment. */
  async stop(): Promise<void> {
    if (!this.running || this.stopping) return;
    this.stopping = true;
    this.unsubscribe?.();
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    const all = Promise.allSettled([...this.inFlight]);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => {
      timer = setTimeout(r, this.opts.shutdownGraceMs);
    });
    await Promise.race([all, grace]);
    clearTimeout(timer);
    for (const c of this.controllers) c.abort(new Error("worker shutting down"));
    await all;
    await this.auth.close();
    this.running = false;
    this.cycleWake.notify();
    await this.loop;
    // The last cycle records every outcome and gives every endpoint back. With the store down it would retry for
    // ever, so after another grace period give up: unrecorded outcomes only mean those deliveries are sent again.
    const last = (async () => {
      for (let attempt = 0; ; attempt++) {
        const { input, taken } = this.buildCycle(this.now(), true);
        try {
          await this.opts.queue.cycle(input);
          return true;
        } catch (err) {
          this.pending = [...taken, ...this.pending];
          this.opts.log.error({ err, attempt }, "final delivery cycle failed; retrying");
          await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2_000)));
        }
      }
    })();
    const done = await Promise.race([last, new Promise<false>((r) => setTimeout(() => r(false), this.opts.shutdownGraceMs).unref())]);
    if (!done) this.opts.log.error("attempt records not written before shutdown; those deliveries will be sent again");
    await this.opts.relayDispatcher?.close().catch(() => undefined);
  }
}
