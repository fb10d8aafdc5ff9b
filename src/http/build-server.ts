/**
 * Builds the Fastify instance with every route; it does not listen, so tests inject requests or listen on port 0.
 * Request bodies are validated strictly: unknown fields are an error rather than silently dropped, so a typo in a
 * field name is caught at once.
 */
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, LogController } from "fastify";
import type { Logger } from "pino";
import { apiKeyRoutes } from "../features/api-keys/routes.ts";
import { auditRoutes } from "../features/audit/routes.ts";
import { deliveryRoutes } from "../features/deliveries/routes.ts";
import { endpointRoutes } from "../features/endpoints/routes.ts";
import { eventRoutes } from "../features/events/routes.ts";
import { eventTypeRoutes } from "../features/event-types/routes.ts";
import { healthRoutes } from "../features/health/routes.ts";
import { metricsRoutes } from "../features/metrics/routes.ts";
import { retentionRoutes } from "../features/retention/routes.ts";
import { statsRoutes } from "../features/stats/routes.ts";
import { operationalEventRoutes } from "../features/operational-events/routes.ts";
import { tenantRoutes } from "../features/tenants/routes.ts";
import { taskRoutes } from "../features/tasks/routes.ts";
import { testSendRoutes } from "../features/test-send/routes.ts";
import { consoleRoutes } from "../features/console/routes.ts";
import { revealSecretRoutes } from "../features/endpoints/reveal-secret.ts";
import { portalSessionRoutes } from "../features/portal/routes.ts";
import { portalSelfRoutes } from "../features/portal/session-routes.ts";
import { statsSeriesRoutes } from "../features/stats/series.ts";
import { webRoutes } from "../features/web/pages.ts";
import { payloadRoutes } from "../features/payloads/routes.ts";
import { relayRoutes } from "../features/relay/routes.ts";
import { AppError } from "../errors/app-error.ts";
import type { ApiContext } from "./context.ts";
import { registerOpenApi } from "./openapi.ts";
import { answerNotFound, installErrorHandler } from "./error-handler.ts";
import { isPublicRoute } from "./public-routes.ts";
import { hasNonFiniteNumber } from "./finite-numbers.ts";
import { installPortalScope } from "./portal-scope.ts";
import { exceedsJsonDepth, MAX_JSON_DEPTH } from "./json-depth.ts";
import { trackRoutes } from "./route-registry.ts";
import { checkStorableBody } from "./unstorable-text.ts";

export const MAX_REQUEST_BODY_BYTES = 256 * 1024;

const INGEST_ROUTES = new Set(["/v1/tenants/:tenant_id/events", "/v1/tenants/:tenant_id/events/batch"]);

export async function buildServer(ctx: ApiContext, log: Logger): Promise<FastifyInstance> {
  // Typed as the base logger so route plugins see the default Fastify instance type (the lint rule cannot see that
  // the cast changes the instance's generic logger type).
  const app = Fastify({
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: log as FastifyBaseLogger,
    // Per-request access lines would dominate the log at ingest rates; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // 256 KB for every request body (413 PAYLOAD_TOO_LARGE beyond); only the batch publish route raises its own.
    bodyLimit: MAX_REQUEST_BODY_BYTES,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
    return503OnClosing: true,
    // Errors raised before routing (malformed percent-encoding, an over-long path segment) get the API's error shape
    // and a registry code too, instead of Fastify's own body.
    frameworkErrors: (err, _req, reply) => {
      void (reply as FastifyReply).status(400).send({ code: "VALIDATION_FAILED", message: err.message });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  trackRoutes(app);
  await registerOpenApi(app);
  installErrorHandler(app);
  // Bodies must be JSON: without this, Fastify's built-in text/plain parser hands the schema a string and the caller
  // gets "body must be object" instead of 415 UNSUPPORTED_MEDIA_TYPE.
  app.removeContentTypeParser("text/plain");
  // Every route but the public ones needs a key, checked before the body is read: a caller without a valid key
  // learns nothing about a route's schema and cannot make the server read, parse or validate a large body. The
  // check is on the route the router matched, not on the URL's spelling (`/%761/...` reaches the `/v1/...` routes),
  // and a path that matches nothing is authenticated too and then answered at once, so its body is never read.
  app.addHook("onRequest", async (req, reply) => {
    if (req.is404) {
      await ctx.auth.authenticate(req);
      return answerNotFound(app, req, reply);
    }
    if (!isPublicRoute(req.routeOptions.url)) await ctx.auth.authenticate(req);
  });
  // What a portal session may reach: a subset of its tenant's routes (http/portal-scope.ts).
  installPortalScope(app, ctx, ctx.portal, isPublicRoute);
  // An empty POST body is validated as {} so the caller gets the schema's own message, not "body must be object".
  app.addHook("preValidation", async (req) => {
    if (req.body === undefined && req.method === "POST") req.body = {};
    if (exceedsJsonDepth(req.body)) {
      throw new AppError("VALIDATION_FAILED", `request body is nested more than ${MAX_JSON_DEPTH} levels deep`);
    }
    if (hasNonFiniteNumber(req.body)) throw new AppError("VALIDATION_FAILED", "request body holds a number out of range");
    checkStorableBody(req.body);
  });
  // Query strings are coerced during validation, so they are checked after it.
  app.addHook("preHandler", async (req) => {
    if (hasNonFiniteNumber(req.query)) throw new AppError("VALIDATION_FAILED", "query holds a number out of range");
  });

  // Ingest ack latency: from the request's arrival to the 202 sent after the commit.
  app.addHook("onResponse", async (req, reply) => {
    if (req.method === "POST" && reply.statusCode === 202 && INGEST_ROUTES.has(req.routeOptions.url ?? "")) {
      ctx.metrics.ingestAnswered(reply.elapsedTime / 1000);
    }
  });

  await app.register(healthRoutes(ctx));
  await app.register(tenantRoutes(ctx));
  await app.register(endpointRoutes(ctx));
  await app.register(eventRoutes(ctx));
  await app.register(eventTypeRoutes(ctx));
  await app.register(deliveryRoutes(ctx));
  await app.register(apiKeyRoutes(ctx));
  await app.register(auditRoutes(ctx));
  await app.register(operationalEventRoutes(ctx));
  await app.register(metricsRoutes(ctx));
  await app.register(retentionRoutes(ctx));
  await app.register(statsRoutes(ctx));
  await app.register(testSendRoutes(ctx));
  await app.register(taskRoutes(ctx));
  await app.register(revealSecretRoutes(ctx));
  await app.register(statsSeriesRoutes(ctx));
  await app.register(portalSessionRoutes(ctx));
  await app.register(portalSelfRoutes(ctx));
  await app.register(consoleRoutes(ctx));
  await app.register(payloadRoutes(ctx));
  await app.register(relayRoutes(ctx));
  await app.register(webRoutes(ctx));
  return app;
}
