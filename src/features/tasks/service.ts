/**
 * Starting and reading background tasks. Starting one only writes the queued task; a TaskRunner (task-runner.ts) in
 * some hookd process does the work, so the request answers at once however many deliveries there are.
 */
import { newId } from "../../domain/ids.ts";
import { newRecoverTask, type Task } from "../../domain/tasks.ts";
import type { Page } from "../../domain/types.ts";
import { AppError } from "../../errors/app-error.ts";
import type { PageRequest, Store } from "../../store/store.ts";

export class TaskService {
  constructor(
    private readonly store: Store,
    /** Tells this process's runner a task is waiting, so it starts now rather than at its next poll. */
    private readonly wake: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Queues an `endpoint.recover` task: requeue the endpoint's failed and dead deliveries created in [since, until).
   * A disabled endpoint is refused (ENDPOINT_DISABLED), as a test send is: whatever was requeued would only die again
   * without an attempt.
   */
  async startRecover(tenantId: string, endpointId: string, since: number, until: number | null): Promise<Task> {
    if (until !== null && until <= since) {
      throw new AppError("VALIDATION_FAILED", "until must be later than since", [
        { path: "body/until", message: "must be later than since" },
      ]);
    }
    const endpoint = await this.store.getEndpoint(tenantId, endpointId);
    if (!endpoint) throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${endpointId} not found`);
    if (endpoint.disabled) {
      throw new AppError("ENDPOINT_DISABLED", `endpoint ${endpointId} is disabled; enable it before recovering`);
    }
    const task = newRecoverTask(newId("task"), tenantId, endpointId, { since, until }, this.now());
    if (!(await this.store.insertTask(task))) {
      throw new AppError(
        "RECOVER_IN_PROGRESS",
        `a recover of endpoint ${endpointId} is queued or running already; wait for it to finish (GET .../tasks)`,
      );
    }
    this.wake();
    return task;
  }

  async get(tenantId: string, id: string): Promise<Task> {
    const task = await this.store.getTask(tenantId, id);
    if (!task) throw new AppError("TASK_NOT_FOUND", `task ${id} not found`);
    return task;
  }

  list(tenantId: string, page: PageRequest): Promise<Page<Task>> {
    return this.store.listTasks(tenantId, page);
  }
}
