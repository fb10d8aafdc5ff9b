/** Background tasks (domain/tasks.ts); see docs/architecture.md, "Background tasks". */
import type { Task, TaskKind } from "../../domain/tasks.ts";
import type { Page } from "../../domain/types.ts";
import type { PageRequest } from "./common.ts";

/** Claims one runnable task: queued, or running with a lease that has run out (its runner died or stopped). */
export interface TaskClaim {
  /** Only these kinds, so a process never claims a task kind it cannot run (a newer version's). */
  kinds: TaskKind[];
  leaseToken: string;
  leaseMs: number;
  now: number;
}

export interface RecoverBatchRequest {
  taskId: string;
  leaseToken: string;
  /** Deliveries per batch, i.e. per transaction. */
  limit: number;
  /** The lease is renewed to now + leaseMs by every batch. */
  leaseMs: number;
  now: number;
}

/** lease_lost: the task is gone, finished, or another runner holds it; this runner must let it go. */
export type RecoverBatchResult = { kind: "lease_lost" } | { kind: "progress" | "finished"; task: Task };

export interface TasksPort {
  /** false (and nothing written) when the task's endpoint has a task queued or running already. */
  insertTask(task: Task): Promise<boolean>;
  getTask(tenantId: string, id: string): Promise<Task | null>;
  /** Newest first. */
  listTasks(tenantId: string, page: PageRequest): Promise<Page<Task>>;
  /** Leases the oldest runnable task (status becomes running), or null when there is none. */
  claimTask(claim: TaskClaim): Promise<Task | null>;
  /**
   * One step of an `endpoint.recover` task, in one transaction, only while `leaseToken` holds. The first step counts
   * `total` (the endpoint's failed and dead deliveries in the window) and fixes the newest of them as the task's end;
   * each later step takes the next `limit` of those deliveries by id after the task's cursor, requeues the ones not
   * in flight and not expunged, skips the others, and advances cursor, done, requeued and skipped together, so a
   * crash between steps repeats nothing and loses nothing. A step that finds nothing left finishes the task; an
   * endpoint deleted or disabled meanwhile fails it. Requeued deliveries wake the workers.
   */
  runRecoverBatch(request: RecoverBatchRequest): Promise<RecoverBatchResult>;
  /**
   * One step of an `endpoint.delete` or `tenant.delete` task, in one transaction, only while `leaseToken` holds. The
   * first step counts `total` (the deliveries to delete). Each later step deletes up to `limit` rows of one table,
   * in a fixed order (an endpoint's jobs, dead letters, deliveries with their attempts, payload fetches, stats; for
   * a tenant each endpoint in turn, then its remaining deliveries, dead letters, events and idempotency keys), and
   * advances `done` by the deliveries it deleted. Every step finds its rows afresh, so a crash between two steps
   * repeats nothing. The step that finds nothing left finishes the task; for a tenant it deletes the tenant row,
   * whose own cascades take the small rest (event types, portal settings, its tasks, this one included).
   */
  runDeletionStep(request: RecoverBatchRequest): Promise<RecoverBatchResult>;
  /** Ends this runner's lease now (clean shutdown), so another process takes the task over without waiting. */
  releaseTask(id: string, leaseToken: string, now: number): Promise<void>;
  /**
   * A step failed for a reason other than a store outage: counts it while `leaseToken` holds. Below
   * MAX_TASK_STEP_FAILURES the task waits (its lease runs out at `at`, then any runner takes it again); at the limit
   * it ends as failed.
   */
  recordTaskFailure(id: string, leaseToken: string, now: number): Promise<TaskFailureResult>;
}

export type TaskFailureResult =
  | { kind: "retry"; at: number; failures: number }
  | { kind: "failed"; failures: number }
  | { kind: "lease_lost" };
