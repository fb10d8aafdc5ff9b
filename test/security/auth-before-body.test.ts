/**
 * Authentication comes before the body, whatever the path's spelling (issue 13, finding 9). The router decodes
 * percent-encoding, so `POST /%761/tenants/x/events` reaches the `/v1/...` route; a check on the raw URL let it
 * read, parse and validate a body of up to 16 MB before answering 401.
 *
 * For every registered route (enumerated from the server, so a new route is covered at once) and every other
 * spelling of its path (percent-encoded letters and digits, double slashes, a trailing slash, upper case, `.` and
 * `..` segments, plain and encoded), a request without a key announces a 16 MB body and sends only its first 64 KB:
 * the answer (401, or 404/405 for a spelling that matches no route) must arrive while the client still holds the
 * rest, which shows the server did not wait for the body. Public routes (health, metrics, docs) are left out: they
 * take no body and need no key.
 */
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { registeredRoutes } from "../../src/http/route-registry.ts";
import { isPublicRoute } from "../../src/http/public-routes.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { useHookd } from "../e2e/harness.ts";

const ANNOUNCED = 16 * 1024 * 1024;
const SENT = 64 * 1024;

/** A concrete path for a route pattern: every parameter becomes a plausible id. */
function concrete(pattern: string): string {
  return pattern.replace(/:([a-z_]+)/g, (_m, name: string) => (name === "tenant_id" ? "acme" : `${name.replace(/_id$/, "")}_1`));
}

/** Other ways of writing the same path that a lax router, proxy or normaliser might take for it. */
function spellings(path: string): string[] {
  const segments = path.split("/").slice(1);
  const encodeFirst = (s: string) => `%${s.charCodeAt(0).toString(16)}${s.slice(1)}`;
  const out = new Set<string>([
    path,
    `/%76${path.slice(2)}`, // /%761/...
    `/v%31${path.slice(3)}`, // /v%31/...
    `/%76%31${path.slice(3)}`,
    `/${segments.map(encodeFirst).join("/")}`, // every segment's first character encoded
    `/${segments.map((s) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("")).join("/")}`,
    `/${segments.map(encodeFirst).join("/")}`.toLowerCase(),
    `/${path}`, // //v1/...
    path.replace(/\//g, "//"),
    `${path}/`,
    path.toUpperCase(),
    `/V1${path.slice(3)}`,
    `/v1/./${path.slice(4)}`,
    `/v1/x/../${path.slice(4)}`,
    `/v1/%2e/${path.slice(4)}`,
    `/v1/x/%2e%2e/${path.slice(4)}`,
    `/v1/x/%2E%2E/${path.slice(4)}`,
    `/x/..${path}`,
    path.replace(/\//g, "%2F").replace(/^%2F/, "/"),
    `${path}?`,
    `${path}%20`,
    `${path};x=1`,
  ]);
  return [...out];
}

interface Answer {
  status: number;
  /** Bytes of the body the client had written when the status line arrived. */
  sentBefore: number;
}

/**
 * Sends `method target` with a 16 MB Content-Length and only the first 64 KB of the body, then waits for the status
 * line. The rest of the body is never sent, so a server that reads the body before answering never answers: the
 * 10 s bound then fails the test with the spelling that waited.
 */
function answerWithoutBody(base: string, method: string, target: string): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let sent = 0;
    let head = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${method} ${target}: no answer within 10 s while ${ANNOUNCED - sent} bytes of the body were unsent`));
    }, 10_000);
    socket.on("connect", () => {
      socket.write(
        `${method} ${target} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\n` +
          `content-length: ${ANNOUNCED}\r\n\r\n`,
      );
      const chunk = Buffer.alloc(SENT, 0x20);
      chunk[0] = 0x7b; // "{" then spaces: valid JSON so far
      socket.write(chunk, () => (sent = SENT));
    });
    socket.on("data", (d) => {
      head += d.toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(m[1]), sentBefore: sent });
      }
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`${method} ${target}: ${err.message}`));
    });
  });
}

describe.each(STORE_KINDS)("authentication before the body, for every spelling of every route (%s)", (kind) => {
  const h = useHookd(kind);

  it("the percent-encoded spellings do reach the /v1 routes (so the check below is not vacuous)", async () => {
    expect((await h.api.get("/%761/tenants")).status).toBe(200);
    expect((await h.api.get("/v%31/tenants")).status).toBe(200);
    expect((await h.api.get("/%76%31/%74enants")).status).toBe(200);
    expect((await h.api.get("/%761/tenants", { key: null })).status).toBe(401);
  });

  it("answers 401 (or 404/405 where nothing matches) before reading a 16 MB body", async () => {
    const routes = registeredRoutes(h.app.server!).filter((r) => !isPublicRoute(r.url) && r.method !== "HEAD");
    expect(routes.length).toBeGreaterThan(30);
    const seen: string[] = [];
    for (const route of routes) {
      for (const target of spellings(concrete(route.url))) {
        const a = await answerWithoutBody(h.app.url!, route.method, target);
        seen.push(`${route.method} ${target} -> ${a.status}`);
        expect([401, 404, 405], `${route.method} ${target}`).toContain(a.status);
        expect(a.sentBefore, `${route.method} ${target}`).toBeLessThanOrEqual(SENT);
      }
    }
    // The spellings that route to a real handler must be refused for the key, not merely not found.
    expect(seen).toContain("POST /%761/tenants/acme/events -> 401");
    expect(seen).toContain("POST /v%31/tenants/acme/events/batch -> 401");
  });
});
