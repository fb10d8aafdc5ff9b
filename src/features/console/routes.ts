/**
 * /v1/console/*: the operator console's aggregate reads, admin only (they span tenants). The operational-events feed
 * and the link into a tenant's portal use the existing routes (GET /v1/operational-events, POST .../portal-sessions).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { requireAdmin } from "../../http/auth.ts";
import type { ApiContext } from "../../http/context.ts";
import { decodeCursor, encodeCursor } from "../../http/cursor.ts";
import { TenantHeatmapQuery } from "./schemas.ts";

export function consoleRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get("/v1/console/health", async (req) => {
      requireAdmin(await ctx.auth.authenticate(req));
      return ctx.console.health();
    });

    app.get("/v1/console/tenants", { schema: { querystring: TenantHeatmapQuery } }, async (req) => {
      requireAdmin(await ctx.auth.authenticate(req));
      const { nextCursor, ...heatmap } = await ctx.console.tenantHeatmap(req.query.window ?? "1h", {
        limit: req.query.limit ?? 50,
        after: decodeCursor(req.query.cursor),
      });
      return { ...heatmap, next_cursor: encodeCursor(nextCursor) };
    });
  };
}
