/**
 * The log of payload fetches: every time a receiver pulled a thin delivery's payload through its signed URL
 * (features/payloads). Implemented by store/sqlite/payload-fetches.ts and store/postgres/payload-fetches.ts; the
 * delivery detail shows an endpoint's fetches of the event, and retention deletes them by age.
 */

export interface PayloadFetch {
  id: string;
  tenantId: string;
  endpointId: string;
  eventId: string;
  fetchedAt: number;
  /** The client's address as the API saw it (behind a proxy, the proxy's unless it forwards the client's). */
  remoteAddress: string | null;
  userAgent: string | null;
}

export interface PayloadFetchStore {
  /** Records the fetch; false (nothing written) when the endpoint is not the tenant's, or no longer exists. */
  record(fetch: PayloadFetch): Promise<boolean>;
  /** An endpoint's fetches of one event, oldest first, at most `limit`. */
  list(tenantId: string, endpointId: string, eventId: string, limit: number): Promise<PayloadFetch[]>;
  /** Deletes up to `limit` fetches made before `before`; returns how many. */
  deleteBefore(before: number, limit: number): Promise<number>;
}
