/**
 * GET /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/stats and GET /v1/tenants/{tenant_id}/stats: attempts, success
 * rate, counts by outcome class, latency percentiles and the live backlog, over `window` (1h, 24h or 7d).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { DEFAULT_STATS_WINDOW, type StatsWindow } from "../../domain/attempt-stats.ts";
import { requireTenantAccess } from "../../http/auth.ts";
import { TenantParams } from "../../http/common-schemas.ts";
import type { ApiContext } from "../../http/context.ts";
import { EndpointParams } from "../endpoints/schemas.ts";
import { StatsQuery } from "./schemas.ts";

export function statsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const access = async (req: Parameters<ApiContext["auth"]["authenticate"]>[0], tenantId: string) => {
      requireTenantAccess(await ctx.auth.authenticate(req), tenantId);
      await ctx.tenants.assertExists(tenantId);
    };
    const windowOf = (w: StatsWindow | undefined) => w ?? DEFAULT_STATS_WINDOW;

    app.get(
      "/v1/tenants/:tenant_id/endpoints/:endpoint_id/stats",
      { schema: { params: EndpointParams, querystring: StatsQuery } },
      async (req) => {
        await access(req, req.params.tenant_id);
        return ctx.stats.endpoint(req.params.tenant_id, req.params.endpoint_id, windowOf(req.query.window));
      },
    );

    app.get("/v1/tenants/:tenant_id/stats", { schema: { params: TenantParams, querystring: StatsQuery } }, async (req) => {
      await access(req, req.params.tenant_id);
      return ctx.stats.tenant(req.params.tenant_id, windowOf(req.query.window));
    });
  };
}
