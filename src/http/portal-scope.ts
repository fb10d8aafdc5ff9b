/**
 * What a portal session may do: a strict subset of what a tenant key for the same tenant may do, enforced once for
 * every route, before the body is read. A portal session
 *  - reaches only the routes in PORTAL_ROUTES (deny by default: a route added later is closed to the portal until it
 *    is listed here, and the authorisation matrix test fails until it is classified);
 *  - reaches only its own tenant (another tenant looks like one that does not exist, as for a tenant key);
 *  - when read-only, only routes that change nothing (and reveal no secret);
 *  - when limited to endpoint ids, only those endpoints, their deliveries and their tasks; anything else answers as
 *    if it did not exist, lists are filtered, and tenant-wide figures are refused.
 * The route handlers then run exactly as for a tenant key (requireTenantAccess treats the session as its tenant).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError } from "../errors/app-error.ts";
import type { ApiContext } from "./context.ts";
import type { PortalPrincipal } from "./portal-principal.ts";

/** read: changes nothing; change: refused to read-only sessions; self: the session's own routes. */
type Level = "read" | "change" | "self";

/**
 * How an endpoint-limited session is held to its endpoints on this route. param: the :endpoint_id in the path;
 * delivery / task: the endpoint of the :delivery_id / :task_id; filter: the answer's `data` list is filtered;
 * query: the `endpoint_id` query parameter must name one of them; tenant-wide: refused (it spans all endpoints).
 */
type EndpointCheck = "param" | "delivery" | "task" | "filter" | "query" | "tenant-wide" | "none";

interface Rule {
  level: Level;
  endpoints: EndpointCheck;
}

const T = "/v1/tenants/:tenant_id";
const E = `${T}/endpoints/:endpoint_id`;

export const PORTAL_ROUTES: Readonly<Record<string, Rule>> = {
  [`GET ${T}/endpoints`]: { level: "read", endpoints: "filter" },
  [`POST ${T}/endpoints`]: { level: "change", endpoints: "tenant-wide" },
  [`GET ${E}`]: { level: "read", endpoints: "param" },
  [`PATCH ${E}`]: { level: "change", endpoints: "param" },
  [`DELETE ${E}`]: { level: "change", endpoints: "param" },
  [`POST ${E}/enable`]: { level: "change", endpoints: "param" },
  [`POST ${E}/rotate-secret`]: { level: "change", endpoints: "param" },
  // Revealing the signing secret lets its holder forge webhooks to the tenant's receiver: not for read-only sessions.
  [`GET ${E}/secret`]: { level: "change", endpoints: "param" },
  // Custom header values are often credentials for the receiver: the same rule.
  [`GET ${E}/headers`]: { level: "change", endpoints: "param" },
  [`POST ${E}/filter-test`]: { level: "read", endpoints: "param" },
  [`POST ${E}/replay`]: { level: "change", endpoints: "param" },
  [`POST ${E}/test`]: { level: "change", endpoints: "param" },
  [`POST ${E}/recover`]: { level: "change", endpoints: "param" },
  [`GET ${E}/halted-keys`]: { level: "read", endpoints: "param" },
  [`POST ${E}/halted-keys/release`]: { level: "change", endpoints: "param" },
  [`GET ${E}/stats`]: { level: "read", endpoints: "param" },
  [`GET ${E}/stats/series`]: { level: "read", endpoints: "param" },
  [`GET ${T}/stats`]: { level: "read", endpoints: "tenant-wide" },
  [`GET ${T}/deliveries`]: { level: "read", endpoints: "query" },
  [`GET ${T}/deliveries/:delivery_id`]: { level: "read", endpoints: "delivery" },
  [`POST ${T}/deliveries/:delivery_id/replay`]: { level: "change", endpoints: "delivery" },
  [`GET ${T}/event-types`]: { level: "read", endpoints: "none" },
  [`GET ${T}/event-types/:name`]: { level: "read", endpoints: "none" },
  [`GET ${T}/tasks`]: { level: "read", endpoints: "filter" },
  [`GET ${T}/tasks/:task_id`]: { level: "read", endpoints: "task" },
  "GET /v1/portal/session": { level: "self", endpoints: "none" },
  "DELETE /v1/portal/session": { level: "self", endpoints: "none" },
};

