/**
 * /v1/tenants/{tenant_id}/api-keys: only the admin key mints tenant keys. A tenant key may list its own tenant's
 * keys (never their material) and revoke one, so a tenant that finds a leaked key can kill it without waiting for
 * the operator.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { requireAdminForTenant, requireTenantAccess } from "../../http/auth.ts";
import { PageQuery, TenantParams } from "../../http/common-schemas.ts";
import type { ApiContext } from "../../http/context.ts";
import { decodeCursor, encodeCursor } from "../../http/cursor.ts";
import { ApiKeyParams, apiKeyToApi, CreateApiKeyBody } from "./schemas.ts";

export function apiKeyRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const base = "/v1/tenants/:tenant_id/api-keys";

    app.post(base, { schema: { params: TenantParams, body: CreateApiKeyBody } }, async (req, reply) => {
      const principal = await ctx.auth.authenticate(req);
      requireAdminForTenant(principal, req.params.tenant_id);
      const { key, plain } = await ctx.apiKeys.create(req.params.tenant_id, principal.keyId);
      return reply.status(201).send({ ...apiKeyToApi(key), key: plain });
    });

    app.get(base, { schema: { params: TenantParams, querystring: PageQuery } }, async (req) => {
      requireTenantAccess(await ctx.auth.authenticate(req), req.params.tenant_id);
      const page = await ctx.apiKeys.list(req.params.tenant_id, {
        limit: req.query.limit ?? 50,
        after: decodeCursor(req.query.cursor),
      });
      return { data: page.data.map(apiKeyToApi), next_cursor: encodeCursor(page.nextCursor) };
    });

    app.delete(`${base}/:key_id`, { schema: { params: ApiKeyParams } }, async (req, reply) => {
      const principal = await ctx.auth.authenticate(req);
      requireTenantAccess(principal, req.params.tenant_id);
      await ctx.apiKeys.revoke(req.params.tenant_id, req.params.key_id, principal.keyId);
      return reply.status(204).send();
    });
  };
}
