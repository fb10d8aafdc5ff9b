/**
 * Reading and rewriting endpoints' OAuth2 and mTLS settings (domain/endpoint-auth.ts) for re-encryption
 * (secrets/reseal-credentials.ts, run by `rotate-encryption-key`), as endpoint-headers.ts does for custom headers:
 * pages by endpoint id, compare-and-set writes against the stored text read, so a change made through the API in
 * between wins and the row is picked up by a later pass.
 */
export interface StoredEndpointCredentials {
  id: string;
  /** The `oauth2` and `mtls` columns as stored (JSON text, or null): also the versions a write compares against. */
  oauth2: string | null;
  mtls: string | null;
}

/** Writes `next*` where the row still holds `expected` (both columns). */
export interface EndpointCredentialsChange {
  expected: StoredEndpointCredentials;
  nextOAuth2: string | null;
  nextMtls: string | null;
}

export interface EndpointCredentialsStore {
  /** Endpoints with OAuth2 or mTLS settings and an id after `after`, by id. */
  listEndpointCredentials(after: string | null, limit: number): Promise<StoredEndpointCredentials[]>;
  /** Applies each change whose row is unchanged, in one transaction; returns how many were applied. */
  replaceEndpointCredentials(changes: EndpointCredentialsChange[]): Promise<number>;
}
