/**
 * The delivery thread of the embedded shape: the same DeliveryWorker as in-process, on its own SQLite connection,
 * its own outbound agent and its own event loop, so HTTP ingest and delivery stop taking turns on one thread.
 * It reports attempts to the API thread (which owns /metrics) and learns of new work from it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createLogger } from "../../observability/logger.ts";
import { observeAll } from "../../observability/observers.ts";
import { tracingSettings } from "../../observability/tracing/settings.ts";
import type { AttemptObservation } from "../../observability/metrics.ts";
import { createOutboundAgent } from "../../outbound/agent.ts";
import { createEgressPolicy } from "../../outbound/egress-policy.ts";
import { openSecretBox } from "../../secrets/keyring.ts";
import { SqliteStore } from "../../store/sqlite/sqlite-store.ts";
import { createDeliveryWorker } from "../create-worker.ts";
import type { DeliveryThreadData, FromThread, ToThread } from "./messages.ts";

/** Attempts are reported in batches: one message per this many ms at most, however many attempts finished. */
const REPORT_EVERY_MS = 50;

const port = parentPort;
if (!port) throw new Error("delivery-thread.ts runs only as a worker thread");
const { config } = workerData as DeliveryThreadData;
const send = (m: FromThread) => port.postMessage(m);

const log = createLogger(config.logLevel).child({ thread: "delivery" });
try {
  const store = SqliteStore.open(config.databaseUrl);
  const secretBox = openSecretBox(config, log);
  const policy = createEgressPolicy({
    allowedNetworks: config.allowedNetworks,
    allowedPorts: config.allowedPorts,
    requireHttps: config.requireHttps,
  });
  const agent = createOutboundAgent({ policy: policy.network });
  let pending: AttemptObservation[] = [];
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    timer = null;
    if (pending.length === 0) return;
    send({ type: "attempts", observations: pending });
    pending = [];
  };
  // The thread exports its attempt spans itself: a tracer provider cannot be shared across threads.
  const traceSettings = tracingSettings(config);
  const tracing = traceSettings
    ? (await import("../../observability/tracing/index.ts")).startThreadTracing(traceSettings, "delivery")
    : null;
  const spans = tracing?.attempts(store, log) ?? null;
  // A thread started again after a crash: its predecessor's endpoints are free at once (one process owns them all).
  await store.forgetOwners(Date.now());
  const worker = createDeliveryWorker(config, {
    queue: store,
    dispatcher: agent,
    policy,
    secretBox,
    log,
    observer: observeAll(
      {
        attempted(o) {
          pending.push(o);
          timer ??= setTimeout(flush, REPORT_EVERY_MS);
        },
      },
      spans,
    ),
  });
  port.on("message", (m: ToThread) => {
    if (m.type === "work") store.notifyWork();
    if (m.type === "endpoints") store.notifyEndpointChanges(m.tenantId);
    if (m.type === "stop") {
      void (async () => {
        await worker.stop();
        if (timer) clearTimeout(timer);
        flush();
        await agent.close();
        await spans?.flush();
        await tracing?.shutdown().catch((err: unknown) => log.warn({ err }, "exporting the last spans failed"));
        await store.close();
        send({ type: "stopped" });
        port.close();
      })();
    }
  });
  worker.start();
  send({ type: "started" });
} catch (err) {
  log.error({ err }, "delivery thread failed to start");
  send({ type: "failed", message: err instanceof Error ? err.message : String(err) });
  port.close();
}
