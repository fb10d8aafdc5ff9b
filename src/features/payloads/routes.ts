/**
 * GET /v1/events/{event_id}/payload?token=...: where a thin delivery's receiver pulls the full payload. Public (the
 * token is the credential: http/public-routes.ts), never cached by intermediaries.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { ApiContext } from "../../http/context.ts";
import { PayloadParams, PayloadQuery } from "./schemas.ts";

export function payloadRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get("/v1/events/:event_id/payload", { schema: { params: PayloadParams, querystring: PayloadQuery } }, async (req, reply) => {
      const userAgent = req.headers["user-agent"];
      const fetched = await ctx.payloads.fetch(req.params.event_id, req.query.token, {
        address: req.ip || null,
        userAgent: typeof userAgent === "string" ? userAgent : null,
      });
      return reply
        .status(200)
        .headers({ ...fetched.headers, "cache-control": "no-store" })
        .type("application/json")
        .send(fetched.body);
    });
  };
}
