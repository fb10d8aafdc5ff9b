/**
 * Graceful shutdown on both stores: a request still in flight when the grace period ends is aborted and its lease
 * handed back at once, without spending an attempt, so the next process attempts it immediately (not after the
 * lease would have expired) with the same attempt number.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type App, createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { Receiver } from "../support/receiver.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";

const ADMIN = "shutdown-admin-key-0123456789";

describe.each(STORE_KINDS)("graceful shutdown (%s)", (kind) => {
  let db: TestDatabase;
  let receiver: Receiver;
  const apps: App[] = [];

  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
    await receiver.close();
    await db.destroy();
  });

  async function start(): Promise<App> {
    const config = loadConfig(
      {},
      {
        databaseUrl: db.url,
        host: "127.0.0.1",
        port: 0,
        adminKey: ADMIN,
        encryptionKey: TEST_ENCRYPTION_KEY,
        allowedNetworks: ["127.0.0.0/8"],
        pollIntervalMs: 50,
        shutdownGraceMs: 300,
        // A long margin: only an explicit release (not lease expiry) can make the retry immediate.
        leaseMarginMs: 60_000,
        logLevel: "silent",
      },
    );
    const app = await createApp(config, { role: "all", log: createLogger("silent") });
    apps.push(app);
    return app;
  }

  async function call(app: App, method: string, path: string, body?: unknown) {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return (await res.json()) as Record<string, unknown>;
  }

  it("hands back leases of requests still in flight at the deadline, without spending an attempt", async () => {
    db = await createTestDatabase(kind);
    receiver = await new Receiver().start();
    receiver.handler = () => undefined; // hang
    const first = await start();
    await call(first, "POST", "/v1/tenants", { id: "acme", name: "Acme" });
    await call(first, "POST", "/v1/tenants/acme/endpoints", { url: `${receiver.url}/h`, timeout_ms: 30_000 });
    const ev = await call(first, "POST", "/v1/tenants/acme/events", { type: "a.b", data: {} });
    await receiver.waitFor(1);

    const stopStarted = Date.now();
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    expect(Date.now() - stopStarted).toBeLessThan(5_000);

    receiver.handler = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    const second = await start();
    await receiver.waitFor(2, 5_000);
    const retried = receiver.received[1];
    expect(retried?.headers["webhook-id"]).toBe(ev.id);
    expect(retried?.headers["webhook-attempt"]).toBe("1");
    const deadline = Date.now() + 5_000;
    let delivery: Record<string, unknown> = {};
    while (Date.now() < deadline) {
      const list = (await call(second, "GET", "/v1/tenants/acme/deliveries")).data as Record<string, unknown>[];
      delivery = list[0] ?? {};
      if (delivery.status === "succeeded") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 1 });
  });
});
