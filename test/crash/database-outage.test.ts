/**
 * PostgreSQL going away under a running hookd: writes are refused with 503 and Retry-After (never a 202 without a
 * commit), /readyz fails, and when the database is back hookd serves and delivers again with no operator action,
 * including events published before the outage and held by a worker that could not record them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { Receiver } from "../support/receiver.ts";
import { cloneTestDatabase } from "../support/postgres.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";

const ADMIN = "outage-admin-key-0123456789";

describe("database outage (postgres)", () => {
  let app: App;
  let proxy: TcpProxy;
  let receiver: Receiver;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await cloneTestDatabase();
    drop = db.drop;
    const target = new URL(db.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    target.host = `127.0.0.1:${proxy.port}`;
    receiver = await new Receiver().start();
    const config = loadConfig(
      {},
      {
        databaseUrl: target.toString(),
        host: "127.0.0.1",
        port: 0,
        adminKey: ADMIN,
        encryptionKey: TEST_ENCRYPTION_KEY,
        allowedNetworks: ["127.0.0.0/8"],
        retryScheduleS: [0, 1, 1, 1, 1, 1],
        pollIntervalMs: 50,
        logLevel: "silent",
      },
    );
    app = await createApp(config, { role: "all", log: createLogger("silent") });
  });

  afterAll(async () => {
    await app?.close();
    await receiver?.close();
    await proxy?.cut();
    await drop?.();
  });

  async function call(method: string, path: string, body?: unknown) {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  it("answers 503 while the database is unreachable and recovers by itself", async () => {
    expect((await call("POST", "/v1/tenants", { id: "acme", name: "Acme" })).status).toBe(201);
    const ep = await call("POST", "/v1/tenants/acme/endpoints", { url: `${receiver.url}/h` });
    expect(ep.status).toBe(201);
    const before = await call("POST", "/v1/tenants/acme/events", { type: "a.b", data: { n: 1 } });
    expect(before.status).toBe(202);
    await receiver.waitFor(1);

    await proxy.cut();
    const during = await call("POST", "/v1/tenants/acme/events", { type: "a.b", data: { n: 2 } });
    expect(during.status).toBe(503);
    expect(during.body.code).toBe("SERVICE_UNAVAILABLE");
    expect(Number(during.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);

    await proxy.start();
    const deadline = Date.now() + 15_000;
    let after = await call("POST", "/v1/tenants/acme/events", { type: "a.b", data: { n: 3 } });
    while (after.status !== 202 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      after = await call("POST", "/v1/tenants/acme/events", { type: "a.b", data: { n: 3 } });
    }
    expect(after.status).toBe(202);
    await receiver.waitFor(2);
    const ids = receiver.received.map((r) => r.headers["webhook-id"]);
    expect(ids).toContain(after.body.id);
    expect(ids).not.toContain(during.body.id);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
  }, 30_000);
});
