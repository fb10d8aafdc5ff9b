/**
 * The security headers of the console and portal pages. The Content-Security-Policy allows scripts, styles, images
 * and API calls from hookd's own origin only: no inline script, no eval, no CDN, nothing framed, no plugin. Only
 * frame-ancestors differs: the operator console may never be framed, a tenant's portal by the origins on the tenant's
 * allow-list (PUT .../portal-settings). The sources there were validated as plain origins when saved
 * (FRAME_ANCESTOR_PATTERN), and are checked again here, so no stored value can add a directive.
 */
import { FRAME_ANCESTOR_PATTERN } from "../portal/schemas.ts";

const ORIGIN = new RegExp(FRAME_ANCESTOR_PATTERN);

/** @example contentSecurityPolicy(["https://app.example.com"]) // "...; frame-ancestors 'self' https://app.example.com" */
export function contentSecurityPolicy(frameAncestors: readonly string[] | null): string {
  const framing =
    frameAncestors === null ? "'none'" : ["'self'", ...frameAncestors.filter((o) => ORIGIN.test(o))].join(" ");
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${framing}`,
  ].join("; ");
}

/** Headers for an HTML page of the console or portal. */
export function pageHeaders(frameAncestors: readonly string[] | null): Record<string, string> {
  return {
    "content-security-policy": contentSecurityPolicy(frameAncestors),
    "content-type": "text/html; charset=utf-8",
    // The page is tiny and names hashed assets: always revalidate it so a new build is picked up at once.
    "cache-control": "no-cache",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
  };
}
