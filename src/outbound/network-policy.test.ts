import { describe, expect, it } from "vitest";
import { createNetworkPolicy, describeRefusal, parseCidrList } from "./network-policy.ts";

const defaultPolicy = createNetworkPolicy({ allowedNetworks: [] });

// [range, address inside the range, expected reason]; first, last and an interior address of each range are probed.
const refused: ReadonlyArray<[string, string, string]> = [
  ["0.0.0.0/8", "0.0.0.0", "unspecified"],
  ["0.0.0.0/8", "0.255.255.255", "unspecified"],
  ["10.0.0.0/8", "10.0.0.1", "private"],
  ["10.0.0.0/8", "10.255.255.255", "private"],
  ["100.64.0.0/10", "100.64.0.0", "cgnat"],
  ["100.64.0.0/10", "100.127.255.255", "cgnat"],
  ["127.0.0.0/8", "127.0.0.1", "loopback"],
  ["127.0.0.0/8", "127.255.255.254", "loopback"],
  ["169.254.0.0/16", "169.254.169.254", "link_local"],
  ["172.16.0.0/12", "172.16.0.1", "private"],
  ["172.16.0.0/12", "172.31.255.255", "private"],
  ["192.0.0.0/24", "192.0.0.8", "reserved"],
  ["192.0.0.0/24", "192.0.0.170", "reserved"],
  ["192.88.99.0/24", "192.88.99.1", "reserved"],
  ["192.0.2.0/24", "192.0.2.1", "documentation"],
  ["192.168.0.0/16", "192.168.1.1", "private"],
  ["198.18.0.0/15", "198.18.0.1", "benchmarking"],
  ["198.18.0.0/15", "198.19.255.255", "benchmarking"],
  ["198.51.100.0/24", "198.51.100.7", "documentation"],
  ["203.0.113.0/24", "203.0.113.200", "documentation"],
  ["224.0.0.0/4", "224.0.0.1", "multicast"],
  ["224.0.0.0/4", "239.255.255.250", "multicast"],
  ["240.0.0.0/4", "240.0.0.1", "reserved"],
  ["240.0.0.0/4", "255.255.255.254", "reserved"],
  ["255.255.255.255/32", "255.255.255.255", "broadcast"],
  ["::/128", "::", "unspecified"],
  ["::1/128", "::1", "loopback"],
  ["::1/128", "0:0:0:0:0:0:0:1", "loopback"],
  ["fc00::/7", "fc00::1", "private"],
  ["fc00::/7", "fdff:ffff::1", "private"],
  ["fe80::/10", "fe80::1", "link_local"],
  ["fe80::/10", "febf::1", "link_local"],
  ["fe80::/10", "fe80::1%eth0", "link_local"],
  ["ff00::/8", "ff02::1", "multicast"],
  ["2001:db8::/32", "2001:db8::1", "documentation"],
  ["2001:db8::/32", "2001:DB8:FFFF::1", "documentation"],
  ["64:ff9b:1::/48", "64:ff9b:1::808:808", "nat64"],
  ["64:ff9b:1::/48", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "nat64"],
  ["100::/64", "100::1", "reserved"],
  ["::/96", "::7f00:1", "reserved"], // IPv4-compatible ::127.0.0.1
  ["::/96", "::8.8.8.8", "reserved"],
  ["::ffff:0:0:0/96", "::ffff:0:7f00:1", "reserved"], // IPv4-translated
  ["2001::/23", "2001::1", "reserved"], // Teredo
  ["2001::/23", "2001:1ff:ffff::1", "reserved"],
  ["2001:2::/48", "2001:2::1", "benchmarking"],
  ["3fff::/20", "3fff:fff::1", "documentation"],
  ["5f00::/16", "5f00::1", "reserved"],
  ["fec0::/10", "fec0::1", "reserved"],
];

