import { Type } from "typebox";
import { EVENT_TYPE_PATTERN } from "../../domain/event-type-match.ts";
import { CALLER_ID_PATTERN } from "../../domain/ids.ts";
import { ORDERING_KEY_PATTERN } from "../../domain/ordering.ts";
import type { IngestedEvent } from "../../store/store.ts";
import type { StoredEvent } from "../../domain/types.ts";
import { iso } from "../../http/common-schemas.ts";

/** The largest single event hookd accepts, as the JSON request body. */
export const MAX_EVENT_BYTES = 256 * 1024;
export const MAX_BATCH_EVENTS = 1000;

export const EventBody = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: CALLER_ID_PATTERN })),
    type: Type.String({ pattern: EVENT_TYPE_PATTERN }),
    data: Type.Record(Type.String(), Type.Unknown()),
    ordering_key: Type.Optional(
      Type.String({
        pattern: ORDERING_KEY_PATTERN,
        description: "Events with the same key reach a FIFO endpoint one after another, in ingest order (docs/delivery.md#ordering).",
      }),
    ),
  },
  { additionalProperties: false },
);

export const BatchBody = Type.Object(
  { events: Type.Array(EventBody, { minItems: 1, maxItems: MAX_BATCH_EVENTS }) },
  { additionalProperties: false },
);

export const EventParams = Type.Object({
  tenant_id: Type.String({ pattern: CALLER_ID_PATTERN }),
  event_id: Type.String({ pattern: CALLER_ID_PATTERN }),
});

export const IdempotencyHeaders = Type.Object({
  "idempotency-key": Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});

export function ingestedToApi(e: IngestedEvent) {
  return { id: e.id, type: e.type, created_at: iso(e.createdAt), matched_endpoints: e.matchedEndpoints };
}

export function eventToApi(e: StoredEvent) {
  const expunged = e.payloadExpungedAt !== null;
  return {
    id: e.id,
    type: e.type,
    data: expunged ? null : (JSON.parse(e.dataJson) as unknown),
    ordering_key: e.orderingKey,
    created_at: iso(e.createdAt),
    payload_expunged_at: iso(e.payloadExpungedAt),
  };
}
