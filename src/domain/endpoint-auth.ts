/**
 * How hookd authenticates itself to an endpoint beyond the webhook signature: an OAuth2 access token obtained with
 * the client credentials grant (RFC 6749 section 4.4) and sent as `Authorization: Bearer ...`, and a TLS client
 * certificate presented on connect (mTLS), optionally with a CA bundle that pins the receiver's server certificate.
 *
 * The credentials (the OAuth2 client secret, the client certificate's private key) are kept sealed like signing
 * secrets (secrets/secret-box.ts, one field name per value as associated data); the rest is not secret. Stored as
 * JSON text in the endpoint row's `oauth2` and `mtls` columns, in the API's snake_case, so the text read back is
 * also the version a re-encryption pass compares against.
 */

/** basic: client id and secret in an HTTP Basic header (RFC 6749 2.3.1's preferred form); body: as form fields. */
export type OAuth2ClientAuth = "basic" | "body";
export const OAUTH2_CLIENT_AUTH: readonly OAuth2ClientAuth[] = ["basic", "body"];

export interface EndpointOAuth2 {
  tokenUrl: string;
  clientId: string;
  /** Sealed under the endpoint and OAUTH2_SECRET_FIELD. */
  sealedClientSecret: string;
  /** Sent space-separated as `scope`; empty: no scope parameter. */
  scopes: string[];
  /** Sent as `audience` when set (several providers ask for it with client credentials). */
  audience: string | null;
  clientAuth: OAuth2ClientAuth;
}

export interface EndpointMtls {
  /** The client certificate (PEM, with any intermediates after it); null when only the CA is pinned. */
  cert: string | null;
  /** The client certificate's private key (PEM), sealed under the endpoint and MTLS_KEY_FIELD; null with no cert. */
  sealedKey: string | null;
  /** PEM CA certificates that alone are trusted for the receiver's server certificate; null: the system's. */
  ca: string | null;
}

/** The associated-data names the sealed values are bound to: a value cannot be moved to another field. */
export const OAUTH2_SECRET_FIELD = "oauth2.client_secret";
export const MTLS_KEY_FIELD = "mtls.key";

interface StoredOAuth2 {
  token_url: string;
  client_id: string;
  client_secret: string;
  scopes: string[];
  audience: string | null;
  client_auth: OAuth2ClientAuth;
}

interface StoredMtls {
  cert: string | null;
  key: string | null;
  ca: string | null;
}

/** @example oauth2ToStore(null) // null */
export function oauth2ToStore(o: EndpointOAuth2 | null): string | null {
  if (o === null) return null;
  const stored: StoredOAuth2 = {
    token_url: o.tokenUrl,
    client_id: o.clientId,
    client_secret: o.sealedClientSecret,
    scopes: o.scopes,
    audience: o.audience,
    client_auth: o.clientAuth,
  };
  return JSON.stringify(stored);
}

export function oauth2FromStore(text: string | null): EndpointOAuth2 | null {
  if (text === null) return null;
  const s = JSON.parse(text) as StoredOAuth2;
  return {
    tokenUrl: s.token_url,
    clientId: s.client_id,
    sealedClientSecret: s.client_secret,
    scopes: s.scopes,
    audience: s.audience,
    clientAuth: s.client_auth,
  };
}

export function mtlsToStore(m: EndpointMtls | null): string | null {
  if (m === null) return null;
  const stored: StoredMtls = { cert: m.cert, key: m.sealedKey, ca: m.ca };
  return JSON.stringify(stored);
}

export function mtlsFromStore(text: string | null): EndpointMtls | null {
  if (text === null) return null;
  const s = JSON.parse(text) as StoredMtls;
  return { cert: s.cert, sealedKey: s.key, ca: s.ca };
}