// Addresses right next to refused ranges must not be caught by an off-by-one prefix.
const allowed: readonly string[] = [
  "8.8.8.8",
  "1.1.1.1",
  "2606:4700::1111",
  "2001:4860:4860::8888",
  "1.0.0.1", // just above 0.0.0.0/8
  "11.0.0.1", // just above 10/8
  "100.63.255.255", // just below 100.64/10
  "100.128.0.0", // just above 100.64/10
  "126.255.255.255",
  "128.0.0.1",
  "169.253.255.255",
  "172.15.255.255",
  "172.32.0.0",
  "192.0.1.1",
  "192.0.3.1",
  "192.167.255.255",
  "192.169.0.0",
  "198.17.255.255",
  "198.20.0.0",
  "203.0.114.1",
  "223.255.255.255", // just below 224/4
  "fbff::1", // just below fc00::/7
  "fe00::1", // between fc00::/7 and fe80::/10
  "2600::1",
  "2001:db9::1",
  "64:ff9b:2::1", // outside both NAT64 prefixes
  "64:ff9b::808:808", // NAT64 carrying public 8.8.8.8
  "2002:808:808::1", // 6to4 carrying public 8.8.8.8
  "2001:200::1", // first real allocation after 2001::/23
  "3000::1",
  "4000::1",
  "2003::1",
  "100:0:0:1::1", // outside 100::/64
  "::1:0:0:1", // just above ::/96
];

