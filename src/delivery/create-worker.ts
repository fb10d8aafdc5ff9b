/**
 * Builds the delivery worker from the settings, so the in-process worker (app.ts) and the delivery thread
 * (thread/delivery-thread.ts) are configured by one piece of code.
 */
import type { Logger } from "pino";
import type { Dispatcher } from "undici";
import type { Config } from "../config/config.ts";
import { EndpointIsolation, isolationSettings } from "../isolation/policy.ts";
import type { DeliveryObserver } from "../observability/metrics.ts";
import type { EgressPolicy } from "../outbound/egress-policy.ts";
import type { SecretBox } from "../secrets/secret-box.ts";
import type { QueuePort } from "../store/ports/queue.ts";
import { createRelayAgent } from "../outbound/relay-egress.ts";
import { PayloadTokens } from "../secrets/payload-token.ts";
import { PayloadUrls } from "./payload-url.ts";
import { RequestSigner } from "./sign-request.ts";
import { DeliveryWorker } from "./worker.ts";

/**
 * Where receivers fetch thin deliveries' payloads: HOOKD_PUBLIC_URL, or else the address this process's API listens
 * on (app.ts passes the real one once it listens; a worker-only process can only guess from HOOKD_HOST and
 * HOOKD_PORT, which is why scale-out installs set HOOKD_PUBLIC_URL).
 */
export function payloadBaseUrl(config: Pick<Config, "publicUrl" | "host" | "port">): string {
  if (config.publicUrl !== null) return config.publicUrl.replace(/\/+$/, "");
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host === "::" ? "[::1]" : config.host.includes(":") ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}

export interface WorkerDeps {
  queue: QueuePort;
  dispatcher: Dispatcher;
  policy: EgressPolicy;
  secretBox: SecretBox;
  log: Logger;
  observer: DeliveryObserver;
  now?: (() => number) | undefined;
}

export function createDeliveryWorker(config: Config, deps: WorkerDeps): DeliveryWorker {
  const payloads = new PayloadUrls(new PayloadTokens(deps.secretBox), {
    baseUrl: payloadBaseUrl(config),
    ttlS: config.payloadUrlTtlS,
    maxFullBytes: config.maxEventBytes,
  });
  return new DeliveryWorker({
    ...deps,
    relayDispatcher: createRelayAgent(),
    signer: new RequestSigner(deps.secretBox, payloads),
    ...(deps.now ? { now: deps.now } : {}),
    concurrency: config.workerConcurrency,
    maxEndpoints: config.workerMaxEndpoints,
    leaseMarginMs: config.leaseMarginMs,
    pollIntervalMs: config.pollIntervalMs,
    shutdownGraceMs: config.shutdownGraceMs,
    retryScheduleS: config.retryScheduleS,
    isolation: new EndpointIsolation(isolationSettings(config)),
  });
}
