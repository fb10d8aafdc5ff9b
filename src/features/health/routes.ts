/**
 * Liveness (/healthz: the process answers) and readiness (/readyz: the store answers a query). Neither needs a key,
 * so load balancers and orchestrators can probe them.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { ApiContext } from "../../http/context.ts";

export function healthRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get("/healthz", async () => ({ status: "ok" }));
    app.get("/readyz", async (req, reply) => {
      try {
        await ctx.ready();
        return { status: "ready" };
      } catch (err) {
        req.log.warn({ err }, "readiness check failed");
        return reply.status(503).send({ code: "SERVICE_UNAVAILABLE", message: "the store is unreachable" });
      }
    });
  };
}
