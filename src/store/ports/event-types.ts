/** The tenant's event-type catalogue (names, JSON Schemas, archived flags). */
import type { EventType, EventTypeSummary } from "../../domain/event-type.ts";
import type { Page } from "../../domain/types.ts";
import type { AuditNote } from "./api-keys.ts";
import type { PageRequest } from "./common.ts";

export type EventTypePatch = Partial<Pick<EventType, "description" | "schema" | "archived" | "revision">>;

export interface EventTypesPort {
  /** Declares a type in the tenant's catalogue; false when the tenant has one of that name already. */
  insertEventType(eventType: EventType, audit?: AuditNote<EventType>): Promise<boolean>;
  getEventType(tenantId: string, name: string): Promise<EventType | null>;
  /** By name (bytewise order); `page.after` is a name. Archived types only with `includeArchived`. */
  listEventTypes(tenantId: string, includeArchived: boolean, page: PageRequest): Promise<Page<EventType>>;
  /** The whole catalogue without schemas, archived types included: what the ingest cache keeps. */
  listEventTypeSummaries(tenantId: string): Promise<EventTypeSummary[]>;
  updateEventType(
    tenantId: string,
    name: string,
    patch: EventTypePatch,
    now: number,
    audit?: AuditNote<EventType>,
  ): Promise<EventType | null>;
  deleteEventType(tenantId: string, name: string, audit?: AuditNote<EventType>): Promise<boolean>;
}
