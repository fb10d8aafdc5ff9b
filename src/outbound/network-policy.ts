/**
 * Egress address policy: decides whether hookd may open a connection to a given IP address.
 *
 * Tenants choose the URLs hookd POSTs to, so without a policy a tenant could aim deliveries at loopback services,
 * the private network hookd runs in, or cloud metadata endpoints (169.254.169.254). Every special-purpose range below
 * is refused unless the operator explicitly allows a network containing the address (`HOOKD_ALLOWED_NETWORKS`); an
 * explicit allow always wins.
 *
 * IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`, `::ffff:7f00:1`) reach the embedded IPv4 host on dual-stack
 * sockets, so they are unwrapped and judged as the IPv4 address they carry.
 */
import { BlockList, isIP } from "node:net";

/** Stable, machine-readable reasons an address is refused. Safe to log and to show to tenants. */
export type RefusalReason =
  | "unspecified"
  | "loopback"
  | "private"
  | "link_local"
  | "cgnat"
  | "multicast"
  | "reserved"
  | "documentation"
  | "nat64"
  | "6to4"
  | "invalid_address";

export type AddressDecision = { allowed: true } | { allowed: false; reason: RefusalReason };

export interface NetworkPolicy {
  /** Judges one IP address (IPv4 or IPv6, without brackets). Anything that is not an IP address is refused. */
  isAllowedAddress(ip: string): AddressDecision;
}

type Family = "ipv4" | "ipv6";

interface SpecialRange {
  readonly network: string;
  readonly prefix: number;
  readonly family: Family;
  readonly reason: Exclude<RefusalReason, "invalid_address">;
}

function range(cidr: string, reason: SpecialRange["reason"]): SpecialRange {
  const parsed = parseCidr(cidr);
  return { ...parsed, reason };
}

/** Special-purpose ranges (IANA IPv4/IPv6 special-purpose registries, plus multicast and class E). */
const SPECIAL_RANGES: readonly SpecialRange[] = [
  // IPv4
  range("0.0.0.0/8", "unspecified"), // "this network"; 0.0.0.0 reaches the local host on Linux
  range("10.0.0.0/8", "private"),
  range("100.64.0.0/10", "cgnat"),
  range("127.0.0.0/8", "loopback"),
  range("169.254.0.0/16", "link_local"), // includes cloud metadata services
  range("172.16.0.0/12", "private"),
  range("192.0.0.0/24", "reserved"), // IETF protocol assignments
  range("192.0.2.0/24", "documentation"), // TEST-NET-1
  range("192.168.0.0/16", "private"),
  range("198.18.0.0/15", "reserved"), // benchmarking
  range("198.51.100.0/24", "documentation"), // TEST-NET-2
  range("203.0.113.0/24", "documentation"), // TEST-NET-3
  range("224.0.0.0/4", "multicast"),
  range("240.0.0.0/4", "reserved"), // class E, including 255.255.255.255 (limited broadcast)
  // IPv6
  range("::/128", "unspecified"),
  range("::1/128", "loopback"),
  range("fc00::/7", "private"), // unique local addresses
  range("fe80::/10", "link_local"),
  range("ff00::/8", "multicast"),
  range("2001:db8::/32", "documentation"),
  range("64:ff9b::/96", "nat64"), // well-known NAT64 prefix: embeds an IPv4 address
  range("2002::/16", "6to4"), // embeds an IPv4 address
  range("100::/64", "reserved"), // discard-only
];

/** One BlockList per reason, so a match tells us why. Built once; the ranges never change at runtime. */
const SPECIAL_LISTS: ReadonlyArray<{ reason: SpecialRange["reason"]; list: BlockList }> = (() => {
  const byReason = new Map<SpecialRange["reason"], BlockList>();
  for (const r of SPECIAL_RANGES) {
    let list = byReason.get(r.reason);
    if (!list) {
      list = new BlockList();
      byReason.set(r.reason, list);
    }
    list.addSubnet(r.network, r.prefix, r.family);
  }
  return [...byReason].map(([reason, list]) => ({ reason, list }));
})();

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

      if (hasAllowed) {
        if (allowList.check(addr.address, addr.family)) return { allowed: true };
        // An operator may have written the mapped form itself, e.g. `::ffff:10.0.0.5/128`.
        if (addr.mappedFrom !== undefined && allowList.check(addr.mappedFrom, "ipv6")) return { allowed: true };
      }

      for (const { reason, list } of SPECIAL_LISTS) {
        if (list.check(addr.address, addr.family)) return { allowed: false, reason };
      }
      return { allowed: true };
    },
  };
}

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
  /** The original IPv6 text when `address` was unwrapped from an IPv4-mapped IPv6 address. */
  mappedFrom?: string;
}

function normalizeAddress(ip: string): NormalizedAddress | null {
  const version = isIP(ip);
  if (version === 4) return { address: ip, family: "ipv4" };
  if (version !== 6) return null;

  // A zone identifier (`fe80::1%eth0`) only selects an interface; judge the address itself.
  const zone = ip.indexOf("%");
  const bare = zone === -1 ? ip : ip.slice(0, zone);
  const groups = ipv6Groups(bare);
  if (!groups) return null;
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) {
    const hi = groups[6] ?? 0;
    const lo = groups[7] ?? 0;
    const v4 = `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
    return { address: v4, family: "ipv4", mappedFrom: bare };
  }
  return { address: bare, family: "ipv6" };
}

/** Expands a valid IPv6 address (as accepted by `isIP`) into its eight 16-bit groups. */
function ipv6Groups(ip: string): number[] | null {
  let text = ip;
  const tail: number[] = [];
  // Trailing dotted-quad form: `::ffff:127.0.0.1`.
  if (text.includes(".")) {
    const lastColon = text.lastIndexOf(":");
    const octets = text
      .slice(lastColon + 1)
      .split(".")
      .map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return null;
    const [a = 0, b = 0, c = 0, d = 0] = octets;
    tail.push((a << 8) | b, (c << 8) | d);
    // Keep a trailing "::" intact (`::1.2.3.4` -> `::`), otherwise drop the separating colon.
    text = text.slice(0, text.endsWith("::", lastColon + 1) ? lastColon + 1 : lastColon);
  }

  const parseGroups = (part: string): number[] =>
    part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16));

  const doubleColon = text.indexOf("::");
  let groups: number[];
  if (doubleColon === -1) {
    groups = [...parseGroups(text), ...tail];
  } else {
    const head = parseGroups(text.slice(0, doubleColon));
    const rest = [...parseGroups(text.slice(doubleColon + 2)), ...tail];
    const missing = 8 - head.length - rest.length;
    if (missing < 0) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest];
  }
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null;
  return groups;
}
