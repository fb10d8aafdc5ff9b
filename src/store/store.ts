/**
 * The Store: every durable operation hookd performs, in domain terms, as the union of small ports (store/ports/).
 * Two adapters implement it (store/sqlite for the embedded shape, store/postgres for scale-out), each assembled from
 * one file per port, and one contract suite (test/contract) runs against both. Nothing outside store/ sees SQL or a
 * driver type; only app.ts chooses the adapter, and the delivery worker sees only the queue port.
 *
 * The delivery lifecycle (docs/architecture.md, "The delivery queue"):
 *   ingest  -> one transaction writes the events, one delivery per (event, matching enabled endpoint) with the
 *              endpoint's next sequence number, and the idempotency record. Nothing is acknowledged before that commit.
 *   cycle   -> a worker owns the endpoints it sends to; one transaction per cycle records outcomes, fetches more work
 *              and takes over due endpoints (ports/queue.ts).
 */
import type { ApiKeysPort } from "./ports/api-keys.ts";
import type { ConsoleStore } from "./ports/console.ts";
import type { DeliveryLogPort } from "./ports/delivery-log.ts";
import type { EndpointCredentialsStore } from "./ports/endpoint-credentials.ts";
import type { EndpointHeadersStore } from "./ports/endpoint-headers.ts";
import type { EndpointsPort } from "./ports/endpoints.ts";
import type { EventTypesPort } from "./ports/event-types.ts";
import type { IngestPort } from "./ports/ingest.ts";
import type { KeyChangeBus } from "./ports/key-changes.ts";
import type { OperationalEventsPort } from "./ports/operational-events.ts";
import type { OrderingPort } from "./ports/ordering.ts";
import type { PayloadFetchStore } from "./ports/payload-fetches.ts";
import type { PortalSessionStore } from "./ports/portal-sessions.ts";
import type { QueuePort } from "./ports/queue.ts";
import type { RetentionPort } from "./ports/retention.ts";
import type { StatsPort } from "./ports/stats.ts";
import type { TasksPort } from "./ports/tasks.ts";
import type { TenantsPort } from "./ports/tenants.ts";

export type { JsonObject } from "../domain/types.ts";
export type * from "./ports/api-keys.ts";
export type * from "./ports/common.ts";
export type * from "./ports/delivery-log.ts";
export type * from "./ports/endpoint-credentials.ts";
export type * from "./ports/endpoint-headers.ts";
export type * from "./ports/endpoints.ts";
export type * from "./ports/event-types.ts";
export type * from "./ports/ingest.ts";
export type * from "./ports/key-changes.ts";
export type * from "./ports/operational-events.ts";
export type * from "./ports/payload-fetches.ts";
export type * from "./ports/queue.ts";
export type * from "./ports/retention.ts";
export type * from "./ports/stats.ts";
export type * from "./ports/tasks.ts";
export type * from "./ports/tenants.ts";

export interface StoreLifecycle {
  readonly kind: "sqlite" | "postgres";
  /** The tenant portal's sessions and settings (store/ports/portal-sessions.ts). */
  readonly portalSessions: PortalSessionStore;
  /** Bounded aggregate reads for the operator console and stats series (store/ports/console.ts). */
  readonly consoleStats: ConsoleStore;
  /** The log of thin deliveries' payload fetches (store/ports/payload-fetches.ts). */
  readonly payloadFetches: PayloadFetchStore;
  /** Endpoints' sealed OAuth2 and mTLS settings, for re-encryption (store/ports/endpoint-credentials.ts). */
  readonly endpointCredentials: EndpointCredentialsStore;
  /** Applies pending migrations; safe to call from many processes at once. */
  migrate(): Promise<void>;
  /** Throws when the store cannot serve a query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface Store
  extends StoreLifecycle,
    ApiKeysPort,
    TenantsPort,
    EndpointsPort,
    EndpointHeadersStore,
    KeyChangeBus,
    EventTypesPort,
    IngestPort,
    QueuePort,
    DeliveryLogPort,
    TasksPort,
    OperationalEventsPort,
    OrderingPort,
    StatsPort,
    RetentionPort {}
