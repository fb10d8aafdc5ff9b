/**
 * /v1/tenants: admin-only creation and listing; a tenant key may read and change its own tenant.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { requireAdmin, requireAdminForTenant, requireTenantAccess } from "../../http/auth.ts";
import { PageQuery, TenantParams } from "../../http/common-schemas.ts";
import type { ApiContext } from "../../http/context.ts";
import { decodeCursor, encodeCursor } from "../../http/cursor.ts";
import { quotaViewToApi } from "../quotas/schemas.ts";
import { CreateTenantBody, PatchTenantBody, tenantToApi } from "./schemas.ts";

export function tenantRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post("/v1/tenants", { schema: { body: CreateTenantBody } }, async (req, reply) => {
      const principal = await ctx.auth.authenticate(req);
      requireAdmin(principal);
      const tenant = await ctx.tenants.create(req.body, principal.keyId);
      return reply.status(201).send(tenantToApi(tenant, ctx.tenants.quotaDefaults));
    });

    app.get("/v1/tenants", { schema: { querystring: PageQuery } }, async (req) => {
      requireAdmin(await ctx.auth.authenticate(req));
      const page = await ctx.tenants.list({ limit: req.query.limit ?? 50, after: decodeCursor(req.query.cursor) });
      return { data: page.data.map((t) => tenantToApi(t, ctx.tenants.quotaDefaults)), next_cursor: encodeCursor(page.nextCursor) };
    });

    app.get("/v1/tenants/:tenant_id", { schema: { params: TenantParams } }, async (req) => {
      requireTenantAccess(await ctx.auth.authenticate(req), req.params.tenant_id);
      return tenantToApi(await ctx.tenants.get(req.params.tenant_id), ctx.tenants.quotaDefaults);
    });

    // The quotas in effect, the tenant's overrides and its usage now (two cheap reads: a counter and a count).
    app.get("/v1/tenants/:tenant_id/quotas", { schema: { params: TenantParams } }, async (req) => {
      requireTenantAccess(await ctx.auth.authenticate(req), req.params.tenant_id);
      return quotaViewToApi(await ctx.quotas.view(req.params.tenant_id));
    });

    app.patch("/v1/tenants/:tenant_id", { schema: { params: TenantParams, body: PatchTenantBody } }, async (req) => {
      const principal = await ctx.auth.authenticate(req);
      requireTenantAccess(principal, req.params.tenant_id);
      // Retention is the operator's storage budget, and a tenant may rename itself but not raise its own quotas.
      if (req.body.event_retention_days !== undefined || req.body.quotas !== undefined) requireAdmin(principal);
      return tenantToApi(await ctx.tenants.update(req.params.tenant_id, req.body, principal.keyId), ctx.tenants.quotaDefaults);
    });

    app.delete("/v1/tenants/:tenant_id", { schema: { params: TenantParams } }, async (req, reply) => {
      const principal = await ctx.auth.authenticate(req);
      requireAdminForTenant(principal, req.params.tenant_id);
      await ctx.tenants.delete(req.params.tenant_id, principal.keyId);
      return reply.status(204).send();
    });
  };
}
