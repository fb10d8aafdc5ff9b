/**
 * The success response of every route, for the OpenAPI document (/openapi.json, committed as openapi.json). Kept in
 * one table keyed by `METHOD path` so a route module needs no change to be documented, and a test
 * (test/api/openapi.test.ts) fails for any registered route missing here. A route may instead declare
 * `schema.response` itself; that wins.
 *
 * The schemas describe; they do not filter. The server serialises with JSON.stringify (see openapi.ts), so a field
 * missing here is not silently dropped from answers; the OpenAPI test checks real answers against these schemas.
 */
import { type TSchema, Type } from "typebox";
import { EVENT_TYPE_RESPONSES } from "../features/event-types/schemas.ts";
import { OperationalEventPage } from "../features/operational-events/schemas.ts";
import { PORTAL_RESPONSES } from "../features/portal/responses.ts";
import { StatsSchema } from "../features/stats/schemas.ts";
import { TaskPage, TaskSchema } from "../features/tasks/schemas.ts";
import { TestSendResult } from "../features/test-send/schemas.ts";
import { PayloadBody } from "../features/payloads/schemas.ts";
import { QuotaOverridesSchema, QuotasSchema, QuotaViewSchema } from "../features/quotas/schemas.ts";

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ format: "date-time" });
const Json = Type.Record(Type.String(), Type.Unknown());
const page = <T extends TSchema>(item: T) =>
  Type.Object({
    data: Type.Array(item),
    next_cursor: Nullable(Type.String({ description: "Pass as `cursor` for the next page; null on the last." })),
  });

export const TenantSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  metadata: Json,
  oversized_events: Type.Union([Type.Literal("reject"), Type.Literal("thin")], {
    description: "An event over HOOKD_MAX_EVENT_BYTES: refused (413), or accepted and delivered thin.",
  }),
  quotas: QuotasSchema,
  quota_overrides: QuotaOverridesSchema,
  created_at: Time,
  updated_at: Time,
});

const EndpointHealthSchema = Type.Object(
  {
    breaker: Type.Union([Type.Literal("closed"), Type.Literal("open"), Type.Literal("half_open")]),
    failure_rate: Nullable(Type.Number({ description: "Failed share of the attempts in the breaker's window, 0-1." })),
    p50_ms: Nullable(Type.Number({ description: "Median duration of the last 100 attempts." })),
    p95_ms: Nullable(Type.Number()),
    in_flight: Type.Integer({ description: "Requests open to the endpoint right now, across all workers." }),
    paused_until: Nullable(Time),
    open_until: Nullable(Time),
    last_success_at: Nullable(Time),
  },
  { description: "Shown on GET (one and list) and on enable." },
);

