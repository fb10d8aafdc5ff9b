/**
 * Turns one attempt's result into a decision: success, retry or permanent, with the reason. This is the table users
 * rely on: 2xx succeeds; 408, 429 and 5xx retry; 410 is permanent and disables the endpoint; any other 4xx is
 * permanent (retrying will not fix a request the receiver rejects); transport errors (timeout, refused, reset, DNS)
 * retry; a target refused by egress policy (including a redirect's target) is permanent.
 *
 * Redirects: send follows one. A 3xx that reaches this table was not followed (a second redirect, a 3xx without a
 * Location, or one that is not a redirect such as 304) and is a retried failure, with an error that says why. When a
 * redirect was followed the attempt's error says so, even on success, so the log shows where the request went.
 */
import type { AttemptOutcome, ErrorClass } from "../domain/types.ts";

/** The one redirect send followed: its status and the (checked) URL it led to. */
export interface RedirectFollowed {
  statusCode: number;
  location: string;
}

export type SendResult =
  | {
      kind: "response";
      statusCode: number;
      retryAfter: string | undefined;
      redirect?: RedirectFollowed;
      /** The Location of a redirect that was not followed. */
      location?: string;
    }
  | { kind: "error"; errorClass: ErrorClass; message: string; redirect?: RedirectFollowed };

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
  const c = classifyResult(result);
  if (result.redirect === undefined) return c;
  const hop = `${result.redirect.statusCode} redirect to ${result.redirect.location}`;
  return { ...c, error: c.error === null ? `followed ${hop}` : `${c.error} (after a ${hop})` };
}

function classifyResult(result: SendResult): Classification {
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
  if (code >= 300 && code < 400) {
    return { ...base, error: unfollowed(result), outcome: "retry", disableEndpoint: false, rateLimited: false };
  }
  if (code === 408 || code >= 500) {
    return { ...base, outcome: "retry", disableEndpoint: false, rateLimited: false };
  }
  return { ...base, outcome: "permanent", disableEndpoint: false, rateLimited: false };
}

function unfollowed(result: Extract<SendResult, { kind: "response" }>): string {
  const code = result.statusCode;
  if (result.location === undefined) return `HTTP ${code}: not a redirect hookd can follow (no Location)`;
  if (result.redirect !== undefined) {
    return `HTTP ${code}: a second redirect (to ${result.location}) was not followed; hookd follows at most one`;
  }
  return `HTTP ${code}: redirect to ${result.location} was not followed`;
}
