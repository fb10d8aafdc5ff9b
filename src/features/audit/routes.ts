/**
 * GET /v1/tenants/{tenant_id}/audit-log: who changed what in the tenant, newest first. A tenant key reads its own
 * tenant's log; the admin key reads any.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { requireTenantAccess } from "../../http/auth.ts";
import { PageQuery, TenantParams } from "../../http/common-schemas.ts";
import type { ApiContext } from "../../http/context.ts";
import { decodeCursor, encodeCursor } from "../../http/cursor.ts";
import { auditEntryToApi } from "./schemas.ts";

export function auditRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/v1/tenants/:tenant_id/audit-log",
      { schema: { params: TenantParams, querystring: PageQuery } },
      async (req) => {
        requireTenantAccess(await ctx.auth.authenticate(req), req.params.tenant_id);
        const page = await ctx.audit.list(req.params.tenant_id, {
          limit: req.query.limit ?? 50,
          after: decodeCursor(req.query.cursor),
        });
        return { data: page.data.map(auditEntryToApi), next_cursor: encodeCursor(page.nextCursor) };
      },
    );
  };
}
