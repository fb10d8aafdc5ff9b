/**
 * Publishing (single and batch) and reading events. A repeat of an Idempotency-Key answers with the stored body and
 * `idempotent-replayed: true`. Publishing does not look the tenant up first: the store checks it inside the ingest
 * transaction, which saves a query on the hottest route.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { requireTenantAccess } from "../../http/auth.ts";
import { TenantParams } from "../../http/common-schemas.ts";
import { CALLER_ID_PATTERN } from "../../domain/ids.ts";
import { AppError } from "../../errors/app-error.ts";
import type { ApiContext } from "../../http/context.ts";
import type { TraceCarrier } from "../../observability/tracing/trace-context.ts";
import { deliveryToApi } from "../deliveries/schemas.ts";
import type { EventService, PublishQuota, PublishResult } from "./service.ts";
import {
  BatchBody,
  EventBody,
  EventParams,
  eventToApi,
  IdempotencyHeaders,
  ingestedToApi,
  MAX_EVENT_BYTES,
} from "./schemas.ts";

/** A batch of up to 1000 events; each event's data is still held to the single-event limit. */
export const MAX_BATCH_BODY_BYTES = 16 * 1024 * 1024;
/** Room for the envelope around the data of a single event (type, id, keys). */
const SINGLE_ENVELOPE_BYTES = 16 * 1024;

/** The producer's W3C trace headers, for the ingest span to continue (when tracing is on). */
function traceCarrier(headers: Record<string, string | string[] | undefined>): TraceCarrier {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  return { traceparent: one(headers.traceparent), tracestate: one(headers.tracestate) };
}

function sendPublished(reply: FastifyReply, result: PublishResult, render: (r: PublishResult) => string) {
  if (result.replayed) reply.header("idempotent-replayed", "true");
  return reply.status(202).type("application/json").send(render(result));
}

const TENANT_ID = new RegExp(CALLER_ID_PATTERN);

export function eventRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const access = async (req: Parameters<ApiContext["auth"]["authenticate"]>[0], tenantId: string) => {
      requireTenantAccess(await ctx.auth.authenticate(req), tenantId);
    };
    // The tenant's request and byte rates (features/quotas), checked once the key is known to reach the tenant (so
    // nobody else can spend its quota) and before the body is read: a refused 16 MB batch is never parsed.
    const admitRequest = async (req: FastifyRequest, tenantId: string) => {
      await access(req, tenantId);
      // This runs before the params are validated: a malformed id (a NUL byte, say) must be refused here, not reach
      // the tenant's quota and settings lookups (PostgreSQL answers a NUL in text with an error, hence a 500).
      if (!TENANT_ID.test(tenantId)) {
        throw new AppError("VALIDATION_FAILED", `params/tenant_id must match pattern "${CALLER_ID_PATTERN}"`, [
          { path: "params/tenant_id", message: `must match pattern "${CALLER_ID_PATTERN}"` },
        ]);
      }
      const length = Number(req.headers["content-length"]);
      await ctx.quotas.admitIngestRequest(tenantId, Number.isFinite(length) ? length : null);
    };
    const quotaFor = (req: FastifyRequest, tenantId: string): PublishQuota => {
      // Without a Content-Length the bytes rate is charged with the events' data instead.
      const chargeBytes = !Number.isFinite(Number(req.headers["content-length"]));
      return {
        admit: (dataBytes) => ctx.quotas.admitPayload(tenantId, dataBytes, chargeBytes),
        accepted: (dataBytes) => ctx.quotas.accepted(tenantId, dataBytes),
      };
    };

    // The body limit fits the largest event any tenant may send; preParsing refuses a body over the full-payload
    // limit before it is read unless the tenant takes oversized events (features/events/service.ts).
    // No service exists when only the OpenAPI document is generated (http/openapi-document.ts).
    const maxData = (ctx.events as EventService | undefined)?.maxDataBytes ?? MAX_EVENT_BYTES;
    app.post(
      "/v1/tenants/:tenant_id/events",
      {
        bodyLimit: maxData + SINGLE_ENVELOPE_BYTES,
        schema: { params: TenantParams, body: EventBody, headers: IdempotencyHeaders },
        preParsing: async (req) => {
          await admitRequest(req, req.params.tenant_id);
          const length = Number(req.headers["content-length"]);
          if (Number.isFinite(length)) await ctx.events.assertBodyFits(req.params.tenant_id, length);
        },
      },
      async (req, reply) => {
        await access(req, req.params.tenant_id);
        const render = (events: Parameters<typeof ingestedToApi>[0][]) => JSON.stringify(ingestedToApi(events[0]!));
        const result = await ctx.events.publish(
          req.params.tenant_id,
          "single",
          [req.body],
          req.headers["idempotency-key"],
          render,
          traceCarrier(req.headers),
          quotaFor(req, req.params.tenant_id),
        );
        if (!result.replayed) ctx.metrics.eventsAccepted(req.params.tenant_id, result.events.length);
        return sendPublished(reply, result, (r) => (r.replayed ? r.responseJson : render(r.events)));
      },
    );

    app.post(
      "/v1/tenants/:tenant_id/events/batch",
      {
        bodyLimit: MAX_BATCH_BODY_BYTES,
        schema: { params: TenantParams, body: BatchBody, headers: IdempotencyHeaders },
        preParsing: async (req) => {
          await admitRequest(req, req.params.tenant_id);
        },
      },
      async (req, reply) => {
        await access(req, req.params.tenant_id);
        const render = (events: Parameters<typeof ingestedToApi>[0][]) =>
          JSON.stringify({ data: events.map(ingestedToApi) });
        const result = await ctx.events.publish(
          req.params.tenant_id,
          "batch",
          req.body.events,
          req.headers["idempotency-key"],
          render,
          traceCarrier(req.headers),
          quotaFor(req, req.params.tenant_id),
        );
        if (!result.replayed) ctx.metrics.eventsAccepted(req.params.tenant_id, result.events.length);
        return sendPublished(reply, result, (r) => (r.replayed ? r.responseJson : render(r.events)));
      },
    );

    app.get("/v1/tenants/:tenant_id/events/:event_id", { schema: { params: EventParams } }, async (req) => {
      await access(req, req.params.tenant_id);
      await ctx.tenants.assertExists(req.params.tenant_id);
      const { event, deliveries } = await ctx.events.get(req.params.tenant_id, req.params.event_id);
      return { ...eventToApi(event), deliveries: deliveries.map(deliveryToApi) };
    });
  };
}
