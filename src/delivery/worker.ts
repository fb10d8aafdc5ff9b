/**
 * The delivery loop. It only composes the steps: claim -> prepare -> send -> classify -> next state -> record.
 *
 * The claim loop never waits on HTTP: it claims at most as many deliveries as it has free slots, starts each one and
 * goes back to claiming, so a slow endpoint occupies one slot for at most its timeout and never the loop itself.
 * When there is nothing due it sleeps until the store signals new work (NOTIFY, or in-process for SQLite) or the
 * poll interval passes (scheduled retries becoming due).
 *
 * Shutdown: stop claiming, let in-flight requests finish for up to the grace period, abort the rest and hand their
 * leases back without spending an attempt, write every pending record, and only then return.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Dispatcher } from "undici";
import type { DeliveryObserver } from "../observability/metrics.ts";
import type { EgressPolicy } from "../outbound/egress-policy.ts";
import type { SecretBox } from "../secrets/secret-box.ts";
import type { ClaimedDelivery, IsolationPolicy, Store } from "../store/store.ts";
import { classify } from "./classify.ts";
import { disabledEndpointState, nextState } from "./next-state.ts";
import { prepareRequest } from "./prepare.ts";
import { RecordBatcher } from "./record-batcher.ts";
import { sendRequest } from "./send.ts";
import { RequestSigner } from "./sign-request.ts";
import { WakeSignal } from "./wake-signal.ts";

export interface WorkerOptions {
  store: Store;
  dispatcher: Dispatcher;
  policy: EgressPolicy;
  /** Opens the endpoints' encrypted signing secrets. */
  secretBox: SecretBox;
  log: Logger;
  concurrency: number;
  batchSize: number;
  leaseMarginMs: number;
  pollIntervalMs: number;
  shutdownGraceMs: number;
  retryScheduleS: readonly number[];
  /** Per-endpoint rules (breaker, pauses, rate limits, ramp, adaptive timeout), applied in the store's claim. */
  isolation?: IsolationPolicy;
  /** Told about every attempt (metrics); delivery code itself knows nothing of Prometheus. */
  observer?: DeliveryObserver;
  now?: () => number;
}

export class DeliveryWorker {
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly wake = new WakeSignal();
  /** Controllers of the requests in flight, aborted together when the shutdown grace period ends. */
  private readonly controllers = new Set<AbortController>();
  private readonly recorder: RecordBatcher;
  /** Deliveries aborted by shutdown, with the lease each was claimed under, handed back without an attempt. */
  private readonly released: { id: string; leaseToken: string }[] = [];
  private unsubscribe: (() => void) | null = null;
  private readonly now: () => number;
  private readonly signer: RequestSigner;
  /** New work was signalled since the last claim started. */
  private workArrived = false;
  /** Requests finished since the last claim started, and how many must finish before they wake the loop. */
  private freed = 0;
  private freedTarget = 0;

