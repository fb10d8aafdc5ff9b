/**
 * Endpoints' custom header values at rest. hookd tells tenants to put their receivers' credentials in custom headers
 * (`Authorization`, `X-Api-Key`), so every value is sealed like a signing secret (secret-box.ts), bound to its
 * endpoint and header name; names stay readable (they say what a header is for, not what it holds). The API shows
 * values masked and reveals them only on request (audited); the worker opens them just before a request is sent.
 */
import type { SecretBox } from "./secret-box.ts";

/** What a read shows in place of every custom header value. */
export const HEADER_MASK = "[redacted]";

/** @example sealHeaderValues(box, "ep_1", { Authorization: "Bearer x" }) // { Authorization: "hkenc1:..." } */
export function sealHeaderValues(box: SecretBox, endpointId: string, headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, box.sealHeader(value, endpointId, name)]));
}

/** @throws {SecretUnsealError} when a value's master key is not configured, or a value was altered or moved */
export function openHeaderValues(box: SecretBox, endpointId: string, stored: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(stored).map(([name, value]) => [name, box.openHeader(value, endpointId, name)]));
}

/** The names with every value replaced by HEADER_MASK, for reads. */
export function maskHeaderValues(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(headers).map((name) => [name, HEADER_MASK]));
}
