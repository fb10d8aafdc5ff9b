/**
 * FIFO ordering across a crash, on both stores: a hookd process delivering to a FIFO endpoint (several ordering keys,
 * a receiver that fails some first attempts) is killed with SIGKILL mid-stream, and the next process on the same
 * database carries on. For every key the receiver sees each event at least once, none missing, and the first
 * arrivals in ingest order: a resend after the crash may repeat what the dead process sent, never jump ahead.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Receiver } from "../support/receiver.ts";
import { type HookdProcess, startHookd } from "../support/hookd-process.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";

const ADMIN = "crash-test-admin-key-0123456789";
const KEYS = ["order-1", "order-2", "order-3", "order-4"];
const PER_KEY = 15;

async function api(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe.each(STORE_KINDS)("FIFO through kill -9 (%s)", (kind) => {
  let db: TestDatabase;
  let receiver: Receiver;
  const procs: HookdProcess[] = [];

  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.child.exitCode === null) await p.kill9();
    await receiver?.close();
    await db?.destroy();
  });

  it("keeps every key's events in order, at least once and without gaps, when the process is killed mid-stream", async () => {
    db = await createTestDatabase(kind);
    receiver = await new Receiver().start();
    // Each event whose n is 2 mod 4 fails its first attempt; answers take a little while, so requests are open when
    // the process dies.
    const tries = new Map<string, number>();
    const succeeded = new Set<string>();
    receiver.handler = (req, res) => {
      const b = JSON.parse(req.body) as { id: string; data: { n: number } };
      const seen = (tries.get(b.id) ?? 0) + 1;
      tries.set(b.id, seen);
      const fail = b.data.n % 4 === 2 && seen === 1;
      setTimeout(() => {
        if (!fail) succeeded.add(b.id);
        res.writeHead(fail ? 503 : 204);
        res.end();
      }, 15);
    };
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
      ordering: "fifo",
      max_in_flight: 8,
    });
    expect(ep.status).toBe(201);

    // Keys interleaved in ingest order: order-1 n0, order-2 n0, ..., order-1 n1, ...
    const events = Array.from({ length: PER_KEY }, (_, n) => KEYS.map((key) => ({ type: "order.updated", ordering_key: key, data: { key, n } }))).flat();
    const batch = await api(first.url, "POST", "/v1/tenants/acme/events/batch", { events });
    expect(batch.status).toBe(202);
    const accepted = (batch.body.data as { id: string }[]).map((e) => e.id);

    await receiver.waitFor(12, 20_000);
    await first.kill9();
    const atKill = receiver.received.length;
    expect(succeeded.size).toBeLessThan(accepted.length);

    const second = await startHookd(env);
    procs.push(second);
    const deadline = Date.now() + 45_000;
    while (accepted.some((id) => !succeeded.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(accepted.filter((id) => !succeeded.has(id))).toEqual([]);
    expect(receiver.received.length).toBeGreaterThan(atKill);

    for (const key of KEYS) {
      const ns = receiver.received
        .map((r) => JSON.parse(r.body) as { data: { key: string; n: number } })
        .filter((b) => b.data.key === key)
        .map((b) => b.data.n);
      const firstArrivals = ns.filter((n, i) => ns.indexOf(n) === i);
      expect(firstArrivals, `${key}: ${ns.join(",")}`).toEqual(Array.from({ length: PER_KEY }, (_, n) => n));
      // A repeat only ever goes back to where the dead process was: never past an event not yet seen.
      let highest = -1;
      for (const n of ns) {
        expect(n, `${key}: ${ns.join(",")}`).toBeLessThanOrEqual(highest + 1);
        highest = Math.max(highest, n);
      }
    }
    expect(await second.stop()).toBe(0);
  }, 90_000);
});
