/**
 * End to end, on both stores: app.close() while deliveries are in flight lets them finish within the grace period
 * and records them, so a restarted hookd finds nothing left to send.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { Receiver } from "../support/receiver.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { Api, startHookd } from "./harness.ts";

describe.each(STORE_KINDS)("graceful stop (%s)", (kind) => {
  let db: TestDatabase | undefined;
  let receiver: Receiver | undefined;
  const apps: App[] = [];

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await receiver?.close();
    await db?.destroy();
    db = undefined;
    receiver = undefined;
  });

  it("finishes in-flight deliveries before close() returns, each with exactly one attempt", async () => {
    db = await createTestDatabase(kind);
    receiver = await new Receiver().start();
    const answered: number[] = [];
    receiver.handler = (_req, res) => {
      setTimeout(() => {
        res.writeHead(200);
        res.end("ok");
        answered.push(Date.now());
      }, 300);
    };
    const first = await startHookd(db.url);
    apps.push(first);
    const api = new Api(first.url!);
    const tenant = (await api.createTenant({ name: "shutdown" })).id as string;
    await api.createEndpoint(tenant, { url: receiver.url });
    // Four: a new endpoint starts with four requests in flight (its concurrency limit grows as it answers quickly).
    const published: string[] = [];
    for (let i = 0; i < 4; i++) published.push((await api.publish(tenant, { type: "job.done", data: { i } })).id);

    await receiver.waitFor(4);
    expect(answered).toHaveLength(0);
    const closing = Date.now();
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    const closedAt = Date.now();
    // close() waited for the slow answers, and did not need the whole grace period for them.
    expect(answered).toHaveLength(4);
    expect(Math.max(...answered)).toBeLessThanOrEqual(closedAt);
    expect(closedAt - closing).toBeLessThan(2_000);

    // Straight from the store: every delivery is recorded as succeeded, none left pending or failed.
    const store = await db.open();
    try {
      const page = await store.listDeliveries(tenant, {}, { limit: 50, after: null });
      expect(page.data).toHaveLength(4);
      for (const d of page.data) {
        expect(d).toMatchObject({ status: "succeeded", attempts: 1, nextAttemptAt: null, lastStatusCode: 200 });
      }
      const due = await store.listDeliveries(tenant, { statuses: ["pending", "failed"] }, { limit: 50, after: null });
      expect(due.data).toHaveLength(0);
    } finally {
      await store.close();
    }

    // A restarted hookd agrees, and shows exactly one attempt per delivery.
    const second = await startHookd(db.url);
    apps.push(second);
    const api2 = new Api(second.url!);
    const list = await api2.deliveriesOf(tenant);
    expect(list.map((d) => d.event_id).sort()).toEqual([...published].sort());
    for (const d of list) {
      const full = await api2.getDelivery(tenant, d.id);
      expect(full.status).toBe("succeeded");
      expect(full.attempts).toHaveLength(1);
      expect(full.attempts[0]).toMatchObject({ attempt: 1, status_code: 200, outcome: "success", response_body: "ok" });
    }
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"]))).toEqual(new Set(published));
  });

  it("refuses new API requests once closing, and close() is idempotent", async () => {
    db = await createTestDatabase(kind);
    const app = await startHookd(db.url);
    apps.push(app);
    const api = new Api(app.url!);
    expect((await api.get("/readyz", { key: null })).status).toBe(200);
    await Promise.all([app.close(), app.close()]);
    await app.close();
    await expect(api.get("/healthz", { key: null })).rejects.toThrow();
  });
});
