/**
 * Background tasks: long operator jobs that run outside the request, survive a crash and report progress:
 * `endpoint.recover` (requeue failed and dead deliveries), and `endpoint.delete` / `tenant.delete`, which remove a
 * deleted endpoint's or tenant's rows in small batches. The vocabulary shared by the store, the runner and the API.
 */

export type TaskKind = "endpoint.recover" | "endpoint.delete" | "tenant.delete";
export type TaskStatus = "queued" | "running" | "succeeded" | "failed";

/** What an `endpoint.recover` task replays: the endpoint's failed and dead deliveries created in [since, until). */
export interface RecoverParams {
  since: number;
  /** null: no upper bound (the task still stops at the newest such delivery that existed when it started). */
  until: number | null;
}

/**
 * What a deletion removes besides what it finds by its tenant or endpoint id: for `tenant.delete`, endpoints deleted
 * before the tenant whose `endpoint.delete` tasks it took over (their rows are no longer found through `endpoints`).
 */
export interface DeletionParams {
  endpointIds: string[];
}

export interface Task {
  id: string;
  tenantId: string;
  kind: TaskKind;
  status: TaskStatus;
  /** The endpoint it works on; "" for `tenant.delete`. */
  endpointId: string;
  params: RecoverParams | DeletionParams;
  /**
   * Deliveries dealt with so far (recover: requeued + skipped; deletion: deleted); advanced in the same transaction
   * as the work it counts.
   */
  done: number;
  /** Deliveries the task found to do when it started; null while queued. */
  total: number | null;
  requeued: number;
  /** Found in flight, or with an expunged payload: left as they were. */
  skipped: number;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** A new task as the API creates it: queued, nothing counted yet. */
export function newRecoverTask(
  id: string,
  tenantId: string,
  endpointId: string,
  params: RecoverParams,
  now: number,
): Task {
  return {
    id,
    tenantId,
    kind: "endpoint.recover",
    status: "queued",
    endpointId,
    params,
    done: 0,
    total: null,
    requeued: 0,
    skipped: 0,
    error: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
  };
}

/** A deletion task as the store queues it in the transaction that hides its endpoint or tenant. */
export function newDeletionTask(
  id: string,
  kind: "endpoint.delete" | "tenant.delete",
  tenantId: string,
  endpointId: string,
  params: DeletionParams,
  now: number,
): Task {
  return { ...newRecoverTask(id, tenantId, endpointId, { since: 0, until: null }, now), kind, params };
}

/**
 * A step that fails for a reason other than a store outage (which is retried in place for as long as it lasts) is
 * tried again by a later claim, after a growing pause, and the task fails with its error after this many failures in
 * a row (a step that goes through starts the count again):
 * a step that keeps failing is a fault in the data or the code, and retrying it for ever would also keep taking the
 * runner's turn from the tasks behind it.
 */
export const MAX_TASK_STEP_FAILURES = 5;

/** The pause before a failed step is tried again: 1 s, 2 s, 4 s, 8 s. */
export function taskRetryDelayMs(failures: number): number {
  return Math.min(60_000, 1_000 * 2 ** Math.max(0, failures - 1));
}

export function isRecoverParams(p: Task["params"]): p is RecoverParams {
  return "since" in p;
}
