/**
 * Background tasks: long operator jobs (today only `endpoint.recover`) that run outside the request, survive a crash
 * and report progress. The vocabulary shared by the store, the runner and the API.
 */

export type TaskKind = "endpoint.recover";
export type TaskStatus = "queued" | "running" | "succeeded" | "failed";

/** What an `endpoint.recover` task replays: the endpoint's failed and dead deliveries created in [since, until). */
export interface RecoverParams {
  since: number;
  /** null: no upper bound (the task still stops at the newest such delivery that existed when it started). */
  until: number | null;
}

export interface Task {
  id: string;
  tenantId: string;
  kind: TaskKind;
  status: TaskStatus;
  endpointId: string;
  params: RecoverParams;
  /** Deliveries dealt with so far (requeued + skipped); advanced in the same transaction as the work it counts. */
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