describe("createNetworkPolicy (default policy)", () => {
  it.each(refused)("refuses %s (%s) as %s", (_range, address, reason) => {
    expect(defaultPolicy.isAllowedAddress(address)).toEqual({ allowed: false, reason });
  });

  it.each(allowed)("allows public address %s", (address) => {
    expect(defaultPolicy.isAllowedAddress(address)).toEqual({ allowed: true });
  });

  it.each([
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::FFFF:7F00:1", "loopback"],
    ["0:0:0:0:0:ffff:7f00:1", "loopback"],
    ["0:0:0:0:0:ffff:127.0.0.1", "loopback"],
    ["::ffff:10.1.2.3", "private"],
    ["::ffff:a9fe:a9fe", "link_local"], // 169.254.169.254
    ["::ffff:0.0.0.0", "unspecified"],
    ["::ffff:ffff:ffff", "broadcast"], // 255.255.255.255
    ["::ffff:c0a8:101", "private"], // 192.168.1.1
    ["::ffff:6440:1", "cgnat"], // 100.64.0.1
    ["::ffff:c000:201", "documentation"], // 192.0.2.1
    ["::ffff:c612:1", "benchmarking"], // 198.18.0.1
    ["::ffff:e000:1", "multicast"], // 224.0.0.1
  ])("unwraps IPv4-mapped %s and refuses it as %s", (address, reason) => {
    expect(defaultPolicy.isAllowedAddress(address)).toMatchObject({
      allowed: false,
      reason,
      embedded: { form: "ipv4_mapped" },
    });
  });

  it.each([
    ["64:ff9b::7f00:1", "nat64", "127.0.0.1", "loopback"],
    ["64:ff9b::127.0.0.1", "nat64", "127.0.0.1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "nat64", "169.254.169.254", "link_local"],
    ["64:ff9b::a00:1", "nat64", "10.0.0.1", "private"],
    ["64:ff9b::ffff:ffff", "nat64", "255.255.255.255", "broadcast"],
    ["2002:7f00:1::1", "6to4", "127.0.0.1", "loopback"],
    ["2002:a9fe:a9fe::", "6to4", "169.254.169.254", "link_local"],
    ["2002:c0a8:101:1::1", "6to4", "192.168.1.1", "private"],
    ["2002:c000:204::1", "6to4", "192.0.2.4", "documentation"],
    ["2002:6440:1::1", "6to4", "100.64.0.1", "cgnat"],
    ["2002::1", "6to4", "0.0.0.0", "unspecified"],
  ])("refuses %s: %s carrying %s (%s)", (address, form, ipv4, reason) => {
    expect(defaultPolicy.isAllowedAddress(address)).toEqual({ allowed: false, reason, embedded: { form, ipv4 } });
  });

  it.each(["::ffff:8.8.8.8", "::ffff:808:808", "::ffff:101:101"])("allows IPv4-mapped public address %s", (address) => {
    expect(defaultPolicy.isAllowedAddress(address)).toEqual({ allowed: true });
  });

  const notAddresses = ["", "localhost", "example.com", "127.1", "0x7f000001", "256.0.0.1", "1.2.3.04", "[::1]"];
  it.each([...notAddresses, "::1/128", " 8.8.8.8"])("refuses non-address %j as invalid_address", (input) => {
    expect(defaultPolicy.isAllowedAddress(input)).toEqual({ allowed: false, reason: "invalid_address" });
  });
});

describe("createNetworkPolicy (allowed networks)", () => {
  it("lets an explicitly allowed network through without opening other ranges", () => {
    const policy = createNetworkPolicy({ allowedNetworks: ["127.0.0.0/8"] });
    expect(policy.isAllowedAddress("127.0.0.1")).toEqual({ allowed: true });
    expect(policy.isAllowedAddress("127.5.6.7")).toEqual({ allowed: true });
    expect(policy.isAllowedAddress("::ffff:127.0.0.1")).toEqual({ allowed: true });
    expect(policy.isAllowedAddress("10.0.0.1")).toEqual({ allowed: false, reason: "private" });
    expect(policy.isAllowedAddress("::1")).toEqual({ allowed: false, reason: "loopback" });
    expect(policy.isAllowedAddress("8.8.8.8")).toEqual({ allowed: true });
  });

  it("honours the prefix length of an allowed network", () => {
    const policy = createNetworkPolicy({ allowedNetworks: ["10.1.0.0/16", "fd00:1::/32"] });
    expect(policy.isAllowedAddress("10.1.255.255")).toEqual({ allowed: true });
    expect(policy.isAllowedAddress("10.2.0.0")).toEqual({ allowed: false, reason: "private" });
    expect(policy.isAllowedAddress("fd00:1:ffff::1")).toEqual({ allowed: true });
    expect(policy.isAllowedAddress("fd00:2::1")).toEqual({ allowed: false, reason: "private" });
  });

  it("treats a bare address as a single host", () => {
    const policy = createNetworkPolicy({ allowedNetworks: ["192.168.1.10", "::1"] });
    expect(policy.isAllowedAddress("192.168.1.10")).toEqual({ allowed: true });
    expect(policy.isAllowedAddress("192.168.1.11")).toEqual({ allowed: false, reason: "private" });
    expect(policy.isAllowedAddress("::1")).toEqual({ allowed: true });
  });

  it("accepts an allow entry written in IPv4-mapped IPv6 form", () => {
    const policy = createNetworkPolicy({ allowedNetworks: ["::ffff:10.0.0.5/128"] });
    expect(policy.isAllowedAddress("::ffff:10.0.0.5")).toEqual({ allowed: true });
    expect(policy.isAllowedAddress("::ffff:10.0.0.6")).toMatchObject({ allowed: false, reason: "private" });
  });

  it.each([
    ["10.0.0.0/33", /10\.0\.0\.0\/33/],
    ["::/129", /::\/129/],
    ["10.0.0.0/", /10\.0\.0\.0\//],
    ["10.0.0.0/-1", /10\.0\.0\.0\/-1/],
    ["10.0.0.0/8x", /10\.0\.0\.0\/8x/],
    ["300.0.0.0/8", /300\.0\.0\.0\/8/],
    ["localhost", /localhost/],
    ["fe80::1%eth0/64", /fe80::1%eth0/],
    [" 10.0.0.0/8", /10\.0\.0\.0\/8/],
    ["", /""/],
  ])("throws a descriptive error for invalid CIDR %j", (cidr, mentions) => {
    expect(() => createNetworkPolicy({ allowedNetworks: ["127.0.0.0/8", cidr] })).toThrow(mentions);
    expect(() => createNetworkPolicy({ allowedNetworks: [cidr] })).toThrow(/Invalid allowed network/);
  });
});

describe("createNetworkPolicy (allowed networks and embedded IPv4)", () => {
  it("allows NAT64 and 6to4 forms of an allowed IPv4 network, and nothing else", () => {
    const policy = createNetworkPolicy({ allowedNetworks: ["10.1.0.0/16"] });
    expect(policy.isAllowedAddress("64:ff9b::a01:1")).toEqual({ allowed: true }); // 10.1.0.1
    expect(policy.isAllowedAddress("2002:a01:1::1")).toEqual({ allowed: true });
    expect(policy.isAllowedAddress("64:ff9b::a02:1")).toMatchObject({ allowed: false, reason: "private" });
    expect(policy.isAllowedAddress("64:ff9b::7f00:1")).toMatchObject({ allowed: false, reason: "loopback" });
  });
});

describe("describeRefusal", () => {
  it("names the address and what it is", () => {
    const d = defaultPolicy.isAllowedAddress("127.0.0.1");
    if (d.allowed) throw new Error("expected a refusal");
    expect(describeRefusal("127.0.0.1", d)).toBe("127.0.0.1 is a loopback address");
  });

  it("names the host that resolved to the address", () => {
    const d = defaultPolicy.isAllowedAddress("10.0.0.1");
    if (d.allowed) throw new Error("expected a refusal");
    expect(describeRefusal("10.0.0.1", d, "db.internal")).toBe(
      "db.internal resolves to 10.0.0.1, which is a private-network address",
    );
    const n = defaultPolicy.isAllowedAddress("64:ff9b::a00:1");
    if (n.allowed) throw new Error("expected a refusal");
    expect(describeRefusal("64:ff9b::a00:1", n, "x.example")).toBe(
      "x.example resolves to 64:ff9b::a00:1, which carries 10.0.0.1 (NAT64), which is a private-network address",
    );
  });

  it("names the IPv4 address an IPv6 address carries", () => {
    const d = defaultPolicy.isAllowedAddress("64:ff9b::a9fe:a9fe");
    if (d.allowed) throw new Error("expected a refusal");
    expect(describeRefusal("64:ff9b::a9fe:a9fe", d)).toBe(
      "64:ff9b::a9fe:a9fe carries 169.254.169.254 (NAT64), which is a link-local address (cloud metadata services live there)",
    );
  });
});

describe("parseCidrList", () => {
  it("splits, trims and normalises bare addresses to host networks", () => {
    expect(parseCidrList(" 127.0.0.0/8 ,::1, 10.0.0.7,fd00::/8 ")).toEqual([
      "127.0.0.0/8",
      "::1/128",
      "10.0.0.7/32",
      "fd00::/8",
    ]);
  });

  it("returns an empty list for blank input and skips empty entries", () => {
    expect(parseCidrList("")).toEqual([]);
    expect(parseCidrList("   ")).toEqual([]);
    expect(parseCidrList("10.0.0.0/8,,192.168.0.0/16,")).toEqual(["10.0.0.0/8", "192.168.0.0/16"]);
  });

  it.each(["10.0.0.0/8, 10.0.0.0/40", "bogus", "10.0.0.0/8,1.2.3", "::1/abc", "10.0.0.0 /8"])(
    "throws naming the bad entry in %j",
    (text) => {
      const bad = text.split(",").at(-1)?.trim() ?? "";
      // A string argument to toThrow matches a substring of the message.
      expect(() => parseCidrList(text)).toThrow(`Invalid network "${bad}"`);
    },
  );

  it("produces entries createNetworkPolicy accepts", () => {
    const policy = createNetworkPolicy({ allowedNetworks: parseCidrList("127.0.0.0/8, ::1") });
    expect(policy.isAllowedAddress("127.0.0.1")).toEqual({ allowed: true });
    expect(policy.isAllowedAddress("::1")).toEqual({ allowed: true });
    expect(policy.isAllowedAddress("10.0.0.1")).toEqual({ allowed: false, reason: "private" });
  });
});
