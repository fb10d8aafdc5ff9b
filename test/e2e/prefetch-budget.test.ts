/**
 * A worker fetches work ahead of sending it, and fetched work holds its event's data. With many endpoints and large
 * events that must stay bounded: the worker keeps at most its prefetch budget of event data waiting (plus what its
 * endpoints' next items were estimated at), whatever the backlog. Here 30 endpoints each have 12 events of 48 KB
 * (17 MB in all) and a receiver that holds every request open, so nothing finishes and work piles up in the lanes;
 * the budget is 4 MB. An API-only hookd on PostgreSQL takes the publishes; the worker under test is built directly
 * as serve builds it, with the small budget.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.ts";
import { DeliveryWorker } from "../../src/delivery/worker.ts";
import { EndpointIsolation, isolationSettings } from "../../src/isolation/policy.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { createOutboundAgent } from "../../src/outbound/agent.ts";
import { createEgressPolicy } from "../../src/outbound/egress-policy.ts";
import { openSecretBox } from "../../src/secrets/keyring.ts";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import type { Store } from "../../src/store/store.ts";
import { createTestDatabase, type TestDatabase } from "../support/stores.ts";
import { Api, eventually, hookdConfig, parked } from "./harness.ts";
import { Receiver } from "../support/receiver.ts";

const ENDPOINTS = 30;
const EVENTS = 12;
const DATA = "x".repeat(48 * 1024);
const BUDGET = 4 * 1024 * 1024;

describe("the prefetch budget (postgres)", () => {
  let db: TestDatabase;
  let app: App;
  let store: Store;
  let worker: DeliveryWorker | null = null;
  const receiver = new Receiver();
  const hold = parked(200);

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    app = await createApp(hookdConfig(db.url), { role: "api", log: createLogger("silent") });
    store = openPostgresStore({ url: db.url, poolSize: 4, onError: () => undefined });
    await receiver.start();
    receiver.handler = hold.handler;
  }, 60_000);

  afterAll(async () => {
    hold.release();
    await worker?.stop();
    await receiver.close();
    await store?.close();
    await app?.close();
    await db?.destroy();
  });

  it("keeps fetched event data within the budget while 17 MB waits", async () => {
    const api = new Api(app.url!);
    const tenantId = (await api.createTenant({ name: "big events" })).id as string;
    for (let i = 0; i < ENDPOINTS; i++) await api.createEndpoint(tenantId, { url: `${receiver.url}/e${i}` });
    for (let n = 0; n < EVENTS; n++) {
      const res = await api.post(`/v1/tenants/${tenantId}/events/batch`, {
        events: [{ type: "big.one", data: { n, blob: DATA } }],
      });
      expect(res.status).toBe(202);
    }
    const config = hookdConfig(db.url);
    const log = createLogger("silent");
    const policy = createEgressPolicy({ allowedNetworks: config.allowedNetworks, allowedPorts: config.allowedPorts, requireHttps: false });
    worker = new DeliveryWorker({
      queue: store,
      dispatcher: createOutboundAgent({ policy: policy.network }),
      policy,
      secretBox: openSecretBox(config, log),
      log,
      concurrency: 64,
      leaseMarginMs: config.leaseMarginMs,
      pollIntervalMs: 50,
      shutdownGraceMs: 500,
      retryScheduleS: config.retryScheduleS,
      isolation: new EndpointIsolation(isolationSettings(config)),
      prefetchBytes: BUDGET,
    });
    worker.start();
    // Every endpoint has its first requests open at the receiver (4 each: the starting concurrency limit).
    await eventually(() => expect(hold.waiting()).toBe(ENDPOINTS * 4), 20_000);
    let most = 0;
    for (let i = 0; i < 40; i++) {
      most = Math.max(most, worker.prefetchedBytes);
      await new Promise((r) => setTimeout(r, 25));
    }
    // Without the budget each endpoint would hold the rest of its backlog (8 more events, 12 MB in all); with it,
    // each holds its share (2 events), the budget's worth less what does not divide evenly.
    expect(most).toBeGreaterThan(BUDGET / 2);
    expect(most).toBeLessThanOrEqual(BUDGET);
    expect(worker.ownedEndpoints).toBe(ENDPOINTS);
  }, 60_000);
});
