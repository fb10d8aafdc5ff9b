/**
 * Bounded storage on both stores: retention deletes old finished deliveries (with their attempts and dead letters)
 * and then old events with no delivery left, in batches, per tenant override, and never a delivery still waiting or
 * one its endpoint's stream has not passed, so the stream's numbering and acked_seq are untouched and deliveries go
 * on flowing with the next sequence numbers; deleting an endpoint or a tenant answers from one short transaction and
 * a deletion task removes the rows in batches, resuming after a crash.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/observability/logger.ts";
import { RetentionJob } from "../../src/features/retention/retention-job.ts";
import type { Store } from "../../src/store/store.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { finishDeletions } from "../support/deletions.ts";
import { rawCount, rawQuery } from "../support/raw-query.ts";
import { attemptRecord, claimDue, endpoint, event, ingestRequest, recordAttempts, T0, type Taken, tenant } from "./fixtures.ts";

const DAY = 86_400_000;
const LEASE = 30_000;

describe.each(STORE_KINDS)("bounded storage (%s)", (kind) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    store = await db.open();
  });
  afterEach(async () => {
    await store.close();
    await db.destroy();
  });

  const count = (sql: string, ...params: unknown[]) => rawCount(db.url, sql, params);
  const ok = (d: Taken, at: number) => attemptRecord(d, at, { status: 200 });
  const dead = (d: Taken, at: number) => attemptRecord(d, at, { status: 500, deliveryStatus: "dead" });
  const failed = (d: Taken, at: number) => attemptRecord(d, at, { status: 500 });
  const retention = (eventRetentionDays: number, now: number) =>
    new RetentionJob({
      store,
      log: createLogger("silent"),
      retentionDays: 0,
      bodyRetentionDays: null,
      eventRetentionDays,
      batchSize: 2,
      now: () => now,
    });
  const stream = async (endpointId: string) => {
    const [row] = await rawQuery<{ acked_seq: number | string; next_seq: number | string }>(
      db.url,
      `SELECT s.acked_seq, q.next_seq FROM endpoint_stream s JOIN endpoint_queue q ON q.endpoint_id = s.endpoint_id
       WHERE s.endpoint_id = ?`,
      [endpointId],
    );
    return { acked: Number(row?.acked_seq), next: Number(row?.next_seq) };
  };

  describe("retention of events and deliveries", () => {
    it("deletes old finished deliveries and their events in batches, keeps waiting ones, and the stream goes on", async () => {
      await store.insertTenant(tenant("acme"));
      const ep = endpoint("acme", { eventTypes: ["invoice.*"] });
      await store.insertEndpoint(ep);
      // Six old events: three succeed, one dies, one fails and waits for its retry (a job), one is never attempted.
      const old = Array.from({ length: 6 }, (_, i) => event({ id: `old${i}`, createdAt: T0 + i }));
      await store.ingest(ingestRequest("acme", old.slice(0, 5)));
      const taken = await claimDue(store, T0 + 10);
      const byEvent = (id: string) => taken.find((d) => d.eventId === id)!;
      await recordAttempts([
        ok(byEvent("old0"), T0 + 11),
        ok(byEvent("old1"), T0 + 11),
        ok(byEvent("old2"), T0 + 11),
        dead(byEvent("old3"), T0 + 11),
        failed(byEvent("old4"), T0 + 11),
      ]);
      // A young event that is delivered, then one more old one that waits in the stream (never attempted).
      await store.ingest(ingestRequest("acme", [event({ id: "young", createdAt: T0 + 9 * DAY })]));
      const youngTaken = await claimDue(store, T0 + 9 * DAY + 1);
      // old4's retry is due too, and fails again.
      expect(youngTaken.map((d) => d.eventId).sort()).toEqual(["old4", "young"]);
      await recordAttempts(youngTaken.map((d) => (d.eventId === "young" ? ok(d, T0 + 9 * DAY + 2) : failed(d, T0 + 9 * DAY + 2))));
      await store.ingest(ingestRequest("acme", [old[5]!]));
      // An old event nobody subscribes to.
      await store.ingest(ingestRequest("acme", [event({ id: "unheard", type: "nobody.listens", createdAt: T0 + 7 })]));
      const before = await stream(ep.id);
      expect(before).toEqual({ acked: 6, next: 7 });
      expect(await count("SELECT count(*) AS n FROM attempts")).toBe(7);

      const result = await retention(5, T0 + 10 * DAY).runOnce();
      expect(result).toMatchObject({ deliveries: 4, events: 5 });
      const left = await rawQuery<{ event_id: string; status: string }>(
        db.url,
        "SELECT event_id, status FROM deliveries ORDER BY event_id",
      );
      expect(left).toEqual([
        { event_id: "old4", status: "failed" },
        { event_id: "old5", status: "pending" },
        { event_id: "young", status: "succeeded" },
      ]);
      const events = await rawQuery<{ id: string }>(db.url, "SELECT id FROM events ORDER BY id");
      expect(events.map((e) => e.id)).toEqual(["old4", "old5", "young"]);
      // The deleted events' payloads leave the tenant's stored-bytes count (the quota's): what is left is the kept ones'.
      const keptBytes = (await rawQuery<{ data: string }>(db.url, "SELECT data FROM events")).reduce((n, e) => n + Buffer.byteLength(e.data), 0);
      expect(keptBytes).toBeGreaterThan(0);
      expect((await store.getTenantUsage("acme"))?.storedBytes).toBe(keptBytes);
      // Attempts and dead letters went with their deliveries; the waiting delivery's attempt and its job stay.
      expect(await count("SELECT count(*) AS n FROM attempts")).toBe(3);
      expect(await count("SELECT count(*) AS n FROM dead_letters")).toBe(0);
      expect(await count("SELECT count(*) AS n FROM delivery_jobs")).toBe(1);
      // The stream is untouched, and a second pass finds nothing more.
      expect(await stream(ep.id)).toEqual(before);
      expect(await retention(5, T0 + 10 * DAY).runOnce()).toMatchObject({ deliveries: 0, events: 0 });

      // Deliveries go on flowing: the waiting one and a new one, numbered after the last.
      await store.ingest(ingestRequest("acme", [event({ id: "new", createdAt: T0 + 10 * DAY })]));
      const next = await claimDue(store, T0 + 10 * DAY + 1);
      const streamed = next.filter((d) => d.source.kind === "stream").map((d) => [d.eventId, d.source.kind === "stream" ? d.source.seq : 0]);
      expect(streamed).toEqual([
        ["old5", 7],
        ["new", 8],
      ]);
      expect(next.map((d) => d.eventId).sort()).toEqual(["new", "old4", "old5"]);
      await recordAttempts(next.map((d) => ok(d, T0 + 10 * DAY + 2)));
      expect(await stream(ep.id)).toEqual({ acked: 8, next: 8 });
      // Now everything old is finished and passed: the next pass takes the rest of the old range.
      expect(await retention(5, T0 + 10 * DAY + 3).runOnce()).toMatchObject({ deliveries: 2, events: 2 });
      expect(await count("SELECT count(*) AS n FROM deliveries")).toBe(2);
    });

    it("never deletes a finished delivery its endpoint's stream has not passed", async () => {
      await store.insertTenant(tenant("acme"));
      const ep = endpoint("acme");
      await store.insertEndpoint(ep);
      await store.ingest(ingestRequest("acme", [event({ id: "a", createdAt: T0 }), event({ id: "b", createdAt: T0 })]));
      // Expunging b's payload kills it while it waits in the stream: dead, but ahead of acked_seq.
      expect(await store.expungeEventPayload("acme", "b", T0 + 1)).toBe(true);
      expect(await stream(ep.id)).toEqual({ acked: 0, next: 2 });
      expect(await retention(1, T0 + 2 * DAY).runOnce()).toMatchObject({ deliveries: 0 });
      expect(await count("SELECT count(*) AS n FROM deliveries")).toBe(2);
      const taken = await claimDue(store, T0 + 2 * DAY);
      expect(taken.map((d) => d.eventId)).toEqual(["a"]);
      await recordAttempts(taken.map((d) => ok(d, T0 + 2 * DAY + 1)));
      expect((await stream(ep.id)).acked).toBe(2);
      expect(await retention(1, T0 + 2 * DAY + 2).runOnce()).toMatchObject({ deliveries: 2, events: 2 });
    });

    it("follows each tenant's own retention: 0 keeps, a shorter one applies where the setting keeps all", async () => {
      for (const [id, days] of [
        ["keep", 0],
        ["short", 1],
        ["default", null],
      ] as const) {
        await store.insertTenant(tenant(id, { eventRetentionDays: days }));
        await store.insertEndpoint(endpoint(id));
        await store.ingest(ingestRequest(id, [event({ id: `${id}-1`, createdAt: T0 })]));
      }
      await recordAttempts((await claimDue(store, T0 + 1)).map((d) => ok(d, T0 + 2)));
      expect((await store.getTenant("short"))?.eventRetentionDays).toBe(1);
      // The setting keeps everything: only "short" loses its old rows.
      expect(await retention(0, T0 + 3 * DAY).runOnce()).toMatchObject({ deliveries: 1, events: 1 });
      expect((await rawQuery<{ tenant_id: string }>(db.url, "SELECT tenant_id FROM events ORDER BY tenant_id")).map((r) => r.tenant_id)).toEqual([
        "default",
        "keep",
      ]);
      // A 2-day setting takes "default" too; "keep" still keeps.
      expect(await retention(2, T0 + 3 * DAY).runOnce()).toMatchObject({ deliveries: 1, events: 1 });
      expect((await store.updateTenant("keep", { eventRetentionDays: null }, T0 + 3 * DAY))?.eventRetentionDays).toBeNull();
      expect(await retention(2, T0 + 3 * DAY).runOnce()).toMatchObject({ deliveries: 1, events: 1 });
      expect(await count("SELECT count(*) AS n FROM deliveries")).toBe(0);
    });
  });

  describe("deleting an endpoint", () => {
    it("answers from one short transaction; a task removes 20,000 deliveries in batches and resumes after a crash", async () => {
      await store.insertTenant(tenant("acme"));
      const big = endpoint("acme", { eventTypes: ["invoice.*"] });
      const other = endpoint("acme", { eventTypes: ["other.*"] });
      await store.insertEndpoint(big);
      await store.insertEndpoint(other);
      for (let i = 0; i < 40; i++) {
        const events = Array.from({ length: 500 }, (_, j) => event({ id: `e${i}-${j}`, createdAt: T0 + i }));
        await store.ingest(ingestRequest("acme", events));
      }
      await store.ingest(ingestRequest("acme", Array.from({ length: 10 }, (_, j) => event({ id: `o${j}`, type: "other.thing", createdAt: T0 + 50 }))));
      // Some history on both endpoints: attempts, a dead letter and a job.
      const claimed = await claimDue(store, T0 + 100, "w", 100);
      const taken = [...claimed.filter((d) => d.endpointId === big.id).slice(0, 6), ...claimed.filter((d) => d.endpointId === other.id).slice(0, 3)];
      await recordAttempts(taken.map((d, i) => (i % 3 === 0 ? dead(d, T0 + 101) : i % 3 === 1 ? failed(d, T0 + 101) : ok(d, T0 + 101))));
      const rowsOf = async (id: string) => ({
        deliveries: await count("SELECT count(*) AS n FROM deliveries WHERE endpoint_id = ?", id),
        attempts: await count(
          "SELECT count(*) AS n FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE endpoint_id = ?)",
          id,
        ),
        jobs: await count("SELECT count(*) AS n FROM delivery_jobs WHERE endpoint_id = ?", id),
        letters: await count("SELECT count(*) AS n FROM dead_letters WHERE endpoint_id = ?", id),
      });
      const otherBefore = await rowsOf(other.id);
      expect((await rowsOf(big.id)).deliveries).toBe(20_000);
      expect(otherBefore.deliveries).toBe(10);
      const history = await rowsOf(big.id);
      expect(history.attempts + history.jobs + history.letters).toBeGreaterThan(0);

      const task = await store.deleteEndpoint("acme", big.id, "task_delete_big", T0 + 200);
      expect(task).toMatchObject({ kind: "endpoint.delete", status: "queued", endpointId: big.id });
      // Gone from the API at once, its rows not yet: the request did not wait for them.
      expect(await store.getEndpoint("acme", big.id)).toBeNull();
      expect((await rowsOf(big.id)).deliveries).toBe(20_000);
      expect(await store.deleteEndpoint("acme", big.id, "task_again", T0 + 200)).toBeNull();
      expect(await store.getTask("acme", "task_delete_big")).toMatchObject({ status: "queued" });

      // A runner takes it, does a few steps and dies without a word.
      const kinds = ["endpoint.delete" as const];
      expect(await store.claimTask({ kinds, leaseToken: "A", leaseMs: LEASE, now: T0 + 300 })).toMatchObject({ id: "task_delete_big" });
      for (let i = 0; i < 8; i++) {
        const step = await store.runDeletionStep({ taskId: "task_delete_big", leaseToken: "A", limit: 1_000, leaseMs: LEASE, now: T0 + 301 });
        expect(step.kind).toBe("progress");
      }
      const midway = await store.getTask("acme", "task_delete_big");
      expect(midway).toMatchObject({ status: "running", total: 20_000 });
      const remaining = (await rowsOf(big.id)).deliveries;
      expect(remaining).toBeLessThan(20_000);
      expect(remaining).toBeGreaterThan(0);
      expect(midway!.done).toBe(20_000 - remaining);
      // Nobody else takes it while the lease holds; after it runs out another runner does and finishes the work.
      expect(await store.claimTask({ kinds, leaseToken: "B", leaseMs: LEASE, now: T0 + 302 })).toBeNull();
      expect(await store.claimTask({ kinds, leaseToken: "B", leaseMs: LEASE, now: T0 + 301 + LEASE })).toMatchObject({ id: "task_delete_big" });
      let steps = 0;
      for (;;) {
        const step = await store.runDeletionStep({ taskId: "task_delete_big", leaseToken: "B", limit: 1_000, leaseMs: LEASE, now: T0 + 400 + LEASE });
        steps++;
        if (step.kind !== "progress") {
          expect(step).toMatchObject({ kind: "finished", task: { status: "succeeded", done: 20_000, total: 20_000 } });
          break;
        }
      }
      expect(steps).toBeLessThan(40);
      // The dead runner's late step changes nothing.
      expect(await store.runDeletionStep({ taskId: "task_delete_big", leaseToken: "A", limit: 1_000, leaseMs: LEASE, now: T0 + 500 + LEASE })).toEqual({
        kind: "lease_lost",
      });
      expect(await rowsOf(big.id)).toEqual({ deliveries: 0, attempts: 0, jobs: 0, letters: 0 });
      expect(await rowsOf(other.id)).toEqual(otherBefore);
      expect(await store.getTask("acme", "task_delete_big")).toMatchObject({ status: "succeeded", done: 20_000 });
      // The events stay (they are the tenant's, not the endpoint's); retention removes them once no delivery is left.
      expect(await count("SELECT count(*) AS n FROM events")).toBe(20_010);
    });

    it("ends a running recover of the endpoint", async () => {
      await store.insertTenant(tenant("acme"));
      const ep = endpoint("acme");
      await store.insertEndpoint(ep);
      const { newRecoverTask } = await import("../../src/domain/tasks.ts");
      expect(await store.insertTask(newRecoverTask("task_recover", "acme", ep.id, { since: T0, until: null }, T0))).toBe(true);
      await store.deleteEndpoint("acme", ep.id, "task_delete", T0 + 1);
      expect(await store.getTask("acme", "task_recover")).toMatchObject({ status: "failed", error: "the endpoint was deleted" });
      expect(await finishDeletions(store, T0 + 2)).toBeGreaterThan(0);
      expect(await store.getTask("acme", "task_delete")).toMatchObject({ status: "succeeded", total: 0 });
    });
  });

  describe("deleting a tenant", () => {
    it("hides it and its keys at once, keeps its id taken while its rows go in batches, and frees the id after", async () => {
      for (const id of ["acme", "globex"]) {
        await store.insertTenant(tenant(id));
        await store.insertApiKey({ id: `key_${id}`, tenantId: id, hash: `hash-${id}`, createdAt: T0 });
      }
      const [a1, a2] = [endpoint("acme"), endpoint("acme")];
      const g = endpoint("globex");
      for (const ep of [a1, a2, g]) await store.insertEndpoint(ep);
      for (const id of ["acme", "globex"]) {
        const events = Array.from({ length: 30 }, (_, i) => event({ id: `${id}-${i}`, createdAt: T0 + i }));
        await store.ingest(ingestRequest(id, events, { idempotency: { key: `idem-${id}`, requestHash: "h", notBefore: 0 } }));
      }
      await recordAttempts((await claimDue(store, T0 + 100)).map((d, i) => (i % 2 ? ok(d, T0 + 101) : dead(d, T0 + 101))));
      // a2 was deleted first; its own deletion has not run when the tenant goes.
      expect(await store.deleteEndpoint("acme", a2.id, "task_a2", T0 + 150)).not.toBeNull();

      const task = await store.deleteTenant("acme", "task_acme", T0 + 200);
      expect(task).toMatchObject({ kind: "tenant.delete", tenantId: "acme", params: { endpointIds: [a2.id] } });
      expect(await store.getTenant("acme")).toBeNull();
      expect((await store.listTenants({ limit: 10, after: null })).data.map((t) => t.id)).toEqual(["globex"]);
      expect(await store.findApiKeyByHash("hash-acme")).toBeNull();
      expect(await store.deleteTenant("acme", "task_twice", T0 + 200)).toBeNull();
      expect(await store.updateTenant("acme", { name: "x" }, T0 + 200)).toBeNull();
      // The id stays taken until the last row is gone, so a new tenant never sees the old one's data.
      expect(await store.insertTenant(tenant("acme"))).toBe(false);
      // Nothing is delivered to its endpoints any more.
      await store.ingest(ingestRequest("acme", [event({ id: "late", createdAt: T0 + 201 })]));
      expect(await claimDue(store, T0 + 300)).toEqual([]);

      // A runner works part of it and dies; another finishes it after the lease.
      const kinds = ["endpoint.delete" as const, "tenant.delete" as const];
      expect(await store.claimTask({ kinds, leaseToken: "A", leaseMs: LEASE, now: T0 + 400 })).toMatchObject({ id: "task_acme" });
      for (let i = 0; i < 3; i++) {
        expect((await store.runDeletionStep({ taskId: "task_acme", leaseToken: "A", limit: 7, leaseMs: LEASE, now: T0 + 401 })).kind).toBe(
          "progress",
        );
      }
      expect(await store.claimTask({ kinds, leaseToken: "B", leaseMs: LEASE, now: T0 + 401 + LEASE })).toMatchObject({ id: "task_acme" });
      for (;;) {
        const step = await store.runDeletionStep({ taskId: "task_acme", leaseToken: "B", limit: 7, leaseMs: LEASE, now: T0 + 402 + LEASE });
        if (step.kind === "progress") continue;
        expect(step).toMatchObject({ kind: "finished", task: { status: "succeeded", done: 60, total: 60 } });
        break;
      }
      const tables = [
        "deliveries",
        "dead_letters",
        "delivery_jobs",
        "events",
        "idempotency_keys",
        "endpoints",
        "api_keys",
        "tasks",
      ];
      for (const table of tables) {
        expect([table, await count(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`, "acme")]).toEqual([table, 0]);
      }
      expect(await count("SELECT count(*) AS n FROM tenants WHERE id = ?", "acme")).toBe(0);
      for (const id of [a1.id, a2.id]) {
        expect(await count("SELECT count(*) AS n FROM delivery_jobs WHERE endpoint_id = ?", id)).toBe(0);
        expect(await count("SELECT count(*) AS n FROM endpoint_queue WHERE endpoint_id = ?", id)).toBe(0);
      }
      expect(
        await count("SELECT count(*) AS n FROM attempts WHERE delivery_id NOT IN (SELECT id FROM deliveries)"),
      ).toBe(0);
      // The other tenant is untouched and still delivers.
      expect(await count("SELECT count(*) AS n FROM deliveries WHERE tenant_id = ?", "globex")).toBe(30);
      expect(await store.findApiKeyByHash("hash-globex")).not.toBeNull();
      await store.ingest(ingestRequest("globex", [event({ id: "globex-new", createdAt: T0 + 500 })]));
      expect((await claimDue(store, T0 + 600 + LEASE)).map((d) => d.eventId)).toEqual(["globex-new"]);
      // The id is free again, and the new tenant starts empty.
      expect(await store.insertTenant(tenant("acme"))).toBe(true);
      expect((await store.listEndpoints("acme", { limit: 10, after: null })).data).toEqual([]);
      expect((await store.listTasks("acme", { limit: 10, after: null })).data).toEqual([]);
    });
  });
});
