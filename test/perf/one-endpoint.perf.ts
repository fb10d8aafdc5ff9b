/**
 * One endpoint with the default settings and a receiver that answers at once must get at least 1,000 deliveries a
 * second, on both stores (before the endpoint-scheduled queue it got about 33). A benchmark-style check: hookd
 * runs as `serve` builds it (the delivery thread on SQLite, defaults everywhere but the listening port, the loopback
 * allowance and the keys), 6,000 events are published in batches, and the rate is taken between the first and the
 * last request the receiver sees. It prints the rate. This file runs on its own after the main suite
 * (vitest.perf.config.ts), so other test files do not share the two cores while it measures.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { Receiver } from "../support/receiver.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";
import { ADMIN_KEY, Api } from "../e2e/harness.ts";

const EVENTS = 6_000;
const BATCH = 100;
const TARGET_PER_S = 1_000;

describe.each(STORE_KINDS)("one endpoint with default settings (%s)", (kind) => {
  let db: TestDatabase | null = null;
  let app: App | null = null;
  const receiver = new Receiver();

  afterAll(async () => {
    await app?.close();
    await receiver.close();
    await db?.destroy();
  });

  it(`delivers at least ${TARGET_PER_S}/s to a receiver that answers at once`, async () => {
    db = await createTestDatabase(kind);
    await receiver.start();
    const config = loadConfig(
      {},
      {
        databaseUrl: db.url,
        port: 0,
        adminKey: ADMIN_KEY,
        encryptionKey: TEST_ENCRYPTION_KEY,
        allowedNetworks: ["127.0.0.0/8"],
        logLevel: "silent",
      },
    );
    app = await createApp(config, { role: "all", log: createLogger("silent"), deliveryThread: config.deliveryThread });
    const api = new Api(app.url!);
    const tenantId = (await api.createTenant({ name: "one endpoint" })).id as string;
    const endpoint = await api.createEndpoint(tenantId, { url: `${receiver.url}/hooks` });
    expect(endpoint.max_in_flight).toBe(16);
    for (let n = 0; n < EVENTS; n += BATCH) {
      const events = Array.from({ length: BATCH }, (_, k) => ({ type: "order.created", data: { n: n + k, note: "x".repeat(200) } }));
      const res = await api.post(`/v1/tenants/${tenantId}/events/batch`, { events });
      expect(res.status).toBe(202);
    }
    await receiver.waitFor(EVENTS, 60_000);
    const first = receiver.received[0]!.at;
    const last = receiver.received[EVENTS - 1]!.at;
    const rate = Math.round((EVENTS - 1) / ((last - first) / 1000));
    process.stdout.write(`one endpoint, default settings, ${kind}: ${EVENTS} deliveries at ${rate}/s\n`);
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"])).size).toBe(EVENTS);
    expect(rate).toBeGreaterThanOrEqual(TARGET_PER_S);
  }, 120_000);
});
