/**
 * Verifies one delivery: the three headers are present, the timestamp is within the tolerance of the receiver's
 * clock in either direction (5 minutes by default, which bounds how long a captured request can be replayed), and
 * some signature verifies under a configured key. Only then is the body parsed.
 *
 * The body must be the raw bytes as received. A body that a framework parsed and serialised again differs in
 * spacing, key order or number format and no longer matches its signature, the most common reason webhook
 * verification fails; the adapters in adapters/ take care of it for each framework.
 */
import { RawBodyError, WebhookVerificationError } from "./errors.js";
import { type HeaderSource, readWebhookHeaders } from "./headers.js";
import { parsePublicKey, parseSecret } from "./keys.js";
import { signatureMatches, type VerifyingKeys } from "./signature.js";

/** Standard Webhooks' replay window, in seconds, used in both directions. */
export const DEFAULT_TOLERANCE_S = 300;

export interface VerifyOptions {
  /** The endpoint's `whsec_` secret (HMAC, `v1`). Give several while you move from one secret to another. */
  secret?: string | readonly string[];
  /** The endpoint's `whpk_` public key (Ed25519, `v1a`), for endpoints that sign with Ed25519. */
  publicKey?: string | readonly string[];
  /** Largest accepted distance between `webhook-timestamp` and the clock, in seconds (default 300). */
  toleranceS?: number;
  /** Parse the body as JSON (default true); false leaves `payload` as the body's text. */
  parseJson?: boolean;
  /** The clock in milliseconds since the epoch (default `Date.now`), for tests. */
  now?: () => number;
}

export interface VerifiedWebhook<T = unknown> {
  /** `webhook-id`: the same on every retry of one message, so the key to deduplicate on. */
  id: string;
  /** `webhook-timestamp`: when this attempt was signed. */
  timestamp: Date;
  /** `webhook-attempt` when the sender sets it (hookd does: 1 for the first attempt), else null. */
  attempt: number | null;
  /** The body parsed as JSON (undefined for an empty body), or its text with `parseJson: false`. */
  payload: T;
  /** The body exactly as signed. */
  rawBody: Buffer;
}

/** The raw body in the forms a framework may hand it over. */
export type RawBody = string | Uint8Array | ArrayBuffer;

export interface Verifier {
  /**
   * @throws {WebhookVerificationError} when the request is not a genuine, fresh delivery
   * @throws {RawBodyError} when `body` is not raw bytes or text (a parsed object, for instance)
   */
  verify<T = unknown>(body: RawBody, headers: HeaderSource): VerifiedWebhook<T>;
}

function list(value: string | readonly string[] | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === "string" ? [value] : value;
}

function rawBytes(body: unknown): Buffer {
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new RawBodyError(
    `webhook verification needs the raw request body (bytes or text exactly as received), got ${body === null ? "null" : typeof body}: ` +
      "a body parser ran first and the signed bytes are gone. Use this package's adapter for your framework, or read the body raw " +
      "(e.g. express.raw({ type: 'application/json' })) for the webhook route.",
  );
}

/**
 * Parses the keys once and returns a verifier to use for every request.
 * @throws {TypeError} when no key is given or a key is malformed
 * @example
 * const verifier = createVerifier({ secret: process.env.WEBHOOK_SECRET });
 * const webhook = verifier.verify(rawBody, request.headers); // throws WebhookVerificationError when not genuine
 */
export function createVerifier(options: VerifyOptions): Verifier {
  const keys: VerifyingKeys = {
    hmac: list(options.secret).map(parseSecret),
    ed25519: list(options.publicKey).map(parsePublicKey),
  };
  if (keys.hmac.length === 0 && keys.ed25519.length === 0) {
    throw new TypeError("createVerifier: give the endpoint's secret (whsec_...) or its public key (whpk_...)");
  }
  const toleranceS = options.toleranceS ?? DEFAULT_TOLERANCE_S;
  if (!(toleranceS >= 0)) throw new TypeError("createVerifier: toleranceS must be a number of seconds, 0 or more");
  const now = options.now ?? Date.now;

  return {
    verify<T>(body: RawBody, headers: HeaderSource): VerifiedWebhook<T> {
      const bytes = rawBytes(body);
      const h = readWebhookHeaders(headers);
      for (const [name, value] of [["webhook-id", h.id], ["webhook-timestamp", h.timestamp], ["webhook-signature", h.signature]]) {
        if (!value) throw new WebhookVerificationError("MISSING_HEADER", `the ${name} header is missing`);
      }
      const id = h.id as string;
      const timestamp = (h.timestamp as string).trim();
      if (!/^\d{1,15}$/.test(timestamp)) {
        throw new WebhookVerificationError("INVALID_TIMESTAMP", "webhook-timestamp must be whole seconds since the epoch");
      }
      const ageS = now() / 1000 - Number(timestamp);
      if (ageS > toleranceS) {
        throw new WebhookVerificationError("TIMESTAMP_TOO_OLD", `webhook-timestamp is more than ${toleranceS} s old`);
      }
      if (-ageS > toleranceS) {
        throw new WebhookVerificationError("TIMESTAMP_TOO_NEW", `webhook-timestamp is more than ${toleranceS} s ahead of this clock`);
      }
      if (!signatureMatches(keys, id, timestamp, bytes, h.signature as string)) {
        throw new WebhookVerificationError("INVALID_SIGNATURE", "no signature in webhook-signature matches a configured key");
      }
      let payload: unknown = undefined;
      if (options.parseJson === false) payload = bytes.toString("utf8");
      else if (bytes.length > 0) {
        try {
          payload = JSON.parse(bytes.toString("utf8"));
        } catch {
          throw new WebhookVerificationError("INVALID_PAYLOAD", "the signed body is not JSON");
        }
      }
      const attempt = h.attempt !== undefined && /^\d+$/.test(h.attempt) ? Number(h.attempt) : null;
      return { id, timestamp: new Date(Number(timestamp) * 1000), attempt, payload: payload as T, rawBody: bytes };
    },
  };
}

/**
 * One-off verification; prefer {@link createVerifier} for a server, which parses the keys once.
 * @example const webhook = verifyWebhook(rawBody, req.headers, { secret: "whsec_..." });
 */
export function verifyWebhook<T = unknown>(body: RawBody, headers: HeaderSource, options: VerifyOptions): VerifiedWebhook<T> {
  return createVerifier(options).verify<T>(body, headers);
}
