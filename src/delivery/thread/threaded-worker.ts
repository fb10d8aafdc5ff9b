/**
 * The API thread's handle on the delivery thread (embedded shape). Profiles of the embedded bench showed the API,
 * the delivery loop and SQLite taking turns on one thread, so ingest and delivery each got a fraction of one core;
 * in a thread, delivery runs on the second core with its own SQLite connection (WAL lets the two connections read at
 * once, and writes take turns on the database lock, waiting up to busy_timeout).
 *
 * The thread learns of new work through a message (SQLite has no NOTIFY), reports finished attempts back for the
 * metrics, and on stop drains exactly as the in-process worker does. If the thread dies, it is started again after a
 * pause: its leases run out and its deliveries become due, as after a crash.
 */
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { Config } from "../../config/config.ts";
import type { DeliveryObserver } from "../../observability/metrics.ts";
import type { SqliteStore } from "../../store/sqlite/sqlite-store.ts";
import type { DeliveryThreadData, FromThread, ToThread } from "./messages.ts";

/** First restart after 1 s; a thread that keeps dying waits twice as long each time, up to a minute. */
const RESTART_AFTER_MS = 1_000;
const MAX_RESTART_AFTER_MS = 60_000;
/** A thread that ran this long before it died counts as healthy: the next restart waits the first delay again. */
const HEALTHY_RUN_MS = 60_000;
/**
 * Old-generation heap of the delivery thread: a base plus room for every delivery in flight and every claimed one
 * waiting to be sent to carry a 256 KiB event twice over (its data and the rendered body, UTF-16 at worst). Without
 * a cap V8 grows a second heap as freely as the main one; with one too tight, large events would kill the thread
 * mid-batch again and again.
 */
function threadHeapMb(concurrency: number): number {
  return 64 + 2 * concurrency;
}

export class ThreadedDeliveryWorker {
  private thread: Worker | null = null;
  private stopping = false;
  private unsubscribe: (() => void) | null = null;
  private stopped: (() => void) | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDelayMs = RESTART_AFTER_MS;
  private spawnedAt = 0;

  constructor(
    private readonly config: Config,
    /** The API thread's store: its ingests are what the thread must hear about. */
    private readonly store: SqliteStore,
    private readonly observer: DeliveryObserver,
    private readonly log: Logger,
  ) {}

  /** Resolves once the thread runs its worker (or rejects when it could not start). */
  async start(): Promise<void> {
    const offWork = this.store.subscribeWork(() => this.post({ type: "work" }));
    const offEndpoints = this.store.subscribeEndpointChanges((tenantId) => this.post({ type: "endpoints", tenantId }));
    this.unsubscribe = () => {
      offWork();
      offEndpoints();
    };
    try {
      await this.spawn();
    } catch (err) {
      // Failing to start at all is the caller's error to report; no restart loop or thread is left behind.
      this.stopping = true;
      this.unsubscribe?.();
      if (this.restartTimer) clearTimeout(this.restartTimer);
      await this.thread?.terminate();
      throw err;
    }
  }

  private post(m: ToThread): void {
    this.thread?.postMessage(m);
  }

  private spawn(): Promise<void> {
    const data: DeliveryThreadData = { entry: new URL("./delivery-thread.ts", import.meta.url).href, config: this.config };
    this.spawnedAt = Date.now();
    const thread = new Worker(new URL("./boot.mjs", import.meta.url), {
      workerData: data,
      // A small young generation is what keeps the process under 300 MB in the bench; uncapped, it peaked at 368.
      resourceLimits: { maxOldGenerationSizeMb: threadHeapMb(this.config.workerConcurrency), maxYoungGenerationSizeMb: 8 },
    });
    this.thread = thread;
    return new Promise((resolve, reject) => {
      thread.on("message", (m: FromThread) => {
        if (m.type === "started") resolve();
        else if (m.type === "failed") reject(new Error(`delivery thread: ${m.message}`));
        else if (m.type === "attempts") for (const o of m.observations) this.observer.attempted(o);
        else if (m.type === "stopped") this.stopped?.();
      });
      thread.on("error", (err) => {
        this.log.error({ err }, "delivery thread crashed");
        reject(err);
      });
      thread.on("exit", (code) => {
        if (this.thread === thread) this.thread = null;
        this.stopped?.();
        if (this.stopping) return;
        if (Date.now() - this.spawnedAt >= HEALTHY_RUN_MS) this.restartDelayMs = RESTART_AFTER_MS;
        const delay = this.restartDelayMs;
        this.restartDelayMs = Math.min(delay * 2, MAX_RESTART_AFTER_MS);
        this.log.error({ code, restart_in_ms: delay }, "delivery thread exited; starting it again");
        this.restartTimer = setTimeout(() => {
          this.restartTimer = null;
          this.spawn().catch((err) => this.log.error({ err }, "restarting the delivery thread failed"));
        }, delay);
      });
    });
  }

  /** Drains the thread's in-flight deliveries (its own shutdown grace period) and waits for it to exit. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const thread = this.thread;
    if (!thread) return;
    const done = new Promise<void>((resolve) => {
      this.stopped = resolve;
    });
    this.post({ type: "stop" });
    await done;
    await thread.terminate();
  }
}
