/**
 * POST /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/test: send one test event to one endpoint (service.ts).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { requireTenantAccess } from "../../http/auth.ts";
import type { ApiContext } from "../../http/context.ts";
import { EndpointParams } from "../endpoints/schemas.ts";
import { MAX_EVENT_BYTES } from "../events/schemas.ts";
import { TestSendBody } from "./schemas.ts";

export function testSendRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      "/v1/tenants/:tenant_id/endpoints/:endpoint_id/test",
      { bodyLimit: MAX_EVENT_BYTES, schema: { params: EndpointParams, body: TestSendBody } },
      async (req, reply) => {
        requireTenantAccess(await ctx.auth.authenticate(req), req.params.tenant_id);
        const sent = await ctx.testSend.send(req.params.tenant_id, req.params.endpoint_id, req.body);
        return reply.status(202).send({ event_id: sent.eventId, delivery_id: sent.deliveryId });
      },
    );
  };
}
