/**
 * The composition root: from a frozen config it builds the store, the services, the HTTP server and the delivery
 * worker for the requested role, and returns one close() that shuts them down in order (stop accepting requests,
 * drain the worker, close outbound connections, close the store). Nothing here exits the process.
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Dispatcher } from "undici";
import { type Config, type Role, storeKind } from "./config/config.ts";
import { createDeliveryWorker, payloadBaseUrl } from "./delivery/create-worker.ts";
import { ThreadedDeliveryWorker } from "./delivery/thread/threaded-worker.ts";
import { isolationSettings } from "./isolation/policy.ts";
import { ensureAdminKey } from "./features/api-keys/bootstrap.ts";
import { ApiKeyService } from "./features/api-keys/service.ts";
import { AuditService } from "./features/audit/service.ts";
import { DeliveryService } from "./features/deliveries/service.ts";
import { EndpointService } from "./features/endpoints/service.ts";
import { EventService } from "./features/events/service.ts";
import { EventTypeCatalogue } from "./features/event-types/catalogue.ts";
import { IngestCheck } from "./features/event-types/ingest-check.ts";
import { SchemaValidationPool } from "./features/event-types/validation-pool.ts";
import { EventTypeService } from "./features/event-types/service.ts";
import { ensureOperatorSink } from "./features/operational-events/operator-sink.ts";
import { OperationalEventService } from "./features/operational-events/service.ts";
import { RetentionJob } from "./features/retention/retention-job.ts";
import { RetentionService } from "./features/retention/service.ts";
import { StatsService } from "./features/stats/service.ts";
import { TaskRunner } from "./features/tasks/task-runner.ts";
import { TaskService } from "./features/tasks/service.ts";
import { TestSendService } from "./features/test-send/service.ts";
import { TenantService } from "./features/tenants/service.ts";
import { quotaDefaults } from "./features/quotas/defaults.ts";
import { QuotaService } from "./features/quotas/service.ts";
import { ConsoleService } from "./features/console/service.ts";
import { SecretReveal } from "./features/endpoints/reveal-secret.ts";
import { PortalService } from "./features/portal/service.ts";
import { StatsSeriesService } from "./features/stats/series.ts";
import { PayloadService } from "./features/payloads/service.ts";
import { RelayHub } from "./features/relay/hub.ts";
import { RelayService } from "./features/relay/service.ts";
import { OutboxRelay } from "./outbox/relay.ts";
import { Authenticator } from "./http/auth.ts";
import { buildServer } from "./http/build-server.ts";
import { createOutboundAgent } from "./outbound/agent.ts";
import { createEgressPolicy } from "./outbound/egress-policy.ts";
import type { AddressResolver } from "./outbound/target-check.ts";
import { Metrics } from "./observability/metrics.ts";
import { observeAll } from "./observability/observers.ts";
import type { AttemptSpans, ThreadTracing } from "./observability/tracing/index.ts";
import { tracingSettings } from "./observability/tracing/settings.ts";
import { openSecretBox } from "./secrets/keyring.ts";
import { withBackoff } from "./retry/with-backoff.ts";
import { resealHeaders } from "./secrets/reseal-headers.ts";
import { describeUnreadable, resealSecrets } from "./secrets/reseal.ts";
import type { SecretBox } from "./secrets/secret-box.ts";
import { openPostgresStore } from "./store/postgres/postgres-store.ts";
import { SqliteStore } from "./store/sqlite/sqlite-store.ts";
import type { Store } from "./store/store.ts";
import type { BreakerState } from "./domain/endpoint-state.ts";
import { isStoreUnavailable } from "./store/unavailable.ts";

export interface App {
  store: Store;
  server: FastifyInstance | null;
  /** The delivery worker in this process, or the handle on the embedded shape's delivery thread. */
  worker: { stop(): Promise<void> } | null;
  metrics: Metrics;
  /** Base URL of the listening API, when this role serves one. */
  url: string | null;
  /** The admin key minted at this start, if one was (shown once). */
  generatedAdminKey: string | null;
  /** The operator webhook's signing secret, when it was generated at this start (shown once). */
  generatedOperatorSecret: string | null;
  close(): Promise<void>;
}

