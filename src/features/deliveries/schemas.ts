import { Type } from "typebox";
import type { Attempt, Delivery } from "../../domain/types.ts";
import type { PayloadFetch } from "../../store/store.ts";
import { EVENT_TYPE_FILTER_PATTERN } from "../../domain/event-type-match.ts";
import { CALLER_ID_PATTERN } from "../../domain/ids.ts";
import { iso } from "../../http/common-schemas.ts";

export const DeliveryParams = Type.Object({
  tenant_id: Type.String({ pattern: CALLER_ID_PATTERN }),
  delivery_id: Type.String({ pattern: CALLER_ID_PATTERN }),
});

const STATUS_LIST = Type.String({ pattern: "^(pending|failed|succeeded|dead)(,(pending|failed|succeeded|dead))*$" });

export const DeliveryQuery = Type.Object(
  {
    endpoint_id: Type.Optional(Type.String({ pattern: CALLER_ID_PATTERN })),
    event_id: Type.Optional(Type.String({ pattern: CALLER_ID_PATTERN })),
    event_type: Type.Optional(Type.String({ pattern: EVENT_TYPE_FILTER_PATTERN, maxLength: 128 })),
    /** Comma-separated, repeated (`status=failed&status=dead`), or both. */
    status: Type.Optional(Type.Union([STATUS_LIST, Type.Array(STATUS_LIST, { maxItems: 8 })])),
    since: Type.Optional(Type.String({ format: "date-time" })),
    until: Type.Optional(Type.String({ format: "date-time" })),
    min_attempts: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

export function deliveryToApi(d: Delivery) {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    endpoint_id: d.endpointId,
    sequence: d.seq,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: iso(d.nextAttemptAt),
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created_at: iso(d.createdAt),
    updated_at: iso(d.updatedAt),
  };
}

/** A receiver's fetch of a thin delivery's payload (features/payloads). */
export function payloadFetchToApi(f: PayloadFetch) {
  return { id: f.id, fetched_at: iso(f.fetchedAt), remote_address: f.remoteAddress, user_agent: f.userAgent };
}

export function attemptToApi(a: Attempt) {
  return {
    id: a.id,
    attempt: a.attempt,
    started_at: iso(a.startedAt),
    duration_ms: a.durationMs,
    status_code: a.statusCode,
    response_body: a.responseBody,
    error: a.error,
    error_class: a.errorClass,
    outcome: a.outcome,
    timeout_ms: a.timeoutMs,
    request: { url: a.requestUrl ?? null, headers: a.requestHeaders ?? null },
    response_headers: a.responseHeaders ?? null,
  };
}
