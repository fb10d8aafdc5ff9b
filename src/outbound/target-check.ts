/**
 * Applying the network policy to delivery targets, at two moments:
 *
 * - endpoint registration: `checkUrlTarget` resolves the URL's host once and refuses the URL early with a clear reason;
 * - every connection: `guardedLookup` replaces DNS resolution inside the HTTP client, so a hostname that resolved to a
 *   public address at registration but to a private one now (DNS rebinding, changed records) still cannot be reached.
 *
 * Node does not call `lookup` for IP-literal hosts, so literals are judged separately (`assertIpLiteralAllowed`).
 */
import { promises as dnsPromises, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { type AddressDecision, describeRefusal, type NetworkPolicy, type RefusalReason } from "./network-policy.ts";

/**
 * Why a target is refused: an address reason from the network policy, or a reason about the URL's form
 * (`url-form.ts`). Stable strings, safe to show to tenants.
 */
export type EgressBlockReason =
  | RefusalReason
  | "invalid_url"
  | "scheme"
  | "userinfo"
  | "port"
  | "https_required"
  | "non_canonical_ip";

type Refusal = Extract<AddressDecision, { allowed: false }>;

/** A delivery target (or one of the addresses its name resolves to) is refused by the egress policy. */
export class EgressBlockedError extends Error {
  override name = "EgressBlockedError";
  readonly code = "EGRESS_BLOCKED";
  readonly reason: EgressBlockReason;
  /** The refused IP address, when the refusal is about an address. */
  readonly address?: string;
  /** The host as written in the URL (or as handed to the resolver). */
  readonly host?: string;

  /**
   * `message` explains a refusal about the URL's form; refusals about an address build their own sentence
   * ("localhost resolves to 127.0.0.1, which is a loopback address").
   */
  constructor(
    reason: EgressBlockReason,
    details: { address?: string; host?: string; embedded?: Refusal["embedded"]; message?: string } = {},
  ) {
    super(details.message ?? describeBlocked(reason, details));
    this.reason = reason;
    if (details.address !== undefined) this.address = details.address;
    if (details.host !== undefined) this.host = details.host;
  }
}

function describeBlocked(
  reason: EgressBlockReason,
  details: { address?: string; host?: string; embedded?: Refusal["embedded"] },
): string {
  const { address, host } = details;
  if (address === undefined) return `${host ?? "the target"} is refused (${reason})`;
  if (reason === "invalid_url" || !isAddressReason(reason)) return `${address} is refused (${reason})`;
  const refusal: Refusal = { allowed: false, reason, ...(details.embedded ? { embedded: details.embedded } : {}) };
  return describeRefusal(address, refusal, host === undefined || unbracket(host) === address ? undefined : host);
}

function isAddressReason(reason: EgressBlockReason): reason is RefusalReason {
  return !["invalid_url", "scheme", "userinfo", "port", "https_required", "non_canonical_ip"].includes(reason);
}

/** A hostname could not be resolved (or resolved to nothing). The original resolver error is kept as `cause`. */
export class DnsLookupError extends Error {
  override name = "DnsLookupError";
  readonly code = "DNS_LOOKUP_FAILED";
  readonly host: string;

  constructor(host: string, cause?: unknown) {
    const detail = cause instanceof Error ? `: ${cause.message}` : "";
    super(`DNS lookup for ${host} failed${detail}`, cause === undefined ? undefined : { cause });
    this.host = host;
  }
}

/** Resolves a hostname to every address it has (IPv4 and IPv6). */
export type HostResolver = (host: string) => Promise<string[]>;

/** Resolver used by `guardedLookup`; receives the options `net` passed to its `lookup`. */
export type AddressResolver = (hostname: string, options: LookupOptions) => Promise<LookupAddress[]>;

const defaultHostResolver: HostResolver = async (host) => {
  const addresses = await dnsPromises.lookup(host, { all: true, verbatim: true });
  return addresses.map((a) => a.address);
};

const defaultAddressResolver: AddressResolver = (hostname, options) =>
  dnsPromises.lookup(hostname, { ...options, all: true });

function blockedBy(decision: Refusal, address: string, host: string): EgressBlockedError {
  return new EgressBlockedError(decision.reason, {
    address,
    host,
    ...(decision.embedded ? { embedded: decision.embedded } : {}),
  });
}

/** Strips the brackets URLs put around IPv6 literals (`[::1]` -> `::1`). */
function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * Throws EgressBlockedError when `host` is an IP literal the policy refuses; does nothing for hostnames (those are
 * checked when they are resolved). Accepts URL hostnames, so `[::1]` is understood as `::1`.
 */
export function assertIpLiteralAllowed(host: string, policy: NetworkPolicy): void {
  const ip = unbracket(host);
  if (isIP(ip) === 0) return;
  const decision = policy.isAllowedAddress(ip);
  if (!decision.allowed) throw blockedBy(decision, ip, host);
}

/**
 * Refuses a delivery URL whose host is a refused IP literal or resolves to any refused address. One refused address
 * is enough: the client may connect to any of them, and rebinding setups mix public and private answers.
 *
 * @throws EgressBlockedError when the target is refused (reason `invalid_url` when the URL has no usable host)
 * @throws DnsLookupError when the hostname does not resolve
 */
export async function checkUrlTarget(
  url: string,
  policy: NetworkPolicy,
  resolve: HostResolver = defaultHostResolver,
): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EgressBlockedError("invalid_url", { host: url });
  }
  // WHATWG URL parsing already canonicalises IPv4 shorthands (`127.1`, `0x7f000001`) into dotted quads.
  const host = parsed.hostname;
  if (host === "") throw new EgressBlockedError("invalid_url", { host: url });

  if (isIP(unbracket(host)) !== 0) {
    assertIpLiteralAllowed(host, policy);
    return;
  }

  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    throw err instanceof DnsLookupError ? err : new DnsLookupError(host, err);
  }
  if (addresses.length === 0) throw new DnsLookupError(host);
  for (const address of addresses) {
    const decision = policy.isAllowedAddress(address);
    if (!decision.allowed) throw blockedBy(decision, address, host);
  }
}

/**
 * A drop-in for the `lookup` option of `net.connect` / `tls.connect`: resolves like `dns.lookup`, then fails with
 * EgressBlockedError if any resolved address is refused. Handles both callback shapes (`options.all` true or false).
 * Resolver errors (ENOTFOUND, EAI_AGAIN, ...) are passed through unchanged.
 */
export function guardedLookup(
  policy: NetworkPolicy,
  resolve: AddressResolver = defaultAddressResolver,
): LookupFunction {
  return (hostname, options, callback) => {
    const { all, ...rest } = options ?? {};
    resolve(hostname, rest).then(
      (addresses) => {
        const first = addresses[0];
        if (first === undefined) {
          callback(new DnsLookupError(hostname), all ? [] : "");
          return;
        }
        for (const { address } of addresses) {
          const decision = policy.isAllowedAddress(address);
          if (!decision.allowed) {
            callback(blockedBy(decision, address, hostname), all ? [] : "");
            return;
          }
        }
        if (all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (err: unknown) => {
        const error = err instanceof Error ? err : new DnsLookupError(hostname, err);
        callback(error, all ? [] : "");
      },
    );
  };
}
