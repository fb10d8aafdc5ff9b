/**
 * The `webhook-signature` value of one request: the endpoint's secret is opened (decrypted) here, on the worker, and
 * used as an HMAC key (`v1`) or an Ed25519 signing key (`v1a`) by its scheme. While a rotation's overlap lasts the
 * header carries two signatures, the new secret's first and the old one's second, space-separated as Standard
 * Webhooks prescribes, so a receiver that knows either secret accepts the request. After `previousSecretExpiresAt`
 * only the new one is sent.
 *
 * Opening a secret is one AES-GCM decryption plus a key import; a small cache keyed by the sealed value (unique per
 * encryption, so a rotated or re-encrypted secret is simply a new entry) keeps that off the per-request path. The
 * endpoint's custom header values are sealed too and opened here the same way. The caches drop their least recently
 * used entries when full.
 *
 * A thin delivery's payload URL is signed here too (delivery/payload-url.ts): it is a credential minted per attempt
 * from the master key, like the signature.
 */
import type { KeyObject } from "node:crypto";
import type { SignatureScheme } from "../domain/types.ts";
import { LRUCache } from "lru-cache";
import { openHeaderValues } from "../secrets/endpoint-headers.ts";
import type { SecretBox } from "../secrets/secret-box.ts";
import { parseEd25519Secret, signEd25519 } from "../signing/ed25519.ts";
import { parseSecret } from "../signing/secret.ts";
import { signPayload } from "../signing/standard-webhooks.ts";
import type { ClaimedDelivery } from "./claimed.ts";
import { DEFAULT_MAX_FULL_BYTES, isThinDelivery, type PayloadUrls } from "./payload-url.ts";

/** What a signature needs of a delivery: the ids it covers and the endpoint's secrets. */
export type SigningTarget = Pick<ClaimedDelivery, "endpointId" | "eventId"> & {
  endpoint: Pick<ClaimedDelivery["endpoint"], "signatureScheme" | "sealedSecret" | "previousSealedSecret" | "previousSecretExpiresAt">;
};

type SigningKey = { scheme: "hmac_sha256"; key: Buffer } | { scheme: "ed25519"; key: KeyObject };

const CACHE_LIMIT = 10_000;

export class RequestSigner {
  private readonly cache = new LRUCache<string, SigningKey>({ max: CACHE_LIMIT });
  private readonly headers = new LRUCache<string, Record<string, string>>({ max: CACHE_LIMIT });

  /** @param payloads how thin deliveries' payload URLs are made; without it a thin delivery cannot be prepared. */
  constructor(
    private readonly box: SecretBox,
    private readonly payloads: PayloadUrls | null = null,
  ) {}

  /**
   * The payload URL of a thin delivery, or null when the delivery carries its data.
   * @throws {Error} for a thin delivery when this signer was made without payload URL settings
   */
  payloadUrl(d: ClaimedDelivery, nowMs: number): string | null {
    const maxFull = this.payloads?.settings.maxFullBytes ?? DEFAULT_MAX_FULL_BYTES;
    if (!isThinDelivery(d.endpoint.payloadMode, d.event.dataJson, maxFull)) return null;
    if (!this.payloads) throw new Error("a thin delivery needs the payload URL settings (HOOKD_PUBLIC_URL)");
    return this.payloads.url(d, nowMs);
  }

  /**
   * @throws {SecretUnsealError} when a secret cannot be opened (its master key is not configured); the worker then
   *   leaves the delivery to be retried rather than sending it unsigned.
   */
  signatureHeader(d: SigningTarget, timestampS: number, body: string, nowMs: number): string {
    const ep = d.endpoint;
    const sealed = [ep.sealedSecret];
    if (ep.previousSealedSecret !== null && ep.previousSecretExpiresAt !== null && nowMs < ep.previousSecretExpiresAt) {
      sealed.push(ep.previousSealedSecret);
    }
    return sealed
      .map((s) => {
        const k = this.keyFor(d.endpointId, ep.signatureScheme, s);
        return k.scheme === "ed25519"
          ? signEd25519(k.key, d.eventId, timestampS, body)
          : signPayload(k.key, d.eventId, timestampS, body);
      })
      .join(" ");
  }

  /**
   * The endpoint's custom headers with their values opened (they are sealed at rest); cached by the stored values,
   * which change whenever a header is set or re-encrypted.
   * @throws {SecretUnsealError} as signatureHeader()
   */
  openHeaders(d: ClaimedDelivery): Record<string, string> {
    const stored = d.endpoint.headers;
    if (Object.keys(stored).length === 0) return stored;
    const cacheKey = `${d.endpointId}\0${JSON.stringify(stored)}`;
    let headers = this.headers.get(cacheKey);
    if (!headers) {
      headers = openHeaderValues(this.box, d.endpointId, stored);
      this.headers.set(cacheKey, headers);
    }
    return headers;
  }

  private keyFor(endpointId: string, scheme: SignatureScheme, sealed: string): SigningKey {
    const cacheKey = `${endpointId}\0${scheme}\0${sealed}`;
    let key = this.cache.get(cacheKey);
    if (!key) {
      const secret = this.box.open(sealed, endpointId);
      key =
        scheme === "ed25519"
          ? { scheme, key: parseEd25519Secret(secret) }
          : { scheme: "hmac_sha256", key: parseSecret(secret) };
      this.cache.set(cacheKey, key);
    }
    return key;
  }
}
