/**
 * The routes anyone may call without a key. Everything else, including paths that match no route, is
 * authenticated first (build-server.ts). The decision is made on the route the router matched, never on the raw
 * URL: the router decodes percent-encoding (`/%761/...` is `/v1/...`), so a check on the URL's spelling can be
 * walked around, while the matched pattern is the same however the path was spelt.
 */

/** Route patterns (as registered) that need no key. `/metrics` checks its own key when HOOKD_METRICS_AUTH=admin. */
const PUBLIC_PATTERNS: ReadonlySet<string> = new Set([
  "/healthz",
  "/readyz",
  "/metrics",
  "/openapi.json",
  "/docs",
  // The web console's pages (features/web/pages.ts): they hold no data; the page signs in through the API.
  "/",
  "/console",
  "/console/",
  "/portal/",
  "/portal/t/:tenant_id/",
  // A portal link is exchanged for a session here: the link's one-time token is the credential.
  "/v1/portal/exchange",
  // A thin delivery's receiver fetches the payload here: the signed, expiring token in the URL is the credential.
  "/v1/events/:event_id/payload",
  // Workers send relay endpoints' deliveries here: the delivery's own signature is the credential (features/relay).
  "/internal/relay/:tenant_id/:endpoint_id",
]);
/** The Swagger UI page and its assets, and the web console's built assets (content-hashed, no data). */
const PUBLIC_PREFIXES = ["/docs/", "/assets/"];

/**
 * @param pattern the matched route's pattern (`request.routeOptions.url`); undefined when nothing matched.
 * @example isPublicRoute("/healthz") // true
 * @example isPublicRoute("/v1/tenants/:tenant_id/events") // false
 */
export function isPublicRoute(pattern: string | undefined): boolean {
  if (pattern === undefined) return false;
  return PUBLIC_PATTERNS.has(pattern) || PUBLIC_PREFIXES.some((prefix) => pattern.startsWith(prefix));
}