export const EndpointSchema = Type.Object({
  id: Type.String(),
  tenant_id: Type.String(),
  type: Type.Union([Type.Literal("http"), Type.Literal("relay")], {
    description: "http: delivered to `url`. relay: delivered through a `hookd listen` session; `url` is hookd's own relay route.",
  }),
  url: Type.String(),
  description: Type.String(),
  event_types: Type.Array(Type.String()),
  signature_scheme: Type.Union([Type.Literal("hmac_sha256"), Type.Literal("ed25519")]),
  public_key: Nullable(Type.String({ description: "whpk_...: the key receivers verify Ed25519 signatures with; null for HMAC." })),
  previous_secret_expires_at: Nullable(Type.String({ format: "date-time", description: "Until then the replaced secret signs too." })),
  filter: Nullable(Json),
  payload_mode: Type.Union([Type.Literal("full"), Type.Literal("thin")]),
  ordering: Type.Union([Type.Literal("none"), Type.Literal("fifo")]),
  fifo_on_dead: Type.Union([Type.Literal("continue"), Type.Literal("halt")]),
  headers: Type.Record(Type.String(), Type.String(), {
    description: 'Custom header names; every value reads "[redacted]" (GET .../endpoints/{endpoint_id}/headers shows them).',
  }),
  oauth2: Nullable(
    Type.Object(
      {
        token_url: Type.String(),
        client_id: Type.String(),
        client_secret: Type.Literal("[redacted]"),
        scopes: Type.Array(Type.String()),
        audience: Nullable(Type.String()),
        client_auth: Type.Union([Type.Literal("basic"), Type.Literal("body")]),
      },
      { description: "OAuth2 client credentials hookd gets a bearer token with; the secret is never shown." },
    ),
  ),
  mtls: Nullable(
    Type.Object(
      { cert: Nullable(Type.String()), key: Nullable(Type.Literal("[redacted]")), ca: Nullable(Type.String()) },
      { description: "The TLS client certificate (its key never shown) and the CA bundle pinning the receiver." },
    ),
  ),
  timeout_ms: Type.Integer(),
  max_in_flight: Type.Integer(),
  rate_limit_per_s: Nullable(Type.Number()),
  health: Type.Optional(EndpointHealthSchema),
  retry_schedule_s: Nullable(Type.Array(Type.Integer())),
  disabled: Type.Boolean(),
  disabled_reason: Nullable(Type.String()),
  metadata: Json,
  created_at: Time,
  updated_at: Time,
});

const EndpointWithSecret = Type.Intersect([
  EndpointSchema,
  Type.Object({ secret: Type.String({ description: "whsec_...; shown only in this answer." }) }),
]);

const DeliveryStatus = Type.Union([
  Type.Literal("pending"),
  Type.Literal("failed"),
  Type.Literal("succeeded"),
  Type.Literal("dead"),
]);

const deliveryFields = {
  id: Type.String(),
  event_id: Type.String(),
  event_type: Type.String(),
  endpoint_id: Type.String(),
  sequence: Type.Integer({ description: "Its number in the endpoint's stream, in ingest order (the webhook-sequence header)." }),
  status: DeliveryStatus,
  next_attempt_at: Nullable(Time),
  last_status_code: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  created_at: Time,
  updated_at: Time,
};

export const DeliverySchema = Type.Object({
  ...deliveryFields,
  attempts: Type.Integer({ description: "Attempts made so far." }),
});

const AttemptSchema = Type.Object({
  id: Type.String(),
  attempt: Type.Integer(),
  started_at: Time,
  duration_ms: Type.Integer(),
  status_code: Nullable(Type.Integer()),
  response_body: Nullable(Type.String({ description: "The first 4 KB of the receiver's answer." })),
  error: Nullable(Type.String()),
  error_class: Nullable(Type.String({ description: "timeout, connect, dns, tls, http_status, ssrf_blocked, relay_not_connected ..." })),
  outcome: Type.Union([Type.Literal("success"), Type.Literal("retry"), Type.Literal("permanent")]),
  timeout_ms: Type.Integer(),
  request: Type.Object(
    {
      url: Nullable(Type.String()),
      headers: Nullable(Type.Record(Type.String(), Type.String())),
    },
    { description: "The request as sent by this attempt; webhook-signature is redacted." },
  ),
  response_headers: Nullable(
    Type.Record(Type.String(), Type.String(), { description: "At most 50, values cut at 1 KB; null without a response." }),
  ),
});

const SentRequest = Type.Object(
  {
    url: Nullable(Type.String()),
    headers: Nullable(Type.Record(Type.String(), Type.String())),
    body: Nullable(
      Type.String({
        description:
          "Byte-identical on every attempt; a thin delivery's payload_url differs per attempt and its token is shown as [redacted].",
      }),
    ),
  },
  { description: "The latest request as sent (headers of the last attempt, webhook-signature redacted)." },
);

const IngestedSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  created_at: Time,
  matched_endpoints: Type.Integer({ description: "Deliveries created: one per matching enabled endpoint." }),
});

