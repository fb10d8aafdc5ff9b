/**
 * What the API thread and the delivery thread say to each other (embedded shape, see threaded-worker.ts). Plain
 * structured-clone data only.
 */
import type { Config } from "../../config/config.ts";
import type { AttemptObservation } from "../../observability/metrics.ts";

export interface DeliveryThreadData {
  /** The module the boot script loads (delivery-thread.ts). */
  entry: string;
  config: Config;
}

export type ToThread =
  /** New deliveries were committed by the API thread: claim now rather than at the next poll. */
  | { type: "work" }
  /** An endpoint of the tenant (null: any) was changed by the API thread: owners re-read its config. */
  | { type: "endpoints"; tenantId: string | null }
  /** Drain and exit (graceful shutdown). */
  | { type: "stop" };

export type FromThread =
  | { type: "started" }
  /** Attempts finished since the last message, for the API thread's /metrics. */
  | { type: "attempts"; observations: AttemptObservation[] }
  /** The drain is over and the thread's store is closed. */
  | { type: "stopped" }
  | { type: "failed"; message: string };
