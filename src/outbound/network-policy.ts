/**
 * Egress address policy: decides whether hookd may open a connection to a given IP address.
 *
 * Tenants choose the URLs hookd POSTs to, so without a policy a tenant could aim deliveries at loopback services,
 * the private network hookd runs in, or cloud metadata endpoints (169.254.169.254). Every special-purpose range below
 * is refused unless the operator explicitly allows a network containing the address (`HOOKD_ALLOWED_NETWORKS`); an
 * explicit allow always wins.
 *
 * IPv6 addresses that carry an IPv4 address (IPv4-mapped `::ffff:127.0.0.1`, NAT64 `64:ff9b::7f00:1`, 6to4
 * `2002:7f00:1::`) reach that IPv4 host one way or another, so they are judged as the IPv4 address they carry.
 */
import { BlockList, isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** Stable, machine-readable reasons an address is refused. Safe to log and to show to tenants. */
export type RefusalReason =
  | "unspecified"
  | "loopback"
  | "private"
  | "link_local"
  | "cgnat"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "documentation"
  | "benchmarking"
  | "nat64"
  | "6to4"
  | "invalid_address";

/** How an IPv4 address was carried inside an IPv6 one, when it was. */
export type Embedding = "ipv4_mapped" | "nat64" | "6to4";

export type AddressDecision =
  | { allowed: true }
  | {
      allowed: false;
      reason: RefusalReason;
      /** Set when the refused IPv4 address was found inside an IPv6 address (`64:ff9b::7f00:1` carries 127.0.0.1). */
      embedded?: { form: Embedding; ipv4: string };
    };

export interface NetworkPolicy {
  /** Judges one IP address (IPv4 or IPv6, without brackets). Anything that is not an IP address is refused. */
  isAllowedAddress(ip: string): AddressDecision;
}

type Family = "ipv4" | "ipv6";
type RangeReason = Exclude<RefusalReason, "invalid_address">;

interface SpecialRange {
  readonly network: string;
  readonly prefix: number;
  readonly family: Family;
  readonly reason: RangeReason;
}

function range(cidr: string, reason: RangeReason): SpecialRange {
  const parsed = parseCidr(cidr);
  return { ...parsed, reason };
}

/**
 * Special-purpose ranges (IANA IPv4 and IPv6 special-purpose registries, plus multicast and class E). The order
 * matters only where ranges nest: the first match names the reason, so 255.255.255.255 is "broadcast" although class E
 * contains it.
 *
 * IPv6 forms that carry an IPv4 address are not listed here: `normalizeAddress` takes the IPv4 address out of
 * IPv4-mapped (::ffff:0:0/96), well-known NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses and it is judged by
 * these same rules. A NAT64 or 6to4 address carrying a public IPv4 address is allowed: on IPv6-only hosts behind DNS64
 * every IPv4-only receiver has such an address.
 */
const SPECIAL_RANGES: readonly SpecialRange[] = [
  // IPv4
  range("255.255.255.255/32", "broadcast"), // limited broadcast, inside class E below
  range("0.0.0.0/8", "unspecified"), // "this network"; 0.0.0.0 reaches the local host on Linux
  range("10.0.0.0/8", "private"),
  range("100.64.0.0/10", "cgnat"),
  range("127.0.0.0/8", "loopback"),
  range("169.254.0.0/16", "link_local"), // includes cloud metadata services (169.254.169.254)
  range("172.16.0.0/12", "private"),
  range("192.0.0.0/24", "reserved"), // IETF protocol assignments (includes 192.0.0.170/171, NAT64 discovery)
  range("192.0.2.0/24", "documentation"), // TEST-NET-1
  range("192.88.99.0/24", "reserved"), // deprecated 6to4 relay anycast
  range("192.168.0.0/16", "private"),
  range("198.18.0.0/15", "benchmarking"),
  range("198.51.100.0/24", "documentation"), // TEST-NET-2
  range("203.0.113.0/24", "documentation"), // TEST-NET-3
  range("224.0.0.0/4", "multicast"),
  range("240.0.0.0/4", "reserved"), // class E
  // IPv6
  range("::/128", "unspecified"),
  range("::1/128", "loopback"),
  range("::/96", "reserved"), // deprecated IPv4-compatible addresses (::a.b.c.d)
  range("::ffff:0:0:0/96", "reserved"), // IPv4-translated (SIIT)
  range("64:ff9b:1::/48", "nat64"), // local-use NAT64: where the IPv4 address sits is the operator's choice
  range("100::/64", "reserved"), // discard-only
  range("2001:2::/48", "benchmarking"),
  range("2001::/23", "reserved"), // IETF protocol assignments: Teredo (2001::/32), ORCHID, ...
  range("2001:db8::/32", "documentation"),
  range("3fff::/20", "documentation"),
  range("5f00::/16", "reserved"), // SRv6 segment identifiers
  range("fc00::/7", "private"), // unique local addresses
  range("fe80::/10", "link_local"),
  range("fec0::/10", "reserved"), // deprecated site-local
  range("ff00::/8", "multicast"),
];

/** Judges an address against the special ranges, most specific listed first. Built once; the ranges never change. */
const SPECIAL_LISTS: ReadonlyArray<{ reason: RangeReason; list: BlockList }> = SPECIAL_RANGES.map((r) => {
  const list = new BlockList();
  list.addSubnet(r.network, r.prefix, r.family);
  return { reason: r.reason, list };
});

function specialReason(address: string, family: Family): RangeReason | null {
  for (const { reason, list } of SPECIAL_LISTS) {
    if (list.check(address, family)) return reason;
  }
  return null;
}

export function createNetworkPolicy(opts: { allowedNetworks: readonly string[] }): NetworkPolicy {
  const allowList = new BlockList();
  for (const entry of opts.allowedNetworks) {
    let cidr: ParsedCidr;
    try {
      cidr = parseCidr(entry);
    } catch (err) {
      throw new Error(`Invalid allowed network ${JSON.stringify(entry)}: ${(err as Error).message}`);
    }
    allowList.addSubnet(cidr.network, cidr.prefix, cidr.family);
  }
  const hasAllowed = opts.allowedNetworks.length > 0;

  return {
    isAllowedAddress(ip: string): AddressDecision {
      const addr = normalizeAddress(ip);
      if (!addr) return { allowed: false, reason: "invalid_address" };

      // An explicit allow always wins, whether it names the address as written or the IPv4 address it carries.
      if (hasAllowed) {
        if (allowList.check(addr.address, addr.family)) return { allowed: true };
        if (addr.embedded !== undefined && allowList.check(addr.embedded.ipv4, "ipv4")) return { allowed: true };
      }

      if (addr.embedded !== undefined) {
        const inner = specialReason(addr.embedded.ipv4, "ipv4");
        return inner === null ? { allowed: true } : { allowed: false, reason: inner, embedded: addr.embedded };
      }
      const reason = specialReason(addr.address, addr.family);
      return reason === null ? { allowed: true } : { allowed: false, reason };
    },
  };
}

/**
 * Words for a refusal, for error messages: "127.0.0.1 is a loopback address", or with the name that resolved to it,
 * "localhost resolves to 127.0.0.1, which is a loopback address".
 */
export function describeRefusal(
  address: string,
  decision: { reason: RefusalReason; embedded?: { form: Embedding; ipv4: string } },
  host?: string,
): string {
  const what = REASON_WORDS[decision.reason];
  const subject = host === undefined ? address : `${host} resolves to ${address},`;
  if (decision.embedded === undefined) return host === undefined ? `${subject} is ${what}` : `${subject} which is ${what}`;
  const form = { ipv4_mapped: "IPv4-mapped", nat64: "NAT64", "6to4": "6to4" }[decision.embedded.form];
  const carries = `carries ${decision.embedded.ipv4} (${form}), which is ${what}`;
  return host === undefined ? `${subject} ${carries}` : `${subject} which ${carries}`;
}

const REASON_WORDS: Record<RefusalReason, string> = {
  unspecified: "an unspecified (\"this host\") address",
  loopback: "a loopback address",
  private: "a private-network address",
  link_local: "a link-local address (cloud metadata services live there)",
  cgnat: "a carrier-grade NAT (100.64.0.0/10) address",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  reserved: "a reserved special-purpose address",
  documentation: "a documentation-only address",
  benchmarking: "a benchmarking-only address",
  nat64: "a local-use NAT64 (64:ff9b:1::/48) address",
  "6to4": "a 6to4 address",
  invalid_address: "not an IP address",
};

/**
 * Parses a comma-separated list of networks (`10.0.0.0/8, fd00::/8, 192.0.2.7`). Entries are trimmed; empty entries
 * (e.g. from a trailing comma) are skipped. A bare address means a single host (/32 or /128). Returns the entries in
 * `address/prefix` form; throws an Error naming the first invalid entry.
 */
export function parseCidrList(text: string): string[] {
  const result: string[] = [];
  for (const raw of text.split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    let cidr: ParsedCidr;
    try {
      cidr = parseCidr(entry);
    } catch (err) {
      throw new Error(`Invalid network ${JSON.stringify(entry)}: ${(err as Error).message}`);
    }
    result.push(`${cidr.network}/${cidr.prefix}`);
  }
  return result;
}

interface ParsedCidr {
  network: string;
  prefix: number;
  family: Family;
}

/** Strictly parses `address/prefix` or a bare address. Throws with a short explanation. */
function parseCidr(text: string): ParsedCidr {
  const slash = text.indexOf("/");
  const address = slash === -1 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0) throw new Error("not an IPv4 or IPv6 address");
  if (address.includes("%")) throw new Error("zone identifiers are not allowed");
  const family: Family = version === 4 ? "ipv4" : "ipv6";
  const maxPrefix = version === 4 ? 32 : 128;
  if (slash === -1) return { network: address, prefix: maxPrefix, family };

  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) throw new Error("prefix length must be a number");
  const prefix = Number(prefixText);
  if (prefix > maxPrefix) throw new Error(`prefix length must be between 0 and ${maxPrefix}`);
  return { network: address, prefix, family };
}

