/**
 * The shared vocabulary of hookd: what the store keeps and the services pass around. Times are epoch milliseconds
 * in the domain and ISO 8601 strings on the wire.
 */
import type { QuotaOverrides } from "./quotas.ts";

import type { EndpointMtls, EndpointOAuth2 } from "./endpoint-auth.ts";

export type JsonObject = Record<string, unknown>;

export interface Tenant {
  id: string;
  name: string;
  metadata: JsonObject;
  /** An event larger than the full-payload limit is refused, or accepted and delivered thin (only). */
  oversizedEvents: OversizedEvents;
  /** The tenant's own event retention in days (0: keep); null: HOOKD_EVENT_RETENTION_DAYS. Set by an admin. */
  eventRetentionDays: number | null;
  /** Overrides of the HOOKD_QUOTA_* defaults (domain/quotas.ts); absent or empty: the defaults. */
  quotas?: QuotaOverrides;
  createdAt: number;
  updatedAt: number;
}

export type OversizedEvents = "reject" | "thin";
export const OVERSIZED_EVENTS: readonly OversizedEvents[] = ["reject", "thin"];

/** full: the request carries the event's data; thin: only its id, type and timestamp, with a URL to fetch the data. */
export type PayloadMode = "full" | "thin";
/** none: deliveries go in parallel; fifo: deliveries with the same ordering key go one after another (docs/delivery.md). */
export type OrderingMode = "none" | "fifo";
/** In FIFO mode, what a dead-lettered delivery does to its key's line: the next one goes, or the key halts. */
export type FifoOnDead = "continue" | "halt";
export const PAYLOAD_MODES: readonly PayloadMode[] = ["full", "thin"];

/** How an endpoint's requests are signed: Standard Webhooks `v1` (HMAC-SHA256) or `v1a` (Ed25519). */
export type SignatureScheme = "hmac_sha256" | "ed25519";
export const SIGNATURE_SCHEMES: readonly SignatureScheme[] = ["hmac_sha256", "ed25519"];

/**
 * http: delivered to the endpoint's URL. relay: delivered through a `hookd listen` session to a developer's machine
 * (features/relay/); its URL is hookd's own relay route, written only by hookd.
 */
export type EndpointType = "http" | "relay";
export const ENDPOINT_TYPES: readonly EndpointType[] = ["http", "relay"];

export interface Endpoint {
  id: string;
  tenantId: string;
  type: EndpointType;
  url: string;
  description: string;
  eventTypes: string[];
  /** The payload filter (domain/event-filter/) as saved, JSON text; null: every event of a subscribed type. */
  filterJson: string | null;
  payloadMode: PayloadMode;
  ordering: OrderingMode;
  fifoOnDead: FifoOnDead;
  signatureScheme: SignatureScheme;
  /**
   * The signing secret (`whsec_...` or `whsk_...`) as stored: encrypted by secrets/secret-box.ts. Only the API's
   * create and rotate answers ever show the plaintext, once.
   */
  sealedSecret: string;
  /** The secret before the last rotation (sealed), signed with as well until `previousSecretExpiresAt`. */
  previousSealedSecret: string | null;
  previousSecretExpiresAt: number | null;
  /** The `whpk_` public key of an ed25519 endpoint; null for HMAC. Not a secret. */
  publicKey: string | null;
  headers: Record<string, string>;
  /** OAuth2 client credentials: hookd sends a bearer token it obtains (domain/endpoint-auth.ts); null: none. */
  oauth2: EndpointOAuth2 | null;
  /** A TLS client certificate and/or a pinned server CA (domain/endpoint-auth.ts); null: plain TLS. */
  mtls: EndpointMtls | null;
  timeoutMs: number;
  /** Deliveries in flight at once to this endpoint, across every worker. */
  maxInFlight: number;
  /** Deliveries started per second at most (token bucket); null for no limit. */
  rateLimitPerS: number | null;
  /** Seconds before each attempt; null means the server default. */
  retryScheduleS: number[] | null;
  disabled: boolean;
  disabledReason: string | null;
  metadata: JsonObject;
  createdAt: number;
  updatedAt: number;
}

export interface StoredEvent {
  id: string;
  tenantId: string;
  type: string;
  /** The event's `data` as JSON text, kept verbatim so the signed body is byte-stable across retries. */
  dataJson: string;
  /** FIFO endpoints deliver events with the same key one after another (docs/delivery.md, "Ordering"). */
  orderingKey: string | null;
  createdAt: number;
  /** Set once the payload was expunged (retention or on request); dataJson is then empty. */
  payloadExpungedAt: number | null;
}

/**
 * pending: no attempt yet (or replayed); failed: an attempt failed and a retry is scheduled; succeeded; dead: no more
 * automatic attempts.
 */
export type DeliveryStatus = "pending" | "failed" | "succeeded" | "dead";
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ["pending", "failed", "succeeded", "dead"];

export interface Delivery {
  id: string;
  tenantId: string;
  eventId: string;
  /** Copied from the event so the log can be searched by type. */
  eventType: string;
  endpointId: string;
  /** Its place in the endpoint's stream: 1, 2, 3 ... in ingest order (the `webhook-sequence` header). */
  seq: number;
  status: DeliveryStatus;
  /** Attempts made over the delivery's whole life (attempt numbers run 1..attempts with no gaps). */
  attempts: number;
  nextAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export type AttemptOutcome = "success" | "retry" | "permanent";

/** Why an attempt failed, for people and dashboards; stable strings. */
export type ErrorClass =
  | "http_status"
  | "timeout"
  | "connect"
  | "dns"
  | "tls"
  | "ssrf_blocked"
  | "response"
  | "aborted"
  /** hookd could not obtain the endpoint's OAuth2 access token (the token endpoint failed or refused). */
  | "auth"
  | "internal"
  /** A relay endpoint's attempt while no `hookd listen` session is connected for it. */
  | "relay_not_connected";

export interface Attempt {
  id: string;
  deliveryId: string;
  attempt: number;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  responseBody: string | null;
  error: string | null;
  errorClass: ErrorClass | null;
  outcome: AttemptOutcome;
  timeoutMs: number;
  /** The request as sent: URL and headers with the signature redacted (the body is the event's, byte-stable). */
  requestUrl?: string | null;
  requestHeaders?: Record<string, string> | null;
  /** The receiver's response headers, capped (see delivery/send.ts); null when no response arrived. */
  responseHeaders?: Record<string, string> | null;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
