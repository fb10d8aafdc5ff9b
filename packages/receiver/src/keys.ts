/**
 * Turns the key texts a receiver is configured with into key material, once, at start-up: `whsec_` secrets (HMAC,
 * signature `v1`) and `whpk_` public keys (Ed25519, signature `v1a`). A malformed key is a configuration mistake, so
 * it throws at once rather than making every request fail later; the message never repeats the key.
 */
import { createPublicKey, type KeyObject } from "node:crypto";

export const SECRET_PREFIX = "whsec_";
export const PUBLIC_KEY_PREFIX = "whpk_";

// SubjectPublicKeyInfo wrapping of a raw 32-byte Ed25519 public key (RFC 8410): node:crypto imports keys only in a
// container format.
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** Standard base64 with padding, in its one canonical spelling (Node's decoder alone would skip stray characters). */
function decodeBase64(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, "base64");
  if (text.length === 0 || bytes.toString("base64") !== text) {
    throw new TypeError(`${what} must be standard base64 with padding`);
  }
  return bytes;
}

/**
 * The HMAC key of a secret, written with or without its `whsec_` prefix (as Standard Webhooks libraries accept).
 * @example parseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").length // 24
 */
export function parseSecret(secret: string): Buffer {
  if (typeof secret !== "string") throw new TypeError("a webhook secret must be a string");
  const body = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (body.length === 0) throw new TypeError("a webhook secret must not be empty");
  return decodeBase64(body, `a webhook secret ("${SECRET_PREFIX}..." as the sender shows it)`);
}

/**
 * The Ed25519 verifying key of a `whpk_` public key (the prefix may be left out).
 * @example parsePublicKey("whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=")
 */
export function parsePublicKey(publicKey: string): KeyObject {
  if (typeof publicKey !== "string") throw new TypeError("a webhook public key must be a string");
  const body = publicKey.startsWith(PUBLIC_KEY_PREFIX) ? publicKey.slice(PUBLIC_KEY_PREFIX.length) : publicKey;
  const raw = decodeBase64(body, `a webhook public key ("${PUBLIC_KEY_PREFIX}...")`);
  if (raw.length !== 32) throw new TypeError(`a webhook public key must hold 32 bytes, not ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: "der", type: "spki" });
}
