/**
 * Row shapes of the tables and their mapping to domain types, shared by both adapters. SQLite hands back JSON
 * columns as text and booleans as 0/1; PostgreSQL hands back parsed jsonb and real booleans. The mappers accept both.
 */
import type {
  Attempt,
  AttemptOutcome,
  Delivery,
  DeliveryStatus,
  Endpoint,
  ErrorClass,
  FifoOnDead,
  OrderingMode,
  OversizedEvents,
  PayloadMode,
  SignatureScheme,
  StoredEvent,
  Tenant,
} from "../domain/types.ts";
import type { StoredEndpointSecrets } from "./store.ts";
import type { OperationalEvent } from "../domain/operational-events.ts";
import { newId } from "../domain/ids.ts";
import { mtlsFromStore, mtlsToStore, oauth2FromStore, oauth2ToStore } from "../domain/endpoint-auth.ts";
import { parseQuotaOverrides } from "../domain/quotas.ts";
import type { ApiKeyInfo, AuditEntry, AuditNote, AuditTargetType } from "./store.ts";

type Json = string | object;

function json<T>(value: Json): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

export interface TenantRow {
  id: string;
  name: string;
  metadata: Json;
  oversized_events: string;
  event_retention_days: number | null;
  quotas: string | null;
  created_at: number;
  updated_at: number;
}

export interface EndpointRow {
  id: string;
  tenant_id: string;
  /** Added by migration 000044; older rows read as 'http' through the column default. */
  type: string;
  url: string;
  description: string;
  event_types: Json;
  filter: string | null;
  payload_mode: string;
  ordering: string;
  fifo_on_dead: string;
  secret: string;
  signature_scheme: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  public_key: string | null;
  headers: Json;
  oauth2: string | null;
  mtls: string | null;
  timeout_ms: number;
  max_in_flight: number;
  rate_limit_per_s: number | null;
  retry_schedule_s: Json | null;
  disabled: number | boolean;
  disabled_reason: string | null;
  metadata: Json;
  created_at: number;
  updated_at: number;
}

