/**
 * DELETE /v1/tenants/{tenant_id}/events/{event_id}/payload: expunge one event's payload now (for example on a data
 * deletion request). The event, its deliveries and their attempt summaries stay; deliveries still waiting become
 * dead, and replaying any of them answers 409 PAYLOAD_EXPUNGED: there is nothing left to send.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { requireTenantAccess } from "../../http/auth.ts";
import type { ApiContext } from "../../http/context.ts";
import { AppError } from "../../errors/app-error.ts";
import { EventParams } from "../events/schemas.ts";

export function retentionRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.delete("/v1/tenants/:tenant_id/events/:event_id/payload", { schema: { params: EventParams } }, async (req, reply) => {
      requireTenantAccess(await ctx.auth.authenticate(req), req.params.tenant_id);
      await ctx.tenants.assertExists(req.params.tenant_id);
      if (!(await ctx.retention.expungePayload(req.params.tenant_id, req.params.event_id))) {
        throw new AppError("EVENT_NOT_FOUND", `event ${req.params.event_id} not found`);
      }
      return reply.status(204).send();
    });
  };
}
