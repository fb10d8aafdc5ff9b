import { Type } from "typebox";
import { DECLARED_EVENT_TYPE_PATTERN, type EventType } from "../../domain/event-type.ts";
import { CALLER_ID_PATTERN } from "../../domain/ids.ts";
import { iso, PageQuery, TEXT_PATTERN } from "../../http/common-schemas.ts";

const t = "/v1/tenants/:tenant_id/event-types";

const fields = {
  name: Type.String({ pattern: DECLARED_EVENT_TYPE_PATTERN, description: "As an event's `type`; no wildcards." }),
  description: Type.String({ maxLength: 1024, pattern: TEXT_PATTERN }),
  schema: Type.Record(Type.String(), Type.Unknown(), {
    description: "A JSON Schema (draft 2020-12) that every event's `data` must match; at most 64 KiB.",
  }),
  archived: Type.Boolean({ description: "Still accepted and validated; in strict mode no new subscriptions." }),
};

export const CreateEventTypeBody = Type.Object(
  {
    name: fields.name,
    description: Type.Optional(fields.description),
    schema: Type.Optional(fields.schema),
    archived: Type.Optional(fields.archived),
  },
  { additionalProperties: false },
);

export const PatchEventTypeBody = Type.Object(
  {
    description: Type.Optional(fields.description),
    schema: Type.Optional(Type.Union([fields.schema, Type.Null()], { description: "null removes the schema." })),
    archived: Type.Optional(fields.archived),
  },
  { additionalProperties: false },
);

export const EventTypeParams = Type.Object({
  tenant_id: Type.String({ pattern: CALLER_ID_PATTERN }),
  name: Type.String({ pattern: DECLARED_EVENT_TYPE_PATTERN }),
});

export const EventTypeListQuery = Type.Object(
  {
    ...PageQuery.properties,
    include_archived: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export function eventTypeToApi(e: EventType) {
  return {
    tenant_id: e.tenantId,
    name: e.name,
    description: e.description,
    schema: e.schema,
    archived: e.archived,
    created_at: iso(e.createdAt),
    updated_at: iso(e.updatedAt),
  };
}

const EventTypeSchema = Type.Object({
  tenant_id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  schema: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  archived: Type.Boolean(),
  created_at: Type.String({ format: "date-time" }),
  updated_at: Type.String({ format: "date-time" }),
});

/** The success answers, for src/http/response-schemas.ts. */
export const EVENT_TYPE_RESPONSES = {
  [`POST ${t}`]: { 201: EventTypeSchema },
  [`GET ${t}`]: {
    200: Type.Object({
      data: Type.Array(EventTypeSchema),
      next_cursor: Type.Union([Type.String(), Type.Null()]),
    }),
  },
  [`GET ${t}/:name`]: { 200: EventTypeSchema },
  [`PATCH ${t}/:name`]: { 200: EventTypeSchema },
  [`DELETE ${t}/:name`]: { 204: Type.Null({ description: "No content." }) },
};
