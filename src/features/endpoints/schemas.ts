import { maskHeaderValues } from "../../secrets/endpoint-headers.ts";
import { Type } from "typebox";
import {
  HEADER_NAME_PATTERN,
  HEADER_VALUE_PATTERN,
  MAX_CUSTOM_HEADERS,
} from "../../domain/endpoint-headers.ts";
import { EVENT_TYPE_FILTER_PATTERN, EVENT_TYPE_PATTERN } from "../../domain/event-type-match.ts";
import { CALLER_ID_PATTERN } from "../../domain/ids.ts";
import { MAX_SECRET_OVERLAP_S } from "./service.ts";
import { filterToApi } from "./filter.ts";
import { MtlsBody, mtlsToApi, OAuth2Body, oauth2ToApi } from "./auth.ts";
import type { Endpoint } from "../../domain/types.ts";
import type { EndpointHealth } from "../../isolation/health.ts";
import { iso, Metadata, TEXT_PATTERN } from "../../http/common-schemas.ts";
import type { HaltedKey } from "../../store/ports/ordering.ts";

/** Each subscription is one filter; a hundred covers any real endpoint and bounds the matching work per event. */
export const MAX_EVENT_TYPES = 100;

export const endpointFields = {
  url: Type.String({ minLength: 1, maxLength: 2048, pattern: TEXT_PATTERN }),
  description: Type.String({ maxLength: 1024, pattern: TEXT_PATTERN }),
  event_types: Type.Array(Type.String({ pattern: EVENT_TYPE_FILTER_PATTERN, maxLength: 128 }), {
    minItems: 1,
    maxItems: MAX_EVENT_TYPES,
  }),
  secret: Type.String({ maxLength: 128 }),
  // additionalProperties: false makes the name pattern binding; without it a name that fails the pattern is just
  // not checked, and an endpoint whose header no HTTP client can send would fail every delivery.
  headers: Type.Record(
    Type.String({ pattern: HEADER_NAME_PATTERN }),
    Type.String({ pattern: HEADER_VALUE_PATTERN, maxLength: 4096 }),
    { maxProperties: MAX_CUSTOM_HEADERS, additionalProperties: false },
  ),
  timeout_ms: Type.Integer({ minimum: 1000, maximum: 30000 }),
  max_in_flight: Type.Integer({ minimum: 1, maximum: 1000 }),
  rate_limit_per_s: Type.Union([Type.Number({ minimum: 0.001, maximum: 100000 }), Type.Null()]),
  retry_schedule_s: Type.Union([
    Type.Array(Type.Integer({ minimum: 0, maximum: 604800 }), { minItems: 1, maxItems: 50 }),
    Type.Null(),
  ]),
  disabled: Type.Boolean(),
  metadata: Metadata,
  // Checked by the filter compiler (features/endpoints/filter.ts), which names a bad clause by its JSON pointer.
  filter: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
    description: "A payload filter over the event's type and data (docs/api.md#payload-filters); null: none.",
  }),
  payload_mode: Type.Union([Type.Literal("full"), Type.Literal("thin")], {
    description: "full: the request carries the event's data; thin: data is null and payload_url fetches it.",
  }),
  ordering: Type.Union([Type.Literal("none"), Type.Literal("fifo")], {
    description: "fifo: events with the same ordering_key are delivered one after another, in ingest order (docs/delivery.md#ordering).",
  }),
  fifo_on_dead: Type.Union([Type.Literal("continue"), Type.Literal("halt")], {
    description: "In fifo mode, after a dead letter: continue with the key's next event, or halt the key until released.",
  }),
};

const EditableEndpointFields = {
  description: Type.Optional(endpointFields.description),
  event_types: Type.Optional(endpointFields.event_types),
  secret: Type.Optional(endpointFields.secret),
  headers: Type.Optional(endpointFields.headers),
  timeout_ms: Type.Optional(endpointFields.timeout_ms),
  max_in_flight: Type.Optional(endpointFields.max_in_flight),
  rate_limit_per_s: Type.Optional(endpointFields.rate_limit_per_s),
  retry_schedule_s: Type.Optional(endpointFields.retry_schedule_s),
  disabled: Type.Optional(endpointFields.disabled),
  metadata: Type.Optional(endpointFields.metadata),
  filter: Type.Optional(endpointFields.filter),
  payload_mode: Type.Optional(endpointFields.payload_mode),
  oauth2: Type.Optional(OAuth2Body),
  mtls: Type.Optional(MtlsBody),
  ordering: Type.Optional(endpointFields.ordering),
  fifo_on_dead: Type.Optional(endpointFields.fifo_on_dead),
};

