/**
 * Builders for contract-suite rows: valid defaults, overridable per test.
 */
import { newId } from "../../src/domain/ids.ts";
import type { Endpoint, Tenant } from "../../src/domain/types.ts";
import type { IngestRequest, NewEvent } from "../../src/store/store.ts";

export const T0 = 1_800_000_000_000;

export function tenant(id: string, over: Partial<Tenant> = {}): Tenant {
  return { id, name: `Tenant ${id}`, metadata: { plan: "pro" }, createdAt: T0, updatedAt: T0, ...over };
}

export function endpoint(tenantId: string, over: Partial<Endpoint> = {}): Endpoint {
  return {
    id: newId("ep"),
    tenantId,
    url: "https://example.com/hook",
    description: "",
    eventTypes: ["*"],
    signatureScheme: "hmac_sha256",
    // The store keeps sealed secrets as opaque text; the contract never opens them.
    sealedSecret: `hkenc1:0011223344556677:${newId("ep")}`,
    previousSealedSecret: null,
    previousSecretExpiresAt: null,
    publicKey: null,
    headers: { "x-team": "billing" },
    timeoutMs: 15_000,
    // High, so tests about claiming in general are not about the per-endpoint limit (which has its own tests).
    maxInFlight: 1000,
    rateLimitPerS: null,
    retryScheduleS: null,
    disabled: false,
    disabledReason: null,
    metadata: {},
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

/** An event as the service builds it: a caller-chosen `id` override marks the id as not generated. */
export function event(over: Partial<NewEvent> = {}): NewEvent {
  return {
    id: newId("evt"),
    generatedId: over.id === undefined,
    type: "invoice.paid",
    dataJson: '{"amount":42}',
    createdAt: T0,
    ...over,
  };
}

export function ingestRequest(tenantId: string, events: NewEvent[], over: Partial<IngestRequest> = {}): IngestRequest {
  return {
    tenantId,
    events,
    idempotency: null,
    renderResponse: (evs) => JSON.stringify(evs.map((e) => e.id)),
    ...over,
  };
}
