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
import { DeliveryWorker } from "./worker.ts";

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
  return new DeliveryWorker({
    ...deps,
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
