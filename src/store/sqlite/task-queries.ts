/**
 * The tasks table on SQLite. Each step runs in one immediate transaction (SQLite has one writer, so the task row and
 * the deliveries it requeues are changed together with nothing interleaved); the pure parts live in task-rows.ts.
 */
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
import type { SqliteContext } from "./context.ts";
import { runDeletionStep } from "./deletion-task.ts";
import { REQUEUE_COLUMNS, type RequeueRow, requeue } from "./requeue.ts";

const SAVE_TASK = `UPDATE tasks SET ${TASK_UPDATE_COLUMNS.map((c) => `${c} = ?`).join(", ")} WHERE id = ?`;

/**
 * The deliveries a recover may requeue, found where they live (the dead-letter list and the job table) rather than by
 * reading the endpoint's whole log: `@endpoint`'s failed and dead deliveries.
 */
const RECOVERABLE = `(SELECT delivery_id FROM dead_letters WHERE endpoint_id = @endpoint
  UNION ALL SELECT delivery_id FROM delivery_jobs WHERE endpoint_id = @endpoint)`;

export class SqliteTasks {
  constructor(private readonly ctx: SqliteContext) {}

  private sql(text: string) {
    return this.ctx.sql(text);
  }

  private get db() {
    return this.ctx.db;
  }

  private save(r: TaskRow): void {
    const [id, ...rest] = taskUpdateValues(r);
    this.sql(SAVE_TASK).run(...rest, id);
  }

  /** false when the endpoint has a task queued or running already (tasks_one_active_per_endpoint). */
  insert(task: Task): boolean {
    const r = newTaskRow(task);
    return this.sql(
      `INSERT INTO tasks (id, tenant_id, kind, status, endpoint_id, params, done, total, requeued, skipped, error,
         created_at, updated_at, finished_at)
       VALUES (@id, @tenant_id, @kind, @status, @endpoint_id, @params, @done, @total, @requeued, @skipped, @error,
         @created_at, @updated_at, @finished_at)
       ON CONFLICT DO NOTHING`,
    ).run(r).changes === 1;
  }

  get(tenantId: string, id: string): Task | null {
    const row = this.sql("SELECT * FROM tasks WHERE tenant_id = ? AND id = ?").get(tenantId, id) as TaskRow | undefined;
    return row ? toTask(row) : null;
  }

  list(tenantId: string, page: PageRequest): Page<Task> {
    const rows = (
      page.after
        ? this.sql("SELECT * FROM tasks WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?").all(
            tenantId,
            page.after,
            page.limit + 1,
          )
        : this.sql("SELECT * FROM tasks WHERE tenant_id = ? ORDER BY id DESC LIMIT ?").all(tenantId, page.limit + 1)
    ) as TaskRow[];
    return toPage(rows.map(toTask), page.limit);
  }

  claim(c: TaskClaim): Task | null {
    return this.db
      .transaction(() => {
        const kinds = c.kinds.map(() => "?").join(", ");
        const row = this.sql(
          `SELECT * FROM tasks WHERE status IN ('queued', 'running') AND kind IN (${kinds})
             AND (status = 'queued' OR lease_expires_at <= ?)
           ORDER BY id LIMIT 1`,
        ).get(...c.kinds, c.now) as TaskRow | undefined;
        if (!row) return null;
        const next: TaskRow = {
          ...row,
          status: "running",
          lease_token: c.leaseToken,
          lease_expires_at: c.now + c.leaseMs,
          updated_at: c.now,
        };
        this.save(next);
        return toTask(next);
      })
      .immediate();
  }

