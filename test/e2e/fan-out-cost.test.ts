/**
 * What one event fanned out to many endpoints costs the worker's cycles: each endpoint is taken over, refilled until
 * it has nothing left, and given back, so the fetches a worker asks for grow with the endpoints, not with endpoints
 * times cycles. A drained lane used to be refilled whenever a cycle recorded anyone's outcome: with a thousand lanes
 * that was a thousand fetches a cycle (bench:fanout on SQLite: 2.8 s for 1,000 endpoints, 0.7 s without). The worker
 * under test is built as serve builds it, on a store whose cycle() is counted on the way through; an API-only hookd
 * on PostgreSQL takes the publish.
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
import { Api, eventually, hookdConfig } from "./harness.ts";
import { Receiver } from "../support/receiver.ts";

const ENDPOINTS = 300;

describe("fan-out cost (postgres)", () => {
  let db: TestDatabase;
  let app: App;
  let store: Store;
  let worker: DeliveryWorker | null = null;
  const receiver = new Receiver();

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    app = await createApp(hookdConfig(db.url), { role: "api", log: createLogger("silent") });
    store = openPostgresStore({ url: db.url, poolSize: 4, onError: () => undefined });
    await receiver.start();
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await receiver.close();
    await store?.close();
    await app?.close();
    await db?.destroy();
  });

  it("asks for a bounded number of fetches per endpoint to deliver one event to 300 endpoints", async () => {
    const api = new Api(app.url!);
    const tenantId = (await api.createTenant({ name: "fan-out" })).id as string;
    for (let i = 0; i < ENDPOINTS; i += 30) {
      await Promise.all(Array.from({ length: 30 }, (_, j) => api.createEndpoint(tenantId, { url: `${receiver.url}/e${i + j}` })));
    }
    expect((await api.publish(tenantId, { type: "order.paid", data: { n: 1 } })).matched_endpoints).toBe(ENDPOINTS);

    let cycles = 0;
    let refills = 0;
    const counted: Store = {
      ...store,
      cycle: async (input) => {
        cycles++;
        refills += input.refills.length;
        return store.cycle(input);
      },
    };
    const config = hookdConfig(db.url);
    const log = createLogger("silent");
    const policy = createEgressPolicy({ allowedNetworks: config.allowedNetworks, allowedPorts: config.allowedPorts, requireHttps: false });
    worker = new DeliveryWorker({
      queue: counted,
      dispatcher: createOutboundAgent({ policy: policy.network }),
      policy,
      secretBox: openSecretBox(config, log),
      log,
      concurrency: 64,
      leaseMarginMs: config.leaseMarginMs,
      // No poll-driven refills within the test: every fetch counted is one the cycles asked for.
      pollIntervalMs: 60_000,
      shutdownGraceMs: 500,
      retryScheduleS: config.retryScheduleS,
      isolation: new EndpointIsolation(isolationSettings(config)),
    });
    worker.start();
    await eventually(() => expect(receiver.received).toHaveLength(ENDPOINTS), 30_000);
    await eventually(() => expect(worker!.ownedEndpoints).toBe(0), 10_000);
    // Each endpoint: at most a few refills (the one that finds it drained, and one with its own outcome). Refilling
    // every drained lane on every cycle that records anything grows with endpoints x cycles.
    expect(cycles).toBeGreaterThan(1);
    expect(refills).toBeLessThanOrEqual(3 * ENDPOINTS);
  }, 60_000);
});
