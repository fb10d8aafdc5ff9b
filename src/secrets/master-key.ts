/**
 * Master keys: the AES-256 keys that encrypt endpoint secrets at rest. A key is written as standard base64 of exactly
 * 32 random bytes (`openssl rand -base64 32`). Each key has a short id derived from the key itself, stored in front
 * of every ciphertext, so hookd knows which key a value needs without any key registry, and a rotated-out key can be
 * named in an error message without revealing anything about it.
 */
import { createHash, randomBytes } from "node:crypto";

export const MASTER_KEY_BYTES = 32;

export interface MasterKey {
  /** 16 hex characters of a hash of the key: safe to log and store. */
  id: string;
  bytes: Buffer;
}

/** Thrown for a malformed key; the message never contains the key text. */
export class MasterKeyFormatError extends Error {}

/**
 * @example parseMasterKey(randomBytes(32).toString("base64")).id // "3f0c..." (16 hex characters)
 * @throws {MasterKeyFormatError} unless the text is canonical standard base64 of exactly 32 bytes
 */
export function parseMasterKey(text: string): MasterKey {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, "base64");
  if (bytes.toString("base64") !== trimmed) {
    throw new MasterKeyFormatError("must be standard base64 with padding (generate one with: openssl rand -base64 32)");
  }
  if (bytes.length !== MASTER_KEY_BYTES) {
    throw new MasterKeyFormatError(
      `must decode to exactly ${MASTER_KEY_BYTES} bytes, got ${bytes.length} (generate one with: openssl rand -base64 32)`,
    );
  }
  return { id: masterKeyId(bytes), bytes };
}

export function generateMasterKey(): MasterKey {
  const bytes = randomBytes(MASTER_KEY_BYTES);
  return { id: masterKeyId(bytes), bytes };
}

export function masterKeyText(key: MasterKey): string {
  return key.bytes.toString("base64");
}

function masterKeyId(bytes: Buffer): string {
  // Domain-separated so the id is never the hash of the bare key anyone else might compute.
  return createHash("sha256").update("hookd master key id\0").update(bytes).digest("hex").slice(0, 16);
}
