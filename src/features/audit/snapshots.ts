/**
 * What the audit log keeps of a tenant, an endpoint or an API key: the API's own snake_case view, minus anything
 * secret. Signing secrets (any field whose name mentions a secret, so fields added later are covered too), custom
 * header values (they often carry the receiver's credentials), OAuth2 client secrets, TLS client keys and key hashes
 * are never written to the log.
 */
import type { EventType } from "../../domain/event-type.ts";
import type { Endpoint, JsonObject, Tenant } from "../../domain/types.ts";
import type { ApiKeyInfo } from "../../store/store.ts";
import { mtlsToApi, oauth2ToApi } from "../endpoints/auth.ts";

export const REDACTED = "[redacted]";

export function tenantSnapshot(t: Tenant): JsonObject {
  return { id: t.id, name: t.name, metadata: t.metadata, oversized_events: t.oversizedEvents, quotas: t.quotas ?? {} };
}

/** Domain fields logged under the API's name for them (the stored secrets are encrypted, but still redacted). */
const ENDPOINT_FIELD_NAMES: Record<string, string> = { sealedSecret: "secret", previousSealedSecret: "previous_secret" };
/** Named like a secret, but not one: when a rotation's overlap ends is worth keeping. */
const NOT_SECRET = new Set(["previousSecretExpiresAt"]);

export function endpointSnapshot(e: Endpoint): JsonObject {
  const out: JsonObject = {};
  for (const [field, value] of Object.entries(e)) {
    if (field === "createdAt" || field === "updatedAt") continue;
    const name = ENDPOINT_FIELD_NAMES[field] ?? field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (/secret|private/i.test(field) && !NOT_SECRET.has(field)) out[name] = REDACTED;
    else if (field === "headers") out[name] = redactHeaderValues(value as Record<string, string>);
    // As the API shows them: the client secret and the client key masked.
    else if (field === "oauth2") out[name] = oauth2ToApi(value as Endpoint["oauth2"]);
    else if (field === "mtls") out[name] = mtlsToApi(value as Endpoint["mtls"]);
    // The filter as the API shows it (JSON, not the stored text): who narrowed an endpoint to what is worth reading.
    else if (field === "filterJson") out.filter = value === null ? null : (JSON.parse(value as string) as unknown);
    else out[name] = value;
  }
  return out;
}

export function apiKeySnapshot(k: ApiKeyInfo): JsonObject {
  return { id: k.id, tenant_id: k.tenantId, revoked_at: k.revokedAt };
}

/** A schema holds no secrets, and the log is where "who changed the contract to what" is answered. */
export function eventTypeSnapshot(t: EventType): JsonObject {
  return { name: t.name, description: t.description, schema: t.schema, archived: t.archived };
}

function redactHeaderValues(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(headers).map((name) => [name, REDACTED]));
}
