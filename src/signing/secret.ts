/**
 * Endpoint secrets in the Standard Webhooks text form: `whsec_` followed by standard base64 (with padding) of the raw
 * HMAC key. hookd stores and hands out the text form; signing uses the decoded bytes. Parsing is strict so that a
 * secret has exactly one spelling: the text a user pastes into a receiver is the text hookd signs with.
 */
import { randomBytes } from "node:crypto";

export const SECRET_PREFIX = "whsec_";
export const SECRET_MIN_BYTES = 24;
export const SECRET_MAX_BYTES = 64;
export const SECRET_DEFAULT_BYTES = 32;

/** Thrown by {@link parseSecret}. The message never contains the secret itself. */
export class SecretFormatError extends Error {
  readonly code = "INVALID_SECRET";

  constructor(message: string) {
    super(message);
    this.name = "SecretFormatError";
  }
}

/**
 * A fresh random endpoint secret. The length must lie within the range {@link parseSecret} accepts, so every
 * generated secret can be parsed back.
 *
 * @example generateSecret() // "whsec_" + 44 base64 characters (32 bytes)
 */
export function generateSecret(byteLength: number = SECRET_DEFAULT_BYTES): string {
  if (!Number.isInteger(byteLength) || byteLength < SECRET_MIN_BYTES || byteLength > SECRET_MAX_BYTES) {
    throw new RangeError(`secret length must be a whole number of bytes from ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES}`);
  }
  return SECRET_PREFIX + randomBytes(byteLength).toString("base64");
}

/**
 * Decodes an endpoint secret to the raw HMAC key. Requires the `whsec_` prefix, canonical standard base64 (padding
 * present, no URL-safe alphabet, no whitespace, unused trailing bits zero) and a key of 24 to 64 bytes.
 *
 * @example parseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").length // 24
 * @throws {SecretFormatError} when the text is not a valid secret
 */
export function parseSecret(secret: string): Buffer {
  if (typeof secret !== "string" || !secret.startsWith(SECRET_PREFIX)) {
    throw new SecretFormatError(`endpoint secret must start with "${SECRET_PREFIX}"`);
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  const key = Buffer.from(encoded, "base64");
  // Node's decoder skips characters outside the alphabet, accepts the URL-safe alphabet and missing padding; the
  // round trip admits only the one canonical encoding of the decoded bytes.
  if (key.toString("base64") !== encoded) {
    throw new SecretFormatError(`endpoint secret must be "${SECRET_PREFIX}" plus standard base64 with padding`);
  }
  if (key.length < SECRET_MIN_BYTES || key.length > SECRET_MAX_BYTES) {
    throw new SecretFormatError(
      `endpoint secret must decode to ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} bytes, got ${key.length}`,
    );
  }
  return key;
}
