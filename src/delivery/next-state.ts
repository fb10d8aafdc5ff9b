/**
 * Decides what a delivery becomes after an attempt: succeeded, dead, or failed with the time of its next try. Pure:
 * time and randomness come in as arguments, so every branch is unit-tested without clocks.
 */
import { newId } from "../domain/ids.ts";
import type { Attempt } from "../domain/types.ts";
import type { ClaimedDelivery } from "./claimed.ts";
import type { Classification } from "./classify.ts";
import { nextRetryDelayMs, parseRetryAfterMs, rateLimitedDelayMs } from "./retry-schedule.ts";
import { loggedRequestHeaders, type PreparedRequest } from "./prepare.ts";
import type { SendOutcome } from "./send.ts";

export const MAX_ENDPOINT_PAUSE_MS = 3_600_000;

export interface NextStateInput {
  delivery: ClaimedDelivery;
  sent: SendOutcome;
  classification: Classification;
  startedAt: number;
  now: number;
  defaultScheduleS: readonly number[];
  random?: () => number;
  /** The request as sent, kept in the attempt log (signature redacted). */
  request?: PreparedRequest;
}

/** A receiver's answer is kept as text for people to read; PostgreSQL text cannot hold NUL, so it becomes U+FFFD. */
function storable(text: string | null): string | null {
  return text === null ? null : text.replaceAll("\u0000", "\ufffd");
}

/** What one attempt made of a delivery: its attempt row and the delivery's next state. */
export interface AttemptResult {
  attempt: Attempt;
  status: "succeeded" | "failed" | "dead";
  nextAttemptAt: number | null;
  attempts: number;
  cycleAttempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  now: number;
  /** A 410 Gone: disable the endpoint, with this reason. */
  disableReason: string | null;
  /** A 429 with Retry-After: pause the whole endpoint for this long. */
  endpointPauseMs: number | null;
}

export function nextState(input: NextStateInput): AttemptResult {
  const { delivery: d, sent, classification: c, now } = input;
  const attempts = d.attempts + 1;
  const cycleAttempts = d.cycleAttempts + 1;
  const statusCode = sent.result.kind === "response" ? sent.result.statusCode : null;

  let status: AttemptResult["status"] = "succeeded";
  let nextAttemptAt: number | null = null;
  // A 429 with Retry-After pauses the whole endpoint, not just this delivery (capped: a receiver cannot park it
  // for longer than an hour).
  let endpointPauseMs: number | null = null;
  if (c.rateLimited && sent.result.kind === "response") {
    const wanted = parseRetryAfterMs(sent.result.retryAfter, now);
    if (wanted !== null && wanted > 0) endpointPauseMs = Math.min(wanted, MAX_ENDPOINT_PAUSE_MS);
  }
  if (c.outcome === "permanent") status = "dead";
  if (c.outcome === "retry") {
    const schedule = d.endpoint.retryScheduleS ?? input.defaultScheduleS;
    let delay = nextRetryDelayMs(schedule, cycleAttempts, input.random);
    if (delay !== null && c.rateLimited && sent.result.kind === "response") {
      delay = rateLimitedDelayMs(delay, parseRetryAfterMs(sent.result.retryAfter, now));
    }
    status = delay === null ? "dead" : "failed";
    nextAttemptAt = delay === null ? null : now + delay;
  }

  return {
    attempt: {
      id: newId("atm"),
      deliveryId: d.id,
      attempt: attempts,
      startedAt: input.startedAt,
      durationMs: sent.durationMs,
      statusCode,
      responseBody: storable(sent.responseBody),
      error: storable(c.error),
      errorClass: c.errorClass,
      outcome: c.outcome,
      timeoutMs: d.endpoint.timeoutMs,
      requestUrl: input.request?.url ?? null,
      requestHeaders: input.request ? loggedRequestHeaders(input.request.headers) : null,
      responseHeaders: sent.responseHeaders ?? null,
    },
    status,
    nextAttemptAt,
    attempts,
    cycleAttempts,
    lastStatusCode: statusCode,
    // A success can carry a note (a followed redirect) in its attempt's error; the delivery's last_error stays empty.
    lastError: c.outcome === "success" ? null : storable(c.error),
    now,
    disableReason: c.disableEndpoint ? "endpoint answered 410 Gone" : null,
    endpointPauseMs,
  };
}
