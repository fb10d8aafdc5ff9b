/**
 * Builders for the AuditNote a service hands to a mutating store call, so the change and its audit row commit in
 * one transaction. The action names are part of the API (callers filter and alert on them): never rename one.
 *
 * @example
 *   await store.updateEndpoint(tid, eid, { secret }, now, endpointAudit(principal.keyId, "endpoint.secret_rotated", now));
 */
import type { EventType } from "../../domain/event-type.ts";
import type { Endpoint, Tenant } from "../../domain/types.ts";
import type { ApiKeyInfo, AuditNote } from "../../store/store.ts";
import { apiKeySnapshot, endpointSnapshot, eventTypeSnapshot, tenantSnapshot } from "./snapshots.ts";

export type AuditAction =
  | "tenant.created"
  | "tenant.updated"
  | "tenant.deleted"
  | "endpoint.created"
  | "endpoint.updated"
  | "endpoint.deleted"
  | "endpoint.secret_rotated"
  | "endpoint.enabled"
  | "endpoint.headers_revealed"
  | "api_key.created"
  | "api_key.revoked"
  | "event_type.created"
  | "event_type.updated"
  | "event_type.deleted";

export function tenantAudit(actorKeyId: string, action: AuditAction, at: number): AuditNote<Tenant> {
  return { actorKeyId, action, at, snapshot: tenantSnapshot };
}

export function endpointAudit(actorKeyId: string, action: AuditAction, at: number): AuditNote<Endpoint> {
  return { actorKeyId, action, at, snapshot: endpointSnapshot };
}

export function apiKeyAudit(actorKeyId: string, action: AuditAction, at: number): AuditNote<ApiKeyInfo> {
  return { actorKeyId, action, at, snapshot: apiKeySnapshot };
}

export function eventTypeAudit(actorKeyId: string, action: AuditAction, at: number): AuditNote<EventType> {
  return { actorKeyId, action, at, snapshot: eventTypeSnapshot };
}
