/**
 * The send step for relay endpoints (`hookd listen`): the prepared request, signed as for any endpoint, goes to
 * hookd's own relay route, which forwards it to the listen session and answers with the developer's local answer.
 * So classify, next state and the delivery log treat that answer as the endpoint's, and retries work unchanged.
 *
 * When no session is connected the route says so with a `hookd-relay: not-connected` header; the attempt then fails
 * with error class `relay_not_connected` (retried like a refused connection) instead of looking like a 503 from the
 * developer's server. Why the target skips the address guard, and why that is safe: outbound/relay-egress.ts.
 */
import type { Dispatcher } from "undici";
import { isRelayRouteOf, RELAY_EGRESS_POLICY } from "../outbound/relay-egress.ts";
import type { PreparedRequest } from "./prepare.ts";
import { type SendOutcome, sendRequest } from "./send.ts";

/**
 * The relay route's answer header: `forwarded` (the status and body are the local server's), `not-connected` (no
 * listen session holds the endpoint) or `local-error` (the command could not reach the local URL; the body says why).
 */
export const RELAY_STATUS_HEADER = "hookd-relay";
export const RELAY_FORWARDED = "forwarded";
export const RELAY_NOT_CONNECTED = "not-connected";
export const RELAY_LOCAL_ERROR = "local-error";

export interface RelaySendOptions {
  dispatcher: Dispatcher;
  tenantId: string;
  endpointId: string;
  timeoutMs: number;
  controller: AbortController;
}

export async function sendToRelay(req: PreparedRequest, opts: RelaySendOptions): Promise<SendOutcome> {
  if (!isRelayRouteOf(req.url, opts.tenantId, opts.endpointId)) {
    return {
      result: { kind: "error", errorClass: "internal", message: "a relay endpoint's URL must be hookd's relay route for it; not sent" },
      responseBody: null,
      durationMs: 0,
    };
  }
  const sent = await sendRequest(req, {
    dispatcher: opts.dispatcher,
    policy: RELAY_EGRESS_POLICY,
    timeoutMs: opts.timeoutMs,
    controller: opts.controller,
  });
  const relayStatus = sent.result.kind === "response" ? sent.responseHeaders?.[RELAY_STATUS_HEADER] : undefined;
  if (relayStatus === RELAY_LOCAL_ERROR) {
    // The developer's server refused the connection or timed out: for the log, as if hookd had tried it itself.
    const message = `hookd listen could not reach the local URL: ${sent.responseBody ?? "no reason given"}`;
    return { result: { kind: "error", errorClass: "connect", message }, responseBody: null, responseHeaders: null, durationMs: sent.durationMs };
  }
  if (relayStatus === RELAY_NOT_CONNECTED) {
    return {
      result: {
        kind: "error",
        errorClass: "relay_not_connected",
        message: "no `hookd listen` session is connected for this relay endpoint; the delivery waits and is retried",
      },
      responseBody: null,
      responseHeaders: null,
      durationMs: sent.durationMs,
    };
  }
  return sent;
}
