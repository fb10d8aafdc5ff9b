import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventually } from "../../../test/e2e/harness.ts";
import { endpoint, event, ingestRequest, T0, tenant } from "../../../test/contract/fixtures.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../../../test/support/stores.ts";
import { newId } from "../../domain/ids.ts";
import { MAX_TASK_STEP_FAILURES, newRecoverTask, type Task, taskRetryDelayMs } from "../../domain/tasks.ts";
import { createLogger } from "../../observability/logger.ts";
import type { Store } from "../../store/store.ts";
import { QueueDriver } from "../../../test/contract/queue-driver.ts";
import { TaskRunner } from "./task-runner.ts";

const LEASE = 30_000;

describe.each(STORE_KINDS)("task runner (%s)", (kind) => {
  let db: TestDatabase;
  let store: Store;
  let epId: string;
  const runners: TaskRunner[] = [];
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    store = await db.open();
    await store.insertTenant(tenant("acme"));
    const ep = endpoint("acme");
    epId = ep.id;
    await store.insertEndpoint(ep);
  });
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    await store.close();
    await db.destroy();
  });

  function runner(now: () => number, over: { pollIntervalMs?: number; store?: Store } = {}): TaskRunner {
    const r = new TaskRunner({ store, log: createLogger("silent"), now, batchSize: 3, leaseMs: LEASE, pollIntervalMs: 20, ...over });
    runners.push(r);
    return r;
  }

  /** n deliveries, each dead after one failed attempt (an endpoint answering 500, schedule used up). */
  async function deadDeliveries(n: number): Promise<string[]> {
    await store.ingest(ingestRequest("acme", Array.from({ length: n }, () => event())));
    const driver = new QueueDriver(store, "w0");
    const work = await driver.settleAll(T0, { status: 500, deliveryStatus: "dead" });
    await driver.releaseAll(T0 + 2);
    return work.map((d) => d.deliveryId).sort();
  }

  async function queue(): Promise<Task> {
    const task = newRecoverTask(newId("task"), "acme", epId, { since: T0, until: null }, T0 + 10);
    await store.insertTask(task);
    return task;
  }

  const finished = (id: string) =>
    eventually(async () => {
      const t = await store.getTask("acme", id);
      expect(t?.status).toBe("succeeded");
      return t!;
    });

  it("takes over a task whose runner died once its lease ran out, and requeues each delivery once", async () => {
    const ids = await deadDeliveries(7);
    const task = await queue();
    // A runner claims it, counts, does one batch of 3, and dies.
    await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "dead-runner", leaseMs: LEASE, now: T0 + 100 });
    await store.runRecoverBatch({ taskId: task.id, leaseToken: "dead-runner", limit: 3, leaseMs: LEASE, now: T0 + 101 });
    await store.runRecoverBatch({ taskId: task.id, leaseToken: "dead-runner", limit: 3, leaseMs: LEASE, now: T0 + 102 });
    // The three it requeued fail again meanwhile: requeuing them a second time would bring them back.
    const worker = new QueueDriver(store, "w1");
    const retried = await worker.settleAll(T0 + 103, { status: 500, deliveryStatus: "dead" });
    expect(retried.map((d) => d.deliveryId).sort()).toEqual(ids.slice(0, 3));
    await worker.releaseAll(T0 + 105);

    runner(() => T0 + 102 + LEASE).start();
    const done = await finished(task.id);
    expect(done).toMatchObject({ total: 7, done: 7, requeued: 7, skipped: 0, error: null });
    const statuses = await Promise.all(ids.map(async (id) => (await store.getDelivery("acme", id))!.status));
    expect(statuses).toEqual(["dead", "dead", "dead", "pending", "pending", "pending", "pending"]);
  });

  it("starts a task queued in its own process at once, without waiting for a poll", async () => {
    const ids = await deadDeliveries(2);
    const r = runner(() => T0 + 1_000, { pollIntervalMs: 3_600_000 });
    r.start();
    const task = await queue();
    r.wake();
    expect(await finished(task.id)).toMatchObject({ total: 2, done: 2 });
    for (const id of ids) expect((await store.getDelivery("acme", id))!.status).toBe("pending");
  });

  it("gives up on a step that keeps failing: tried again after a growing pause, then the task fails", async () => {
    await deadDeliveries(2);
    const task = await queue();
    // The real store, with one fault: every recover step throws (a poison row, a bug), which is not an outage.
    let steps = 0;
    const faulty: Store = {
      ...store,
      runRecoverBatch: async () => {
        steps++;
        throw new TypeError("cannot read the poison row");
      },
    };
    let now = T0 + 1_000;
    runner(() => now, { store: faulty }).start();
    for (let failures = 1; failures < MAX_TASK_STEP_FAILURES; failures++) {
      await eventually(() => expect(steps).toBe(failures));
      // Not taken again before its pause ends (the runner polls every 20 ms meanwhile).
      await new Promise((r) => setTimeout(r, 150));
      expect(steps).toBe(failures);
      expect(await store.getTask("acme", task.id)).toMatchObject({ status: "running", error: null });
      now += taskRetryDelayMs(failures);
    }
    await eventually(async () => {
      expect(await store.getTask("acme", task.id)).toMatchObject({
        status: "failed",
        error: `a step failed ${MAX_TASK_STEP_FAILURES} times; the last error is in the hookd log`,
        finishedAt: now,
      });
    });
    expect(steps).toBe(MAX_TASK_STEP_FAILURES);
    // Finished for good: nothing claims it again, however late.
    now += 24 * 3_600_000;
    await new Promise((r) => setTimeout(r, 150));
    expect(steps).toBe(MAX_TASK_STEP_FAILURES);
    expect(await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "late", leaseMs: LEASE, now })).toBeNull();
  });
});
