/**
 * One attempt of one delivery, composed from the steps: prepare (body, headers, signature) -> send -> classify ->
 * next state. Never throws. A delivery that cannot even be prepared (its endpoint's secret does not open, for
 * example) is not left to loop: it is recorded as an attempt of error class `internal` and follows the retry schedule
 * to the dead-letter list like any failure, with the reason in the attempt log.
 */
import type { Dispatcher } from "undici";
import type { EgressPolicy } from "../outbound/egress-policy.ts";
import type { ClaimedDelivery } from "./claimed.ts";
import { type Classification, classify } from "./classify.ts";
import { type AttemptResult, nextState } from "./next-state.ts";
import { type PreparedRequest, prepareRequest } from "./prepare.ts";
import { sendToRelay } from "./relay-send.ts";
import { type SendOutcome, sendRequest } from "./send.ts";
import type { RequestSigner } from "./sign-request.ts";

export interface AttemptDeps {
  dispatcher: Dispatcher;
  policy: EgressPolicy;
  signer: RequestSigner;
  retryScheduleS: readonly number[];
  now: () => number;
  /** Where relay endpoints' requests go out (outbound/relay-egress.ts); without it they fail as `internal`. */
  relayDispatcher?: Dispatcher | undefined;
}

export type AttemptRun =
  | { kind: "done"; result: AttemptResult; classification: Classification; durationMs: number }
  /** Aborted by shutdown: nothing to record, the delivery is sent again by whoever owns the endpoint next. */
  | { kind: "aborted" };

export async function runAttempt(d: ClaimedDelivery, controller: AbortController, deps: AttemptDeps): Promise<AttemptRun> {
  const startedAt = deps.now();
  let prepared: ReturnType<typeof prepareRequest>;
  try {
    prepared = prepareRequest(d, startedAt, deps.signer);
  } catch (err) {
    const sent: SendOutcome = {
      result: { kind: "error", errorClass: "internal", message: `could not prepare the request: ${(err as Error).message}` },
      responseBody: null,
      durationMs: 0,
    };
    return finish(d, sent, startedAt, deps, undefined);
  }
  const sent = await send(d, prepared, controller, deps);
  if (sent.result.kind === "error" && sent.result.errorClass === "aborted") return { kind: "aborted" };
  return finish(d, sent, startedAt, deps, prepared);
}

function send(d: ClaimedDelivery, prepared: PreparedRequest, controller: AbortController, deps: AttemptDeps): Promise<SendOutcome> {
  if (d.endpoint.type !== "relay") {
    return sendRequest(prepared, { dispatcher: deps.dispatcher, policy: deps.policy, timeoutMs: d.endpoint.timeoutMs, controller });
  }
  if (!deps.relayDispatcher) {
    const message = "this worker cannot send to relay endpoints (no relay dispatcher)";
    return Promise.resolve({ result: { kind: "error", errorClass: "internal", message }, responseBody: null, durationMs: 0 });
  }
  return sendToRelay(prepared, { dispatcher: deps.relayDispatcher, tenantId: d.tenantId, endpointId: d.endpointId, timeoutMs: d.endpoint.timeoutMs, controller });
}

function finish(
  d: ClaimedDelivery,
  sent: SendOutcome,
  startedAt: number,
  deps: AttemptDeps,
  request: ReturnType<typeof prepareRequest> | undefined,
): AttemptRun {
  const classification = classify(sent.result);
  const result = nextState({
    delivery: d,
    sent,
    classification,
    startedAt,
    now: deps.now(),
    defaultScheduleS: deps.retryScheduleS,
    ...(request ? { request } : {}),
  });
  return { kind: "done", result, classification, durationMs: sent.durationMs };
}
