/**
 * The tasks table as both adapters read and write it (the columns are the same in both stores), and the pure step
 * logic of a recover batch, so the two adapters differ only in their SQL.
 */
import { type DeletionParams, MAX_TASK_STEP_FAILURES, type RecoverParams, type Task, type TaskKind, type TaskStatus, taskRetryDelayMs } from "../domain/tasks.ts";
import type { RecoverBatchResult, TaskFailureResult } from "./ports/tasks.ts";

export interface TaskRow {
  id: string;
  tenant_id: string;
  kind: string;
  status: string;
  endpoint_id: string;
  params: string;
  cursor_id: string | null;
  bound_id: string | null;
  done: number;
  total: number | null;
  requeued: number;
  skipped: number;
  lease_token: string | null;
  lease_expires_at: number | null;
  error: string | null;
  /** Steps that failed for a reason other than a store outage (domain/tasks.ts, MAX_TASK_STEP_FAILURES). */
  failures: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export function toTask(r: TaskRow): Task {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    kind: r.kind as TaskKind,
    status: r.status as TaskStatus,
    endpointId: r.endpoint_id,
    params: JSON.parse(r.params) as Task["params"],
    done: r.done,
    total: r.total,
    requeued: r.requeued,
    skipped: r.skipped,
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}

/** A new task's row: no cursor, no lease. */
export function newTaskRow(t: Task): TaskRow {
  return {
    id: t.id,
    tenant_id: t.tenantId,
    kind: t.kind,
    status: t.status,
    endpoint_id: t.endpointId,
    params: JSON.stringify(t.params),
    cursor_id: null,
    bound_id: null,
    done: t.done,
    total: t.total,
    requeued: t.requeued,
    skipped: t.skipped,
    lease_token: null,
    lease_expires_at: null,
    error: t.error,
    failures: 0,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    finished_at: t.finishedAt,
  };
}

/** Column order of the full-row UPDATE both adapters use to save a step (id first, as the key). */
export const TASK_UPDATE_COLUMNS = [
  "status",
  "cursor_id",
  "bound_id",
  "done",
  "total",
  "requeued",
  "skipped",
  "lease_token",
  "lease_expires_at",
  "error",
  "failures",
  "updated_at",
  "finished_at",
] as const;

export function taskUpdateValues(r: TaskRow): unknown[] {
  return [r.id, ...TASK_UPDATE_COLUMNS.map((c) => r[c])];
}

/** The window the recover query filters on; an open end is a time no delivery reaches. */
export function recoverWindow(r: TaskRow): { since: number; until: number } {
  const p = JSON.parse(r.params) as RecoverParams;
  return { since: p.since, until: p.until ?? Number.MAX_SAFE_INTEGER };
}

/** The row after a step that ends the task. */
export function finished(r: TaskRow, status: "succeeded" | "failed", error: string | null, now: number): TaskRow {
  return { ...r, status, error, lease_token: null, lease_expires_at: null, updated_at: now, finished_at: now };
}

/** A delivery the recover step looked at, with what decides whether it can be requeued. */
/**
 * The row after one batch: cursor past its last delivery, counts advanced, lease renewed. Only an empty batch ends the
 * task: a short one is not proof of the end on PostgreSQL, where a row changed by a concurrent worker can drop out of
 * a locking read (and the next batch picks up whatever is left).
 */
export function afterBatch(
  r: TaskRow,
  rows: readonly { id: string }[],
  counts: { requeued: number; skipped: number },
  leaseMs: number,
  now: number,
): TaskRow {
  const next: TaskRow = {
    ...r,
    cursor_id: rows.at(-1)?.id ?? r.cursor_id,
    done: r.done + rows.length,
    requeued: r.requeued + counts.requeued,
    skipped: r.skipped + counts.skipped,
    lease_expires_at: now + leaseMs,
    updated_at: now,
    // A step that went through: only failures in a row end a task (afterStepFailure).
    failures: 0,
  };
  return rows.length === 0 ? finished(next, "succeeded", null, now) : next;
}

/** The row after the first step counted the work: total and end fixed, or finished at once when there is none. */
export function started(r: TaskRow, total: number, boundId: string | null, leaseMs: number, now: number): TaskRow {
  const next: TaskRow = { ...r, total, bound_id: boundId, lease_expires_at: now + leaseMs, updated_at: now, failures: 0 };
  return total === 0 ? finished(next, "succeeded", null, now) : next;
}

/** Why a recover cannot go on: its endpoint went away or was disabled after the task was accepted. */
export function endpointGoneReason(endpoint: { disabled: boolean } | undefined): string | null {
  if (!endpoint) return "the endpoint was deleted";
  if (endpoint.disabled) return "the endpoint was disabled; enable it and start a new recover";
  return null;
}

/** A deletion's first step: how many deliveries it will delete (it goes on even at 0: other rows may be left). */
export function deletionCounted(r: TaskRow, total: number, leaseMs: number, now: number): TaskRow {
  return { ...r, total, lease_expires_at: now + leaseMs, updated_at: now, failures: 0 };
}

/** A deletion step that removed rows: deliveries counted, cursor moved, lease renewed. */
export function deletionProgress(r: TaskRow, deliveries: number, cursor: string | null, leaseMs: number, now: number): TaskRow {
  return { ...r, cursor_id: cursor, done: r.done + deliveries, lease_expires_at: now + leaseMs, updated_at: now, failures: 0 };
}

/**
 * A `tenant.delete` works first on the already-deleted endpoints it took over (params, by the index in cursor_id),
 * then on the tenant's own endpoints in id order, then on the tenant's remaining rows. The next taken-over endpoint,
 * or null when they are done.
 */
export function nextOrphanEndpoint(r: TaskRow): { id: string; index: number } | null {
  const orphans = (JSON.parse(r.params) as Partial<DeletionParams>).endpointIds ?? [];
  const index = Number(r.cursor_id ?? 0);
  const id = orphans[index];
  return id === undefined ? null : { id, index };
}

/** Rows removed by one purge step: deliveries (what `done` counts) and rows of any table (0: nothing left). */
export interface Purged {
  deliveries: number;
  rows: number;
}

/** What one deletion step did: nothing was left ("done"), or it purged a batch and moved its cursor. */
export type DeletionStep = "done" | { purged: Purged; cursor: string | null };

/**
 * The task row to save after a deletion step (null: nothing to save, since a finished tenant.delete took its own task
 * row with the tenant, by cascade) and the step's answer. Both adapters run the step; this decides what it means.
 */
export function afterDeletionStep(row: TaskRow, step: DeletionStep, leaseMs: number, now: number): { save: TaskRow | null; result: RecoverBatchResult } {
  if (step === "done") {
    const next = finished(row, "succeeded", null, now);
    return { save: row.kind === "endpoint.delete" ? next : null, result: { kind: "finished", task: toTask(next) } };
  }
  const next = deletionProgress(row, step.purged.deliveries, step.cursor, leaseMs, now);
  return { save: next, result: { kind: "progress", task: toTask(next) } };
}

/**
 * The row after a step failed (not a store outage): counted, and either left to a later claim after a pause (the
 * lease runs out then) or, at MAX_TASK_STEP_FAILURES failures in a row (a step that goes through starts the count
 * again), failed. The error the tenant sees names no internals.
 */
export function afterStepFailure(r: TaskRow, now: number): { row: TaskRow; result: TaskFailureResult } {
  const failures = Number(r.failures) + 1;
  if (failures >= MAX_TASK_STEP_FAILURES) {
    const error = `a step failed ${failures} times; the last error is in the hookd log`;
    return { row: { ...finished(r, "failed", error, now), failures }, result: { kind: "failed", failures } };
  }
  const at = now + taskRetryDelayMs(failures);
  return { row: { ...r, failures, lease_expires_at: at, updated_at: now }, result: { kind: "retry", at, failures } };
}
