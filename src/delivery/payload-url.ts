/**
 * Thin deliveries (docs/delivery.md#thin-deliveries): which deliveries go thin, and the signed URL a thin request
 * carries instead of the event's data. A delivery is thin when its endpoint's payload_mode is `thin`, or when the
 * event's data is larger than the full-payload limit (HOOKD_MAX_EVENT_BYTES: such events exist only for tenants
 * with `oversized_events: thin`). Each attempt gets a fresh URL valid for HOOKD_PAYLOAD_URL_TTL_S, so a retry days
 * later still carries a working one.
 */
import type { PayloadMode } from "../domain/types.ts";
import type { PayloadTokens } from "../secrets/payload-token.ts";

export interface PayloadUrlSettings {
  /** Where receivers reach hookd's API (HOOKD_PUBLIC_URL, or the address it listens on), without a trailing slash. */
  baseUrl: string;
  ttlS: number;
  /** HOOKD_MAX_EVENT_BYTES: larger data is always delivered thin. */
  maxFullBytes: number;
}

/** The default full-payload limit, for deciding when no settings were given. */
export const DEFAULT_MAX_FULL_BYTES = 256 * 1024;

/** @example isThinDelivery("full", '{"a":1}', 262144) // false */
export function isThinDelivery(mode: PayloadMode, dataJson: string, maxFullBytes: number): boolean {
  if (mode === "thin") return true;
  // UTF-8 takes at least one byte per UTF-16 unit and at most three, so the length alone settles most cases.
  if (dataJson.length > maxFullBytes) return true;
  if (dataJson.length * 3 <= maxFullBytes) return false;
  return Buffer.byteLength(dataJson) > maxFullBytes;
}

/** The path of the payload route (features/payloads). */
export function payloadPath(eventId: string): string {
  return `/v1/events/${encodeURIComponent(eventId)}/payload`;
}

export class PayloadUrls {
  constructor(
    private readonly tokens: PayloadTokens,
    readonly settings: PayloadUrlSettings,
  ) {}

  /** A URL that fetches this event's payload, for this endpoint only, until `nowMs` + the TTL. */
  url(d: { tenantId: string; endpointId: string; eventId: string }, nowMs: number): string {
    const token = this.tokens.mint({
      tenantId: d.tenantId,
      endpointId: d.endpointId,
      eventId: d.eventId,
      expiresAt: nowMs + this.settings.ttlS * 1000,
    });
    return `${this.settings.baseUrl}${payloadPath(d.eventId)}?token=${token}`;
  }
}
