/**
 * /v1/tenants/{tenant_id}/endpoints: CRUD, secret rotation and bulk replay. The secret appears only in the answers
 * to create and rotate-secret (endpointToApi has no field for it); everywhere else it is stored encrypted. Custom
 * header values are stored encrypted too and shown masked, except by `GET .../headers`.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { requireTenantAccess } from "../../http/auth.ts";
import { EmptyBody, PageQuery, TenantParams } from "../../http/common-schemas.ts";
import type { ApiContext } from "../../http/context.ts";
import { decodeCursor, encodeCursor } from "../../http/cursor.ts";
import {
  CreateEndpointBody,
  EndpointParams,
  endpointToApi,
  FilterTestBody,
  haltedKeyToApi,
  PatchEndpointBody,
  ReleaseHaltedKeyBody,
  ReplayEndpointBody,
  RotateSecretBody,
} from "./schemas.ts";

export function endpointRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const base = "/v1/tenants/:tenant_id/endpoints";

    /** @returns the id of the key making the request, for the audit log. */
    const access = async (req: Parameters<ApiContext["auth"]["authenticate"]>[0], tenantId: string) => {
      const principal = await ctx.auth.authenticate(req);
      requireTenantAccess(principal, tenantId);
      await ctx.tenants.assertExists(tenantId);
      return principal.keyId;
    };

    app.post(base, { schema: { params: TenantParams, body: CreateEndpointBody } }, async (req, reply) => {
      const actor = await access(req, req.params.tenant_id);
      await ctx.eventTypes.assertSubscribable(req.params.tenant_id, req.body.event_types ?? ["*"]);
      const { endpoint, secret } = await ctx.endpoints.create(req.params.tenant_id, req.body, actor);
      return reply.status(201).send({ ...endpointToApi(endpoint), secret });
    });

    app.get(base, { schema: { params: TenantParams, querystring: PageQuery } }, async (req) => {
      await access(req, req.params.tenant_id);
      const page = await ctx.endpoints.list(req.params.tenant_id, {
        limit: req.query.limit ?? 50,
        after: decodeCursor(req.query.cursor),
      });
      const health = await ctx.endpoints.health(
        req.params.tenant_id,
        page.data.map((e) => e.id),
      );
      return { data: page.data.map((e) => endpointToApi(e, health.get(e.id))), next_cursor: encodeCursor(page.nextCursor) };
    });

    app.get(`${base}/:endpoint_id`, { schema: { params: EndpointParams } }, async (req) => {
      await access(req, req.params.tenant_id);
      const endpoint = await ctx.endpoints.get(req.params.tenant_id, req.params.endpoint_id);
      const health = await ctx.endpoints.health(req.params.tenant_id, [endpoint.id]);
      return endpointToApi(endpoint, health.get(endpoint.id));
    });

    // Custom header values are masked on every read; this shows them, and the audit log records who looked.
    app.get(`${base}/:endpoint_id/headers`, { schema: { params: EndpointParams } }, async (req) => {
      const actor = await access(req, req.params.tenant_id);
      return { headers: await ctx.endpoints.revealHeaders(req.params.tenant_id, req.params.endpoint_id, actor) };
    });

    app.post(`${base}/:endpoint_id/enable`, { schema: { params: EndpointParams, body: EmptyBody } }, async (req) => {
      const actor = await access(req, req.params.tenant_id);
      const endpoint = await ctx.endpoints.enable(req.params.tenant_id, req.params.endpoint_id, actor);
      const health = await ctx.endpoints.health(req.params.tenant_id, [endpoint.id]);
      return endpointToApi(endpoint, health.get(endpoint.id));
    });

    app.patch(`${base}/:endpoint_id`, { schema: { params: EndpointParams, body: PatchEndpointBody } }, async (req) => {
      const actor = await access(req, req.params.tenant_id);
      if (req.body.event_types) await ctx.eventTypes.assertSubscribable(req.params.tenant_id, req.body.event_types);
      return endpointToApi(await ctx.endpoints.update(req.params.tenant_id, req.params.endpoint_id, req.body, actor));
    });

    app.delete(`${base}/:endpoint_id`, { schema: { params: EndpointParams } }, async (req, reply) => {
      const actor = await access(req, req.params.tenant_id);
      await ctx.endpoints.delete(req.params.tenant_id, req.params.endpoint_id, actor);
      return reply.status(204).send();
    });

    app.post(
      `${base}/:endpoint_id/rotate-secret`,
      { schema: { params: EndpointParams, body: RotateSecretBody } },
      async (req) => {
        const actor = await access(req, req.params.tenant_id);
        const { tenant_id, endpoint_id } = req.params;
        const { endpoint, secret } = await ctx.endpoints.rotateSecret(tenant_id, endpoint_id, req.body, actor);
        const api = endpointToApi(endpoint);
        return { secret, public_key: api.public_key, previous_secret_expires_at: api.previous_secret_expires_at };
      },
    );

    // Changes nothing, so a read-only portal session may try filters too.
    app.post(`${base}/:endpoint_id/filter-test`, { schema: { params: EndpointParams, body: FilterTestBody } }, async (req) => {
      await access(req, req.params.tenant_id);
      return ctx.endpoints.filterTest(req.params.tenant_id, req.params.endpoint_id, req.body);
    });

    // FIFO keys halted by a dead delivery (fifo_on_dead = halt), and their release (docs/delivery.md#ordering).
    app.get(`${base}/:endpoint_id/halted-keys`, { schema: { params: EndpointParams } }, async (req) => {
      await access(req, req.params.tenant_id);
      const keys = await ctx.endpoints.haltedKeys(req.params.tenant_id, req.params.endpoint_id);
      return { data: keys.map(haltedKeyToApi) };
    });

    app.post(
      `${base}/:endpoint_id/halted-keys/release`,
      { schema: { params: EndpointParams, body: ReleaseHaltedKeyBody } },
      async (req) => {
        await access(req, req.params.tenant_id);
        const { ordering_key: key, action } = req.body;
        await ctx.endpoints.releaseHaltedKey(req.params.tenant_id, req.params.endpoint_id, key, action);
        return { ordering_key: key, action, released: true };
      },
    );

    app.post(
      `${base}/:endpoint_id/replay`,
      { schema: { params: EndpointParams, body: ReplayEndpointBody } },
      async (req, reply) => {
        await access(req, req.params.tenant_id);
        const since = req.body.since ? Date.parse(req.body.since) : null;
        const count = await ctx.endpoints.replay(
          req.params.tenant_id,
          req.params.endpoint_id,
          req.body.status ?? "dead",
          since,
        );
        return reply.status(202).send({ count });
      },
    );
  };
}
