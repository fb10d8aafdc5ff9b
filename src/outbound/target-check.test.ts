import type { LookupAddress, LookupOptions } from "node:dns";
import type { LookupFunction } from "node:net";
import { describe, expect, it } from "vitest";
import { createNetworkPolicy } from "./network-policy.ts";
import {
  assertIpLiteralAllowed,
  checkUrlTarget,
  DnsLookupError,
  EgressBlockedError,
  guardedLookup,
} from "./target-check.ts";

const policy = createNetworkPolicy({ allowedNetworks: [] });

/** Resolver that must not be reached (IP literals never need DNS). */
const noDns = async (host: string): Promise<string[]> => {
  throw new Error(`unexpected DNS lookup for ${host}`);
};

async function blocked(promise: Promise<unknown>): Promise<EgressBlockedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EgressBlockedError);
  return err as EgressBlockedError;
}

describe("checkUrlTarget with IP-literal hosts", () => {
  it.each([
    ["http://127.0.0.1/hook", "loopback", "127.0.0.1"],
    ["https://10.0.0.1:8443/x", "private", "10.0.0.1"],
    ["http://169.254.169.254/latest/meta-data/", "link_local", "169.254.169.254"],
    ["http://[::1]:8080/", "loopback", "::1"],
    ["http://[::ffff:127.0.0.1]/", "loopback", "::ffff:7f00:1"],
    ["http://[fd12:3456::1]/", "private", "fd12:3456::1"],
    ["http://0.0.0.0:3000/", "unspecified", "0.0.0.0"],
    // WHATWG URL parsing turns IPv4 shorthands into dotted quads, so these are literals too.
    ["http://127.1/", "loopback", "127.0.0.1"],
    ["http://0x7f000001/", "loopback", "127.0.0.1"],
    ["http://2130706433/", "loopback", "127.0.0.1"],
  ])("refuses %s as %s", async (url, reason, address) => {
    const err = await blocked(checkUrlTarget(url, policy, noDns));
    expect(err.code).toBe("EGRESS_BLOCKED");
    expect(err.reason).toBe(reason);
    expect(err.address).toBe(address);
  });

  it.each(["https://8.8.8.8/hook", "http://[2606:4700::1111]:8080/"])(
    "accepts public literal %s without DNS",
    async (url) => {
      await expect(checkUrlTarget(url, policy, noDns)).resolves.toBeUndefined();
    },
  );

  it("accepts a literal inside an allowed network", async () => {
    const allowLoopback = createNetworkPolicy({ allowedNetworks: ["127.0.0.0/8"] });
    await expect(checkUrlTarget("http://127.0.0.1:9000/", allowLoopback, noDns)).resolves.toBeUndefined();
    const err = await blocked(checkUrlTarget("http://10.0.0.1/", allowLoopback, noDns));
    expect(err.reason).toBe("private");
  });

  it.each(["not a url", "mailto:someone@example.com"])("refuses %j as invalid_url", async (url) => {
    const err = await blocked(checkUrlTarget(url, policy, noDns));
    expect(err.reason).toBe("invalid_url");
  });
});