export interface AppOptions {
  role: Role;
  log: Logger;
  /** Outbound dispatcher override (tests); defaults to the guarded keep-alive agent. */
  dispatcher?: Dispatcher;
  /** The clock of the endpoint service and the worker (tests move it to see a secret's overlap end). */
  now?: () => number;
  /**
   * Name resolver override (tests, to simulate DNS rebinding): used by the registration check and the outbound
   * agent's connect-time lookup alike; every address it returns is still judged by the egress policy.
   */
  resolver?: AddressResolver;
  /**
   * Embedded shape only: deliver from a worker thread with its own SQLite connection (hookd serve turns this on;
   * HOOKD_DELIVERY_THREAD). Ignored with a dispatcher, resolver or clock override, which cannot cross threads.
   */
  deliveryThread?: boolean;
}

export class RoleError extends Error {}

/** Stored secrets that none of the configured keys opens: serving would fail their deliveries, so hookd refuses. */
export class UnreadableSecretsError extends Error {}

/**
 * Secrets stored in the clear by a hookd from before encryption at rest are sealed here, at every start (a no-op
 * once done; concurrent starts are safe, see reseal.ts). The same pass checks that every stored secret names a key
 * this process has, so a wrong or missing HOOKD_ENCRYPTION_KEY stops the start instead of failing deliveries later.
 */
async function sealLegacySecrets(store: Store, box: SecretBox, now: number, log: Logger): Promise<void> {
  const report = await resealSecrets(store, box, { scope: "legacy", now });
  // Custom header values too (secrets/endpoint-headers.ts): databases from before header encryption hold them clear.
  const headers = await resealHeaders(store, box, { scope: "legacy", now });
  for (const [keyId, n] of Object.entries(headers.unreadable)) report.unreadable[keyId] = (report.unreadable[keyId] ?? 0) + n;
  if (Object.keys(report.unreadable).length > 0) {
    throw new UnreadableSecretsError(
      `endpoint secrets are encrypted with keys this process does not have (${describeUnreadable(report.unreadable)}). ` +
        "Set HOOKD_ENCRYPTION_KEY to the key they were encrypted with, or list it in HOOKD_PREVIOUS_ENCRYPTION_KEYS.",
    );
  }
  if (report.rewritten > 0) log.info({ count: report.rewritten }, "encrypted endpoint secrets that were stored in the clear");
  if (headers.rewritten > 0) log.info({ count: headers.rewritten }, "encrypted endpoint header values that were stored in the clear");
}

export function createStore(config: Config, log: Logger): Store {
  if (storeKind(config) === "sqlite") return SqliteStore.open(config.databaseUrl);
  return openPostgresStore({
    url: config.databaseUrl,
    poolSize: config.pgPoolSize,
    onError: (err) => log.warn({ err }, "postgres connection error"),
  });
}

/**
 * Start-up waits for PostgreSQL instead of crashing while it is still coming up (or restarting): it retries with
 * backoff, logging each failure, for as long as the process lives. Errors that are not about reachability (a bad
 * migration, wrong credentials) fail at once. SQLite has nothing to wait for.
 */
async function migrateWithRetry(store: Store, log: Logger): Promise<void> {
  await withBackoff(() => store.migrate(), {
    minMs: 250,
    maxMs: 5_000,
    shouldRetry: (err) => store.kind !== "sqlite" && isStoreUnavailable(err),
    onRetry: (err, attempt) => log.warn({ err, attempt }, "database not reachable yet; retrying"),
  });
}


