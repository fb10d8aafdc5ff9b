/**
 * Serves the web console from hookd itself: the operator console at /console/, the tenant portal at
 * /portal/t/{tenant_id}/ (and /portal/), their built assets at /assets/, and `/` redirects to the console. The pages
 * are built by Vite from web/ into web/dist/ (scripts/build-web.ts, run by `npm ci`, `npm start` and the tests); no
 * file is fetched from anywhere else at run time.
 *
 * The portal's path carries the tenant id, not the token (that stays in the fragment, which browsers never send), so
 * the page can be served with the tenant's own frame-ancestors.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply } from "fastify";
import { AppError } from "../../errors/app-error.ts";
import { TenantParams } from "../../http/common-schemas.ts";
import type { ApiContext } from "../../http/context.ts";
import { pageHeaders } from "./csp.ts";

export const WEB_DIST = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

async function page(reply: FastifyReply, name: "console" | "portal", frameAncestors: readonly string[] | null) {
  let html: string;
  try {
    html = await readFile(`${WEB_DIST}${name}/index.html`, "utf8");
  } catch {
    // A server-side gap, not the caller's: 503 with a message that says how to fix it.
    throw new AppError("SERVICE_UNAVAILABLE", "the web console was not built: run `npm run build:web` (npm ci does it)");
  }
  return reply.headers(pageHeaders(frameAncestors)).send(html);
}

export function webRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    await app.register(fastifyStatic, {
      root: `${WEB_DIST}assets`,
      prefix: "/assets/",
      // Built names carry a content hash, so a file under a name never changes.
      immutable: true,
      maxAge: "365d",
      index: false,
      decorateReply: false,
      setHeaders: (reply) => {
        reply.header("x-content-type-options", "nosniff");
      },
    });
    app.get("/", { schema: { hide: true } }, async (_req, reply) => reply.redirect("/console/"));
    app.get("/console", { schema: { hide: true } }, async (_req, reply) => reply.redirect("/console/", 301));
    app.get("/console/", { schema: { hide: true } }, async (_req, reply) => page(reply, "console", null));
    app.get("/portal/", { schema: { hide: true } }, async (_req, reply) => page(reply, "portal", []));
    app.get("/portal/t/:tenant_id/", { schema: { hide: true, params: TenantParams } }, async (req, reply) =>
      page(reply, "portal", await ctx.portal.frameAncestors(req.params.tenant_id)),
    );
  };
}
