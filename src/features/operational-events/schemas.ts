import { Type } from "typebox";
import { CALLER_ID_PATTERN } from "../../domain/ids.ts";

/** Types are dotted lower-case names; several may be given comma-separated. */
const TYPE_NAME = "[a-z0-9_]+(\\.[a-z0-9_]+)*";

export const OperationalEventQuery = Type.Object(
  {
    type: Type.Optional(
      Type.String({
        pattern: `^${TYPE_NAME}(,${TYPE_NAME})*$`,
        maxLength: 1024,
        description: "Only these types, comma-separated (e.g. `delivery.dead,endpoint.disabled`).",
      }),
    ),
    tenant_id: Type.Optional(Type.String({ pattern: CALLER_ID_PATTERN, description: "Only this tenant's events." })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

export const OperationalEventSchema = Type.Object({
  id: Type.String(),
  type: Type.String({ description: "endpoint.disabled, endpoint.enabled, delivery.dead, delivery.recovered ..." }),
  tenant_id: Type.Union([Type.String(), Type.Null()]),
  endpoint_id: Type.Union([Type.String(), Type.Null()]),
  delivery_id: Type.Union([Type.String(), Type.Null()]),
  event_id: Type.Union([Type.String(), Type.Null()]),
  data: Type.Record(Type.String(), Type.Unknown(), { description: "Details, e.g. the reason or the last error." }),
  created_at: Type.String({ format: "date-time" }),
});

export const OperationalEventPage = Type.Object({
  data: Type.Array(OperationalEventSchema),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});
