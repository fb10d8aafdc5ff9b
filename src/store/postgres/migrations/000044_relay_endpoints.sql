-- Relay endpoints (`hookd listen`, docs/architecture.md "Relay sessions"). An endpoint's `type` says how its
-- deliveries travel: 'http' to its URL, or 'relay' through the hookd API process that holds the tenant's listen
-- session, which forwards them to a developer's machine. Only hookd writes a relay endpoint's URL (the relay route
-- of the API process holding the session); tenants can neither create one with a URL of their choice nor change it.
ALTER TABLE endpoints ADD COLUMN type text NOT NULL DEFAULT 'http' CHECK (type IN ('http', 'relay'));
