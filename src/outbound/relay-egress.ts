/**
 * Egress for relay endpoints (`hookd listen`): the one place where a delivery leaves without the address guard, and
 * why that opens no SSRF hole.
 *
 * A relay endpoint's requests go to hookd itself: to the relay route (`/internal/relay/{tenant_id}/{endpoint_id}`) of the API
 * process that holds the endpoint's listen session, which forwards them over the session's own connection to the
 * developer's machine. That route usually listens on loopback or a private address, which the address policy
 * refuses for tenants' URLs, so these requests use their own agent and a policy that lets them through. The guard
 * stays intact because a relay endpoint's URL is never a tenant's choice:
 * - only the relay service writes it (the API process's own relay address, features/relay/service.ts); creating an
 *   endpoint through the API always makes an `http` one, and the API refuses a URL change on a relay endpoint;
 * - before each request the worker checks that the URL is the relay route *of this very endpoint*
 *   (`isRelayRouteOf`), so even a row edited by hand reaches nothing but a hookd relay route;
 * - the relay route never answers with a Location header, so the one redirect send.ts may follow never happens.
 * The local URL the developer forwards to is contacted by the `hookd listen` command on their machine, never by the
 * server.
 */
import { Agent } from "undici";
import type { EgressPolicy } from "./egress-policy.ts";

/** The path prefix of the API's relay route; the tenant and endpoint ids follow. */
export const RELAY_ROUTE_PREFIX = "/internal/relay/";

/** The address policy of relay requests: the target was written by hookd, not a tenant (see above). */
export const RELAY_EGRESS_POLICY: EgressPolicy = {
  network: { isAllowedAddress: () => ({ allowed: true }) },
  allowedPorts: [{ from: 1, to: 65_535 }],
  requireHttps: false,
};

/** The relay route's URL for an endpoint, under the base address of the API process holding its session. */
export function relayRouteUrl(base: string, tenantId: string, endpointId: string): string {
  return `${base.replace(/\/+$/, "")}${relayRoutePath(tenantId, endpointId)}`;
}

function relayRoutePath(tenantId: string, endpointId: string): string {
  return `${RELAY_ROUTE_PREFIX}${encodeURIComponent(tenantId)}/${encodeURIComponent(endpointId)}`;
}

/** True when `url` is a relay route and names this endpoint: the only targets relay requests may have. */
export function isRelayRouteOf(url: string, tenantId: string, endpointId: string): boolean {
  try {
    const parsed = new URL(url);
    return (
      (parsed.protocol === "http:" || parsed.protocol === "https:") &&
      parsed.username === "" &&
      parsed.password === "" &&
      parsed.search === "" &&
      parsed.pathname === relayRoutePath(tenantId, endpointId)
    );
  } catch {
    return false;
  }
}

/** A plain keep-alive agent for relay requests (they never reach a tenant-chosen address). */
export function createRelayAgent(): Agent {
  return new Agent({ connections: 32, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 30_000 });
}
