/**
 * `hookd recover <endpoint_id> --since <time>`: after an outage, requeue every failed and dead delivery of an
 * endpoint created in a time window. hookd runs it as a background task; the command starts it and follows it with
 * a progress bar until it ends, then prints what it did. Stopping the command (Ctrl-C) does not stop the task.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Command } from "commander";
import type { Task } from "../../../packages/client/src/index.ts";
import { CliError, usageError } from "../errors.ts";
import { startProgressBar } from "../output/progress.ts";
import { formatRecord } from "../output/table.ts";
import { apiAction, type CommandContext, withConnection } from "./command.ts";
import { call } from "./connection.ts";
import { parseTime } from "./time.ts";

const FINISHED = new Set(["succeeded", "failed"]);

const summary = (t: Task) =>
  formatRecord([
    ["task", t.id],
    ["endpoint", t.endpoint_id],
    ["status", t.status],
    ["window", `${t.params.since} .. ${t.params.until ?? "now"}`],
    ["requeued", t.requeued],
    ["skipped", t.skipped],
    ...(t.error ? [["error", t.error] as [string, string]] : []),
  ]);

export function recoverCommand(ctx: CommandContext): Command {
  const recover = new Command("recover")
    .description("requeue an endpoint's failed and dead deliveries from a time window, following the task to its end")
    .argument("<endpoint_id>")
    .requiredOption("--since <time>", "deliveries created at or after: a date-time, or a span back from now (30m, 2h, 7d)")
    .option("--until <time>", "deliveries created before (default: now)")
    .option("--interval <ms>", "how often to look at the task's progress", "500");
  withConnection(recover, { tenant: true });
  recover.action(
    apiAction(ctx, async (conn, out, endpointId: string, opts: { since: string; until?: string; interval: string }) => {
      const interval = Number(opts.interval);
      if (!Number.isInteger(interval) || interval < 10) throw usageError("--interval must be a whole number of milliseconds, 10 or more");
      const tenant_id = conn.tenant();
      let task = await call(
        conn.settings,
        conn.client.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/recover", {
          params: { path: { tenant_id, endpoint_id: endpointId } },
          body: { since: parseTime(opts.since, "--since"), until: opts.until === undefined ? undefined : parseTime(opts.until, "--until") },
        }),
      );
      const bar = startProgressBar(out.io.progress, `recover ${task.id}`);
      try {
        for (;;) {
          if (task.total !== null) bar.update(task.done, task.total, `requeued ${task.requeued}, skipped ${task.skipped}`);
          if (FINISHED.has(task.status)) break;
          await sleep(interval);
          task = await call(
            conn.settings,
            conn.client.GET("/v1/tenants/{tenant_id}/tasks/{task_id}", { params: { path: { tenant_id, task_id: task.id } } }),
          );
        }
      } finally {
        bar.stop();
      }
      out.result(task, () => summary(task));
      if (task.status === "failed") throw new CliError(`recover task ${task.id} failed: ${task.error ?? "no reason given"}`, "TASK_FAILED");
    }),
  );
  return recover;
}
