/**
 * The `event_types` row and its mapping, shared by both adapters. The schema is kept as JSON text in both stores
 * (not jsonb), so it reads back with the caller's key order.
 */
import type { EventType, EventTypeSummary } from "../domain/event-type.ts";
import type { JsonObject } from "../domain/types.ts";
import type { Page } from "../domain/types.ts";

export interface EventTypeRow {
  tenant_id: string;
  name: string;
  description: string;
  schema: string | null;
  archived: number | boolean;
  revision: string;
  created_at: number;
  updated_at: number;
}

export interface EventTypeSummaryRow {
  name: string;
  archived: number | boolean;
  has_schema: number | boolean;
  revision: string;
}

export function toEventType(r: EventTypeRow): EventType {
  return {
    tenantId: r.tenant_id,
    name: r.name,
    description: r.description,
    schema: r.schema === null ? null : (JSON.parse(r.schema) as JsonObject),
    archived: r.archived === true || r.archived === 1,
    revision: r.revision,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toEventTypeSummary(r: EventTypeSummaryRow): EventTypeSummary {
  return {
    name: r.name,
    archived: r.archived === true || r.archived === 1,
    hasSchema: r.has_schema === true || r.has_schema === 1,
    revision: r.revision,
  };
}

/** Named parameters for insert and update, JSON as text. */
export function eventTypeParams(t: EventType): Record<string, unknown> {
  return {
    tenant_id: t.tenantId,
    name: t.name,
    description: t.description,
    schema: t.schema === null ? null : JSON.stringify(t.schema),
    revision: t.revision,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
}

/** Keyset paging by name: one row more than asked tells whether a next page exists. */
export function eventTypePage(rows: EventType[], limit: number): Page<EventType> {
  if (rows.length <= limit) return { data: rows, nextCursor: null };
  const data = rows.slice(0, limit);
  return { data, nextCursor: data[data.length - 1]?.name ?? null };
}