export async function createApp(config: Config, opts: AppOptions): Promise<App> {
  const { role, log } = opts;
  if (role !== "all" && storeKind(config) === "sqlite") {
    throw new RoleError(
      `--role ${role} needs PostgreSQL: the embedded SQLite store runs the API and the workers in one process. ` +
        "Use `hookd serve` without --role, or set HOOKD_DATABASE_URL=postgres://...",
    );
  }
  // Before touching the store, so a missing key fails at once rather than after waiting for PostgreSQL.
  const secretBox = openSecretBox(config, log);
  const now = opts.now ?? Date.now;
  const store = createStore(config, log);
  let server: FastifyInstance | null = null;
  let worker: { stop(): Promise<void> } | null = null;
  let retention: RetentionJob | null = null;
  let taskRunner: TaskRunner | null = null;
  let agent: Dispatcher | null = null;
  let schemaPool: SchemaValidationPool | null = null;
  let relays: OutboxRelay[] = [];
  // OpenTelemetry only when an OTLP endpoint is set; otherwise not even its packages load (observability/tracing/).
  const traceSettings = tracingSettings(config);
  const tracing: ThreadTracing | null = traceSettings
    ? (await import("./observability/tracing/index.ts")).startThreadTracing(traceSettings, "api")
    : null;
  let attemptSpans: AttemptSpans | null = null;
  try {
    await migrateWithRetry(store, log);
    await sealLegacySecrets(store, secretBox, now(), log);
    const generatedAdminKey = await ensureAdminKey(store, config.adminKey, Date.now());
    const generatedOperatorSecret = await ensureOperatorSink(
      store,
      secretBox,
      { url: config.operatorWebhookUrl, secret: config.operatorWebhookSecret },
      Date.now(),
    );
    const policy = createEgressPolicy({
      allowedNetworks: config.allowedNetworks,
      allowedPorts: config.allowedPorts,
      requireHttps: config.requireHttps,
      resolver: opts.resolver,
    });

    const metrics = new Metrics({
      tenantLabels: config.metricsTenantLabels,
      queueStats: (now) => store.queueStats(now),
    });
    metrics.setBreakerSource(async () =>
      Object.entries(await store.countEndpointsByBreaker()).map(([state, count]) => ({ state: state as BreakerState, count })),
    );
    // Every role runs background tasks (features/tasks): an API process starts the ones it queues at once.
    taskRunner = new TaskRunner({ store, log, now });
    const runner = taskRunner;
    let url: string | null = null;
    // The ingest service serves the API and the outbox relays (which publish through it, so a relayed event gets
    // exactly the checks a published one does).
    const eventTypeCatalogue = new EventTypeCatalogue(store, log);
    schemaPool = new SchemaValidationPool({ timeLimitMs: config.schemaValidationTimeoutMs });
    const typeCheck = new IngestCheck(eventTypeCatalogue, schemaPool, config.strictEventTypes);
    const events = new EventService(
      store,
      Date.now,
      typeCheck,
      { fullBytes: config.maxEventBytes, thinBytes: config.maxThinEventBytes },
      tracing?.ingest ?? null,
    );
    if (role === "all" || role === "api") {
      const quotas = new QuotaService(store, quotaDefaults(config), log, now);
      const tenants = new TenantService(store, Date.now, () => runner.wake(), quotas);
      const auth = new Authenticator(store, log);
      // Revoked keys and deleted tenants leave every process's key cache at once (store KeyChangeBus).
      store.onKeyChange((change) => auth.applyChange(change));
      server = await buildServer(
        {
          auth,
          tenants,
          endpoints: new EndpointService(store, policy, secretBox, now, isolationSettings(config).breaker, () => runner.wake(), quotas),
          events,
          eventTypes: new EventTypeService(store, eventTypeCatalogue, schemaPool, config.strictEventTypes),
          deliveries: new DeliveryService(store, Date.now, {
            maxFullBytes: config.maxEventBytes,
            // The API's own address is known once it listens (below).
            baseUrl: () => payloadBaseUrl(url === null ? config : { ...config, publicUrl: config.publicUrl ?? url }),
          }),
          apiKeys: new ApiKeyService(store, tenants, auth),
          audit: new AuditService(store, tenants),
          operationalEvents: new OperationalEventService(store),
          metrics,
          metricsAuth: config.metricsAuth,
          retention: new RetentionService(store),
          stats: new StatsService(store),
          tasks: new TaskService(store, () => runner.wake(), now),
          testSend: new TestSendService(store, now, typeCheck),
          portal: new PortalService(store),
          console: new ConsoleService(store),
          statsSeries: new StatsSeriesService(store),
          secretReveal: new SecretReveal(store, secretBox, now),
          payloads: new PayloadService(store, secretBox, now),
          // Workers reach this process's relay route at HOOKD_RELAY_URL, or at the address it really listens on.
          relay: new RelayService(store, secretBox, () => config.relayUrl ?? payloadBaseUrl(url === null ? config : { ...config, publicUrl: url }), now),
          relayHub: new RelayHub(),
          quotas,
          publicUrl: config.publicUrl,
          ready: () => store.ping(),
        },
        log,
      );
      url = await server.listen({ host: config.host, port: config.port });
    }
    if (role === "all" || role === "worker") {
      // Thin deliveries link back to this API: without HOOKD_PUBLIC_URL, to the address it really listens on.
      const workerConfig: Config = { ...config, publicUrl: config.publicUrl ?? url };
      // An in-memory database exists only on the connection that made it: a thread would open an empty one.
      const sharedFile = !/^sqlite:(\/\/)?:memory:$/.test(config.databaseUrl);
      // Embedded, this process is the only deliverer: endpoints a crashed run still owned are free at once.
      if (store.kind === "sqlite") await (store as SqliteStore).forgetOwners(Date.now());
      if (opts.deliveryThread && store.kind === "sqlite" && sharedFile && !opts.dispatcher && !opts.resolver && !opts.now) {
        const threaded = new ThreadedDeliveryWorker(workerConfig, store as SqliteStore, metrics, log);
        await threaded.start();
        worker = threaded;
      } else {
        agent =
          opts.dispatcher ??
          createOutboundAgent({ policy: policy.network, ...(policy.resolver ? { resolver: policy.resolver } : {}) });
        // The delivery thread records its own attempt spans; in-process, this thread's provider does.
        attemptSpans = tracing?.attempts(store, log) ?? null;
        const observer = observeAll(metrics, attemptSpans);
        const inProcess = createDeliveryWorker(workerConfig, { queue: store, dispatcher: agent, policy, secretBox, log, now, observer });
        inProcess.start();
        worker = inProcess;
      }
      // Retention runs beside the delivery work: every worker process, in small idempotent batches.
      retention = new RetentionJob({
        store,
        log,
        retentionDays: config.retentionDays,
        eventRetentionDays: config.eventRetentionDays,
        bodyRetentionDays: config.attemptBodyRetentionDays,
        intervalMs: config.retentionIntervalMs,
      });
      retention.start();
    }
    taskRunner.start();
    relays = config.outboxUrls.map(
      (outboxUrl) =>
        new OutboxRelay({
          url: outboxUrl,
          events,
          log,
          pollIntervalMs: config.outboxPollIntervalMs,
          onPublished: (tenantId, count) => metrics.eventsAccepted(tenantId, count),
        }),
    );
    for (const relay of relays) relay.start();

    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= (async () => {
        await server?.close();
        // Relays publish through the ingest service: stopped (their batch under way committed) before its pool goes.
        await Promise.all(relays.map((r) => r.stop()));
        await schemaPool?.close();
        await retention?.stop();
        await taskRunner?.stop();
        await worker?.stop();
        if (agent && !opts.dispatcher) await agent.close();
        // The last attempts' spans read their events' trace contexts: before the store closes.
        await attemptSpans?.flush();
        await tracing?.shutdown().catch((err: unknown) => log.warn({ err }, "exporting the last spans failed"));
        await store.close();
      })();
      return closing;
    };
    return { store, server, worker, metrics, url, generatedAdminKey, generatedOperatorSecret, close };
  } catch (err) {
    await server?.close().catch(() => undefined);
    await Promise.all(relays.map((r) => r.stop().catch(() => undefined)));
    await schemaPool?.close().catch(() => undefined);
    await taskRunner?.stop().catch(() => undefined);
    await tracing?.shutdown().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}
