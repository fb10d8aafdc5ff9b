/**
 * The tasks table on PostgreSQL. Runners in many processes share it: a claim takes the oldest runnable task with
 * FOR UPDATE SKIP LOCKED (two runners never take the same one, nor wait on each other), and every step locks the
 * task row first, so a runner whose lease ran out and a runner that took the task over can never both write a step.
 * The step's deliveries are locked in id order (FOR UPDATE), so a worker recording one of them meanwhile waits for
 * the step's commit, or the step for the record's, and either way the status the step decides on is current.
 */
import type pg from "pg";
import type { Task } from "../../domain/tasks.ts";
import type { Page } from "../../domain/types.ts";
import { toPage } from "../paging.ts";
import type { PageRequest, RecoverBatchRequest, RecoverBatchResult, TaskClaim } from "../store.ts";
import type { TaskFailureResult } from "../ports/tasks.ts";
import {
  afterBatch,
  afterStepFailure,
  endpointGoneReason,
  finished,
  newTaskRow,
  recoverWindow,
  started,
  TASK_UPDATE_COLUMNS,
  type TaskRow,
  taskUpdateValues,
  toTask,
} from "../task-rows.ts";
import { runDeletionStep } from "./deletion-task.ts";
import { inTransaction } from "./pool.ts";
import { REQUEUE_COLUMNS, type RequeueRow, requeueAll } from "./requeue.ts";

/**
 * The deliveries a recover may requeue, found where they live (the dead-letter list and the job table) rather than by
 * reading the endpoint's whole log: endpoint $1's failed and dead deliveries.
 */
const RECOVERABLE = `(SELECT delivery_id FROM dead_letters WHERE endpoint_id = $1
  UNION ALL SELECT delivery_id FROM delivery_jobs WHERE endpoint_id = $1)`;

/** What a recover will do: its total, and the newest delivery id it goes up to. Params: endpoint, since, until, tenant. */
export const RECOVER_COUNT = `SELECT count(*)::int AS n, max(d.id) AS bound FROM deliveries d
  WHERE d.tenant_id = $4 AND d.id IN ${RECOVERABLE} AND d.status IN ('failed', 'dead')
    AND d.created_at >= $2 AND d.created_at < $3`;

/**
 * The next batch of a recover, oldest first, locked. Params: endpoint, cursor (exclusive), bound (inclusive), since,
 * until, limit, tenant.
 */
export const RECOVER_BATCH = `SELECT ${REQUEUE_COLUMNS} FROM deliveries d
  JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
  WHERE d.tenant_id = $7 AND d.id IN ${RECOVERABLE} AND d.status IN ('failed', 'dead')
    AND d.id > $2 AND d.id <= $3 AND d.created_at >= $4 AND d.created_at < $5
  ORDER BY d.id LIMIT $6 FOR UPDATE OF d`;

const SAVE_TASK = `UPDATE tasks SET ${TASK_UPDATE_COLUMNS.map((c, i) => `${c} = $${i + 2}`).join(", ")} WHERE id = $1`;

async function save(client: pg.PoolClient, r: TaskRow): Promise<void> {
  await client.query(SAVE_TASK, taskUpdateValues(r));
}

