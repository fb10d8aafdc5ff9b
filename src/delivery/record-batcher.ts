/**
 * Collects attempt records and writes them in batches: one transaction (one statement on Postgres) for everything
 * finished in the same tick, instead of a commit per delivery. If the store is unreachable the batch is kept and
 * retried with backoff; if the process dies first, the leases expire and the deliveries are attempted again, which
 * is the at-least-once promise.
 *
 * Any other failure is not retried as a whole: one bad record (something the database refuses to store) must not
 * stall recording for every tenant. The batch is written record by record instead; a record that still fails is
 * written once more without the receiver's answer and error text, and if even that fails it is dropped with an
 * error log, leaving its lease to expire so the delivery is attempted again.
 */
import type { Logger } from "pino";
import type { AttemptRecord, IsolationPolicy, Store } from "../store/store.ts";
import { isStoreUnavailable } from "../store/unavailable.ts";
import { withBackoff } from "../retry/with-backoff.ts";

const MAX_BATCH = 500;
/**
 * How long the first record of a batch may wait for company. Every flush is a commit (an fsync on SQLite), so a few
 * milliseconds of waiting turns hundreds of tiny commits a second into a handful of large ones. The lease covers
 * far longer than this, so the delay costs nothing in safety.
 */
const FLUSH_DELAY_MS = 10;

export class RecordBatcher {
  private queue: AttemptRecord[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    /** Folds each batch into the endpoints' shared state (breaker, latency, auto-disable) as it is written. */
    private readonly isolation?: IsolationPolicy,
  ) {}

  /** Log fields of each queued record's delivery (event_id, endpoint_id ...), so error lines name the delivery fully. */
  private readonly logContext = new WeakMap<AttemptRecord, Record<string, string>>();

  add(record: AttemptRecord, logContext?: Record<string, string>): void {
    if (logContext) this.logContext.set(record, logContext);
    this.queue.push(record);
    if (!this.flushing) this.flushing = this.flushLoop();
  }

  /** Resolves when everything added so far is written. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    await new Promise((r) => setTimeout(r, FLUSH_DELAY_MS));
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, MAX_BATCH);
      try {
        await withBackoff(() => this.store.recordAttempts(batch, this.isolation), {
          minMs: 50,
          maxMs: 5_000,
          shouldRetry: isStoreUnavailable,
          onRetry: (err) => this.log.error({ err, pending: this.queue.length }, "recording attempts failed; retrying"),
        });
        this.queue.splice(0, batch.length);
      } catch (err) {
        this.log.error({ err, batch: batch.length }, "a batch of attempt records was refused; writing them one by one");
        await this.writeSeparately(batch);
        this.queue.splice(0, batch.length);
      }
    }
    this.flushing = null;
  }

  private async writeSeparately(batch: AttemptRecord[]): Promise<void> {
    for (const record of batch) {
      try {
        await this.store.recordAttempts([record], this.isolation);
        continue;
      } catch (err) {
        this.log.error(
          { err, ...this.logContext.get(record), delivery_id: record.deliveryId },
          "attempt record refused; retrying without response",
        );
      }
      const bare: AttemptRecord = {
        ...record,
        attempt: record.attempt && { ...record.attempt, responseBody: null, error: "response not storable" },
        lastError: record.lastError === null ? null : "response not storable",
      };
      try {
        await this.store.recordAttempts([bare], this.isolation);
      } catch (err) {
        this.log.error(
          { err, ...this.logContext.get(record), delivery_id: record.deliveryId },
          "attempt record dropped; the delivery will be retried",
        );
      }
    }
  }
}
