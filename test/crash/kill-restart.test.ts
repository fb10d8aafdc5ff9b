/**
 * The durability promise, tested the hard way: events acknowledged with 202 by a hookd process that is then killed
 * with SIGKILL mid-delivery are all delivered by the next process on the same database. Nothing accepted is lost,
 * and the attempt log has no gaps.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Receiver } from "../support/receiver.ts";
import { type HookdProcess, startHookd } from "../support/hookd-process.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";

const ADMIN = "crash-test-admin-key-0123456789";

async function api(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe.each(STORE_KINDS)("kill -9 and restart (%s)", (kind) => {
  let db: TestDatabase;
  let receiver: Receiver;
  const procs: HookdProcess[] = [];

  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.child.exitCode === null) await p.kill9();
    await receiver?.close();
    await db?.destroy();
  });

  it("delivers every acknowledged event after the process is killed mid-delivery", async () => {
    db = await createTestDatabase(kind);
    receiver = await new Receiver().start();
    const acked = new Set<string>();
    // First life: the receiver accepts connections but never answers, so deliveries are in flight when we kill.
    receiver.handler = () => undefined;
    const env = {
      HOOKD_DATABASE_URL: db.url,
      HOOKD_HOST: "127.0.0.1",
      HOOKD_PORT: "0",
      HOOKD_ADMIN_KEY: ADMIN,
      HOOKD_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      HOOKD_ALLOWED_NETWORKS: "127.0.0.0/8",
      HOOKD_LEASE_MARGIN_MS: "500",
      HOOKD_POLL_INTERVAL_MS: "50",
      HOOKD_RETRY_SCHEDULE: "0,1,1,1,1",
    };
    const first = await startHookd(env);
    procs.push(first);
    expect((await api(first.url, "POST", "/v1/tenants", { id: "acme", name: "Acme" })).status).toBe(201);
    const ep = await api(first.url, "POST", "/v1/tenants/acme/endpoints", {
      url: `${receiver.url}/hook`,
      timeout_ms: 2000,
    });
    expect(ep.status).toBe(201);

    const accepted: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await api(first.url, "POST", "/v1/tenants/acme/events", { type: "order.created", data: { i } });
      expect(r.status).toBe(202);
      accepted.push(r.body.id as string);
    }
    const batch = await api(first.url, "POST", "/v1/tenants/acme/events/batch", {
      events: Array.from({ length: 40 }, (_, i) => ({ type: "order.created", data: { batch: i } })),
    });
    expect(batch.status).toBe(202);
    accepted.push(...(batch.body.data as { id: string }[]).map((e) => e.id));

    await receiver.waitFor(1);
    await first.kill9();
    const inFlightAtKill = receiver.received.length;
    expect(inFlightAtKill).toBeGreaterThan(0);

    // Second life: the receiver is healthy now.
    receiver.handler = (req, res) => {
      acked.add(String(req.headers["webhook-id"]));
      res.writeHead(204);
      res.end();
    };
    const second = await startHookd(env);
    procs.push(second);
    const deadline = Date.now() + 30_000;
    while (accepted.some((id) => !acked.has(id)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(accepted.filter((id) => !acked.has(id))).toEqual([]);

    // Every delivery succeeded, and each one's attempts are numbered 1..n without gaps.
    // The receiver acknowledges before the outcome is recorded (records are batched), so poll for the statuses.
    let deliveries: { id: string; status: string }[] = [];
    const recordDeadline = Date.now() + 15_000;
    for (;;) {
      const list = await api(second.url, "GET", "/v1/tenants/acme/deliveries?limit=250");
      deliveries = list.body.data as { id: string; status: string }[];
      if (deliveries.every((d) => d.status === "succeeded") || Date.now() > recordDeadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(deliveries).toHaveLength(accepted.length);
    expect(deliveries.every((d) => d.status === "succeeded")).toBe(true);
    for (const d of deliveries.slice(0, 15)) {
      const detail = await api(second.url, "GET", `/v1/tenants/acme/deliveries/${d.id}`);
      const numbers = (detail.body.attempts as { attempt: number }[]).map((a) => a.attempt);
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    }
    expect(await second.stop()).toBe(0);
  }, 60_000);
});