describe("checkUrlTarget with hostnames", () => {
  it("refuses localhost resolved through the system resolver", async () => {
    const err = await blocked(checkUrlTarget("http://localhost:8080/", policy));
    expect(err.reason).toBe("loopback");
    expect(err.host).toBe("localhost");
    expect(["127.0.0.1", "::1"]).toContain(err.address);
  });

  it("refuses a name that resolves to a public and a loopback address (rebinding style)", async () => {
    const hosts: string[] = [];
    const resolver = async (host: string) => {
      hosts.push(host);
      return ["93.184.215.14", "127.0.0.1"];
    };
    const err = await blocked(checkUrlTarget("https://rebind.example/hook", policy, resolver));
    expect(err.reason).toBe("loopback");
    expect(err.address).toBe("127.0.0.1");
    expect(err.host).toBe("rebind.example");
    expect(hosts).toEqual(["rebind.example"]);
  });

  it("accepts a name that resolves only to public addresses", async () => {
    const resolver = async () => ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"];
    await expect(checkUrlTarget("https://example.com/hook", policy, resolver)).resolves.toBeUndefined();
  });

  it("refuses when a resolver returns something that is not an address", async () => {
    const err = await blocked(checkUrlTarget("https://odd.example/", policy, async () => ["8.8.8.8", "garbage"]));
    expect(err.reason).toBe("invalid_address");
  });

  it("reports a failing lookup as DnsLookupError with the original cause", async () => {
    const cause = Object.assign(new Error("getaddrinfo ENOTFOUND nope.example"), { code: "ENOTFOUND" });
    const err = await checkUrlTarget("https://nope.example/", policy, async () => {
      throw cause;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsLookupError);
    expect((err as DnsLookupError).code).toBe("DNS_LOOKUP_FAILED");
    expect((err as DnsLookupError).host).toBe("nope.example");
    expect((err as DnsLookupError).cause).toBe(cause);
  });

  it("reports an empty answer as DnsLookupError", async () => {
    const err = await checkUrlTarget("https://empty.example/", policy, async () => []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsLookupError);
  });

  it("reports an unresolvable name via the system resolver as DnsLookupError", async () => {
    // .invalid is reserved and guaranteed never to resolve (RFC 6761).
    const err = await checkUrlTarget("https://hookd-test.invalid/", policy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsLookupError);
    expect((err as DnsLookupError).code).toBe("DNS_LOOKUP_FAILED");
  });
});

describe("assertIpLiteralAllowed", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["192.168.0.10", "private"],
  ])("throws for refused literal %s", (host, reason) => {
    let thrown: unknown;
    try {
      assertIpLiteralAllowed(host, policy);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(EgressBlockedError);
    expect((thrown as EgressBlockedError).reason).toBe(reason);
  });

  it.each(["8.8.8.8", "[2606:4700::1111]", "localhost", "example.com"])("does nothing for %s", (host) => {
    expect(() => assertIpLiteralAllowed(host, policy)).not.toThrow();
  });
});

type LookupResult = { err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };

function callLookup(lookup: LookupFunction, hostname: string, options: LookupOptions): Promise<LookupResult> {
  return new Promise((resolve) => {
    lookup(hostname, options, (err, address, family) => resolve({ err, address, family }));
  });
}

describe("guardedLookup", () => {
  const answers: Record<string, LookupAddress[]> = {
    "public.example": [
      { address: "2606:4700::1111", family: 6 },
      { address: "1.1.1.1", family: 4 },
    ],
    "mixed.example": [
      { address: "1.1.1.1", family: 4 },
      { address: "10.0.0.8", family: 4 },
    ],
  };
  const seenOptions: LookupOptions[] = [];
  const fakeResolver = async (hostname: string, options: LookupOptions): Promise<LookupAddress[]> => {
    seenOptions.push(options);
    const answer = answers[hostname];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return answer;
  };
  const lookup = guardedLookup(policy, fakeResolver);

  it("with all: true, calls back with every address when all are allowed", async () => {
    const result = await callLookup(lookup, "public.example", { all: true, family: 0 });
    expect(result.err).toBeNull();
    expect(result.address).toEqual(answers["public.example"]);
  });

  it("with all: false, calls back with the first address and its family", async () => {
    const result = await callLookup(lookup, "public.example", { family: 0, hints: 32 });
    expect(result.err).toBeNull();
    expect(result.address).toBe("2606:4700::1111");
    expect(result.family).toBe(6);
    // The resolver always gets the remaining options but never `all` (it always returns the full list).
    expect(seenOptions.at(-1)).toEqual({ family: 0, hints: 32 });
  });

  it.each([true, false])("with all: %s, refuses when any resolved address is refused", async (all) => {
    const result = await callLookup(lookup, "mixed.example", { all });
    expect(result.err).toBeInstanceOf(EgressBlockedError);
    expect((result.err as EgressBlockedError).code).toBe("EGRESS_BLOCKED");
    expect((result.err as EgressBlockedError).reason).toBe("private");
    expect((result.err as EgressBlockedError).address).toBe("10.0.0.8");
    expect((result.err as EgressBlockedError).host).toBe("mixed.example");
  });

  it("passes resolver errors through unchanged", async () => {
    const result = await callLookup(lookup, "missing.example", { all: true });
    expect(result.err?.code).toBe("ENOTFOUND");
  });

  it("uses the system resolver by default and refuses localhost", async () => {
    const result = await callLookup(guardedLookup(policy), "localhost", { all: true });
    expect(result.err).toBeInstanceOf(EgressBlockedError);
    expect((result.err as EgressBlockedError).reason).toBe("loopback");
  });

  it("lets localhost through the system resolver when loopback is allowed", async () => {
    const allowLoopback = createNetworkPolicy({ allowedNetworks: ["127.0.0.0/8", "::1/128"] });
    const result = await callLookup(guardedLookup(allowLoopback), "localhost", { all: false });
    expect(result.err).toBeNull();
    expect(["127.0.0.1", "::1"]).toContain(result.address);
  });
});
