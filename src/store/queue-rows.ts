/** Rows of the queue port's reads, as both drivers return them, turned into the port's types. */
import type { EndpointConfig } from "./ports/queue.ts";
import { type EndpointRow, toEndpoint } from "./rows.ts";

export interface ConfigRow extends EndpointRow {
  /** endpoint_state.reset_at: when the endpoint's isolation state was last reset (enable). */
  reset_at: number;
}

/**
 * The owner's view of an endpoint. `version` changes with every update of the endpoint and every reset of its state,
 * so an owner that compares versions notices both.
 */
export function toEndpointConfig(row: ConfigRow): EndpointConfig & { stateResetAt: number } {
  const e = toEndpoint(row);
  return {
    endpointId: e.id,
    tenantId: e.tenantId,
    version: Math.max(e.updatedAt, Number(row.reset_at)),
    type: e.type,
    url: e.url,
    signatureScheme: e.signatureScheme,
    sealedSecret: e.sealedSecret,
    previousSealedSecret: e.previousSealedSecret,
    previousSecretExpiresAt: e.previousSecretExpiresAt,
    headers: e.headers,
    oauth2: e.oauth2,
    mtls: e.mtls,
    timeoutMs: e.timeoutMs,
    maxInFlight: e.maxInFlight,
    rateLimitPerS: e.rateLimitPerS,
    retryScheduleS: e.retryScheduleS,
    payloadMode: e.payloadMode,
    ordering: e.ordering,
    fifoOnDead: e.fifoOnDead,
    disabled: e.disabled,
    stateResetAt: Number(row.reset_at),
  };
}
