/**
 * /v1/tenants/{tenant_id}/deliveries: the delivery log (newest first, filterable), one delivery with every attempt,
 * and replay.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { requireTenantAccess } from "../../http/auth.ts";
import { EmptyBody, parseTime, TenantParams } from "../../http/common-schemas.ts";
import type { ApiContext } from "../../http/context.ts";
import { decodeCursor, encodeCursor } from "../../http/cursor.ts";
import { attemptToApi, DeliveryParams, DeliveryQuery, deliveryToApi, payloadFetchToApi } from "./schemas.ts";
import { parseStatuses } from "./service.ts";

export function deliveryRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const access = async (req: Parameters<ApiContext["auth"]["authenticate"]>[0], tenantId: string) => {
      requireTenantAccess(await ctx.auth.authenticate(req), tenantId);
      await ctx.tenants.assertExists(tenantId);
    };

    app.get(
      "/v1/tenants/:tenant_id/deliveries",
      { schema: { params: TenantParams, querystring: DeliveryQuery } },
      async (req) => {
        await access(req, req.params.tenant_id);
        const q = req.query;
        const page = await ctx.deliveries.list(
          req.params.tenant_id,
          {
            endpointId: q.endpoint_id,
            eventId: q.event_id,
            eventType: q.event_type,
            statuses: parseStatuses(q.status),
            since: parseTime(q.since, "querystring/since"),
            until: parseTime(q.until, "querystring/until"),
            minAttempts: q.min_attempts,
          },
          { limit: q.limit ?? 50, after: decodeCursor(q.cursor) },
        );
        return { data: page.data.map(deliveryToApi), next_cursor: encodeCursor(page.nextCursor) };
      },
    );

    app.get("/v1/tenants/:tenant_id/deliveries/:delivery_id", { schema: { params: DeliveryParams } }, async (req) => {
      await access(req, req.params.tenant_id);
      const { delivery, attempts, requestBody, payloadFetches } = await ctx.deliveries.get(
        req.params.tenant_id,
        req.params.delivery_id,
      );
      const last = attempts[attempts.length - 1];
      return {
        ...deliveryToApi(delivery),
        // The latest request as sent (headers of the last attempt; the body is the same on every attempt).
        request: {
          url: last?.requestUrl ?? null,
          headers: last?.requestHeaders ?? null,
          body: requestBody,
        },
        attempts: attempts.map(attemptToApi),
        payload_fetches: payloadFetches.map(payloadFetchToApi),
      };
    });

    app.post(
      "/v1/tenants/:tenant_id/deliveries/:delivery_id/replay",
      { schema: { params: DeliveryParams, body: EmptyBody } },
      async (req, reply) => {
        await access(req, req.params.tenant_id);
        const delivery = await ctx.deliveries.replay(req.params.tenant_id, req.params.delivery_id);
        return reply.status(202).send(deliveryToApi(delivery));
      },
    );
  };
}
