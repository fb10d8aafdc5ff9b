/**
 * Why a delivery was refused, as a stable code a receiver can log or match on, with the HTTP status an adapter
 * answers. Sender retry rules make the status matter: hookd (like most senders) retries 5xx and gives up on other
 * 4xx, so a forged or stale request gets a final 400/401 while the receiver's own faults get a retryable status.
 */

export type WebhookErrorCode =
  /** `webhook-id`, `webhook-timestamp` or `webhook-signature` is absent. */
  | "MISSING_HEADER"
  /** `webhook-timestamp` is not whole seconds since the epoch. */
  | "INVALID_TIMESTAMP"
  /** The timestamp is further in the past than the tolerance (a replayed or very late request). */
  | "TIMESTAMP_TOO_OLD"
  /** The timestamp is further in the future than the tolerance (a clock that is off, or a forged request). */
  | "TIMESTAMP_TOO_NEW"
  /** No signature in the header verifies under any configured secret or public key. */
  | "INVALID_SIGNATURE"
  /** The signature verified but the body is not JSON. */
  | "INVALID_PAYLOAD";

const STATUS: Record<WebhookErrorCode, number> = {
  MISSING_HEADER: 400,
  INVALID_TIMESTAMP: 400,
  TIMESTAMP_TOO_OLD: 401,
  TIMESTAMP_TOO_NEW: 401,
  INVALID_SIGNATURE: 401,
  INVALID_PAYLOAD: 400,
};

export class WebhookVerificationError extends Error {
  override readonly name = "WebhookVerificationError";
  /** The status an adapter answers with. */
  readonly status: number;

  constructor(
    readonly code: WebhookErrorCode,
    message: string,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

/**
 * The framework handed over a parsed body instead of the bytes that were signed. A configuration fault of the
 * receiver, not of the request, so adapters answer 500 (the sender retries once it is fixed) and say how to fix it.
 */
export class RawBodyError extends Error {
  override readonly name = "RawBodyError";
  readonly code = "RAW_BODY_UNAVAILABLE";

  constructor(
    message: string,
    /** 500 for a set-up fault; 413 for a body larger than the adapter reads. */
    readonly status = 500,
  ) {
    super(message);
  }
}
