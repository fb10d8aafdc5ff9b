/**
 * Builds the exact bytes and headers of one webhook request. The body is assembled from the stored data text rather
 * than re-serialised, so it is byte-identical on every retry; only webhook-timestamp, the signature and
 * webhook-attempt change between attempts (webhook-sequence, the delivery's per-endpoint stream number, does not). Endpoint headers go first and can never replace the protocol headers.
 * A thin delivery (delivery/payload-url.ts) carries `"data":null` and a `payload_url` instead, inside the signed
 * body, so a receiver can trust the URL as much as the request; its token is fresh on every attempt.
 */
import type { ClaimedDelivery } from "./claimed.ts";
import { VERSION } from "../version.ts";
import { isProtocolHeader, isReservedHeader, RESERVED_HEADERS } from "../domain/endpoint-headers.ts";
import type { RequestSigner } from "./sign-request.ts";

export const USER_AGENT = `hookd/${VERSION}`;

/** Header names hookd sets itself or that govern the connection: refused by the API and dropped here as well. */
export { RESERVED_HEADERS };

export interface PreparedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  attempt: number;
}

export function renderBody(eventId: string, type: string, createdAt: number, dataJson: string): string {
  const timestamp = new Date(createdAt).toISOString();
  return `{"id":${JSON.stringify(eventId)},"type":${JSON.stringify(type)},"timestamp":"${timestamp}","data":${dataJson}}`;
}

/** The body of a thin delivery: the envelope without the data, and where to fetch it. */
export function renderThinBody(eventId: string, type: string, createdAt: number, payloadUrl: string): string {
  return `${renderBody(eventId, type, createdAt, "null").slice(0, -1)},"payload_url":${JSON.stringify(payloadUrl)}}`;
}

export function prepareRequest(d: ClaimedDelivery, nowMs: number, signer: RequestSigner): PreparedRequest {
  const payloadUrl = signer.payloadUrl(d, nowMs);
  const body =
    payloadUrl === null
      ? renderBody(d.eventId, d.event.type, d.event.createdAt, d.event.dataJson)
      : renderThinBody(d.eventId, d.event.type, d.event.createdAt, payloadUrl);
  const timestampS = Math.floor(nowMs / 1000);
  const attempt = d.attempts + 1;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signer.openHeaders(d))) {
    const lower = name.toLowerCase();
    if (!isReservedHeader(lower)) headers[lower] = value;
  }
  headers["content-type"] = "application/json";
  headers["user-agent"] = USER_AGENT;
  headers["webhook-id"] = d.eventId;
  headers["webhook-timestamp"] = String(timestampS);
  headers["webhook-signature"] = signer.signatureHeader(d, timestampS, body, nowMs);
  headers["webhook-attempt"] = String(attempt);
  // The endpoint's stream number: receivers can spot a gap or put deliveries back in ingest order.
  headers["webhook-sequence"] = String(d.seq);
  return { url: d.endpoint.url, headers, body, attempt };
}

/** Shown in place of the signature in the delivery log: it is a credential-derived value nobody needs to read back. */
export const REDACTED = "[redacted]";

/**
 * The request headers as the delivery log shows them: every name that was sent, with the signature and every custom
 * header's value redacted. Custom header values are encrypted at rest (they carry receivers' credentials), so the
 * log must not keep a clear copy of them.
 */
export function loggedRequestHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = name === "webhook-signature" || !isProtocolHeader(name) ? REDACTED : value;
  }
  return out;
}
