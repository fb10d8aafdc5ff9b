-- Endpoint secrets: encrypted at rest from now on (the secret column holds a sealed value; rows stored in the clear
-- before this are re-sealed when hookd starts), rotation with an overlap window, and the signature scheme.
-- previous_secret is the secret before the last rotation, still signed with until previous_secret_expires_at.
-- public_key is the whpk_ key of an ed25519 endpoint (not a secret; shown on GET).

ALTER TABLE endpoints ADD COLUMN signature_scheme TEXT NOT NULL DEFAULT 'hmac_sha256';
ALTER TABLE endpoints ADD COLUMN previous_secret TEXT;
ALTER TABLE endpoints ADD COLUMN previous_secret_expires_at INTEGER;
ALTER TABLE endpoints ADD COLUMN public_key TEXT;
