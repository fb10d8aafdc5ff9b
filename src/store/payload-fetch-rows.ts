/** Rows of payload_fetches, as both drivers return them, turned into the port's type. */
import type { PayloadFetch } from "./ports/payload-fetches.ts";

export interface PayloadFetchRow {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  event_id: string;
  fetched_at: number | string;
  remote_address: string | null;
  user_agent: string | null;
}

export function toPayloadFetch(r: PayloadFetchRow): PayloadFetch {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    endpointId: r.endpoint_id,
    eventId: r.event_id,
    fetchedAt: Number(r.fetched_at),
    remoteAddress: r.remote_address,
    userAgent: r.user_agent,
  };
}
