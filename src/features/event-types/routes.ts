/**
 * /v1/tenants/{tenant_id}/event-types: the tenant's catalogue of declared event types, addressed by name. Tenant
 * routes: the admin key or the tenant's own key.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { DECLARED_EVENT_TYPE_PATTERN } from "../../domain/event-type.ts";
import { requireTenantAccess } from "../../http/auth.ts";
import { TenantParams } from "../../http/common-schemas.ts";
import type { ApiContext } from "../../http/context.ts";
import { decodeCursor, encodeCursor } from "../../http/cursor.ts";
import {
  CreateEventTypeBody,
  EventTypeListQuery,
  EventTypeParams,
  eventTypeToApi,
  PatchEventTypeBody,
} from "./schemas.ts";

/** The list pages by name, so its cursor holds a name rather than an id. */
const NAME_CURSOR = new RegExp(DECLARED_EVENT_TYPE_PATTERN);

export function eventTypeRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const base = "/v1/tenants/:tenant_id/event-types";

    /** @returns the id of the key making the request, for the audit log. */
    const access = async (req: Parameters<ApiContext["auth"]["authenticate"]>[0], tenantId: string) => {
      const principal = await ctx.auth.authenticate(req);
      requireTenantAccess(principal, tenantId);
      await ctx.tenants.assertExists(tenantId);
      return principal.keyId;
    };

    app.post(base, { schema: { params: TenantParams, body: CreateEventTypeBody } }, async (req, reply) => {
      const actor = await access(req, req.params.tenant_id);
      const created = await ctx.eventTypes.create(req.params.tenant_id, req.body, actor);
      return reply.status(201).send(eventTypeToApi(created));
    });

    app.get(base, { schema: { params: TenantParams, querystring: EventTypeListQuery } }, async (req) => {
      await access(req, req.params.tenant_id);
      const page = await ctx.eventTypes.list(req.params.tenant_id, req.query.include_archived ?? false, {
        limit: req.query.limit ?? 50,
        after: decodeCursor(req.query.cursor, NAME_CURSOR),
      });
      return { data: page.data.map(eventTypeToApi), next_cursor: encodeCursor(page.nextCursor) };
    });

    app.get(`${base}/:name`, { schema: { params: EventTypeParams } }, async (req) => {
      await access(req, req.params.tenant_id);
      return eventTypeToApi(await ctx.eventTypes.get(req.params.tenant_id, req.params.name));
    });

    app.patch(`${base}/:name`, { schema: { params: EventTypeParams, body: PatchEventTypeBody } }, async (req) => {
      const actor = await access(req, req.params.tenant_id);
      return eventTypeToApi(await ctx.eventTypes.update(req.params.tenant_id, req.params.name, req.body, actor));
    });

    app.delete(`${base}/:name`, { schema: { params: EventTypeParams } }, async (req, reply) => {
      const actor = await access(req, req.params.tenant_id);
      await ctx.eventTypes.delete(req.params.tenant_id, req.params.name, actor);
      return reply.status(204).send();
    });
  };
}