export const CreateEndpointBody = Type.Object(
  {
    url: endpointFields.url,
    // Chosen once: a receiver verifies one kind of signature, so switching means a new endpoint.
    signature_scheme: Type.Optional(Type.Union([Type.Literal("hmac_sha256"), Type.Literal("ed25519")])),
    ...EditableEndpointFields,
  },
  { additionalProperties: false },
);

export const PatchEndpointBody = Type.Object(
  { url: Type.Optional(endpointFields.url), ...EditableEndpointFields },
  { additionalProperties: false },
);

export const EndpointParams = Type.Object({
  tenant_id: Type.String({ pattern: CALLER_ID_PATTERN }),
  endpoint_id: Type.String({ pattern: CALLER_ID_PATTERN }),
});

export const RotateSecretBody = Type.Object(
  {
    secret: Type.Optional(endpointFields.secret),
    expire_old_after_s: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SECRET_OVERLAP_S })),
  },
  { additionalProperties: false },
);

export const FilterTestBody = Type.Object(
  {
    type: Type.String({ pattern: EVENT_TYPE_PATTERN }),
    data: Type.Record(Type.String(), Type.Unknown()),
    filter: Type.Optional(endpointFields.filter),
  },
  {
    additionalProperties: false,
    description: "A sample event; `filter`, when given, is tried instead of the endpoint's own (null: none).",
  },
);

export const ReleaseHaltedKeyBody = Type.Object(
  {
    ordering_key: Type.String({ maxLength: 128, description: 'The halted key ("" for events without one).' }),
    action: Type.Union([Type.Literal("skip"), Type.Literal("replay")], {
      description: "skip: the dead delivery stays dead and the key's next event goes; replay: send the dead one again first.",
    }),
  },
  { additionalProperties: false },
);

export function haltedKeyToApi(k: HaltedKey) {
  return { ordering_key: k.orderingKey, delivery_id: k.deliveryId, halted_at: iso(k.haltedAt) };
}

export const ReplayEndpointBody = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal("dead"), Type.Literal("failed")], { default: "dead" })),
    since: Type.Optional(Type.String({ format: "date-time" })),
  },
  { additionalProperties: false },
);

export function endpointToApi(e: Endpoint, health?: EndpointHealth) {
  return {
    id: e.id,
    tenant_id: e.tenantId,
    type: e.type,
    url: e.url,
    description: e.description,
    event_types: e.eventTypes,
    filter: filterToApi(e.filterJson),
    payload_mode: e.payloadMode,
    ordering: e.ordering,
    fifo_on_dead: e.fifoOnDead,
    signature_scheme: e.signatureScheme,
    public_key: e.publicKey,
    previous_secret_expires_at: e.previousSecretExpiresAt === null ? null : iso(e.previousSecretExpiresAt),
    headers: maskHeaderValues(e.headers),
    oauth2: oauth2ToApi(e.oauth2),
    mtls: mtlsToApi(e.mtls),
    timeout_ms: e.timeoutMs,
    max_in_flight: e.maxInFlight,
    rate_limit_per_s: e.rateLimitPerS,
    retry_schedule_s: e.retryScheduleS,
    disabled: e.disabled,
    disabled_reason: e.disabledReason,
    metadata: e.metadata,
    created_at: iso(e.createdAt),
    updated_at: iso(e.updatedAt),
    ...(health ? { health: healthToApi(health) } : {}),
  };
}

function healthToApi(h: EndpointHealth) {
  return {
    breaker: h.breaker,
    failure_rate: h.failureRate,
    p50_ms: h.p50Ms,
    p95_ms: h.p95Ms,
    in_flight: h.inFlight,
    paused_until: h.pausedUntil === null ? null : iso(h.pausedUntil),
    open_until: h.openUntil === null ? null : iso(h.openUntil),
    last_success_at: h.lastSuccessAt === null ? null : iso(h.lastSuccessAt),
  };
}
