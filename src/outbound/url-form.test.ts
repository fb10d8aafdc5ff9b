import { describe, expect, it } from "vitest";
import { parsePortList } from "./port-list.ts";
import { EgressBlockedError } from "./target-check.ts";
import { checkUrlForm, writtenHost } from "./url-form.ts";

const policy = { allowedPorts: parsePortList("80,443,1024-65535"), requireHttps: false };
const httpsOnly = { ...policy, requireHttps: true };

function refusal(raw: string, p = policy, base?: URL): EgressBlockedError {
  try {
    checkUrlForm(raw, p, base);
  } catch (err) {
    expect(err).toBeInstanceOf(EgressBlockedError);
    return err as EgressBlockedError;
  }
  throw new Error(`expected ${raw} to be refused`);
}

describe("checkUrlForm", () => {
  it.each([
    "https://example.com/hook",
    "http://example.com:8080/hook?x=1#frag",
    "https://8.8.8.8/hook",
    "http://127.0.0.1:9000/", // canonical spelling; the address policy judges the address itself
    "HTTPS://EXAMPLE.COM/",
    "https://[2606:4700::1111]/",
    "https://[2606:4700:0:0:0:0:0:1111]/", // IPv6 spellings all mean one address
    "https://example.com:443/",
    "https://xn--bcher-kva.example/",
  ])("accepts %s", (raw) => {
    expect(checkUrlForm(raw, policy)).toBeInstanceOf(URL);
  });

  it.each([
    ["ftp://example.com/", "scheme", /scheme ftp/],
    ["file:///etc/passwd", "scheme", /scheme file/],
    ["gopher://127.0.0.1:6379/_INFO", "scheme", /scheme gopher/],
    ["javascript:alert(1)", "scheme", /scheme javascript/],
    ["data:text/plain,hi", "scheme", /scheme data/],
    ["ws://example.com/", "scheme", /scheme ws/],
    ["http://user:pass@example.com/", "userinfo", /credentials/],
    ["http://user@example.com/", "userinfo", /credentials/],
    ["http://:pass@example.com/", "userinfo", /credentials/],
    ["http://example.com:22/", "port", /port 22 is not allowed \(HOOKD_ALLOWED_PORTS=80,443,1024-65535\)/],
    ["https://example.com:25/", "port", /port 25/],
    ["http://example.com:1023/", "port", /port 1023/],
    ["http://example.com:0/", "port", /port 0 /],
    ["not a url", "invalid_url", /absolute URL/],
    ["/relative/path", "invalid_url", /absolute URL/],
  ] as [string, string, RegExp][])("refuses %s (%s)", (raw, reason, message) => {
    const err = refusal(raw);
    expect(err.reason).toBe(reason);
    expect(err.message).toMatch(message);
  });

  it.each([
    ["http://2130706433/", "2130706433"],
    ["http://0x7f.1/", "0x7f.1"],
    ["http://0X7F.0.0.1/", "0X7F.0.0.1"],
    ["http://017700000001/", "017700000001"],
    ["http://0177.0.0.1/", "0177.0.0.1"],
    ["http://127.1/", "127.1"],
    ["http://127.0.1/", "127.0.1"],
    ["http://0x7f000001/", "0x7f000001"],
    ["http://127.0.0.1./", "127.0.0.1."],
    ["http://%31%32%37.0.0.1/", "%31%32%37.0.0.1"],
    ["http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "\uff11\uff12\uff17.\uff10.\uff10.\uff11"],
    ["http://8.8.8.010/", "8.8.8.010"], // public, but still ambiguous (octal 8 or decimal 10)
    ["http:\\\\2130706433/", "2130706433"],
    ["http:/\\2130706433:8080/", "2130706433"],
    ["http:2130706433/", "2130706433"],
    ["  http://2130706433/  ", "2130706433"],
    ["ht\ttp://21307\n06433/", "2130706433"],
    ["https://2130706433:8443/x", "2130706433"],
  ])("refuses the non-canonical IPv4 spelling %j", (raw, written) => {
    const err = refusal(raw);
    expect(err.reason).toBe("non_canonical_ip");
    expect(err.host).toBe(written);
    expect(err.message).toContain("non-canonical");
  });

  it("refuses credentials before looking at the host spelling", () => {
    expect(refusal("http://a:b@2130706433/").reason).toBe("userinfo");
  });

  it("refuses plain http only when https is required, and names the setting", () => {
    expect(checkUrlForm("http://example.com/", policy).protocol).toBe("http:");
    const err = refusal("http://example.com/", httpsOnly);
    expect(err.reason).toBe("https_required");
    expect(err.message).toContain("HOOKD_REQUIRE_HTTPS=true");
    expect(checkUrlForm("https://example.com/", httpsOnly).protocol).toBe("https:");
  });

  it("honours a configured port list", () => {
    const narrow = { allowedPorts: parsePortList("443,8443"), requireHttps: false };
    expect(checkUrlForm("https://example.com:8443/", narrow).port).toBe("8443");
    expect(refusal("https://example.com:8080/", narrow).message).toContain("HOOKD_ALLOWED_PORTS=443,8443");
    expect(refusal("http://example.com/", narrow).message).toContain("port 80 ");
  });

  describe("redirect targets (resolved against the previous URL)", () => {
    const base = new URL("https://receiver.example/hooks/in");

    it("resolves a relative Location against the base and keeps the base's host", () => {
      expect(checkUrlForm("/v2/hooks", policy, base).href).toBe("https://receiver.example/v2/hooks");
      expect(checkUrlForm("next", policy, base).href).toBe("https://receiver.example/hooks/next");
    });

    it.each([
      ["//2130706433/", "non_canonical_ip"],
      ["\\\\0x7f.1/", "non_canonical_ip"],
      ["https:\\\\127.1/", "non_canonical_ip"],
      ["ftp://example.com/", "scheme"],
      ["//user:pw@example.com/", "userinfo"],
      ["https://example.com:22/", "port"],
      ["http://example.com/", "https_required"],
    ])("re-runs every check on %s (%s)", (location, reason) => {
      expect(refusal(location, httpsOnly, base).reason).toBe(reason);
    });

    it("treats http:path against an http base as a relative reference", () => {
      const httpBase = new URL("http://receiver.example/a/b");
      expect(checkUrlForm("http:c", policy, httpBase).href).toBe("http://receiver.example/a/c");
    });
  });
});

describe("writtenHost", () => {
  it.each([
    ["http://example.com/", "example.com"],
    ["http://u:p@host:8080/x", "host"],
    ["http://[::1]:80/", null],
    ["/path", null],
    ["mailto:x@y", null],
    ["https://a.example?x", "a.example"],
    ["https://a.example#x", "a.example"],
  ])("%j -> %j", (raw, host) => {
    expect(writtenHost(raw)).toBe(host);
  });
});