/** Finds which endpoint a delivery or task belongs to, within the tenant (null when there is none). */
export interface PortalScopeLookups {
  deliveryEndpoint(tenantId: string, deliveryId: string): Promise<string | null>;
  taskEndpoint(tenantId: string, taskId: string): Promise<string | null>;
}

function routeName(req: FastifyRequest): string | null {
  const url = req.routeOptions.url;
  return url === undefined ? null : `${req.method === "HEAD" ? "GET" : req.method} ${url}`;
}

async function enforce(p: PortalPrincipal, req: FastifyRequest, name: string, lookups: PortalScopeLookups): Promise<void> {
  const params = (req.params ?? {}) as Record<string, string | undefined>;
  if (params.tenant_id !== undefined && params.tenant_id !== p.tenantId) {
    throw new AppError("TENANT_NOT_FOUND", `tenant ${params.tenant_id} not found`);
  }
  const rule = PORTAL_ROUTES[name];
  if (!rule) throw new AppError("FORBIDDEN", "a portal session cannot do this; it needs an API key");
  if (rule.level === "change" && p.readOnly) {
    throw new AppError("FORBIDDEN", "this portal session is read-only");
  }
  if (p.endpointIds === null) return;
  const allowed = new Set(p.endpointIds);
  switch (rule.endpoints) {
    case "param":
      if (!allowed.has(params.endpoint_id ?? "")) {
        throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${params.endpoint_id} not found`);
      }
      return;
    case "delivery": {
      const endpoint = await lookups.deliveryEndpoint(p.tenantId, params.delivery_id ?? "");
      if (endpoint === null || !allowed.has(endpoint)) {
        throw new AppError("DELIVERY_NOT_FOUND", `delivery ${params.delivery_id} not found`);
      }
      return;
    }
    case "task": {
      const endpoint = await lookups.taskEndpoint(p.tenantId, params.task_id ?? "");
      if (endpoint === null || !allowed.has(endpoint)) throw new AppError("TASK_NOT_FOUND", `task ${params.task_id} not found`);
      return;
    }
    case "query": {
      const endpoint = (req.query as Record<string, unknown> | undefined)?.endpoint_id;
      if (typeof endpoint !== "string" || !allowed.has(endpoint)) {
        throw new AppError("FORBIDDEN", "this portal session sees only some endpoints: pass one of them as endpoint_id");
      }
      return;
    }
    case "tenant-wide":
      throw new AppError("FORBIDDEN", "this portal session sees only some endpoints, not the whole tenant");
    case "filter":
    case "none":
      return;
  }
}

/** Installs the checks (after authentication) and the list filter; `isPublic` names routes that take no key. */
export function installPortalScope(
  app: FastifyInstance,
  ctx: Pick<ApiContext, "auth">,
  lookups: PortalScopeLookups,
  isPublic: (routeUrl: string | undefined) => boolean,
): void {
  const portalOf = async (req: FastifyRequest): Promise<PortalPrincipal | null> => {
    // The matched route, not the URL's spelling: `/%761/...` reaches the `/v1/...` routes and must be scoped too.
    const pattern = req.routeOptions.url;
    if (pattern === undefined || !pattern.startsWith("/v1/") || isPublic(pattern)) return null;
    const principal = await ctx.auth.authenticate(req);
    return principal.kind === "portal" ? principal : null;
  };
  app.addHook("onRequest", async (req) => {
    const name = routeName(req);
    if (name === null) return; // no route: the not-found handler answers
    const portal = await portalOf(req);
    if (portal) await enforce(portal, req, name, lookups);
  });
  app.addHook("preSerialization", async (req, _reply, payload) => {
    const name = routeName(req);
    if (name === null || PORTAL_ROUTES[name]?.endpoints !== "filter") return payload;
    const portal = await portalOf(req);
    if (!portal || portal.endpointIds === null) return payload;
    const allowed = new Set(portal.endpointIds);
    const page = payload as { data?: unknown };
    if (!Array.isArray(page.data)) return payload;
    const endpointOf = (item: { id?: string; endpoint_id?: string }) => item.endpoint_id ?? item.id ?? "";
    return { ...page, data: page.data.filter((item: { id?: string; endpoint_id?: string }) => allowed.has(endpointOf(item))) };
  });
}
