/**
 * Which custom headers an endpoint may carry. Names must be RFC 7230 tokens. Refused outright: the headers hookd
 * sets itself (the Standard Webhooks trio and anything else under `webhook-`, which the standard may grow into),
 * the framing headers (a forged content-length or transfer-encoding would desynchronise the connection: request
 * smuggling), and the hop-by-hop headers, which describe one connection and must not be chosen by a tenant (undici
 * refuses several of them at send time, so an endpoint carrying one would fail every delivery). Values are limited
 * to what a client may send on the wire: no CR, LF or NUL (header injection) nor other control characters.
 */

/** Header names hookd sets itself or that govern the connection; custom headers may never use them. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  // set by hookd on every request
  "content-type",
  "content-length",
  "host",
  "user-agent",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "webhook-attempt",
  "webhook-sequence",
  // framing and hop-by-hop (RFC 7230 section 6.1 and friends)
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
]);

/** RFC 7230 token, at most 128 characters. */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$";
/** Tab, visible ASCII and Latin-1 (what undici and Node send as is); never CR, LF, NUL or other controls. */
export const HEADER_VALUE_PATTERN = "^[\\t\\x20-\\x7e\\x80-\\xff]*$";

export const MAX_CUSTOM_HEADERS = 50;

/** True when an endpoint may not set this header (case-insensitive). */
export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADERS.has(lower) || lower.startsWith("webhook-");
}

/**
 * The headers hookd itself puts on every webhook request: content type, user agent and the `webhook-*` protocol
 * headers. Everything else on a request is an endpoint's custom header.
 */
export function isProtocolHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === "content-type" || lower === "user-agent" || lower.startsWith("webhook-");
}
