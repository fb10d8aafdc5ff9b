/**
 * For tests that drive a delivery worker of their own beside an API-only hookd on PostgreSQL: the API process takes
 * the publishes, and the worker under test is built exactly as `serve` builds one, on whatever queue the test hands
 * it (the real store, or the real store with its cycles slowed or counted) and with the few settings the test
 * changes. The fixture creates the database, the API process, a store and a receiver, and stops everything after.
 */
import { afterAll, beforeAll } from "vitest";
import { type App, createApp } from "../../src/app.ts";
import type { Config } from "../../src/config/config.ts";
import { DeliveryWorker } from "../../src/delivery/worker.ts";
import { EndpointIsolation, isolationSettings } from "../../src/isolation/policy.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { createOutboundAgent } from "../../src/outbound/agent.ts";
import { createEgressPolicy } from "../../src/outbound/egress-policy.ts";
import { openSecretBox } from "../../src/secrets/keyring.ts";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import type { QueuePort, Store } from "../../src/store/store.ts";
import { Receiver } from "../support/receiver.ts";
import { createTestDatabase, type TestDatabase } from "../support/stores.ts";
import { Api, hookdConfig } from "./harness.ts";

export interface WorkerFixture {
  api: Api;
  store: Store;
  receiver: Receiver;
  /** A started worker on `queue` (default: the store), stopped after the suite. */
  worker(opts?: { queue?: QueuePort; config?: Partial<Config>; pollIntervalMs?: number; shutdownGraceMs?: number; prefetchBytes?: number }): DeliveryWorker;
}

export function useWorkerBesideApi(poolSize = 4): WorkerFixture {
  let db: TestDatabase;
  let app: App;
  const workers: DeliveryWorker[] = [];
  const fixture = { receiver: new Receiver() } as WorkerFixture;

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    app = await createApp(hookdConfig(db.url), { role: "api", log: createLogger("silent") });
    fixture.api = new Api(app.url!);
    fixture.store = openPostgresStore({ url: db.url, poolSize, onError: () => undefined });
    await fixture.receiver.start();
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) await w.stop();
    await fixture.receiver.close();
    await fixture.store?.close();
    await app?.close();
    await db?.destroy();
  });

  fixture.worker = (opts = {}) => {
    const config = hookdConfig(db.url, opts.config);
    const log = createLogger("silent");
    const policy = createEgressPolicy({ allowedNetworks: config.allowedNetworks, allowedPorts: config.allowedPorts, requireHttps: false });
    const worker = new DeliveryWorker({
      queue: opts.queue ?? fixture.store,
      dispatcher: createOutboundAgent({ policy: policy.network }),
      policy,
      secretBox: openSecretBox(config, log),
      log,
      concurrency: 64,
      leaseMarginMs: config.leaseMarginMs,
      pollIntervalMs: opts.pollIntervalMs ?? 100,
      shutdownGraceMs: opts.shutdownGraceMs ?? 2_000,
      retryScheduleS: config.retryScheduleS,
      isolation: new EndpointIsolation(isolationSettings(config)),
      ...(opts.prefetchBytes !== undefined ? { prefetchBytes: opts.prefetchBytes } : {}),
    });
    worker.start();
    workers.push(worker);
    return worker;
  };
  return fixture;
}
