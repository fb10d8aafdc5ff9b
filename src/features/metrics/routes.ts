/**
 * GET /metrics in the Prometheus text format. Unauthenticated by default, like most exporters: it reveals counts and
 * latencies, not payloads or tenant ids (unless tenant labels are switched on), and scrapers rarely carry keys.
 * HOOKD_METRICS_AUTH=admin requires the admin key instead, for deployments where the API port is public.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { requireAdmin } from "../../http/auth.ts";
import type { ApiContext } from "../../http/context.ts";

export function metricsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get("/metrics", async (req, reply) => {
      if (ctx.metricsAuth === "admin") requireAdmin(await ctx.auth.authenticate(req));
      const { contentType, body } = await ctx.metrics.render();
      return reply.type(contentType).send(body);
    });
  };
}
