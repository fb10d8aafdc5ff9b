/**
 * Standard Webhooks asymmetric signatures (`v1a`): Ed25519 over the same signed content as `v1`,
 * `{msgId}.{timestampS}.{body}`. The sender keeps a `whsk_` secret (standard base64 of the 32-byte Ed25519 seed, as
 * the reference libraries read it); receivers get the `whpk_` public key (standard base64 of the raw 32-byte key)
 * and can verify but never sign. Depends on node:crypto only, so receivers can reuse it.
 */
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from "node:crypto";
import { SecretFormatError } from "./secret.ts";

export const ED25519_SECRET_PREFIX = "whsk_";
export const ED25519_PUBLIC_KEY_PREFIX = "whpk_";
export const ASYMMETRIC_SIGNATURE_VERSION = "v1a";

const SEED_BYTES = 32;
// PKCS#8 wrapping of a bare Ed25519 seed (RFC 8410): node:crypto imports private keys only in a container format.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
// SubjectPublicKeyInfo wrapping of a raw Ed25519 public key (RFC 8410).
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

function decodeCanonical(text: string, prefix: string, what: string): Buffer {
  if (typeof text !== "string" || !text.startsWith(prefix)) {
    throw new SecretFormatError(`${what} must start with "${prefix}"`);
  }
  const encoded = text.slice(prefix.length);
  const bytes = Buffer.from(encoded, "base64");
  if (bytes.toString("base64") !== encoded || bytes.length !== SEED_BYTES) {
    throw new SecretFormatError(`${what} must be "${prefix}" plus standard base64 of ${SEED_BYTES} bytes`);
  }
  return bytes;
}

/** @example generateEd25519Secret() // "whsk_" + 44 base64 characters */
export function generateEd25519Secret(): string {
  return ED25519_SECRET_PREFIX + randomBytes(SEED_BYTES).toString("base64");
}

/**
 * The signing key of a `whsk_` secret.
 * @throws {SecretFormatError} when the text is not `whsk_` plus canonical base64 of 32 bytes
 */
export function parseEd25519Secret(secret: string): KeyObject {
  const seed = decodeCanonical(secret, ED25519_SECRET_PREFIX, "Ed25519 secret");
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
}

/** The `whpk_` public key that belongs to a `whsk_` secret. */
export function ed25519PublicKey(secret: string): string {
  const spki = createPublicKey(parseEd25519Secret(secret)).export({ format: "der", type: "spki" });
  return ED25519_PUBLIC_KEY_PREFIX + spki.subarray(SPKI_ED25519_PREFIX.length).toString("base64");
}

/** The verifying key of a `whpk_` public key, as a receiver would build it. */
export function parseEd25519PublicKey(publicKey: string): KeyObject {
  const raw = decodeCanonical(publicKey, ED25519_PUBLIC_KEY_PREFIX, "Ed25519 public key");
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: "der", type: "spki" });
}

function signedContent(msgId: string, timestampS: number, body: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${msgId}.${timestampS}.`, "utf8"), Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8")]);
}

/**
 * The `v1a` signature of one message.
 * @example signEd25519(parseEd25519Secret(secret), "msg_1", 1614265330, "{}") // "v1a,<base64 of 64 bytes>"
 */
export function signEd25519(key: KeyObject, msgId: string, timestampS: number, body: string | Buffer): string {
  if (!Number.isSafeInteger(timestampS) || timestampS < 0) {
    throw new RangeError("timestamp must be a non-negative whole number of seconds");
  }
  return `${ASYMMETRIC_SIGNATURE_VERSION},${sign(null, signedContent(msgId, timestampS, body), key).toString("base64")}`;
}

/**
 * True when some `v1a` entry of a `webhook-signature` header verifies under the public key. Checks no timestamp
 * tolerance (the caller compares `timestampS` with its clock); never throws.
 */
export function verifyEd25519Header(
  publicKey: KeyObject,
  msgId: string,
  timestampS: number,
  body: string | Buffer,
  header: string,
): boolean {
  try {
    const content = signedContent(msgId, timestampS, body);
    return header.split(" ").some((entry) => {
      if (!entry.startsWith(`${ASYMMETRIC_SIGNATURE_VERSION},`)) return false;
      const signature = Buffer.from(entry.slice(ASYMMETRIC_SIGNATURE_VERSION.length + 1), "base64");
      return signature.length === 64 && verify(null, content, publicKey, signature);
    });
  } catch {
    return false;
  }
}
