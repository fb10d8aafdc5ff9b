/**
 * The Standard Webhooks signature check on bytes: the signed content is `{id}.{timestamp}.{body}`, and the
 * `webhook-signature` header holds space-separated `<version>,<base64>` entries, one per key the sender signs with
 * (two or more while it rotates a secret). `v1` is HMAC-SHA256 under a shared secret, `v1a` Ed25519 under the
 * sender's private key; entries of other versions are skipped, and the delivery is genuine when any entry verifies
 * under any configured key.
 */
import { createHmac, type KeyObject, timingSafeEqual, verify } from "node:crypto";

export interface VerifyingKeys {
  hmac: readonly Buffer[];
  ed25519: readonly KeyObject[];
}

function signedContent(id: string, timestamp: string, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${id}.${timestamp}.`, "utf8"), body]);
}

/** The header's entries of one version, without the `version,` in front. */
function entries(header: string, version: string): string[] {
  const prefix = `${version},`;
  return header
    .split(" ")
    .filter((entry) => entry.startsWith(prefix))
    .map((entry) => entry.slice(prefix.length));
}

/**
 * True when some `v1` or `v1a` entry verifies. HMAC entries are compared as base64 text in constant time (the
 * expected text has one spelling, so a re-encoded value does not pass), Ed25519 entries by the signature check.
 */
export function signatureMatches(keys: VerifyingKeys, id: string, timestamp: string, body: Uint8Array, header: string): boolean {
  const content = signedContent(id, timestamp, body);
  const hmacEntries = keys.hmac.length > 0 ? entries(header, "v1").map((e) => Buffer.from(e, "utf8")) : [];
  for (const key of keys.hmac) {
    const expected = Buffer.from(createHmac("sha256", key).update(content).digest("base64"), "utf8");
    // Every entry is compared, even after a match, so the time taken does not tell which one matched.
    let matched = false;
    for (const entry of hmacEntries) {
      if (entry.length === expected.length && timingSafeEqual(entry, expected)) matched = true;
    }
    if (matched) return true;
  }
  const ed25519Entries = keys.ed25519.length > 0 ? entries(header, "v1a") : [];
  for (const entry of ed25519Entries) {
    const signature = Buffer.from(entry, "base64");
    if (signature.length !== 64) continue;
    for (const key of keys.ed25519) {
      if (verify(null, content, key, signature)) return true;
    }
  }
  return false;
}
