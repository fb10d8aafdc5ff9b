/**
 * The retention job: expunges event payloads and deletes attempt rows older than HOOKD_RETENTION_DAYS, and clears
 * attempt response bodies older than HOOKD_ATTEMPT_BODY_RETENTION_DAYS, keeping every delivery's summary (status,
 * attempt count, last status code and error). Per-minute stats aggregates go once they are older than the longest
 * stats window (plus a day), expired idempotency keys after their window. Finished deliveries and then events with
 * no delivery left go after HOOKD_EVENT_RETENTION_DAYS, or the tenant's own event_retention_days (store/retention-rules.ts
 * says which deliveries may go). It works in small batches, each its own
 * short statement, and yields between them, so it never holds locks long enough to stall ingest or delivery. Every
 * worker process runs it; the batches are idempotent (and skip locked rows on PostgreSQL), so several runners only
 * share the work.
 */
import type { Logger } from "pino";
import type { EventCursor, Store } from "../../store/store.ts";
import { STATS_RETENTION_MS } from "../../domain/attempt-stats.ts";
import { IDEMPOTENCY_WINDOW_MS } from "../events/service.ts";

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  store: Store;
  log: Logger;
  /** 0 keeps everything. */
  retentionDays: number;
  /** null: the same as retentionDays. */
  bodyRetentionDays: number | null;
  /** Finished deliveries and events older than this go (each tenant may override it); 0 keeps them. */
  eventRetentionDays?: number;
  batchSize?: number;
  /** Between the end of one pass and the start of the next (HOOKD_RETENTION_INTERVAL_MS). */
  intervalMs?: number;
  now?: () => number;
}

export interface RetentionResult {
  payloads: number;
  attempts: number;
  bodiesScanned: number;
  idempotencyKeys: number;
  attemptStats: number;
  tasks: number;
  payloadFetches: number;
  deliveries: number;
  events: number;
}

export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetentionResult> | null = null;
  private stopped = false;
  /** Response bodies before this start time are already cleared (per process; a restart rescans once). */
  private bodyWatermark = 0;
  private readonly now: () => number;
  private readonly batch: number;

  constructor(private readonly opts: RetentionOptions) {
    this.now = opts.now ?? Date.now;
    this.batch = opts.batchSize ?? 500;
  }

  start(): void {
    const interval = this.opts.intervalMs ?? 10 * 60_000;
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.runOnce()
          .catch((err: unknown) => this.opts.log.error({ err }, "retention run failed; retrying later"))
          .then(() => {
            if (!this.stopped) tick();
          });
      }, interval);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One full pass; safe to call directly (tests drive it with their own clock). */
  runOnce(): Promise<RetentionResult> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<RetentionResult> {
    const result: RetentionResult = {
      payloads: 0,
      attempts: 0,
      bodiesScanned: 0,
      idempotencyKeys: 0,
      attemptStats: 0,
      tasks: 0,
      payloadFetches: 0,
      deliveries: 0,
      events: 0,
    };
    const days = this.opts.retentionDays;
    const bodyDays = Math.min(this.opts.bodyRetentionDays ?? days, days || Number.POSITIVE_INFINITY);
    const now = this.now();
    const { store } = this.opts;
    if (days > 0) {
      const cutoff = now - days * DAY_MS;
      result.payloads = await this.repeat(() => store.expungePayloadsBefore(cutoff, this.batch, now));
      result.attempts = await this.repeat(() => store.deleteAttemptsBefore(cutoff, this.batch));
      // Finished recover tasks are history like attempts; queued and running ones are never touched.
      result.tasks = await this.repeat(() => store.deleteFinishedTasksBefore(cutoff, this.batch));
      // The log of thin deliveries' payload fetches is attempt-like history, kept as long.
      result.payloadFetches = await this.repeat(() => store.payloadFetches.deleteBefore(cutoff, this.batch));
    }
    // Idempotency keys outlive their purpose after the window whatever the retention setting: a key is only ever
    // looked up within it, and keeping them would grow the table (stored answers included) without bound.
    result.idempotencyKeys = await this.repeat(() =>
      store.deleteIdempotencyKeysBefore(now - IDEMPOTENCY_WINDOW_MS, this.batch),
    );
    // Stats aggregates are only read within the longest stats window, so they go after it whatever the retention.
    result.attemptStats = await this.repeat(() => store.deleteAttemptStatsBefore(now - STATS_RETENTION_MS, this.batch));
    if (Number.isFinite(bodyDays) && bodyDays > 0) {
      const cutoff = now - bodyDays * DAY_MS;
      for (;;) {
        if (this.stopped) break;
        const { scanned, lastStartedAt } = await store.clearResponseBodies(this.bodyWatermark, cutoff, this.batch);
        result.bodiesScanned += scanned;
        if (lastStartedAt !== null) {
          // Inclusive bounds: step past a millisecond shared by more rows than one batch holds.
          this.bodyWatermark = lastStartedAt > this.bodyWatermark ? lastStartedAt : lastStartedAt + 1;
        }
        if (scanned < this.batch) break;
        await yieldToOthers();
      }
    }
    await this.deliveryLog(now, result);
    const removed =
      result.payloads +
      result.attempts +
      result.idempotencyKeys +
      result.attemptStats +
      result.tasks +
      result.payloadFetches +
      result.deliveries +
      result.events;
    if (removed > 0) this.opts.log.info({ ...result }, "retention pass done");
    return result;
  }

  /**
   * The delivery log, tenant by tenant (each may have its own retention): first its finished deliveries older than
   * the cutoff, then its old events that have no delivery left. Each walk moves a cursor over the old range, so
   * rows that must stay (a delivery still waiting, an event one of them needs) are read once per pass, not once per
   * batch.
   */
  private async deliveryLog(now: number, result: RetentionResult): Promise<void> {
    const { store } = this.opts;
    const fallback = this.opts.eventRetentionDays ?? 0;
    let after = "";
    for (;;) {
      const page = await store.listTenants({ limit: 100, after });
      for (const tenant of page.data) {
        if (this.stopped) return;
        const days = tenant.eventRetentionDays ?? fallback;
        if (days <= 0) continue;
        const cutoff = now - days * DAY_MS;
        let cursor = "";
        for (;;) {
          const step = await store.deleteFinishedDeliveries(tenant.id, cutoff, cursor, this.batch);
          result.deliveries += step.deleted;
          if (step.lastId === null || step.scanned < this.batch || this.stopped) break;
          cursor = step.lastId;
          await yieldToOthers();
        }
        let events: EventCursor | null = null;
        for (;;) {
          const step = await store.deleteEventsWithoutDeliveries(tenant.id, cutoff, events, this.batch);
          result.events += step.deleted;
          if (step.last === null || step.scanned < this.batch || this.stopped) break;
          events = step.last;
          await yieldToOthers();
        }
      }
      if (page.nextCursor === null) return;
      after = page.nextCursor;
    }
  }

  private async repeat(step: () => Promise<number>): Promise<number> {
    let total = 0;
    while (!this.stopped) {
      const n = await step();
      total += n;
      if (n < this.batch) break;
      await yieldToOthers();
    }
    return total;
  }
}

/** Lets queued ingest and record work run between two batches. */
function yieldToOthers(): Promise<void> {
  return new Promise((r) => setTimeout(r, 5));
}
