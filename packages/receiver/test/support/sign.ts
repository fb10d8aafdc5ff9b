/**
 * Signs test requests the way a sender does, with node:crypto directly (not with the code under test): HMAC `v1`
 * under a `whsec_` secret and Ed25519 `v1a` under a fresh key pair.
 */
import { createHmac, generateKeyPairSync, type KeyObject, sign } from "node:crypto";

export function hmacSignature(secret: string, id: string, timestampS: number, body: string | Buffer): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestampS}.`).update(body).digest("base64")}`;
}

export interface Ed25519Pair {
  privateKey: KeyObject;
  /** `whpk_` + base64 of the raw 32-byte key, as hookd shows it. */
  publicKey: string;
}

export function ed25519Pair(): Ed25519Pair {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  return { privateKey, publicKey: `whpk_${raw.toString("base64")}` };
}

export function ed25519Signature(pair: Ed25519Pair, id: string, timestampS: number, body: string | Buffer): string {
  return `v1a,${sign(null, Buffer.concat([Buffer.from(`${id}.${timestampS}.`), Buffer.from(body)]), pair.privateKey).toString("base64")}`;
}

export const nowS = () => Math.floor(Date.now() / 1000);

/** Headers of a delivery signed now (or at `timestampS`) with the given signature header. */
export function webhookHeaders(id: string, timestampS: number, signature: string): Record<string, string> {
  return { "webhook-id": id, "webhook-timestamp": String(timestampS), "webhook-signature": signature, "content-type": "application/json" };
}
