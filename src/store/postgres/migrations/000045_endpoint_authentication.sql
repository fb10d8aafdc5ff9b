-- Endpoint authentication beyond the signature (docs/security.md, "Authenticating to receivers"). `oauth2` holds the
-- OAuth2 client credentials hookd uses to obtain a bearer token (token_url, client_id, the client secret sealed,
-- scopes, audience, client_auth) and `mtls` a TLS client certificate with its key sealed and an optional CA bundle
-- pinning the receiver's server certificate; both are JSON text in the API's field names (text, not jsonb, so the
-- text read is the version a re-encryption pass compares against), or NULL for none.
ALTER TABLE endpoints ADD COLUMN oauth2 text;
ALTER TABLE endpoints ADD COLUMN mtls text;
