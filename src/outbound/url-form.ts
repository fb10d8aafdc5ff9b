/**
 * Checks the form of a delivery URL before any address is looked at: scheme, credentials, port, plain http under
 * `HOOKD_REQUIRE_HTTPS`, and IPv4 hosts written in anything but dotted-decimal. The same check runs when an endpoint
 * is saved, before every delivery (the settings may have changed since) and on a redirect's target.
 *
 * Why refuse `http://2130706433/` or `http://0x7f.1/` rather than judge the 127.0.0.1 they mean? WHATWG URL parsing
 * turns them into 127.0.0.1, so the address check would catch them, but other parsers (curl, Python, Go, inet_aton)
 * read some of these spellings differently. A URL that means different hosts to different readers is how filters are
 * bypassed, and nobody needs to write an address that way, so the spelling itself is refused.
 */
import { formatPortList, isPortAllowed, type PortRange } from "./port-list.ts";
import { EgressBlockedError } from "./target-check.ts";

export interface UrlFormPolicy {
  readonly allowedPorts: readonly PortRange[];
  readonly requireHttps: boolean;
}

/**
 * Parses `raw` (resolved against `base`, for a redirect's Location) and returns the URL when its form is allowed.
 *
 * @throws EgressBlockedError with reason invalid_url, scheme, userinfo, port, https_required or non_canonical_ip
 * @example checkUrlForm("https://example.com/hook", policy).host // "example.com"
 */
export function checkUrlForm(raw: string, policy: UrlFormPolicy, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new EgressBlockedError("invalid_url", { message: "not an absolute URL" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new EgressBlockedError("scheme", {
      message: `scheme ${url.protocol.slice(0, -1)} is not allowed: only http and https`,
    });
  }
  if (url.username !== "" || url.password !== "") {
    throw new EgressBlockedError("userinfo", {
      message: "credentials in the URL (user:pass@) are not allowed; send them as endpoint headers instead",
    });
  }
  if (url.hostname === "") throw new EgressBlockedError("invalid_url", { message: "the URL has no host" });
  if (policy.requireHttps && url.protocol === "http:") {
    throw new EgressBlockedError("https_required", { message: "plain http is refused (HOOKD_REQUIRE_HTTPS=true)" });
  }
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  if (!isPortAllowed(port, policy.allowedPorts)) {
    throw new EgressBlockedError("port", {
      host: url.hostname,
      message: `port ${port} is not allowed (HOOKD_ALLOWED_PORTS=${formatPortList(policy.allowedPorts)})`,
    });
  }
  const written = writtenHost(raw, base);
  if (written !== null && isDottedQuadResult(url.hostname) && written.toLowerCase() !== url.hostname) {
    throw new EgressBlockedError("non_canonical_ip", {
      host: written,
      message: `host ${JSON.stringify(written)} is an IPv4 address in a non-canonical spelling; write it as ${url.hostname}`,
    });
  }
  return url;
}

function isDottedQuadResult(hostname: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * The host exactly as written in `raw`, before any canonicalisation, or null when `raw` has no authority of its own
 * (a relative reference keeps the base's host, which was checked already). IPv6 literals are returned as null too:
 * their spellings all mean one address, which the address policy judges.
 *
 * This follows the WHATWG URL parser's boundaries for http and https: leading and trailing C0 controls and spaces
 * are dropped, tabs and newlines anywhere are ignored, any run of `/` or `\\` may introduce the authority, the
 * authority ends at `/`, `\\`, `?` or `#`, credentials end at the last `@`, and the port starts at the first `:`.
 */
export function writtenHost(raw: string, base?: URL): string | null {
  // eslint-disable-next-line no-control-regex -- the WHATWG URL parser strips these C0 controls and spaces
  let rest = raw.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "").replace(/[\t\n\r]/g, "");
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    rest = rest.slice(scheme[0].length);
    if (name !== "http" && name !== "https") return null; // refused by the scheme check
    const sameAsBase = base !== undefined && base.protocol === `${name}:`;
    // "http:path" against an http base is a relative reference; otherwise the authority follows the slashes.
    if (sameAsBase && !/^[/\\]{2}/.test(rest)) return null;
  } else if (!/^[/\\]{2}/.test(rest)) {
    return null; // relative reference: the base's host
  }
  const authority = rest.replace(/^[/\\]+/, "").split(/[/\\?#]/, 1)[0] ?? "";
  const hostAndPort = authority.slice(authority.lastIndexOf("@") + 1);
  if (hostAndPort.startsWith("[")) return null;
  const colon = hostAndPort.indexOf(":");
  return colon === -1 ? hostAndPort : hostAndPort.slice(0, colon);
}
