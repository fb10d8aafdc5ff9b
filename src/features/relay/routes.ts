/**
 * The relay routes (`hookd listen`, docs/cli.md):
 * - `POST /v1/tenants/{tenant_id}/relay-endpoints`: registers a relay endpoint for a session, or resumes one;
 * - `GET .../relay-endpoints/{endpoint_id}/session`: the session itself, a server-sent event stream the command
 *   opens from the developer's machine (an outbound connection: nothing listens on the laptop), one `delivery`
 *   event per request to forward;
 * - `POST .../relay-endpoints/{endpoint_id}/answers`: the local server's answer to one of them.
 * These take the tenant's API key (or the admin key) like every tenant route, so a session only ever sees its own
 * tenant's endpoint. The fourth, `POST /internal/relay/{tenant_id}/{endpoint_id}`, is where workers send a relay
 * endpoint's deliveries; its credential is the delivery's own signature (service.ts), and it is not in the API
 * document because nobody but hookd calls it.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply } from "fastify";
import { Type } from "typebox";
import { AppError } from "../../errors/app-error.ts";
import { requireTenantAccess } from "../../http/auth.ts";
import { TenantParams } from "../../http/common-schemas.ts";
import type { ApiContext } from "../../http/context.ts";
import { RELAY_FORWARDED, RELAY_LOCAL_ERROR, RELAY_NOT_CONNECTED, RELAY_STATUS_HEADER } from "../../delivery/relay-send.ts";
import { EndpointParams, endpointToApi } from "../endpoints/schemas.ts";
import type { ForwardResult, RelayRequest } from "./hub.ts";
import { RegisterRelayBody, RelayAnswerBody } from "./schemas.ts";

/** A comment line this often keeps proxies and the command from taking a quiet session for a dead one. */
const HEARTBEAT_MS = 15_000;
/** A relay request's body may be as large as any delivery's; only connected endpoints' requests are read at all. */
const RELAY_BODY_LIMIT = 16 * 1024 * 1024;
/** Headers about the hop, not the delivery: neither forwarded to the session nor passed back from the local answer. */
const HOP_HEADERS = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "expect",
  "content-length",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
]);

