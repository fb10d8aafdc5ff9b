/**
 * A declared event type: one entry of a tenant's catalogue. A type with a `schema` has its events' `data` validated
 * at ingest; an archived type is still accepted, delivered and validated (producers may lag behind), but in strict
 * mode (HOOKD_STRICT_EVENT_TYPES) no new subscription may name it.
 */
import type { JsonObject } from "./types.ts";

/**
 * The ingest rule for `type` (1 to 128 of letters, digits, dot, underscore and hyphen), minus `.` and `..`: a
 * declared name is also a URL path segment, and clients rewrite those two before the request is sent.
 */
export const DECLARED_EVENT_TYPE_PATTERN = "^(?!\\.{1,2}$)[a-zA-Z0-9._-]{1,128}$";

export interface EventType {
  tenantId: string;
  name: string;
  description: string;
  /** A JSON Schema (draft 2020-12), or null for a type declared without one. */
  schema: JsonObject | null;
  archived: boolean;
  /** Changes on every write; compiled validators are cached under it. Not shown by the API. */
  revision: string;
  createdAt: number;
  updatedAt: number;
}

/** What ingest needs to know about a type without loading its schema: the cached catalogue holds only these. */
export interface EventTypeSummary {
  name: string;
  archived: boolean;
  hasSchema: boolean;
  revision: string;
}
