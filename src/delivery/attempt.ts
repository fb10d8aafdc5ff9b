/**
 * One attempt of one delivery, composed from the steps: prepare (body, headers, signature) -> send -> classify ->
 * next state. Never throws. A delivery that cannot even be prepared (its endpoint's secret does not open, for
 * example) is not left to loop: it is recorded as an attempt of error class `internal` and follows the retry schedule
 * to the dead-letter list like any failure, with the reason in the attempt log.
 *
 * Endpoint authentication (delivery/endpoint-auth.ts): the request goes through the endpoint's mTLS agent when it has
 * one, and carries `Authorization: Bearer <token>` when it has OAuth2 settings. A token that cannot be had is an
 * attempt of error class `auth` (retried on the schedule); a 401 from the endpoint drops the token and the request is
 * sent once more with a fresh one, within the same deadline; the attempt records the second answer.
 */
import type { Dispatcher } from "undici";
import type { ErrorClass } from "../domain/types.ts";
import type { EgressPolicy } from "../outbound/egress-policy.ts";
import type { ClaimedDelivery } from "./claimed.ts";
import { type Classification, classify } from "./classify.ts";
import { type AttemptResult, nextState } from "./next-state.ts";
import { type PreparedRequest, prepareRequest } from "./prepare.ts";
import { sendToRelay } from "./relay-send.ts";
import { type SendOutcome, sendRequest } from "./send.ts";
import type { RequestSigner } from "./sign-request.ts";
import type { EndpointAuth } from "./endpoint-auth.ts";
import { TokenRequestError } from "./oauth2-token.ts";

export interface AttemptDeps {
  dispatcher: Dispatcher;
  policy: EgressPolicy;
  signer: RequestSigner;
  /** OAuth2 tokens and mTLS agents; without it endpoints' oauth2 and mtls settings are ignored (unit tests). */
  auth?: EndpointAuth;
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
  let dispatcher = deps.dispatcher;
  try {
    prepared = prepareRequest(d, startedAt, deps.signer);
    if (deps.auth) dispatcher = deps.auth.dispatcherFor(d);
  } catch (err) {
    return finish(d, failed("internal", `could not prepare the request: ${(err as Error).message}`, 0), startedAt, deps, undefined);
  }
  // One deadline for the whole attempt, token requests included: the worker started it only because it owns the
  // endpoint for that long.
  const deadline = performance.now() + d.endpoint.timeoutMs;
  const left = () => Math.max(1, Math.round(deadline - performance.now()));
  const send = async () => {
    // Relay endpoints go to the API process holding their `hookd listen` session, never to the network.
    if (d.endpoint.type === "relay") return sendRelayed(d, prepared, controller, deps, left());
    const since = deps.now();
    const sent = await sendRequest(prepared, { dispatcher, policy: deps.policy, timeoutMs: left(), controller });
    return deps.auth ? deps.auth.explain(d, sent, since) : sent;
  };

  if (deps.auth === undefined || d.endpoint.oauth2 === null) {
    const sent = await send();
    if (sent.result.kind === "error" && sent.result.errorClass === "aborted") return { kind: "aborted" };
    return finish(d, sent, startedAt, deps, prepared);
  }
  const auth = deps.auth;
  /** Puts a bearer token on the request; or the failed outcome to record, or "aborted" (shutdown). */
  const authorize = async (): Promise<{ token: string } | { failure: SendOutcome } | "aborted"> => {
    const began = performance.now();
    try {
      const token = (await auth.bearerToken(d, left(), controller.signal)) ?? "";
      prepared = { ...prepared, headers: { ...prepared.headers, authorization: `Bearer ${token}` } };
      return { token };
    } catch (err) {
      if (controller.signal.aborted) return "aborted";
      const took = Math.round(performance.now() - began);
      if (err instanceof TokenRequestError) return { failure: failed("auth", `no OAuth2 access token: ${err.message}`, took) };
      return { failure: failed("internal", `could not prepare the request: ${(err as Error).message}`, took) };
    }
  };
  let authorized = await authorize();
  if (authorized === "aborted") return { kind: "aborted" };
  if ("failure" in authorized) return finish(d, authorized.failure, startedAt, deps, prepared);
  let sent = await send();
  // A 401 may mean the token was revoked or rotated before it expired: one more try with a fresh one.
  if (sent.result.kind === "response" && sent.result.statusCode === 401) {
    auth.rejected(d, authorized.token);
    authorized = await authorize();
    if (authorized === "aborted") return { kind: "aborted" };
    if ("failure" in authorized) return finish(d, authorized.failure, startedAt, deps, prepared);
    sent = await send();
  }
  if (sent.result.kind === "error" && sent.result.errorClass === "aborted") return { kind: "aborted" };
  return finish(d, sent, startedAt, deps, prepared);
}

function failed(errorClass: ErrorClass, message: string, durationMs: number): SendOutcome {
  return { result: { kind: "error", errorClass, message }, responseBody: null, durationMs };
}

function sendRelayed(d: ClaimedDelivery, prepared: PreparedRequest, controller: AbortController, deps: AttemptDeps, timeoutMs: number): Promise<SendOutcome> {
  if (!deps.relayDispatcher) {
    return Promise.resolve(failed("internal", "this worker cannot send to relay endpoints (no relay dispatcher)", 0));
  }
  return sendToRelay(prepared, { dispatcher: deps.relayDispatcher, tenantId: d.tenantId, endpointId: d.endpointId, timeoutMs, controller });
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
