import { Type } from "typebox";
import { CALLER_ID_PATTERN } from "../../domain/ids.ts";
import { MAX_PAYLOAD_TOKEN_LENGTH } from "../../secrets/payload-token.ts";

export const PayloadParams = Type.Object({ event_id: Type.String({ pattern: CALLER_ID_PATTERN }) });

export const PayloadQuery = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: MAX_PAYLOAD_TOKEN_LENGTH, description: "From the thin delivery's payload_url." }) },
  { additionalProperties: false },
);

/** The body a full delivery of the event would carry (the route sends it as the stored bytes, not re-serialised). */
export const PayloadBody = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    timestamp: Type.String({ format: "date-time" }),
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  {
    description:
      "The event as a full delivery would carry it, signed like one (webhook-id, webhook-timestamp and webhook-signature headers).",
  },
);
