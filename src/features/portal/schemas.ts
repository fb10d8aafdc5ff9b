/**
 * Request and answer shapes of the portal session routes, the exchange and the portal settings.
 */
import { Type } from "typebox";
import { CALLER_ID_PATTERN } from "../../domain/ids.ts";
import { iso } from "../../http/common-schemas.ts";
import type { PortalSession, PortalSettings } from "../../store/ports/portal-sessions.ts";

export const DEFAULT_PORTAL_TTL_S = 3_600;
export const MAX_PORTAL_TTL_S = 86_400;
export const MAX_PORTAL_ENDPOINTS = 100;
export const MAX_FRAME_ANCESTORS = 16;

/**
 * A CSP frame-ancestors source this API accepts: an http(s) origin, optionally with a leading `*.` label and a port.
 * Nothing else (no spaces, quotes, semicolons or paths), so a value can never add a directive to the header.
 */
export const FRAME_ANCESTOR_PATTERN = "^https?://(\\*\\.)?[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*(:[0-9]{1,5})?$";

const Ttl = Type.Integer({
  minimum: 60,
  maximum: MAX_PORTAL_TTL_S,
  description: `Seconds until the session expires (default ${DEFAULT_PORTAL_TTL_S}, at most ${MAX_PORTAL_TTL_S}).`,
});

export const CreatePortalSessionBody = Type.Object(
  {
    ttl_s: Type.Optional(Ttl),
    read_only: Type.Optional(Type.Boolean({ default: false, description: "The portal may look, not change." })),
    endpoint_ids: Type.Optional(
      Type.Array(Type.String({ pattern: CALLER_ID_PATTERN }), {
        minItems: 1,
        maxItems: MAX_PORTAL_ENDPOINTS,
        uniqueItems: true,
        description: "Only these endpoints (and their deliveries and tasks); leave out for every endpoint.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const RefreshPortalSessionBody = Type.Object({ ttl_s: Type.Optional(Ttl) }, { additionalProperties: false });

export const ExchangeBody = Type.Object(
  { token: Type.String({ minLength: 16, maxLength: 256, description: "The `token` from the portal URL's fragment." }) },
  { additionalProperties: false },
);

export const PortalSessionParams = Type.Object({
  tenant_id: Type.String({ pattern: CALLER_ID_PATTERN }),
  session_id: Type.String({ pattern: CALLER_ID_PATTERN }),
});

export const PortalSettingsBody = Type.Object(
  {
    frame_ancestors: Type.Array(Type.String({ pattern: FRAME_ANCESTOR_PATTERN, maxLength: 300 }), {
      maxItems: MAX_FRAME_ANCESTORS,
      uniqueItems: true,
      description: "Origins that may show the portal in a frame, e.g. `https://app.example.com`; empty: none.",
    }),
  },
  { additionalProperties: false },
);

export function portalSessionStatus(s: PortalSession, now: number): "unused" | "active" | "revoked" | "expired" {
  if (s.revokedAt !== null) return "revoked";
  if (s.expiresAt <= now) return "expired";
  return s.exchangedAt === null ? "unused" : "active";
}

export function portalSessionToApi(s: PortalSession, now: number) {
  return {
    id: s.id,
    tenant_id: s.tenantId,
    status: portalSessionStatus(s, now),
    read_only: s.readOnly,
    endpoint_ids: s.endpointIds,
    created_by: s.createdBy,
    created_at: iso(s.createdAt),
    expires_at: iso(s.expiresAt),
    exchanged_at: iso(s.exchangedAt),
    revoked_at: iso(s.revokedAt),
    last_used_at: iso(s.lastUsedAt),
  };
}

export function portalSettingsToApi(tenantId: string, s: PortalSettings | null) {
  return { tenant_id: tenantId, frame_ancestors: s?.frameAncestors ?? [], updated_at: iso(s?.updatedAt ?? null) };
}

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ format: "date-time" });

export const PortalSessionSchema = Type.Object({
  id: Type.String(),
  tenant_id: Type.String(),
  status: Type.Union(["unused", "active", "revoked", "expired"].map((s) => Type.Literal(s)), {
    description: "unused: the link was not opened yet; active: the portal exchanged it for a session.",
  }),
  read_only: Type.Boolean(),
  endpoint_ids: Type.Union([Type.Array(Type.String()), Type.Null()]),
  created_by: Type.String({ description: "The API key that created the session." }),
  created_at: Time,
  expires_at: Time,
  exchanged_at: Nullable(Time),
  revoked_at: Nullable(Time),
  last_used_at: Nullable(Time),
});

export const CreatedPortalSessionSchema = Type.Intersect([
  PortalSessionSchema,
  Type.Object({
    url: Type.String({ description: "Opens the portal; the one-time link token is in the fragment, never sent to a server." }),
    path: Type.String({ description: "The same without scheme and host, for building the URL yourself." }),
  }),
]);

const TenantRef = Type.Object({ id: Type.String(), name: Type.String() });

export const PortalSelfSchema = Type.Object({ session: PortalSessionSchema, tenant: TenantRef });

export const ExchangedSchema = Type.Object({
  session_token: Type.String({ description: "Send as `Authorization: Bearer <session_token>`; shown once." }),
  session: PortalSessionSchema,
  tenant: TenantRef,
});

export const PortalSettingsSchema = Type.Object({
  tenant_id: Type.String(),
  frame_ancestors: Type.Array(Type.String()),
  updated_at: Nullable(Time),
});
