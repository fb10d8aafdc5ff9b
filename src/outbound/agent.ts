/**
 * The HTTP client hookd uses for outbound deliveries.
 *
 * This is the single place where egress policy meets the HTTP client: every connection the agent opens goes through
 * the connector built here, which
 *   - refuses IP-literal hosts the policy refuses (Node never calls `lookup` for literals), and
 *   - resolves hostnames through `guardedLookup`, so the address actually connected to is the one that was judged.
 * Deliveries must use this agent as their dispatcher; a request sent through undici's global dispatcher bypasses it.
 *
 * Because `lookup` is handed to `net.connect`/`tls.connect`, the socket connects to an address this lookup returned
 * (every one of them judged, also when Node tries several for happy eyeballs), while the URL's name is still used for
 * the Host header and for TLS SNI and certificate checks. DNS rebinding between registration and delivery therefore
 * meets the same policy at connect.
 *
 * The agent itself follows no redirects; delivery/send.ts follows one, and that request connects through here too.
 *
 * An endpoint with a TLS client certificate or a pinned CA (mTLS) gets an agent of its own built here with `tls`
 * (delivery/mtls-agents.ts): the same guarded connector, with the certificate, key and CA handed to `tls.connect`.
 */
import { Agent, buildConnector } from "undici";
import type { NetworkPolicy } from "./network-policy.ts";
import { type AddressResolver, assertIpLiteralAllowed, guardedLookup } from "./target-check.ts";

export interface OutboundAgentOptions {
  policy: NetworkPolicy;
  /** Maximum concurrent connections per origin. Default 128. */
  connections?: number;
  /** How long an idle keep-alive connection is kept open; also caps server keep-alive hints. Default 30 s. */
  keepAliveTimeoutMs?: number;
  /** Time allowed to establish a connection (TCP + TLS). Default 10 s. */
  connectTimeoutMs?: number;
  /** Replaces the system resolver (dns.lookup); resolved addresses are still judged by the policy. */
  resolver?: AddressResolver;
  /**
   * TLS options for every connection (mTLS): a client certificate chain and key presented when the server asks, and
   * CA certificates that replace the system's trust store for the server's certificate.
   */
  tls?: { cert?: string; key?: string; ca?: string };
  /**
   * Told of every error on an open connection's socket, besides undici. Under TLS 1.3 a server refuses a client
   * certificate after the client considers the handshake done; the alert it sends shows up only here, while the
   * request fails with "other side closed" (delivery/mtls-agents.ts keeps it to explain that failure).
   */
  onSocketError?: (err: Error) => void;
}

export function createOutboundAgent(opts: OutboundAgentOptions): Agent {
  const { policy, connections = 128, keepAliveTimeoutMs = 30_000, connectTimeoutMs = 10_000, resolver, tls, onSocketError } = opts;

  const connectGuarded = buildConnector({
    ...tls,
    lookup: guardedLookup(policy, resolver),
    timeout: connectTimeoutMs,
  });
  const connectWithLookup: buildConnector.connector =
    onSocketError === undefined
      ? connectGuarded
      : (options, callback) =>
          connectGuarded(options, (...args) => {
            if (args[0] === null) args[1].on("error", onSocketError);
            callback(...args);
          });

  const connect: buildConnector.connector = (options, callback) => {
    try {
      // undici hands IPv6 literals over without brackets; either form is accepted.
      assertIpLiteralAllowed(options.hostname, policy);
    } catch (err) {
      // Fail asynchronously, as a refused TCP connection would.
      queueMicrotask(() => callback(err as Error, null));
      return;
    }
    connectWithLookup(options, callback);
  };

  return new Agent({
    connections,
    keepAliveTimeout: keepAliveTimeoutMs,
    keepAliveMaxTimeout: keepAliveTimeoutMs,
    connect,
  });
}
