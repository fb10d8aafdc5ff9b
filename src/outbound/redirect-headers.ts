/**
 * Which request headers follow a redirect. A receiver may answer with a redirect to another origin, and an
 * endpoint's custom headers (`Authorization`, `X-Api-Key`, cookies, tokens of every name) are the receiver's
 * credentials, meant for the origin the tenant configured. Browsers drop `Authorization` and `Cookie` when a
 * redirect leaves the origin; hookd goes further and drops every custom header there, because it cannot know which
 * of a tenant's header names carry a credential (it treats all their values as secrets: they are encrypted at rest
 * and masked on reads). What it keeps is its own protocol: content type, user agent and the signed `webhook-*`
 * headers, which prove the request came from hookd and are useless to replay elsewhere without the body.
 *
 * A same-origin redirect (same scheme, host and port) keeps every header.
 */

import { isProtocolHeader } from "../domain/endpoint-headers.ts";

/**
 * @example headersForRedirect({ authorization: "Bearer x", "webhook-id": "evt_1" }, new URL("https://a"), new URL("https://b"))
 *   // { "webhook-id": "evt_1" }
 */
export function headersForRedirect(headers: Record<string, string>, from: URL, to: URL): Record<string, string> {
  if (from.origin === to.origin) return headers;
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (isProtocolHeader(name)) kept[name] = value;
  return kept;
}