  constructor(private readonly opts: WorkerOptions) {
    this.recorder = new RecordBatcher(opts.store, opts.log, opts.isolation);
    this.signer = new RequestSigner(opts.secretBox);
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.opts.store.subscribeWork(() => {
      this.workArrived = true;
      this.wake.notify();
    });
    this.loop = this.claimLoop();
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private async claimLoop(): Promise<void> {
    let backoffMs = 100;
    while (this.running) {
      const free = this.opts.concurrency - this.inFlight.size;
      // Claim in worthwhile batches: one claim per freed slot would be one commit per delivery. While requests are
      // in flight, wait until a quarter of the slots (or a full batch) are free.
      const worthwhile = Math.min(this.opts.batchSize, Math.ceil(this.opts.concurrency / 4));
      if (free <= 0 || (this.inFlight.size > 0 && free < worthwhile)) {
        await this.wake.wait(this.opts.pollIntervalMs);
        continue;
      }
      const limit = Math.min(this.opts.batchSize, free);
      this.workArrived = false;
      this.freed = 0;
      let claimed: ClaimedDelivery[];
      try {
        claimed = await this.opts.store.claimDue({
          limit,
          leaseMarginMs: this.opts.leaseMarginMs,
          now: this.now(),
          // A fresh token per claim, not per process: if this worker claims a delivery again after its earlier
          // lease ran out (a long store outage), the stale outcome of the first claim can no longer overwrite the
          // newer one, because only the newest token matches.
          leaseToken: randomUUID(),
          ...(this.opts.isolation ? { isolation: this.opts.isolation } : {}),
        });
        backoffMs = 100;
      } catch (err) {
        this.opts.log.error({ err }, "claiming deliveries failed; retrying");
        await this.wake.wait(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5_000);
        continue;
      }
      for (const d of claimed) this.dispatch(d);
      // A short claim means every endpoint with due work is at its limit, paused or out of tokens (or nothing is
      // due). Claiming again after every finished request would be a commit per delivery, so wait for new work, for
      // a worthwhile share of the requests in flight to finish, or for the poll interval.
      if (claimed.length < limit) {
        const enough = Math.max(1, Math.min(worthwhile, Math.ceil(this.inFlight.size / 4)));
        if (!this.workArrived && this.freed < enough) {
          this.freedTarget = enough;
          this.wake.clear();
          await this.wake.wait(this.opts.pollIntervalMs);
          this.freedTarget = 0;
        }
      }
    }
  }

  private dispatch(d: ClaimedDelivery): void {
    // Still in flight from an earlier claim whose lease expired: the new lease simply runs out again and the
    // delivery becomes due once the first attempt is recorded or abandoned. Running both would double-send.
    if (this.inFlight.has(d.id)) return;
    const task = this.process(d)
      .catch((err) => {
        // A bug, not a delivery failure: leave the lease to expire so the delivery is retried, and say so.
        this.opts.log.error(
          { err, event_id: d.eventId, delivery_id: d.id, endpoint_id: d.endpointId, tenant_id: d.tenantId },
          "delivery processing failed",
        );
      })
      .finally(() => {
        this.inFlight.delete(d.id);
        this.freed++;
        if (this.freed >= this.freedTarget) this.wake.notify();
      });
    this.inFlight.set(d.id, task);
  }

  private async process(d: ClaimedDelivery): Promise<void> {
    const ctx = { event_id: d.eventId, delivery_id: d.id, endpoint_id: d.endpointId, tenant_id: d.tenantId };
    if (d.endpoint.disabled) {
      this.recorder.add(disabledEndpointState(d, this.now()), ctx);
      this.opts.log.info(ctx, "endpoint disabled; delivery moved to dead");
      return;
    }
    const startedAt = this.now();
    const prepared = prepareRequest(d, startedAt, this.signer);
    const controller = new AbortController();
    this.controllers.add(controller);
    const sent = await sendRequest(prepared, {
      dispatcher: this.opts.dispatcher,
      policy: this.opts.policy,
      timeoutMs: d.endpoint.timeoutMs,
      controller,
    }).finally(() => this.controllers.delete(controller));
    if (sent.result.kind === "error" && sent.result.errorClass === "aborted") {
      this.released.push({ id: d.id, leaseToken: d.leaseToken });
      return;
    }
    const classification = classify(sent.result);
    const record = nextState({
      delivery: d,
      sent,
      classification,
      startedAt,
      now: this.now(),
      defaultScheduleS: this.opts.retryScheduleS,
      request: prepared,
    });
    this.recorder.add(record, ctx);
    this.opts.observer?.attempted({
      tenantId: d.tenantId,
      outcome: classification.outcome,
      status: record.status,
      durationMs: sent.durationMs,
      eventCreatedAt: d.event.createdAt,
      finishedAt: record.now,
    });
    const line = {
      ...ctx,
      attempt: prepared.attempt,
      status_code: record.lastStatusCode,
      outcome: classification.outcome,
      duration_ms: sent.durationMs,
    };
    if (classification.outcome === "success") this.opts.log.debug(line, "delivered");
    else this.opts.log.info({ ...line, error: record.lastError, next_status: record.status }, "attempt failed");
  }

  /** Graceful stop; see the module comment. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.wake.notify();
    await this.loop;
    const all = Promise.allSettled([...this.inFlight.values()]);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => {
      timer = setTimeout(r, this.opts.shutdownGraceMs);
    });
    await Promise.race([all, grace]);
    clearTimeout(timer);
    for (const c of this.controllers) c.abort(new Error("worker shutting down"));
    await all;
    // With the store down the recorder would retry forever and SIGTERM would never finish; after another grace
    // period give up: unwritten outcomes only mean their leases expire and those deliveries are attempted again.
    const drained = await Promise.race([
      this.recorder.drain().then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), this.opts.shutdownGraceMs).unref()),
    ]);
    if (!drained) this.opts.log.error("attempt records not written before shutdown; those deliveries will be retried");
    const byToken = new Map<string, string[]>();
    for (const { id, leaseToken } of this.released) byToken.set(leaseToken, [...(byToken.get(leaseToken) ?? []), id]);
    for (const [leaseToken, ids] of byToken) {
      await this.opts.store.releaseLeases(ids, leaseToken, this.now()).catch((err) => {
        this.opts.log.error({ err }, "releasing leases failed; they will expire instead");
      });
    }
  }
}
