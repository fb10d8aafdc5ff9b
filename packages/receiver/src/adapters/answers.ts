/**
 * What every adapter answers when it does not hand the request to the application: the JSON body and status for a
 * refused request, an already handled `webhook-id` and one being handled right now. Kept in one place so the four
 * frameworks answer alike.
 */
import type { Deduper } from "../dedupe/deduper.js";
import { RawBodyError, WebhookVerificationError } from "../errors.js";
import type { VerifyOptions } from "../verify.js";

export interface WebhookRouteOptions extends VerifyOptions {
  /** Handle each `webhook-id` at most once (see createDeduper). Off by default. */
  dedupe?: Deduper;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: { code: string; message: string } | { duplicate: true; message: string };
}

const JSON_TYPE = { "content-type": "application/json" };

/** The answer for a verification failure or a missing raw body; undefined for any other error (rethrow it). */
export function refusal(err: unknown): Answer | undefined {
  if (err instanceof WebhookVerificationError || err instanceof RawBodyError) {
    return { status: err.status, headers: JSON_TYPE, body: { code: err.code, message: err.message } };
  }
  return undefined;
}

/** A copy of a message already handled: acknowledged, so the sender stops retrying it. */
export const DUPLICATE: Answer = {
  status: 200,
  headers: JSON_TYPE,
  body: { duplicate: true, message: "this webhook-id was already handled" },
};

/** A copy that arrived while the first is still being handled: retryable, so it comes back when that has finished. */
export const IN_PROGRESS: Answer = {
  status: 503,
  headers: { ...JSON_TYPE, "retry-after": "30" },
  body: { code: "WEBHOOK_IN_PROGRESS", message: "this webhook-id is being handled by another request; retry later" },
};

/** Whether a response status means the webhook was handled (so a later copy is a duplicate). */
export const handled = (status: number) => status >= 200 && status < 300;
