import { describe, expect, it } from "vitest";
import { MAX_TASK_STEP_FAILURES, newRecoverTask, taskRetryDelayMs } from "../domain/tasks.ts";
import { afterBatch, afterStepFailure, deletionProgress, newTaskRow, type TaskRow } from "./task-rows.ts";

const T0 = 1_000_000;
const running = (): TaskRow => ({ ...newTaskRow(newRecoverTask("task_1", "acme", "ep_1", { since: 0, until: null }, T0)), status: "running" });

function failTimes(r: TaskRow, n: number): TaskRow {
  let row = r;
  for (let i = 0; i < n; i++) row = afterStepFailure(row, T0 + i).row;
  return row;
}

describe("a task's step failures", () => {
  it("pause the task longer each time and fail it at the limit", () => {
    let row = running();
    for (let f = 1; f < MAX_TASK_STEP_FAILURES; f++) {
      const { row: next, result } = afterStepFailure(row, T0);
      expect(result).toEqual({ kind: "retry", at: T0 + taskRetryDelayMs(f), failures: f });
      expect(next.status).toBe("running");
      row = next;
    }
    const last = afterStepFailure(row, T0 + 5);
    expect(last.result).toEqual({ kind: "failed", failures: MAX_TASK_STEP_FAILURES });
    expect(last.row).toMatchObject({ status: "failed", finished_at: T0 + 5, lease_token: null, lease_expires_at: null });
  });

  it("count only in a row: a step that goes through starts the count again", () => {
    const almost = failTimes(running(), MAX_TASK_STEP_FAILURES - 1);
    for (const ok of [afterBatch(almost, [{ id: "d1" }], { requeued: 1, skipped: 0 }, 30_000, T0), deletionProgress(almost, 10, "d9", 30_000, T0)]) {
      expect(ok.failures).toBe(0);
      expect(afterStepFailure(ok, T0 + 1).result).toEqual({ kind: "retry", at: T0 + 1 + taskRetryDelayMs(1), failures: 1 });
    }
  });
});
