/**
 * GET /v1/operational-events: the operator's record of endpoints disabled and enabled and deliveries dead and
 * recovered, newest first. Admin only: it spans tenants.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { operationalEventToApi } from "../../domain/operational-events.ts";
import { requireAdmin } from "../../http/auth.ts";
import type { ApiContext } from "../../http/context.ts";
import { decodeCursor, encodeCursor } from "../../http/cursor.ts";
import { OperationalEventQuery } from "./schemas.ts";

export function operationalEventRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get("/v1/operational-events", { schema: { querystring: OperationalEventQuery } }, async (req) => {
      requireAdmin(await ctx.auth.authenticate(req));
      const q = req.query;
      const page = await ctx.operationalEvents.list(
        { types: q.type?.split(","), tenantId: q.tenant_id },
        { limit: q.limit ?? 50, after: decodeCursor(q.cursor) },
      );
      return { data: page.data.map(operationalEventToApi), next_cursor: encodeCursor(page.nextCursor) };
    });
  };
}
