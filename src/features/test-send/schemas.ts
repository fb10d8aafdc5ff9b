import { Type } from "typebox";
import { EVENT_TYPE_PATTERN } from "../../domain/event-type-match.ts";

/** What a test send carries when the caller says nothing: enough for a receiver to tell it is a test. */
export const TEST_EVENT_TYPE = "hookd.test";

/** The same fields and limits as publishing one event (events/schemas.ts), both optional, without an id. */
export const TestSendBody = Type.Object(
  {
    event_type: Type.Optional(Type.String({ pattern: EVENT_TYPE_PATTERN, default: TEST_EVENT_TYPE })),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

export const TestSendResult = Type.Object({
  event_id: Type.String(),
  delivery_id: Type.String({ description: "Follow it with GET .../deliveries/{delivery_id}." }),
});
