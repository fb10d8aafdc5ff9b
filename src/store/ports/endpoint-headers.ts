/**
 * Reading and rewriting endpoints' custom headers for re-encryption (secrets/reseal-headers.ts): the start-up pass
 * that seals values stored in the clear by an older hookd, and `rotate-encryption-key`. Pages go by endpoint id;
 * writes are compare-and-set against the version read, so a change made through the API in between wins and the
 * row is simply picked up by a later pass.
 */
export interface StoredEndpointHeaders {
  id: string;
  /** Header name to stored value (sealed, or clear when written by a hookd from before header encryption). */
  headers: Record<string, string>;
  /** The stored form as read: a write applies only while the row still holds it. */
  version: string;
}

export interface EndpointHeadersChange {
  id: string;
  version: string;
  headers: Record<string, string>;
}

export interface EndpointHeadersStore {
  /** Endpoints with at least one custom header and an id after `after`, by id. */
  listEndpointHeaders(after: string | null, limit: number): Promise<StoredEndpointHeaders[]>;
  /** Writes each change whose row still holds `version`, in one transaction; returns how many were written. */
  replaceEndpointHeaders(changes: EndpointHeadersChange[]): Promise<number>;
}