const EventWithDeliveries = Type.Object({
  id: Type.String(),
  type: Type.String(),
  data: Type.Unknown({ description: "The event's data; null once the payload was expunged." }),
  ordering_key: Nullable(Type.String({ description: "FIFO endpoints deliver events with the same key in order." })),
  created_at: Time,
  payload_expunged_at: Nullable(Time),
  deliveries: Type.Array(DeliverySchema),
});

const ApiKeySchema = Type.Object({
  id: Type.String(),
  tenant_id: Nullable(Type.String()),
  created_at: Time,
  revoked_at: Nullable(Time),
  last_used_at: Nullable(Time),
});

const AuditEntrySchema = Type.Object({
  id: Type.String(),
  tenant_id: Nullable(Type.String()),
  actor_key_id: Type.String(),
  action: Type.String(),
  target_type: Type.String(),
  target_id: Type.String(),
  before: Nullable(Json),
  after: Nullable(Json),
  created_at: Time,
});

const Empty = Type.Null({ description: "No content." });
const RelayEndpointRegistered = Type.Intersect([
  EndpointSchema,
  Type.Object({
    secret: Nullable(Type.String({ description: "whsec_...: on registration (201); null when resumed (200), read it with GET .../secret." })),
  }),
]);
const t = "/v1/tenants/:tenant_id";

