/**
 * Operational events: what an operator wants to hear about without reading logs. The store records them in the same
 * transaction as the state change they describe, so the list never claims something that did not commit and never
 * misses something that did.
 *
 * When an operator webhook is configured, every operational event is also ingested as an ordinary event of the
 * reserved operator tenant, whose one endpoint points at HOOKD_OPERATOR_WEBHOOK_URL. Delivery then reuses the whole
 * pipeline: signing, retries, the attempt log and replay. Events about the operator tenant itself are recorded but
 * never forwarded, or a dead operator receiver would feed itself an endless chain of `delivery.dead` events.
 */
import { newId } from "./ids.ts";
import type { JsonObject } from "./types.ts";

/** The types hookd itself emits; other features may record further types through the same store method. */
export const OPERATIONAL_EVENT_TYPES = [
  "endpoint.disabled",
  "endpoint.enabled",
  "delivery.dead",
  "delivery.recovered",
  "tenant.quota_exceeded",
] as const;

/**
 * The reserved tenant that carries operational events to the operator webhook. Callers cannot create tenants whose
 * ids start with `_hookd` (see TenantService), so this id can never belong to a customer.
 */
export const OPERATOR_TENANT_ID = "_hookd_operator";
export const RESERVED_TENANT_PREFIX = "_hookd";

export interface OperationalEvent {
  id: string;
  type: string;
  tenantId: string | null;
  endpointId: string | null;
  deliveryId: string | null;
  eventId: string | null;
  data: JsonObject;
  createdAt: number;
}

/** @example newOperationalEvent("endpoint.enabled", { tenantId: "acme", endpointId: "ep_1" }, { by: "api" }, now) */
export function newOperationalEvent(
  type: string,
  subject: { tenantId?: string | null; endpointId?: string | null; deliveryId?: string | null; eventId?: string | null },
  data: JsonObject,
  createdAt: number,
): OperationalEvent {
  return {
    id: newId("oev"),
    type,
    tenantId: subject.tenantId ?? null,
    endpointId: subject.endpointId ?? null,
    deliveryId: subject.deliveryId ?? null,
    eventId: subject.eventId ?? null,
    data,
    createdAt,
  };
}

/** The `data` of the webhook the operator receives, and the API's shape for one operational event. */
export function operationalEventToApi(e: OperationalEvent) {
  return {
    id: e.id,
    type: e.type,
    tenant_id: e.tenantId,
    endpoint_id: e.endpointId,
    delivery_id: e.deliveryId,
    event_id: e.eventId,
    data: e.data,
    created_at: new Date(e.createdAt).toISOString(),
  };
}

/** Whether an operational event goes to the operator webhook (see the module comment). */
export function forwardsToOperator(e: OperationalEvent): boolean {
  return e.tenantId !== OPERATOR_TENANT_ID;
}
