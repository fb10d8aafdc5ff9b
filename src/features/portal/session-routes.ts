/**
 * The portal page's own routes. POST /v1/portal/exchange takes no API key: the one-time link token from the portal
 * URL's fragment is the credential, and the answer is the session token the page sends from then on.
 * GET and DELETE /v1/portal/session answer only to a portal session token: who am I, and sign out (revoke myself).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { AppError } from "../../errors/app-error.ts";
import type { ApiContext } from "../../http/context.ts";
import type { PortalPrincipal } from "../../http/portal-principal.ts";
import { ExchangeBody, portalSessionToApi } from "./schemas.ts";

/** `/v1/portal/exchange` takes no API key: it is listed in http/public-routes.ts. */

export function portalSelfRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const self = async (req: FastifyRequest): Promise<PortalPrincipal> => {
      const principal = await ctx.auth.authenticate(req);
      if (principal.kind !== "portal") throw new AppError("FORBIDDEN", "this route takes a portal session token");
      return principal;
    };

    app.post("/v1/portal/exchange", { schema: { body: ExchangeBody } }, async (req, reply) => {
      const { session, sessionToken, tenant } = await ctx.portal.exchange(req.body.token);
      // The token is a credential: no cache may keep the answer.
      return reply
        .header("cache-control", "no-store")
        .send({ session_token: sessionToken, session: portalSessionToApi(session, Date.now()), tenant });
    });

    app.get("/v1/portal/session", async (req) => {
      const p = await self(req);
      const { session, tenant } = await ctx.portal.self(p.keyId, p.tenantId);
      return { session: portalSessionToApi(session, Date.now()), tenant };
    });

    app.delete("/v1/portal/session", async (req, reply) => {
      const p = await self(req);
      await ctx.portal.revoke(p.tenantId, p.keyId, p.keyId);
      return reply.status(204).send();
    });
  };
}
