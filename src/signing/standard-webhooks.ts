/**
 * The Standard Webhooks v1 signature wire format, and nothing else: the signed content
 * `{msgId}.{timestampS}.{body}`, the `v1,<base64 HMAC-SHA256>` signature, the space-separated `webhook-signature`
 * header that carries one signature per active key during secret rotation, and the receiver-side check of that header
 * against a timestamp tolerance. Header names, secret text (see secret.ts), clocks and transport live elsewhere;
 * callers pass raw key bytes and an explicit `nowS`. The module depends on node:crypto only, so receivers can reuse it.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The only signature scheme this module produces or accepts; entries of other versions (e.g. `v1a`) are skipped. */
export const SIGNATURE_VERSION = "v1";
/** Receivers reject messages whose timestamp is further than this from their clock. */
export const DEFAULT_TOLERANCE_S = 300;

const ENTRY_PREFIX = `${SIGNATURE_VERSION},`;

function isTimestamp(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Base64 HMAC-SHA256 of the signed content; the body is fed to the HMAC as is, never concatenated. */
function digestBase64(key: Buffer, msgId: string, timestampS: number, body: string | Buffer): string {
  return createHmac("sha256", key).update(`${msgId}.${timestampS}.`).update(body).digest("base64");
}

/**
 * The `v1` signature of one message under one key. A string body is signed as its UTF-8 bytes, a Buffer body as is.
 *
 * @example signPayload(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')
 *   // "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" for the key of whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
 * @throws {RangeError} when the key is empty or the timestamp is not a non-negative whole number of seconds
 */
export function signPayload(key: Buffer, msgId: string, timestampS: number, body: string | Buffer): string {
  if (key.length === 0) {
    throw new RangeError("signing key must not be empty");
  }
  if (!isTimestamp(timestampS)) {
    throw new RangeError("timestamp must be a non-negative whole number of seconds");
  }
  return ENTRY_PREFIX + digestBase64(key, msgId, timestampS, body);
}

/**
 * The `webhook-signature` header value: one signature per key, in key order, joined by single spaces. During secret
 * rotation both the old and the new key are passed so receivers holding either secret accept the message.
 *
 * @example signatureHeader([newKey, oldKey], msgId, timestampS, body) // "v1,<new> v1,<old>"
 * @throws {RangeError} when `keys` is empty, or as {@link signPayload}
 */
export function signatureHeader(
  keys: readonly Buffer[],
  msgId: string,
  timestampS: number,
  body: string | Buffer,
): string {
  if (keys.length === 0) {
    throw new RangeError("at least one signing key is required");
  }
  return keys.map((key) => signPayload(key, msgId, timestampS, body)).join(" ");
}

export interface VerifySignatureOptions {
  /** Every key the receiver currently accepts. */
  keys: readonly Buffer[];
  /** The `webhook-id` header value. */
  msgId: string;
  /** The `webhook-timestamp` header value, parsed as whole seconds since the epoch. */
  timestampS: number;
  /** The raw request body, exactly as received. */
  body: string | Buffer;
  /** The `webhook-signature` header value. */
  header: string;
  /** The receiver's clock in seconds since the epoch. */
  nowS: number;
  /** Largest accepted distance between `timestampS` and `nowS`, inclusive; defaults to {@link DEFAULT_TOLERANCE_S}. */
  toleranceS?: number;
}

/**
 * True when the timestamp is within tolerance of `nowS` and some `v1` entry of the header equals the signature under
 * some key. Entries are compared as their base64 text in constant time, so a non-canonical spelling of the right bytes
 * does not match. Malformed input of any kind yields false; this function does not throw.
 *
 * @example verifySignature({ keys: [key], msgId, timestampS, body, header, nowS: Math.floor(Date.now() / 1000) })
 */
export function verifySignature(opts: VerifySignatureOptions): boolean {
  try {
    const { keys, msgId, timestampS, body, header, nowS, toleranceS = DEFAULT_TOLERANCE_S } = opts;
    if (typeof header !== "string" || typeof msgId !== "string" || !Array.isArray(keys)) {
      return false;
    }
    if (typeof body !== "string" && !Buffer.isBuffer(body)) {
      return false;
    }
    if (!isTimestamp(timestampS) || !Number.isFinite(nowS) || !(toleranceS >= 0)) {
      return false;
    }
    if (Math.abs(nowS - timestampS) > toleranceS) {
      return false;
    }

    const candidates: Buffer[] = [];
    for (const entry of header.split(" ")) {
      if (entry.startsWith(ENTRY_PREFIX)) {
        candidates.push(Buffer.from(entry.slice(ENTRY_PREFIX.length), "utf8"));
      }
    }
    if (candidates.length === 0) {
      return false;
    }

    for (const key of keys) {
      if (!Buffer.isBuffer(key) || key.length === 0) {
        continue;
      }
      const expected = Buffer.from(digestBase64(key, msgId, timestampS, body), "ascii");
      for (const candidate of candidates) {
        if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
          return true;
        }
      }
    }
    return false;
  } catch {
    return false;
  }
}
