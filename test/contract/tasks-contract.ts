/**
 * Contract cases for test sends (ingest with a target) and background recover tasks, run by store-contract.ts on
 * both adapters on a controlled clock: batching, the lease and the take-over after a crash, what a recover skips,
 * and how it ends when its endpoint goes away.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids.ts";
import { newRecoverTask, type Task } from "../../src/domain/tasks.ts";
import type { Store } from "../../src/store/store.ts";
import { attemptRecord, claimDue, endpoint, event, ingestRequest, type Recorded, recordAttempts, T0, type Taken, tenant } from "./fixtures.ts";
import { deleteEndpointNow, deleteTenantNow } from "../support/deletions.ts";

const LEASE = 30_000;

function dead(d: Taken, now: number): Recorded {
  return attemptRecord(d, now, { status: 500, durationMs: 3, responseBody: "broken", deliveryStatus: "dead" });
}

export function taskCases(getStore: () => Store): void {
  let store: Store;
  let epId: string;
  beforeEach(async () => {
    store = getStore();
    await store.insertTenant(tenant("acme"));
    await store.insertTenant(tenant("other"));
    const ep = endpoint("acme", { eventTypes: ["invoice.*"] });
    epId = ep.id;
    await store.insertEndpoint(ep);
  });

  /** Publishes `n` events at `at` and kills every delivery they make (each endpoint's after one attempt). */
  async function deadDeliveries(n: number, at: number): Promise<string[]> {
    const events = Array.from({ length: n }, () => event({ createdAt: at }));
    await store.ingest(ingestRequest("acme", events));
    const claimed = await claimDue(store, at, `tok-${at}`);
    await recordAttempts(claimed.map((d) => dead(d, at + 1)));
    return claimed.filter((d) => d.endpointId === epId).map((d) => d.id).sort();
  }

  async function queueRecover(since = T0, until: number | null = null, at = T0 + 10_000, on = epId): Promise<Task> {
    const task = newRecoverTask(newId("task"), "acme", on, { since, until }, at);
    expect(await store.insertTask(task)).toBe(true);
    return task;
  }

  const statusOf = async (id: string) => (await store.getDelivery("acme", id))?.status;

  describe("test send (ingest with a target)", () => {
    it("delivers only to the named endpoint, whatever it subscribes to, with the caller's delivery id", async () => {
      const everything = endpoint("acme", { eventTypes: ["*"] });
      await store.insertEndpoint(everything);
      const ev = event({ type: "hookd.test" });
      const deliveryId = newId("dlv");
      const result = await store.ingest(ingestRequest("acme", [ev], { target: { endpointId: epId, deliveryId } }));
      expect(result).toMatchObject({ kind: "created", events: [{ id: ev.id, matchedEndpoints: 1 }] });
      const all = await store.listDeliveries("acme", { eventId: ev.id }, { limit: 10, after: null });
      expect(all.data.map((d) => [d.id, d.endpointId, d.status, d.eventType])).toEqual([
        [deliveryId, epId, "pending", "hookd.test"],
      ]);
      const [claimed] = await claimDue(store, T0, "t");
      expect(claimed).toMatchObject({ id: deliveryId, endpointId: epId, event: { type: "hookd.test" } });
    });

    it("writes nothing for an unknown, foreign or disabled endpoint", async () => {
      const off = endpoint("acme", { disabled: true, disabledReason: "by hand" });
      await store.insertEndpoint(off);
      const foreign = endpoint("other");
      await store.insertEndpoint(foreign);
      const cases: [string, string, string][] = [
        ["acme", "ep_missing", "target_not_found"],
        ["acme", foreign.id, "target_not_found"],
        ["acme", off.id, "target_disabled"],
      ];
      for (const [tenantId, endpointId, kind] of cases) {
        const ev = event();
        const res = await store.ingest(ingestRequest(tenantId, [ev], { target: { endpointId, deliveryId: newId("dlv") } }));
        expect(res).toEqual({ kind });
        expect(await store.getEvent(tenantId, ev.id)).toBeNull();
      }
      expect((await store.listDeliveries("acme", {}, { limit: 10, after: null })).data).toEqual([]);
    });
  });

  describe("recover tasks", () => {
    it("stores, reads and lists tasks per tenant, newest first", async () => {
      const other = endpoint("acme");
      await store.insertEndpoint(other);
      const a = await queueRecover(T0, null, T0 + 1);
      const b = await queueRecover(T0, T0 + 5, T0 + 2, other.id);
      expect(await store.getTask("acme", a.id)).toEqual(a);
      expect(await store.getTask("other", a.id)).toBeNull();
      const first = await store.listTasks("acme", { limit: 1, after: null });
      expect(first.data.map((t) => t.id)).toEqual([b.id]);
      const second = await store.listTasks("acme", { limit: 1, after: first.nextCursor });
      expect(second.data).toEqual([a]);
      expect(second.nextCursor).toBeNull();
      expect((await store.listTasks("other", { limit: 10, after: null })).data).toEqual([]);
    });

    it("works in batches oldest first: counts total, requeues each batch with its progress, then finishes", async () => {
      const ids = await deadDeliveries(5, T0);
      const task = await queueRecover();
      const claimed = await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "A", leaseMs: LEASE, now: T0 + 20_000 });
      expect(claimed).toMatchObject({ id: task.id, status: "running", total: null, done: 0 });
      // Nothing else to claim while A holds it.
      expect(await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "B", leaseMs: LEASE, now: T0 + 20_000 })).toBeNull();

      const step = (now: number) => store.runRecoverBatch({ taskId: task.id, leaseToken: "A", limit: 2, leaseMs: LEASE, now });
      expect(await step(T0 + 21_000)).toMatchObject({ kind: "progress", task: { total: 5, done: 0, status: "running" } });
      for (const id of ids) expect(await statusOf(id)).toBe("dead");

      expect(await step(T0 + 22_000)).toMatchObject({ kind: "progress", task: { done: 2, requeued: 2 } });
      expect(await Promise.all(ids.map(statusOf))).toEqual(["pending", "pending", "dead", "dead", "dead"]);
      expect(await step(T0 + 23_000)).toMatchObject({ kind: "progress", task: { done: 4 } });
      expect(await step(T0 + 24_000)).toMatchObject({ kind: "progress", task: { done: 5 } });
      const last = await step(T0 + 25_000);
      expect(last).toMatchObject({
        kind: "finished",
        task: { status: "succeeded", done: 5, total: 5, requeued: 5, skipped: 0, error: null, finishedAt: T0 + 25_000 },
      });
      expect(await store.getTask("acme", task.id)).toEqual(last.kind === "finished" ? last.task : null);
      // Requeued as a replay is: due now, with the attempt history kept.
      const d = await store.getDelivery("acme", ids[4]!);
      expect(d).toMatchObject({ status: "pending", attempts: 1, nextAttemptAt: T0 + 24_000 });
      // A finished task is never claimed again.
      expect(await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "C", leaseMs: LEASE, now: T0 + 999_000 })).toBeNull();
    });

    it("resumes after a crash: another runner takes over once the lease ran out, and nothing is done twice", async () => {
      const ids = await deadDeliveries(5, T0);
      const task = await queueRecover();
      const claim = (token: string, now: number) =>
        store.claimTask({ kinds: ["endpoint.recover"], leaseToken: token, leaseMs: LEASE, now });
      const step = (token: string, now: number) =>
        store.runRecoverBatch({ taskId: task.id, leaseToken: token, limit: 2, leaseMs: LEASE, now });

      // Runner A starts, does one batch, and dies.
      await claim("A", T0 + 20_000);
      await step("A", T0 + 20_001);
      await step("A", T0 + 20_002);
      // The two it requeued are attempted and die again before the task resumes: a second requeue would revive them.
      const retried = await claimDue(store, T0 + 20_003, "w");
      expect(retried.map((d) => d.id).sort()).toEqual(ids.slice(0, 2));
      await recordAttempts(retried.map((d) => dead(d, T0 + 20_004)));

      // Its lease still holds (renewed by its last batch): nobody takes the task over yet.
      expect(await claim("B", T0 + 20_002 + LEASE - 1)).toBeNull();
      const resumed = await claim("B", T0 + 20_002 + LEASE);
      expect(resumed).toMatchObject({ id: task.id, status: "running", total: 5, done: 2, requeued: 2 });

      let now = T0 + 60_000;
      for (;;) {
        const r = await step("B", now++);
        if (r.kind !== "progress") {
          expect(r).toMatchObject({ kind: "finished", task: { status: "succeeded", done: 5, total: 5, requeued: 5 } });
          break;
        }
      }
      expect(await Promise.all(ids.map(statusOf))).toEqual(["dead", "dead", "pending", "pending", "pending"]);
      // Each of the first two has its one replayed attempt and nothing more.
      for (const id of ids.slice(0, 2)) expect(await store.listAttempts(id)).toHaveLength(2);

      // Runner A comes back: its lease is gone, so its step changes nothing.
      expect(await step("A", now)).toEqual({ kind: "lease_lost" });
      expect(await store.getTask("acme", task.id)).toMatchObject({ done: 5, requeued: 5 });
    });

    it("a released task is taken over at once", async () => {
      await deadDeliveries(1, T0);
      const task = await queueRecover();
      await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "A", leaseMs: LEASE, now: T0 + 20_000 });
      await store.releaseTask(task.id, "A", T0 + 20_001);
      const taken = await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "B", leaseMs: LEASE, now: T0 + 20_001 });
      expect(taken?.id).toBe(task.id);
      expect(await store.runRecoverBatch({ taskId: task.id, leaseToken: "A", limit: 10, leaseMs: LEASE, now: T0 + 20_002 })).toEqual({
        kind: "lease_lost",
      });
    });

    it("claims only the kinds it is asked for", async () => {
      await queueRecover();
      expect(await store.claimTask({ kinds: [], leaseToken: "A", leaseMs: LEASE, now: T0 + 20_000 })).toBeNull();
    });

    it("keeps to its window and endpoint, skips what is in flight or expunged, and leaves pending alone", async () => {
      const before = await deadDeliveries(1, T0 - 1_000);
      const inWindow = await deadDeliveries(3, T0);
      const after = await deadDeliveries(1, T0 + 5_000);
      const other = endpoint("acme", { eventTypes: ["invoice.*"] });
      // From here on each event also has a dead delivery on another endpoint.
      await store.insertEndpoint(other);
      const alsoPlain = await deadDeliveries(1, T0 + 1);
      const otherDead = (await store.listDeliveries("acme", { endpointId: other.id }, { limit: 10, after: null })).data;
      expect(otherDead.map((d) => d.status)).toEqual(["dead"]);
      const [expunged, inFlight, plain] = inWindow as [string, string, string];
      // One has its payload expunged; one is replayed, fails, and is being retried right now.
      const expungedEvent = (await store.getDelivery("acme", expunged))!.eventId;
      await store.expungeEventPayload("acme", expungedEvent, T0 + 6_000);
      expect(await store.replayDelivery("acme", inFlight, T0 + 6_000)).toBe("replayed");
      const [leased] = await claimDue(store, T0 + 6_000, "w");
      expect(leased?.id).toBe(inFlight);
      await recordAttempts([attemptRecord(leased!, T0 + 6_001, { status: 500, deliveryStatus: "failed" }, { nextAttemptAt: T0 + 6_002 })]);
      const [again] = await claimDue(store, T0 + 6_002, "w2");
      expect(again?.id).toBe(inFlight);

      const task = await queueRecover(T0, T0 + 5_000);
      await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "A", leaseMs: LEASE, now: T0 + 7_000 });
      let result;
      for (let now = T0 + 7_001; ; now++) {
        result = await store.runRecoverBatch({ taskId: task.id, leaseToken: "A", limit: 500, leaseMs: LEASE, now });
        if (result.kind !== "progress") break;
      }
      expect(result).toMatchObject({
        kind: "finished",
        task: { status: "succeeded", total: 4, done: 4, requeued: 2, skipped: 2 },
      });
      expect(await statusOf(plain)).toBe("pending");
      expect(await statusOf(alsoPlain[0]!)).toBe("pending");
      expect(await statusOf(expunged)).toBe("dead");
      expect(await store.getDelivery("acme", inFlight)).toMatchObject({ status: "failed" });
      expect(await statusOf(before[0]!)).toBe("dead");
      expect(await statusOf(after[0]!)).toBe("dead");
      expect(await statusOf(otherDead[0]!.id)).toBe("dead");
    });

    it("fails when its endpoint is disabled or deleted while it runs", async () => {
      await deadDeliveries(2, T0);
      const task = await queueRecover();
      await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "A", leaseMs: LEASE, now: T0 + 20_000 });
      await store.updateEndpoint("acme", epId, { disabled: true, disabledReason: "by hand" }, T0 + 20_001);
      const r = await store.runRecoverBatch({ taskId: task.id, leaseToken: "A", limit: 10, leaseMs: LEASE, now: T0 + 20_002 });
      expect(r).toMatchObject({ kind: "finished", task: { status: "failed", total: null, finishedAt: T0 + 20_002 } });
      expect(r.kind === "finished" && r.task.error).toMatch(/disabled/);

      await store.updateEndpoint("acme", epId, { disabled: false, disabledReason: null }, T0 + 20_003);
      const second = await queueRecover();
      await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "B", leaseMs: LEASE, now: T0 + 20_004 });
      // Deleting the endpoint ends its running recover in the same transaction; the runner finds its lease gone.
      await deleteEndpointNow(store, "acme", epId);
      const gone = await store.runRecoverBatch({ taskId: second.id, leaseToken: "B", limit: 10, leaseMs: LEASE, now: T0 + 20_005 });
      expect(gone).toEqual({ kind: "lease_lost" });
      expect(await store.getTask("acme", second.id)).toMatchObject({ status: "failed", error: "the endpoint was deleted" });
    });

    it("finishes at once with total 0 when there is nothing to recover", async () => {
      const task = await queueRecover();
      await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "A", leaseMs: LEASE, now: T0 + 20_000 });
      const r = await store.runRecoverBatch({ taskId: task.id, leaseToken: "A", limit: 10, leaseMs: LEASE, now: T0 + 20_001 });
      expect(r).toMatchObject({ kind: "finished", task: { status: "succeeded", total: 0, done: 0 } });
    });

    it("retention deletes finished tasks older than the cutoff and never a queued or running one", async () => {
      const other = endpoint("acme");
      await store.insertEndpoint(other);
      const done = await queueRecover();
      await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "A", leaseMs: LEASE, now: T0 + 20_000 });
      await store.runRecoverBatch({ taskId: done.id, leaseToken: "A", limit: 10, leaseMs: LEASE, now: T0 + 20_001 });
      const waiting = await queueRecover(T0, null, T0 + 10_000, other.id);
      // Finished at T0 + 20,001: a cutoff at that instant keeps it, one after removes it.
      expect(await store.deleteFinishedTasksBefore(T0 + 20_001, 10)).toBe(0);
      expect(await store.deleteFinishedTasksBefore(T0 + 999_000, 10)).toBe(1);
      expect(await store.getTask("acme", done.id)).toBeNull();
      expect((await store.getTask("acme", waiting.id))?.status).toBe("queued");
    });

    it("keeps one recover queued or running per endpoint; the next may start once it finished", async () => {
      const first = await queueRecover();
      const second = newRecoverTask(newId("task"), "acme", epId, { since: T0, until: null }, T0 + 10_001);
      expect(await store.insertTask(second)).toBe(false);
      expect(await store.getTask("acme", second.id)).toBeNull();
      await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "A", leaseMs: LEASE, now: T0 + 20_000 });
      // Still refused while the first one runs.
      expect(await store.insertTask(second)).toBe(false);
      await store.runRecoverBatch({ taskId: first.id, leaseToken: "A", limit: 10, leaseMs: LEASE, now: T0 + 20_001 });
      expect((await store.getTask("acme", first.id))?.status).toBe("succeeded");
      expect(await store.insertTask(second)).toBe(true);
    });

    it("wakes the workers when a batch requeues deliveries", async () => {
      await deadDeliveries(1, T0);
      const task = await queueRecover();
      let woken = 0;
      const unsubscribe = store.subscribeWork(() => woken++);
      // The Postgres listener connects asynchronously and wakes once when it does; wait for that first.
      await waitFor(() => store.kind === "sqlite" || woken > 0);
      await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "A", leaseMs: LEASE, now: T0 + 20_000 });
      await store.runRecoverBatch({ taskId: task.id, leaseToken: "A", limit: 10, leaseMs: LEASE, now: T0 + 20_001 });
      const before = woken;
      await store.runRecoverBatch({ taskId: task.id, leaseToken: "A", limit: 10, leaseMs: LEASE, now: T0 + 20_002 });
      await waitFor(() => woken > before);
      unsubscribe();
    });

    it("goes with its tenant", async () => {
      const task = await queueRecover();
      await deleteTenantNow(store, "acme");
      expect(await store.getTask("acme", task.id)).toBeNull();
      expect(await store.claimTask({ kinds: ["endpoint.recover"], leaseToken: "A", leaseMs: LEASE, now: T0 + 20_000 })).toBeNull();
    });
  });
}

/** Polls a condition with a hard deadline; for the asynchronous wake-up notifications only. */
async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
