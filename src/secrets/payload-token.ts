/**
 * The tokens in thin deliveries' payload URLs (`GET /v1/events/{id}/payload?token=...`). A token names one tenant,
 * endpoint and event and an expiry, and is signed with HMAC-SHA256 under a key derived from the master encryption
 * key (SecretBox.deriveKey), so any hookd process holding the same key verifies it without a database row, and
 * nothing about the key is new to configure or rotate. It reads
 *
 *   v1.<base64url of {"t":tenant,"p":endpoint,"e":event,"x":expiry (unix s),"k":master key id}>.<base64url of the MAC>
 *
 * The master key id selects the key on verification, so tokens minted just before a key rotation still verify
 * while the old key is among HOOKD_PREVIOUS_ENCRYPTION_KEYS. The claims are not secret (the receiver knows them);
 * the MAC is what makes the URL a credential, and the expiry keeps it short-lived.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { SecretBox } from "./secret-box.ts";

const PURPOSE = "payload url token v1";
const VERSION = "v1";
/** Far above a real token (about 200 characters); anything longer is refused before it is parsed. */
export const MAX_PAYLOAD_TOKEN_LENGTH = 2_048;

export interface PayloadTokenClaims {
  tenantId: string;
  endpointId: string;
  eventId: string;
  /** Epoch milliseconds (whole seconds). */
  expiresAt: number;
}

/** invalid: malformed, altered, signed with an unknown key or for another event; expired: genuine but too late. */
export class PayloadTokenError extends Error {
  constructor(
    readonly reason: "invalid" | "expired",
    message: string,
  ) {
    super(message);
    this.name = "PayloadTokenError";
  }
}

export class PayloadTokens {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly box: SecretBox) {}

  /** @example tokens.mint({ tenantId: "acme", endpointId: "ep_1", eventId: "evt_1", expiresAt: Date.now() + 900_000 }) */
  mint(claims: PayloadTokenClaims): string {
    const keyId = this.box.current.id;
    const body = {
      t: claims.tenantId,
      p: claims.endpointId,
      e: claims.eventId,
      x: Math.floor(claims.expiresAt / 1000),
      k: keyId,
    };
    const signed = `${VERSION}.${Buffer.from(JSON.stringify(body)).toString("base64url")}`;
    return `${signed}.${this.mac(keyId, signed)!.toString("base64url")}`;
  }

  /**
   * The token's claims, if it is genuine, for this event, and not expired at `nowMs`.
   * @throws {PayloadTokenError}
   */
  verify(token: string, eventId: string, nowMs: number): PayloadTokenClaims {
    const invalid = (why: string) => new PayloadTokenError("invalid", `the payload token is not valid: ${why}`);
    if (token.length > MAX_PAYLOAD_TOKEN_LENGTH) throw invalid("too long");
    const parts = token.split(".");
    if (parts.length !== 3 || parts[0] !== VERSION) throw invalid("malformed");
    const [, encoded, macText] = parts as [string, string, string];
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8"));
    } catch {
      throw invalid("malformed");
    }
    if (!isClaims(body)) throw invalid("malformed");
    const expected = this.mac(body.k, `${VERSION}.${encoded}`);
    const given = Buffer.from(macText, "base64url");
    // A key id this process does not have cannot be told from a forgery, and is answered the same way.
    if (!expected || given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid("bad signature");
    if (body.e !== eventId) throw invalid("it was issued for another event");
    const claims = { tenantId: body.t, endpointId: body.p, eventId: body.e, expiresAt: body.x * 1000 };
    if (nowMs >= claims.expiresAt) {
      throw new PayloadTokenError("expired", `the payload token expired at ${new Date(claims.expiresAt).toISOString()}`);
    }
    return claims;
  }

  private mac(keyId: string, signed: string): Buffer | null {
    let key = this.keys.get(keyId);
    if (!key) {
      const derived = this.box.deriveKey(PURPOSE, keyId);
      if (!derived) return null;
      key = derived.key;
      this.keys.set(keyId, key);
    }
    return createHmac("sha256", key).update(signed).digest();
  }
}

function isClaims(v: unknown): v is { t: string; p: string; e: string; x: number; k: string } {
  if (v === null || typeof v !== "object") return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.t === "string" &&
    typeof o.p === "string" &&
    typeof o.e === "string" &&
    typeof o.k === "string" &&
    typeof o.x === "number" &&
    Number.isSafeInteger(o.x)
  );
}
