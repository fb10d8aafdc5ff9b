/**
 * The task runner: every hookd process that serves the API or works deliveries runs one. It claims one runnable task
 * at a time (queued, or running with a lease that ran out because its runner died) and works it step by step, each
 * step one store transaction that also renews the lease (store.runRecoverBatch, store.runDeletionStep).
 *
 * The crash story: the task's progress (cursor, counts) is written in the same transaction as the work it counts, so
 * a runner killed between two steps leaves a task whose last committed step is exactly what was done. Its lease runs
 * out after `leaseMs`; any runner's next poll claims it and goes on from the cursor, with nothing done twice and
 * nothing counted twice. A clean stop lets the current step commit, then hands the lease back at once.
 *
 * Between steps the runner yields briefly, so on SQLite (one writer) ingest and the delivery records interleave with
 * a long recover instead of waiting for it.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Task, TaskKind } from "../../domain/tasks.ts";
import type { Store } from "../../store/store.ts";
import { withBackoff } from "../../retry/with-backoff.ts";

/** The kinds this version can run; a claim never takes another. */
const KINDS: TaskKind[] = ["endpoint.recover", "endpoint.delete", "tenant.delete"];

export interface TaskRunnerOptions {
  store: Store;
  log: Logger;
  now?: () => number;
  /** Deliveries per step (per transaction). */
  batchSize?: number;
  /** How long a claimed task stays this runner's without a step; another runner takes it over after that. */
  leaseMs?: number;
  /** How often an idle runner looks for a task another process queued (its own are started at once). */
  pollIntervalMs?: number;
}

export class TaskRunner {
  private readonly now: () => number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private stopping = false;
  /** Aborts a step's retry wait when the runner stops. */
  private readonly stopped = new AbortController();
  private loop: Promise<void> | null = null;
  private wakeIdle: (() => void) | null = null;
  private woken = false;

  constructor(private readonly opts: TaskRunnerOptions) {
    this.now = opts.now ?? Date.now;
    this.batchSize = opts.batchSize ?? 500;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1_000;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** A task was queued in this process: look now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeIdle?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    this.wakeIdle?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.woken = false;
      const token = randomUUID();
      let task: Task | null = null;
      try {
        task = await this.opts.store.claimTask({ kinds: KINDS, leaseToken: token, leaseMs: this.leaseMs, now: this.now() });
      } catch (err) {
        this.opts.log.warn({ err }, "could not look for background tasks; retrying");
      }
      if (task) await this.work(task, token);
      else await this.idle(this.pollIntervalMs);
    }
  }

  /** Steps the task until it finishes, the lease is lost, or the runner stops (then the lease is handed back). */
  private async work(task: Task, token: string): Promise<void> {
    const { store, log } = this.opts;
    const ctx = { task_id: task.id, tenant_id: task.tenantId, endpoint_id: task.endpointId, kind: task.kind };
    log.info({ ...ctx, done: task.done }, task.total === null ? "task started" : "task resumed");
    let reported = task.done;
    while (!this.stopping) {
      try {
        // A store outage: retry the same step (its transaction rolled back). If it lasts beyond the lease, another
        // runner may take the task over, and this one's next step finds the lease lost. Stopping ends the wait.
        const step = await withBackoff(
          () => {
            const request = { taskId: task.id, leaseToken: token, limit: this.batchSize, leaseMs: this.leaseMs, now: this.now() };
            return task.kind === "endpoint.recover" ? store.runRecoverBatch(request) : store.runDeletionStep(request);
          },
          {
            minMs: 500,
            maxMs: 5_000,
            signal: this.stopped.signal,
            onRetry: (err, failures) => log.warn({ ...ctx, err, failures }, "task step failed; retrying"),
          },
        );
        if (step.kind === "lease_lost") {
          log.warn(ctx, "task taken over or removed; letting it go");
          return;
        }
        if (step.kind === "finished") {
          const t = step.task;
          log.info({ ...ctx, status: t.status, done: t.done, total: t.total, requeued: t.requeued, skipped: t.skipped, error: t.error }, "task finished");
          return;
        }
        // Deletions report progress every so often (a big one runs for minutes: the log shows it moving).
        if (task.kind !== "endpoint.recover" && step.task.done - reported >= 50_000) {
          reported = step.task.done;
          log.info({ ...ctx, done: step.task.done, total: step.task.total }, "deletion in progress");
        }
        await pause(5);
      } catch (err) {
        if (this.stopping) break;
        // Not a store outage (a fault in the data or the code): counted on the task, which a runner takes up again
        // after a pause, until MAX_TASK_STEP_FAILURES ends it as failed (domain/tasks.ts).
        const failure = await store.recordTaskFailure(task.id, token, this.now()).catch((e: unknown) => {
          log.warn({ ...ctx, err: e }, "could not count the task's failure; its lease runs out and it is taken again");
          return null;
        });
        if (failure?.kind === "failed") log.error({ ...ctx, err, failures: failure.failures }, "task step failed too often; the task failed");
        else if (failure?.kind === "retry") {
          log.error({ ...ctx, err, failures: failure.failures, retry_at: new Date(failure.at).toISOString() }, "task step failed; trying again later");
        } else log.error({ ...ctx, err }, "task step failed; letting the task go");
        return;
      }
    }
    await store.releaseTask(task.id, token, this.now()).catch((err) => log.warn({ ...ctx, err }, "could not hand the task back"));
  }

  /** Waits up to `ms`, or less when woken or stopped. */
  private idle(ms: number): Promise<void> {
    if (this.woken || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeIdle = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeIdle = done;
    });
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