interface NormalizedAddress {
  address: string;
  family: Family;
  /** The IPv4 address carried by an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
  embedded?: { form: Embedding; ipv4: string };
}

function normalizeAddress(ip: string): NormalizedAddress | null {
  const version = isIP(ip);
  if (version === 4) return { address: ip, family: "ipv4" };
  if (version !== 6) return null;

  // A zone identifier (`fe80::1%eth0`) only selects an interface; judge the address itself.
  const zone = ip.indexOf("%");
  const bare = zone === -1 ? ip : ip.slice(0, zone);
  const g = ipv6Groups(bare);
  if (!g) return null;
  const v4 = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zero = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  // ::ffff:a.b.c.d reaches a.b.c.d itself on dual-stack sockets.
  if (zero(0, 5) && g[5] === 0xffff) {
    return { address: bare, family: "ipv6", embedded: { form: "ipv4_mapped", ipv4: v4(g[6] ?? 0, g[7] ?? 0) } };
  }
  // 64:ff9b::a.b.c.d (RFC 6052 well-known prefix): a NAT64 gateway forwards it to a.b.c.d.
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) {
    return { address: bare, family: "ipv6", embedded: { form: "nat64", ipv4: v4(g[6] ?? 0, g[7] ?? 0) } };
  }
  // 2002:AABB:CCDD::/48 (RFC 3056): a 6to4 relay forwards it to AA.BB.CC.DD.
  if (g[0] === 0x2002) {
    return { address: bare, family: "ipv6", embedded: { form: "6to4", ipv4: v4(g[1] ?? 0, g[2] ?? 0) } };
  }
  return { address: bare, family: "ipv6" };
}

/**
 * The eight 16-bit groups of a valid IPv6 address (as accepted by `isIP`), parsed by ipaddr.js. A trailing dotted
 * quad is first written as two hex groups: ipaddr.js reads every `::a.b.c.d` as IPv4-mapped (`::ffff:a.b.c.d`), but
 * without the `ffff` it is the deprecated IPv4-compatible form, which the policy refuses as reserved.
 */
function ipv6Groups(ip: string): number[] | null {
  const quad = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  let text = ip;
  if (quad) {
    const [a, b, c, d] = quad.slice(2).map(Number) as [number, number, number, number];
    if ([a, b, c, d].some((o) => o > 255)) return null;
    text = `${quad[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  try {
    return ipaddr.IPv6.parse(text).parts;
  } catch {
    return null;
  }
}
