/**
 * Turns one attempt's result into a decision: success, retry or permanent, with the reason. This is the table users
 * rely on: 2xx succeeds; 408, 429 and 5xx retry; 410 is permanent and disables the endpoint; any other 4xx is
 * permanent (retrying will not fix a request the receiver rejects); 3xx is a retried failure (redirects are not
 * followed); transport errors (timeout, refused, reset, DNS) retry; a target refused by egress policy is permanent.
 */
import type { AttemptOutcome, ErrorClass } from "../domain/types.ts";

export type SendResult =
  | { kind: "response"; statusCode: number; retryAfter: string | undefined }
  | { kind: "error"; errorClass: ErrorClass; message: string };

export interface Classification {
  outcome: AttemptOutcome;
  /** 410: the receiver says the endpoint is gone for good. */
  disableEndpoint: boolean;
  /** 429: honour Retry-After within limits. */
  rateLimited: boolean;
  errorClass: ErrorClass | null;
  error: string | null;
}

export function classify(result: SendResult): Classification {
  if (result.kind === "error") {
    const permanent = result.errorClass === "ssrf_blocked";
    return {
      outcome: permanent ? "permanent" : "retry",
      disableEndpoint: false,
      rateLimited: false,
      errorClass: result.errorClass,
      error: result.message,
    };
  }
  const code = result.statusCode;
  if (code >= 200 && code < 300) {
    return { outcome: "success", disableEndpoint: false, rateLimited: false, errorClass: null, error: null };
  }
  const base = { errorClass: "http_status" as const, error: `HTTP ${code}` };
  if (code === 429) return { ...base, outcome: "retry", disableEndpoint: false, rateLimited: true };
  if (code === 410) return { ...base, outcome: "permanent", disableEndpoint: true, rateLimited: false };
  if (code === 408 || code >= 500 || code < 400) {
    return { ...base, outcome: "retry", disableEndpoint: false, rateLimited: false };
  }
  return { ...base, outcome: "permanent", disableEndpoint: false, rateLimited: false };
}