/** `METHOD path` -> status -> schema. */
export const RESPONSES: Record<string, Record<number, TSchema>> = {
  "GET /healthz": { 200: Type.Object({ status: Type.Literal("ok") }) },
  "GET /readyz": { 200: Type.Object({ status: Type.Literal("ready") }) },
  "GET /metrics": { 200: Type.String({ description: "Prometheus text exposition format." }) },
  "GET /openapi.json": { 200: Type.Object({}, { description: "This OpenAPI 3.1 document." }) },

  "POST /v1/tenants": { 201: TenantSchema },
  "GET /v1/tenants": { 200: page(TenantSchema) },
  [`GET ${t}`]: { 200: TenantSchema },
  [`PATCH ${t}`]: { 200: TenantSchema },
  [`DELETE ${t}`]: { 204: Empty },
  [`GET ${t}/quotas`]: { 200: QuotaViewSchema },

  [`POST ${t}/api-keys`]: {
    201: Type.Intersect([ApiKeySchema, Type.Object({ key: Type.String({ description: "Shown only once." }) })]),
  },
  [`GET ${t}/api-keys`]: { 200: page(ApiKeySchema) },
  [`DELETE ${t}/api-keys/:key_id`]: { 204: Empty },
  [`GET ${t}/audit-log`]: { 200: page(AuditEntrySchema) },

  [`POST ${t}/endpoints`]: { 201: EndpointWithSecret },
  [`GET ${t}/endpoints`]: { 200: page(EndpointSchema) },
  [`GET ${t}/endpoints/:endpoint_id`]: { 200: EndpointSchema },
  [`GET ${t}/endpoints/:endpoint_id/headers`]: {
    200: Type.Object({
      headers: Type.Record(Type.String(), Type.String(), {
        description: "The custom headers with their values in the clear (reads show them masked). Audited.",
      }),
    }),
  },
  [`PATCH ${t}/endpoints/:endpoint_id`]: { 200: EndpointSchema },
  [`DELETE ${t}/endpoints/:endpoint_id`]: { 204: Empty },
  [`POST ${t}/endpoints/:endpoint_id/enable`]: { 200: EndpointSchema },
  [`POST ${t}/endpoints/:endpoint_id/rotate-secret`]: {
    200: Type.Object({
      secret: Type.String(),
      public_key: Nullable(Type.String()),
      previous_secret_expires_at: Nullable(Time),
    }),
  },
  [`GET ${t}/endpoints/:endpoint_id/halted-keys`]: {
    200: Type.Object({
      data: Type.Array(
        Type.Object({
          ordering_key: Type.String({ description: 'The halted key ("" for events without one).' }),
          delivery_id: Type.String({ description: "The dead delivery that halted it." }),
          halted_at: Time,
        }),
      ),
    }),
  },
  [`POST ${t}/endpoints/:endpoint_id/halted-keys/release`]: {
    200: Type.Object({
      ordering_key: Type.String(),
      action: Type.Union([Type.Literal("skip"), Type.Literal("replay")]),
      released: Type.Boolean(),
    }),
  },
  [`POST ${t}/endpoints/:endpoint_id/filter-test`]: {
    200: Type.Object({
      matches: Type.Boolean({ description: "The endpoint would get a delivery of this event." }),
      event_type_matches: Type.Boolean({ description: "The type is one the endpoint subscribes to." }),
      filter_matches: Type.Boolean({ description: "The payload filter holds (true without a filter)." }),
      failed_clause: Nullable(
        Type.Object(
          { pointer: Type.String(), message: Type.String() },
          { description: "The first filter clause that failed, as a JSON pointer into the filter." },
        ),
      ),
    }),
  },
  [`POST ${t}/endpoints/:endpoint_id/replay`]: {
    202: Type.Object({ count: Type.Integer({ description: "Deliveries requeued." }) }),
  },

  // Hidden from the document: only hookd's own workers call it (features/relay/routes.ts).
  "POST /internal/relay/:tenant_id/:endpoint_id": {
    200: Type.String({ description: "The local server's answer, relayed: its status, headers and body." }),
  },
  [`POST ${t}/relay-endpoints`]: {
    201: RelayEndpointRegistered,
    200: RelayEndpointRegistered,
  },
  [`GET ${t}/relay-endpoints/:endpoint_id/session`]: {
    200: Type.String({
      description:
        "text/event-stream: `ready` once, then one `delivery` event per request to forward ({id, headers, body}); " +
        "answer each with POST .../answers. A comment line every 15 s keeps the connection alive.",
    }),
  },
  [`POST ${t}/relay-endpoints/:endpoint_id/answers`]: { 204: Empty },

  [`POST ${t}/events`]: { 202: IngestedSchema },
  [`POST ${t}/events/batch`]: { 202: Type.Object({ data: Type.Array(IngestedSchema) }) },
  [`GET ${t}/events/:event_id`]: { 200: EventWithDeliveries },
  [`DELETE ${t}/events/:event_id/payload`]: { 204: Empty },

  [`GET ${t}/deliveries`]: { 200: page(DeliverySchema) },
  [`GET ${t}/deliveries/:delivery_id`]: {
    200: Type.Object({
      ...deliveryFields,
      request: SentRequest,
      attempts: Type.Array(AttemptSchema, { description: "Oldest first." }),
      payload_fetches: Type.Array(
        Type.Object({
          id: Type.String(),
          fetched_at: Time,
          remote_address: Nullable(Type.String()),
          user_agent: Nullable(Type.String()),
        }),
        {
          description:
            "For a thin delivery: each time the receiver fetched the payload through its payload_url, oldest first (at most 100).",
        },
      ),
    }),
  },
  [`POST ${t}/deliveries/:delivery_id/replay`]: { 202: DeliverySchema },

  [`GET ${t}/endpoints/:endpoint_id/stats`]: { 200: StatsSchema },
  [`GET ${t}/stats`]: { 200: StatsSchema },

  "GET /v1/operational-events": { 200: OperationalEventPage },
  "GET /v1/events/:event_id/payload": { 200: PayloadBody },

  [`POST ${t}/endpoints/:endpoint_id/test`]: { 202: TestSendResult },
  [`POST ${t}/endpoints/:endpoint_id/recover`]: { 202: TaskSchema },
  [`GET ${t}/tasks`]: { 200: TaskPage },
  [`GET ${t}/tasks/:task_id`]: { 200: TaskSchema },
  ...EVENT_TYPE_RESPONSES,
  ...PORTAL_RESPONSES,
};