export function relayRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const base = "/v1/tenants/:tenant_id/relay-endpoints";
    const access = async (req: Parameters<ApiContext["auth"]["authenticate"]>[0], tenantId: string) => {
      const principal = await ctx.auth.authenticate(req);
      requireTenantAccess(principal, tenantId);
      await ctx.tenants.assertExists(tenantId);
      return principal.keyId;
    };

    // Open sessions would hold the server's close for ever: end them first (their commands reconnect elsewhere).
    // (No hub when the server is built only for its OpenAPI document.)
    app.addHook("preClose", async () => ctx.relayHub?.closeAll());

    app.post(base, { schema: { params: TenantParams, body: RegisterRelayBody } }, async (req, reply) => {
      const actor = await access(req, req.params.tenant_id);
      if (req.body.event_types) await ctx.eventTypes.assertSubscribable(req.params.tenant_id, req.body.event_types);
      const { endpoint, secret } = await ctx.relay.register(req.params.tenant_id, req.body, actor);
      return reply.status(secret === null ? 200 : 201).send({ ...endpointToApi(endpoint), secret });
    });

    app.get(`${base}/:endpoint_id/session`, { schema: { params: EndpointParams } }, async (req, reply) => {
      await access(req, req.params.tenant_id);
      const { tenant_id: tenantId, endpoint_id: endpointId } = req.params;
      const endpoint = await ctx.relay.connect(tenantId, endpointId);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" });
      const send = (event: string, data: unknown, id?: string) =>
        raw.write(`event: ${event}\n${id === undefined ? "" : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
      send("ready", { endpoint_id: endpoint.id, event_types: endpoint.eventTypes, disabled: endpoint.disabled });
      const heartbeat = setInterval(() => raw.write(": keep-alive\n\n"), HEARTBEAT_MS);
      const detach = ctx.relayHub.attach(tenantId, endpointId, {
        deliver: (request: RelayRequest) => send("delivery", request, request.id),
        end: () => raw.end(),
      });
      raw.on("close", () => {
        clearInterval(heartbeat);
        detach();
      });
    });

    app.post(
      `${base}/:endpoint_id/answers`,
      { schema: { params: EndpointParams, body: RelayAnswerBody } },
      async (req, reply) => {
        await access(req, req.params.tenant_id);
        const a = req.body;
        const durationMs = a.duration_ms ?? 0;
        const answer =
          a.status === undefined
            ? { kind: "error" as const, message: a.error ?? "no answer", durationMs }
            : { kind: "response" as const, status: a.status, headers: a.headers ?? {}, body: a.body ?? "", durationMs };
        if (!ctx.relayHub.answer(req.params.tenant_id, req.params.endpoint_id, a.request_id, answer)) {
          throw new AppError("RELAY_REQUEST_NOT_FOUND", `no delivery waits for an answer with id ${a.request_id}`);
        }
        return reply.status(204).send();
      },
    );

    await app.register(internalRelayRoute(ctx));
  };
}

/** Its own plugin, so that only this route reads JSON bodies as the raw text whose signature it checks. */
function internalRelayRoute(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.removeContentTypeParser("application/json");
    app.addContentTypeParser("application/json", { parseAs: "string", bodyLimit: RELAY_BODY_LIMIT }, (_req, body, done) => done(null, body));
    const Params = Type.Object({ tenant_id: Type.String({ maxLength: 128 }), endpoint_id: Type.String({ maxLength: 128 }) });
    app.post(
      "/internal/relay/:tenant_id/:endpoint_id",
      {
        schema: { params: Params, hide: true },
        bodyLimit: RELAY_BODY_LIMIT,
        // Answered before the body is read when this process holds no session for the endpoint.
        onRequest: async (req, reply) => {
          const { tenant_id: tenantId, endpoint_id: endpointId } = req.params;
          if (!ctx.relayHub.isConnected(tenantId, endpointId)) return notConnected(reply);
        },
      },
      async (req, reply) => {
        const { tenant_id: tenantId, endpoint_id: endpointId } = req.params;
        const body = typeof req.body === "string" ? req.body : "";
        const headers = forwardedHeaders(req.headers);
        const timeoutMs = await ctx.relay.signedTimeout(tenantId, endpointId, headers, body);
        if (timeoutMs === null) throw new AppError("UNAUTHORIZED", "not a delivery signed by hookd for this relay endpoint");
        // The worker gives up after the endpoint's timeout and closes the request; stop waiting then too.
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), timeoutMs + 1_000);
        reply.raw.on("close", () => controller.abort());
        try {
          return answerWith(reply, await ctx.relayHub.forward(tenantId, endpointId, { headers, body }, controller.signal));
        } finally {
          clearTimeout(timer);
        }
      },
    );
  };
}

function answerWith(reply: FastifyReply, result: ForwardResult): FastifyReply {
  if (result.kind === "not-connected") return notConnected(reply);
  if (result.kind === "error") {
    return reply.status(502).header(RELAY_STATUS_HEADER, RELAY_LOCAL_ERROR).type("text/plain").send(result.message);
  }
  for (const [name, value] of Object.entries(result.headers)) {
    const lower = name.toLowerCase();
    // No Location: send.ts follows a redirect, and a relay request must never lead anywhere but here.
    if (!HOP_HEADERS.has(lower) && lower !== "location" && lower !== RELAY_STATUS_HEADER) void reply.header(lower, value);
  }
  return reply.status(result.status).header(RELAY_STATUS_HEADER, RELAY_FORWARDED).send(result.body);
}

function notConnected(reply: FastifyReply): FastifyReply {
  return reply
    // A 4xx: nothing is wrong with hookd. The worker reads the header, not the status, and records relay_not_connected.
    .status(404)
    .header(RELAY_STATUS_HEADER, RELAY_NOT_CONNECTED)
    .send({ code: "RELAY_NOT_CONNECTED", message: "no hookd listen session for this relay endpoint is connected to this process" });
}

function forwardedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_HEADERS.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