  runRecoverBatch(req: RecoverBatchRequest): RecoverBatchResult {
    let wake = false;
    // The first step counts everything the task will do. That count grows with the endpoint's failures, so it runs
    // as a plain read before the write transaction: inside it, it would hold SQLite's one write lock (every ingest
    // and every attempt record) for as long as it takes. The task row is checked again under the lock.
    const pending = this.sql("SELECT * FROM tasks WHERE id = ?").get(req.taskId) as TaskRow | undefined;
    const counted = pending && pending.total === null && pending.lease_token === req.leaseToken ? this.countRecoverable(pending) : null;
    const result = this.db
      .transaction((): RecoverBatchResult => {
        const row = this.sql("SELECT * FROM tasks WHERE id = ?").get(req.taskId) as TaskRow | undefined;
        if (!row || row.status !== "running" || row.lease_token !== req.leaseToken) return { kind: "lease_lost" };
        const endpoint = this.sql("SELECT disabled FROM endpoints WHERE tenant_id = ? AND id = ?").get(
          row.tenant_id,
          row.endpoint_id,
        ) as { disabled: number } | undefined;
        const gone = endpointGoneReason(endpoint && { disabled: endpoint.disabled === 1 });
        let next: TaskRow;
        if (gone) {
          next = finished(row, "failed", gone, req.now);
        } else if (row.total === null) {
          const { n, bound } = counted ?? this.countRecoverable(row);
          next = started(row, n, bound, req.leaseMs, req.now);
        } else {
          const { since, until } = recoverWindow(row);
          const rows = this.sql(
            `SELECT ${REQUEUE_COLUMNS} FROM deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
             WHERE d.tenant_id = @tenant AND d.id IN ${RECOVERABLE} AND d.status IN ('failed', 'dead')
               AND d.id > @cursor AND d.id <= @bound AND d.created_at >= @since AND d.created_at < @until
             ORDER BY d.id LIMIT @limit`,
          ).all({
            tenant: row.tenant_id,
            endpoint: row.endpoint_id,
            cursor: row.cursor_id ?? "",
            bound: row.bound_id ?? "",
            since,
            until,
            limit: req.limit,
          }) as RequeueRow[];
          let requeued = 0;
          for (const d of rows) {
            const r = requeue(this.ctx, d, req.now);
            if (r.result === "replayed") requeued++;
            wake ||= r.wake;
          }
          next = afterBatch(row, rows, { requeued, skipped: rows.length - requeued }, req.leaseMs, req.now);
        }
        this.save(next);
        return { kind: next.status === "running" ? "progress" : "finished", task: toTask(next) };
      })
      .immediate();
    if (wake) this.ctx.wake();
    return result;
  }

  runDeletionStep(req: RecoverBatchRequest): RecoverBatchResult {
    return runDeletionStep(this.ctx, req, (r) => this.save(r));
  }

  private countRecoverable(row: TaskRow): { n: number; bound: string | null } {
    const { since, until } = recoverWindow(row);
    return this.sql(
      `SELECT count(*) AS n, max(d.id) AS bound FROM deliveries d
       WHERE d.tenant_id = @tenant AND d.id IN ${RECOVERABLE} AND d.status IN ('failed', 'dead')
         AND d.created_at >= @since AND d.created_at < @until`,
    ).get({ tenant: row.tenant_id, endpoint: row.endpoint_id, since, until }) as { n: number; bound: string | null };
  }

  recordFailure(id: string, leaseToken: string, now: number): TaskFailureResult {
    return this.db
      .transaction((): TaskFailureResult => {
        const row = this.sql("SELECT * FROM tasks WHERE id = ?").get(id) as TaskRow | undefined;
        if (!row || row.status !== "running" || row.lease_token !== leaseToken) return { kind: "lease_lost" };
        const { row: next, result } = afterStepFailure(row, now);
        this.save(next);
        return result;
      })
      .immediate();
  }

  release(id: string, leaseToken: string, now: number): void {
    this.sql(
      "UPDATE tasks SET lease_expires_at = ?, updated_at = ? WHERE id = ? AND lease_token = ? AND status = 'running'",
    ).run(now, now, id, leaseToken);
  }
}
