/**
 * /v1/tenants/{tenant_id}/portal-sessions and /portal-settings: the admin key or the tenant's own key create, list,
 * refresh and revoke portal sessions and set which origins may frame the portal. A portal session can do none of
 * this (http/portal-scope.ts): it cannot mint or prolong its own kind.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { requireTenantAccess } from "../../http/auth.ts";
import { PageQuery, TenantParams } from "../../http/common-schemas.ts";
import type { ApiContext } from "../../http/context.ts";
import { decodeCursor, encodeCursor } from "../../http/cursor.ts";
import {
  CreatePortalSessionBody,
  PortalSessionParams,
  PortalSettingsBody,
  portalSessionToApi,
  portalSettingsToApi,
  RefreshPortalSessionBody,
} from "./schemas.ts";

/** Where links point: HOOKD_PUBLIC_URL, or else the scheme and host this request came in on. */
function baseUrl(ctx: ApiContext, req: FastifyRequest): string {
  return (ctx.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, "");
}

export function portalSessionRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const base = "/v1/tenants/:tenant_id/portal-sessions";
    const access = async (req: FastifyRequest, tenantId: string) => {
      const principal = await ctx.auth.authenticate(req);
      requireTenantAccess(principal, tenantId);
      return principal.keyId;
    };
    const now = () => Date.now();

    app.post(base, { schema: { params: TenantParams, body: CreatePortalSessionBody } }, async (req, reply) => {
      const actor = await access(req, req.params.tenant_id);
      const { session, path } = await ctx.portal.create(req.params.tenant_id, req.body, actor);
      return reply.status(201).send({ ...portalSessionToApi(session, now()), url: `${baseUrl(ctx, req)}${path}`, path });
    });

    app.get(base, { schema: { params: TenantParams, querystring: PageQuery } }, async (req) => {
      await access(req, req.params.tenant_id);
      const page = await ctx.portal.list(req.params.tenant_id, {
        limit: req.query.limit ?? 50,
        after: decodeCursor(req.query.cursor),
      });
      const at = now();
      return { data: page.data.map((s) => portalSessionToApi(s, at)), next_cursor: encodeCursor(page.nextCursor) };
    });

    // Revokes every live session of the tenant at once (a leaked embedding, a user removed).
    app.delete(base, { schema: { params: TenantParams } }, async (req) => {
      const actor = await access(req, req.params.tenant_id);
      return { revoked: await ctx.portal.revokeAll(req.params.tenant_id, actor) };
    });

    app.get(`${base}/:session_id`, { schema: { params: PortalSessionParams } }, async (req) => {
      await access(req, req.params.tenant_id);
      return portalSessionToApi(await ctx.portal.get(req.params.tenant_id, req.params.session_id), now());
    });

    app.post(
      `${base}/:session_id/refresh`,
      { schema: { params: PortalSessionParams, body: RefreshPortalSessionBody } },
      async (req) => {
        const actor = await access(req, req.params.tenant_id);
        const session = await ctx.portal.refresh(req.params.tenant_id, req.params.session_id, req.body.ttl_s, actor);
        return portalSessionToApi(session, now());
      },
    );

    app.delete(`${base}/:session_id`, { schema: { params: PortalSessionParams } }, async (req, reply) => {
      const actor = await access(req, req.params.tenant_id);
      await ctx.portal.revoke(req.params.tenant_id, req.params.session_id, actor);
      return reply.status(204).send();
    });

    app.get("/v1/tenants/:tenant_id/portal-settings", { schema: { params: TenantParams } }, async (req) => {
      await access(req, req.params.tenant_id);
      return portalSettingsToApi(req.params.tenant_id, await ctx.portal.getSettings(req.params.tenant_id));
    });

    app.put(
      "/v1/tenants/:tenant_id/portal-settings",
      { schema: { params: TenantParams, body: PortalSettingsBody } },
      async (req) => {
        const actor = await access(req, req.params.tenant_id);
        const settings = await ctx.portal.putSettings(req.params.tenant_id, req.body.frame_ancestors, actor);
        return portalSettingsToApi(req.params.tenant_id, settings);
      },
    );
  };
}
