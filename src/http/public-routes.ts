/**
 * The routes anyone may call without a key. Everything else, including paths that match no route, is
 * authenticated first (build-server.ts). The decision is made on the route the router matched, never on the raw
 * URL: the router decodes percent-encoding (`/%761/...` is `/v1/...`), so a check on the URL's spelling can be
 * walked around, while the matched pattern is the same however the path was spelt.
 */

/** Route patterns (as registered) that need no key. `/metrics` checks its own key when HOOKD_METRICS_AUTH=admin. */
const PUBLIC_PATTERNS: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"]);
/** The Swagger UI page and its bundled assets (@fastify/swagger-ui registers several routes under it). */
const PUBLIC_PREFIX = "/docs/";

/**
 * @param pattern the matched route's pattern (`request.routeOptions.url`); undefined when nothing matched.
 * @example isPublicRoute("/healthz") // true
 * @example isPublicRoute("/v1/tenants/:tenant_id/events") // false
 */
export function isPublicRoute(pattern: string | undefined): boolean {
  if (pattern === undefined) return false;
  return PUBLIC_PATTERNS.has(pattern) || pattern.startsWith(PUBLIC_PREFIX);
}
