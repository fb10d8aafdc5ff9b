/**
 * GET /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/secret: the endpoint's current signing secret, on demand (the
 * portal's "Reveal secret"). The admin key and the tenant's own key may read it, as they may rotate it; a read-only
 * portal session may not (http/portal-scope.ts). Every reveal is written to the audit log with the reader, and the
 * answer is marked uncacheable.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { newId } from "../../domain/ids.ts";
import { AppError } from "../../errors/app-error.ts";
import { requireTenantAccess } from "../../http/auth.ts";
import { iso } from "../../http/common-schemas.ts";
import type { ApiContext } from "../../http/context.ts";
import type { SecretBox } from "../../secrets/secret-box.ts";
import type { Store } from "../../store/store.ts";
import { EndpointParams } from "./schemas.ts";

export const RevealedSecretSchema = Type.Object({
  secret: Type.String({ description: "`whsec_...` (HMAC) or `whsk_...` (Ed25519 seed)." }),
  public_key: Type.Union([Type.String(), Type.Null()]),
  previous_secret_expires_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
});

export class SecretReveal {
  constructor(
    private readonly store: Store,
    private readonly secrets: SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  async reveal(tenantId: string, endpointId: string, actorKeyId: string) {
    const endpoint = await this.store.getEndpoint(tenantId, endpointId);
    if (!endpoint) throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${endpointId} not found`);
    const secret = this.secrets.open(endpoint.sealedSecret, endpoint.id);
    const at = this.now();
    await this.store.insertAuditEntry({
      id: newId("aud"),
      tenantId,
      actorKeyId,
      action: "endpoint.secret_revealed",
      targetType: "endpoint",
      targetId: endpointId,
      before: null,
      after: null,
      createdAt: at,
    });
    const overlap = endpoint.previousSecretExpiresAt !== null && endpoint.previousSecretExpiresAt > at;
    return {
      secret,
      public_key: endpoint.publicKey,
      previous_secret_expires_at: overlap ? iso(endpoint.previousSecretExpiresAt) : null,
    };
  }
}

export function revealSecretRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get("/v1/tenants/:tenant_id/endpoints/:endpoint_id/secret", { schema: { params: EndpointParams } }, async (req, reply) => {
      const principal = await ctx.auth.authenticate(req);
      requireTenantAccess(principal, req.params.tenant_id);
      await ctx.tenants.assertExists(req.params.tenant_id);
      const revealed = await ctx.secretReveal.reveal(req.params.tenant_id, req.params.endpoint_id, principal.keyId);
      return reply.header("cache-control", "no-store").send(revealed);
    });
  };
}