export interface DeliveryRow {
  id: string;
  tenant_id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  seq: number;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface AttemptRow {
  id: string;
  delivery_id: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  response_body: string | null;
  error: string | null;
  error_class: string | null;
  outcome: string;
  timeout_ms: number;
  request_url: string | null;
  request_headers: Json | null;
  response_headers: Json | null;
}

export interface EventRow {
  tenant_id: string;
  id: string;
  type: string;
  data: string;
  ordering_key?: string | null;
  created_at: number;
  payload_expunged_at?: number | null;
}

export function toTenant(r: TenantRow): Tenant {
  return {
    id: r.id,
    name: r.name,
    metadata: json(r.metadata),
    oversizedEvents: r.oversized_events as OversizedEvents,
    eventRetentionDays: r.event_retention_days,
    quotas: parseQuotaOverrides(r.quotas),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toEndpoint(r: EndpointRow): Endpoint {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    type: r.type === "relay" ? "relay" : "http",
    url: r.url,
    description: r.description,
    eventTypes: json(r.event_types),
    filterJson: r.filter,
    payloadMode: r.payload_mode as PayloadMode,
    ordering: r.ordering as OrderingMode,
    fifoOnDead: r.fifo_on_dead as FifoOnDead,
    signatureScheme: r.signature_scheme as SignatureScheme,
    sealedSecret: r.secret,
    previousSealedSecret: r.previous_secret,
    previousSecretExpiresAt: r.previous_secret_expires_at,
    publicKey: r.public_key,
    headers: json(r.headers),
    oauth2: oauth2FromStore(r.oauth2 ?? null),
    mtls: mtlsFromStore(r.mtls ?? null),
    timeoutMs: r.timeout_ms,
    maxInFlight: r.max_in_flight,
    rateLimitPerS: r.rate_limit_per_s,
    retryScheduleS: r.retry_schedule_s === null ? null : json(r.retry_schedule_s),
    disabled: r.disabled === 1 || r.disabled === true,
    disabledReason: r.disabled_reason,
    metadata: json(r.metadata),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Named parameters for an endpoint row, with JSON as text (both drivers accept text for json columns). */
export function endpointParams(e: Endpoint): Record<string, unknown> {
  return {
    id: e.id,
    tenant_id: e.tenantId,
    type: e.type,
    url: e.url,
    description: e.description,
    event_types: JSON.stringify(e.eventTypes),
    filter: e.filterJson,
    payload_mode: e.payloadMode,
    ordering: e.ordering,
    fifo_on_dead: e.fifoOnDead,
    secret: e.sealedSecret,
    signature_scheme: e.signatureScheme,
    previous_secret: e.previousSealedSecret,
    previous_secret_expires_at: e.previousSecretExpiresAt,
    public_key: e.publicKey,
    headers: JSON.stringify(e.headers),
    oauth2: oauth2ToStore(e.oauth2),
    mtls: mtlsToStore(e.mtls),
    timeout_ms: e.timeoutMs,
    max_in_flight: e.maxInFlight,
    rate_limit_per_s: e.rateLimitPerS,
    retry_schedule_s: e.retryScheduleS === null ? null : JSON.stringify(e.retryScheduleS),
    disabled: e.disabled ? 1 : 0,
    disabled_reason: e.disabledReason,
    metadata: JSON.stringify(e.metadata),
    created_at: e.createdAt,
    updated_at: e.updatedAt,
  };
}

export function toDelivery(r: DeliveryRow): Delivery {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    eventId: r.event_id,
    eventType: r.event_type,
    endpointId: r.endpoint_id,
    seq: Number(r.seq),
    status: r.status as DeliveryStatus,
    attempts: r.attempts,
    nextAttemptAt: r.status === "pending" || r.status === "failed" ? r.next_attempt_at : null,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toAttempt(r: AttemptRow): Attempt {
  return {
    id: r.id,
    deliveryId: r.delivery_id,
    attempt: r.attempt,
    startedAt: r.started_at,
    durationMs: r.duration_ms,
    statusCode: r.status_code,
    responseBody: r.response_body,
    error: r.error,
    errorClass: r.error_class as ErrorClass | null,
    outcome: r.outcome as AttemptOutcome,
    timeoutMs: r.timeout_ms,
    requestUrl: r.request_url,
    requestHeaders: r.request_headers === null ? null : json(r.request_headers),
    responseHeaders: r.response_headers === null ? null : json(r.response_headers),
  };
}

export function toEvent(r: EventRow): StoredEvent {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    type: r.type,
    dataJson: r.data,
    orderingKey: r.ordering_key ?? null,
    createdAt: r.created_at,
    payloadExpungedAt: r.payload_expunged_at ?? null,
  };
}

export interface SecretsRow {
  id: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
}

export function toStoredSecrets(r: SecretsRow): StoredEndpointSecrets {
  return {
    id: r.id,
    sealedSecret: r.secret,
    previousSealedSecret: r.previous_secret,
    previousSecretExpiresAt: r.previous_secret_expires_at,
  };
}
export interface OperationalEventRow {
  id: string;
  type: string;
  tenant_id: string | null;
  endpoint_id: string | null;
  delivery_id: string | null;
  event_id: string | null;
  data: Json;
  created_at: number;
}

export function toOperationalEvent(r: OperationalEventRow): OperationalEvent {
  return {
    id: r.id,
    type: r.type,
    tenantId: r.tenant_id,
    endpointId: r.endpoint_id,
    deliveryId: r.delivery_id,
    eventId: r.event_id,
    data: json(r.data),
    createdAt: r.created_at,
  };
}

/** Positional values in column order: id, type, tenant_id, endpoint_id, delivery_id, event_id, data, created_at. */
export function operationalEventValues(e: OperationalEvent): unknown[] {
  return [e.id, e.type, e.tenantId, e.endpointId, e.deliveryId, e.eventId, JSON.stringify(e.data), e.createdAt];
}

export interface ApiKeyRow {
  id: string;
  tenant_id: string | null;
  hash: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

export function toApiKey(r: ApiKeyRow): ApiKeyInfo {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    hash: r.hash,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

export interface AuditRow {
  id: string;
  tenant_id: string | null;
  actor_key_id: string;
  action: string;
  target_type: string;
  target_id: string;
  before: Json | null;
  after: Json | null;
  created_at: number;
}

export function toAuditEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    actorKeyId: r.actor_key_id,
    action: r.action,
    targetType: r.target_type as AuditTargetType,
    targetId: r.target_id,
    before: r.before === null ? null : json(r.before),
    after: r.after === null ? null : json(r.after),
    createdAt: r.created_at,
  };
}

/** The audit row a mutating call writes for `note`, with the snapshots of the row before and after the change. */
export function auditEntryFor<T>(
  note: AuditNote<T>,
  target: { type: AuditTargetType; id: string; tenantId: string | null },
  before: T | null,
  after: T | null,
): AuditEntry {
  return {
    id: newId("aud"),
    tenantId: target.tenantId,
    actorKeyId: note.actorKeyId,
    action: note.action,
    targetType: target.type,
    targetId: target.id,
    before: before === null ? null : note.snapshot(before),
    after: after === null ? null : note.snapshot(after),
    createdAt: note.at,
  };
}

/** Positional parameters for inserting an audit row, JSON as text, in column order. */
export function auditParams(e: AuditEntry): unknown[] {
  return [
    e.id,
    e.tenantId,
    e.actorKeyId,
    e.action,
    e.targetType,
    e.targetId,
    e.before === null ? null : JSON.stringify(e.before),
    e.after === null ? null : JSON.stringify(e.after),
    e.createdAt,
  ];
}

/** Named parameters for an attempt row: the optional request and response details as JSON text or null. */
export function attemptParams(a: Attempt): Record<string, unknown> {
  const jsonOrNull = (v: Record<string, string> | null | undefined) => (v ? JSON.stringify(v) : null);
  return {
    id: a.id,
    deliveryId: a.deliveryId,
    attempt: a.attempt,
    startedAt: a.startedAt,
    durationMs: a.durationMs,
    statusCode: a.statusCode,
    responseBody: a.responseBody,
    error: a.error,
    errorClass: a.errorClass,
    outcome: a.outcome,
    timeoutMs: a.timeoutMs,
    requestUrl: a.requestUrl ?? null,
    requestHeaders: jsonOrNull(a.requestHeaders),
    responseHeaders: jsonOrNull(a.responseHeaders),
  };
}
