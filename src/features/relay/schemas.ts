/** Request bodies of the relay routes (`hookd listen`). */
import { Type } from "typebox";
import { endpointFields } from "../endpoints/schemas.ts";

export const RegisterRelayBody = Type.Object(
  {
    event_types: Type.Optional(endpointFields.event_types),
    description: Type.Optional(endpointFields.description),
    endpoint_id: Type.Optional(
      Type.String({ maxLength: 128, description: "Resume this relay endpoint (a previous session's) instead of creating one." }),
    ),
  },
  { additionalProperties: false },
);

/** Larger local answers are cut by the command to this; the delivery log keeps 4 KB anyway. */
export const MAX_ANSWER_BODY_CHARS = 64 * 1024;

export const RelayAnswerBody = Type.Object(
  {
    request_id: Type.String({ maxLength: 64, description: "The `id` of the delivery event this answers." }),
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: "The local server's status code." })),
    headers: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 4096 }), { maxProperties: 100 })),
    body: Type.Optional(Type.String({ maxLength: MAX_ANSWER_BODY_CHARS })),
    duration_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    error: Type.Optional(Type.String({ maxLength: 1024, description: "Why the local server gave no answer (instead of status)." })),
  },
  { additionalProperties: false },
);