/** Inserts a task row inside the caller's transaction (deletions queue theirs with the change they follow). */
export async function insertTaskRow(client: pg.PoolClient, task: Task): Promise<void> {
  const r = newTaskRow(task);
  await client.query(
    `INSERT INTO tasks (id, tenant_id, kind, status, endpoint_id, params, done, total, requeued, skipped, error,
       created_at, updated_at, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [r.id, r.tenant_id, r.kind, r.status, r.endpoint_id, r.params, r.done, r.total, r.requeued, r.skipped, r.error,
      r.created_at, r.updated_at, r.finished_at],
  );
}

/** Ends the queued and running tasks a deletion makes pointless; returns their kinds and endpoints. */
export async function failActiveTasks(
  client: pg.PoolClient,
  where: string,
  params: unknown[],
  error: string,
  now: number,
): Promise<{ kind: string; endpoint_id: string }[]> {
  const { rows } = await client.query<{ kind: string; endpoint_id: string }>(
    `UPDATE tasks SET status = 'failed', error = $1, lease_token = NULL, lease_expires_at = NULL, updated_at = $2,
       finished_at = $2
     WHERE status IN ('queued', 'running') AND ${where}
     RETURNING kind, endpoint_id`,
    [error, now, ...params],
  );
  return rows;
}

export class PostgresTasks {
  constructor(private readonly pool: pg.Pool) {}

  /** false when the endpoint has a task queued or running already (tasks_one_active_per_endpoint). */
  async insert(task: Task): Promise<boolean> {
    const r = newTaskRow(task);
    const { rowCount } = await this.pool.query(
      `INSERT INTO tasks (id, tenant_id, kind, status, endpoint_id, params, done, total, requeued, skipped, error,
         created_at, updated_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT DO NOTHING`,
      [
        r.id,
        r.tenant_id,
        r.kind,
        r.status,
        r.endpoint_id,
        r.params,
        r.done,
        r.total,
        r.requeued,
        r.skipped,
        r.error,
        r.created_at,
        r.updated_at,
        r.finished_at,
      ],
    );
    return rowCount === 1;
  }

  async get(tenantId: string, id: string): Promise<Task | null> {
    const { rows } = await this.pool.query<TaskRow>("SELECT * FROM tasks WHERE tenant_id = $1 AND id = $2", [tenantId, id]);
    return rows[0] ? toTask(rows[0]) : null;
  }

  async list(tenantId: string, page: PageRequest): Promise<Page<Task>> {
    const { rows } = await this.pool.query<TaskRow>(
      `SELECT * FROM tasks WHERE tenant_id = $1 AND ($2::text IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
      [tenantId, page.after, page.limit + 1],
    );
    return toPage(rows.map(toTask), page.limit);
  }

  async claim(c: TaskClaim): Promise<Task | null> {
    const { rows } = await this.pool.query<TaskRow>(
      `UPDATE tasks SET status = 'running', lease_token = $1, lease_expires_at = $2::bigint + $3::bigint, updated_at = $2
       WHERE id = (
         SELECT id FROM tasks WHERE status IN ('queued', 'running') AND kind = ANY($4::text[])
           AND (status = 'queued' OR lease_expires_at <= $2)
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [c.leaseToken, c.now, c.leaseMs, c.kinds],
    );
    return rows[0] ? toTask(rows[0]) : null;
  }

  async runRecoverBatch(req: RecoverBatchRequest): Promise<RecoverBatchResult> {
    return inTransaction(this.pool, async (client) => {
      const { rows: tasks } = await client.query<TaskRow>("SELECT * FROM tasks WHERE id = $1 FOR UPDATE", [req.taskId]);
      const row = tasks[0];
      if (!row || row.status !== "running" || row.lease_token !== req.leaseToken) return { kind: "lease_lost" };
      const { rows: endpoints } = await client.query<{ disabled: boolean }>(
        "SELECT disabled FROM endpoints WHERE tenant_id = $1 AND id = $2",
        [row.tenant_id, row.endpoint_id],
      );
      const gone = endpointGoneReason(endpoints[0]);
      let next: TaskRow;
      if (gone) {
        next = finished(row, "failed", gone, req.now);
      } else if (row.total === null) {
        const { since, until } = recoverWindow(row);
        const { rows: counted } = await client.query<{ n: number; bound: string | null }>(
          RECOVER_COUNT,
          [row.endpoint_id, since, until, row.tenant_id],
        );
        next = started(row, counted[0]?.n ?? 0, counted[0]?.bound ?? null, req.leaseMs, req.now);
      } else {
        const { since, until } = recoverWindow(row);
        const { rows } = await client.query<RequeueRow>(
          RECOVER_BATCH,
          [row.endpoint_id, row.cursor_id ?? "", row.bound_id ?? "", since, until, req.limit, row.tenant_id],
        );
        const results = await requeueAll(client, rows, req.now);
        const requeued = results.filter((r) => r === "replayed").length;
        next = afterBatch(row, rows, { requeued, skipped: rows.length - requeued }, req.leaseMs, req.now);
      }
      await save(client, next);
      return { kind: next.status === "running" ? "progress" : "finished", task: toTask(next) };
    });
  }

  runDeletionStep(req: RecoverBatchRequest): Promise<RecoverBatchResult> {
    return runDeletionStep(this.pool, req, save);
  }

  async recordFailure(id: string, leaseToken: string, now: number): Promise<TaskFailureResult> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<TaskRow>("SELECT * FROM tasks WHERE id = $1 FOR UPDATE", [id]);
      const row = rows[0];
      if (!row || row.status !== "running" || row.lease_token !== leaseToken) return { kind: "lease_lost" as const };
      const { row: next, result } = afterStepFailure(row, now);
      await save(client, next);
      return result;
    });
  }

  async release(id: string, leaseToken: string, now: number): Promise<void> {
    await this.pool.query(
      "UPDATE tasks SET lease_expires_at = $3, updated_at = $3 WHERE id = $1 AND lease_token = $2 AND status = 'running'",
      [id, leaseToken, now],
    );
  }
}
