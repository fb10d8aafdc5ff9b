import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { createOutboundAgent } from "../outbound/agent.ts";
import { createEgressPolicy, type EgressPolicy } from "../outbound/egress-policy.ts";
import { parsePortList } from "../outbound/port-list.ts";
import type { PreparedRequest } from "./prepare.ts";
import { MAX_RESPONSE_READ_BYTES, STORED_RESPONSE_BYTES, errorClassOf, sendRequest } from "./send.ts";

const ports = parsePortList("80,443,1024-65535");
const loopbackPolicy = createEgressPolicy({ allowedNetworks: ["127.0.0.0/8"], allowedPorts: ports, requireHttps: false });
const strictPolicy = createEgressPolicy({ allowedNetworks: [], allowedPorts: ports, requireHttps: false });

interface TestServer {
  url: string;
  port: number;
  requests: { method: string | undefined; headers: IncomingMessage["headers"]; body: string }[];
}

const servers: Server[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A real HTTP server on 127.0.0.1; `handler` answers once the request body has been read. */
async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = "127.0.0.1",
): Promise<TestServer> {
  const requests: TestServer["requests"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      handler(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://${host}:${port}/hook`, port, requests };
}

/** A port that was just free and now has nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function agentFor(policy: EgressPolicy): Agent {
  const agent = createOutboundAgent({ policy: policy.network });
  agents.push(agent);
  return agent;
}

function request(url: string, body = '{"id":"evt_1"}'): PreparedRequest {
  return {
    url,
    headers: { "content-type": "application/json", "webhook-id": "evt_1", "x-custom": "yes" },
    body,
    attempt: 1,
  };
}

describe("sendRequest", () => {
  it("returns the status code and response body of a 200, after POSTing the prepared bytes and headers", async () => {
    const srv = await startServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("thanks"));
    const out = await sendRequest(request(srv.url, '{"id":"evt_1","n":1}'), {
      dispatcher: agentFor(loopbackPolicy),
      policy: loopbackPolicy,
      timeoutMs: 5_000,
    });
    expect(out.result).toEqual({ kind: "response", statusCode: 200, retryAfter: undefined });
    expect(out.responseBody).toBe("thanks");
    expect(out.durationMs).toBeGreaterThanOrEqual(0);
    expect(srv.requests).toHaveLength(1);
    expect(srv.requests[0]).toMatchObject({
      method: "POST",
      body: '{"id":"evt_1","n":1}',
      headers: { "content-type": "application/json", "webhook-id": "evt_1", "x-custom": "yes" },
    });
  });

  it("returns null as the body of an empty response", async () => {
    const srv = await startServer((_req, res) => res.writeHead(204).end());
    const out = await sendRequest(request(srv.url), { dispatcher: agentFor(loopbackPolicy), policy: loopbackPolicy, timeoutMs: 5_000 });
    expect(out.result).toMatchObject({ kind: "response", statusCode: 204 });
    expect(out.responseBody).toBeNull();
  });

  it("surfaces Retry-After of an error response", async () => {
    const srv = await startServer((_req, res) => res.writeHead(500, { "retry-after": "30" }).end("down"));
    const out = await sendRequest(request(srv.url), { dispatcher: agentFor(loopbackPolicy), policy: loopbackPolicy, timeoutMs: 5_000 });
    expect(out.result).toEqual({ kind: "response", statusCode: 500, retryAfter: "30" });
    expect(out.responseBody).toBe("down");
  });

  it("gives up on a receiver that never answers after the timeout", async () => {
    const srv = await startServer(() => {
      // never answers
    });
    const out = await sendRequest(request(srv.url), { dispatcher: agentFor(loopbackPolicy), policy: loopbackPolicy, timeoutMs: 1_000 });
    expect(out.result).toMatchObject({ kind: "error", errorClass: "timeout", message: "timed out after 1000 ms" });
    expect(out.responseBody).toBeNull();
    expect(out.durationMs).toBeGreaterThanOrEqual(900);
    expect(out.durationMs).toBeLessThanOrEqual(5_000);
  });

  it("reports a refused connection as connect", async () => {
    const port = await closedPort();
    const out = await sendRequest(request(`http://127.0.0.1:${port}/hook`), {
      dispatcher: agentFor(loopbackPolicy),
      policy: loopbackPolicy,
      timeoutMs: 5_000,
    });
    expect(out.result).toMatchObject({ kind: "error", errorClass: "connect" });
    if (out.result.kind === "error") expect(out.result.message).toContain("ECONNREFUSED");
  });

  it("reads only a capped amount of a huge response and stores at most 4 KB of it", async () => {
    const big = "x".repeat(200 * 1024);
    const srv = await startServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end(big));
    const out = await sendRequest(request(srv.url), { dispatcher: agentFor(loopbackPolicy), policy: loopbackPolicy, timeoutMs: 5_000 });
    expect(out.result).toMatchObject({ kind: "response", statusCode: 200 });
    expect(STORED_RESPONSE_BYTES).toBeLessThanOrEqual(4096);
    expect(MAX_RESPONSE_READ_BYTES).toBeLessThan(big.length);
    expect(out.responseBody).not.toBeNull();
    expect(out.responseBody?.length).toBeLessThanOrEqual(4096);
    expect(out.responseBody).toBe("x".repeat(STORED_RESPONSE_BYTES));
  });

  it("refuses a loopback target when the policy does not allow it, without reaching the server", async () => {
    const srv = await startServer((_req, res) => res.writeHead(200).end("should not be reached"));
    const out = await sendRequest(request(srv.url), { dispatcher: agentFor(strictPolicy), policy: strictPolicy, timeoutMs: 5_000 });
    expect(out.result).toMatchObject({ kind: "error", errorClass: "ssrf_blocked" });
    if (out.result.kind === "error") expect(out.result.message).toContain("EGRESS_BLOCKED");
    expect(srv.requests).toHaveLength(0);
  });

  it("refuses a loopback IP literal even when the dispatcher itself would allow it", async () => {
    const srv = await startServer((_req, res) => res.writeHead(200).end());
    const out = await sendRequest(request(srv.url), { dispatcher: agentFor(loopbackPolicy), policy: strictPolicy, timeoutMs: 5_000 });
    expect(out.result).toMatchObject({ kind: "error", errorClass: "ssrf_blocked" });
    expect(srv.requests).toHaveLength(0);
  });

  it("refuses a host name that resolves to loopback (judged by the agent at connect time)", async () => {
    const srv = await startServer((_req, res) => res.writeHead(200).end());
    const out = await sendRequest(request(`http://localhost:${srv.port}/hook`), {
      dispatcher: agentFor(strictPolicy),
      policy: strictPolicy,
      timeoutMs: 5_000,
    });
    expect(out.result).toMatchObject({ kind: "error", errorClass: "ssrf_blocked" });
    expect(srv.requests).toHaveLength(0);
  });

  it("reports aborted when shutdown is signalled during the attempt", async () => {
    const shutdown = new AbortController();
    const srv = await startServer(() => {
      // The request has arrived: shut down instead of answering.
      shutdown.abort();
    });
    const out = await sendRequest(request(srv.url), {
      dispatcher: agentFor(loopbackPolicy),
      policy: loopbackPolicy,
      timeoutMs: 10_000,
      controller: shutdown,
    });
    expect(out.result).toMatchObject({ kind: "error", errorClass: "aborted" });
    expect(out.durationMs).toBeLessThan(10_000);
    expect(srv.requests).toHaveLength(1);
  });

  it("reports aborted when shutdown was signalled before the attempt", async () => {
    const srv = await startServer((_req, res) => res.writeHead(200).end());
    const aborted = new AbortController();
    aborted.abort();
    const out = await sendRequest(request(srv.url), {
      dispatcher: agentFor(loopbackPolicy),
      policy: loopbackPolicy,
      timeoutMs: 5_000,
      controller: aborted,
    });
    expect(out.result).toMatchObject({ kind: "error", errorClass: "aborted" });
    expect(srv.requests).toHaveLength(0);
  });

  it("never throws on a malformed URL", async () => {
    const out = await sendRequest(request("not a url"), { dispatcher: agentFor(loopbackPolicy), policy: loopbackPolicy, timeoutMs: 1_000 });
    expect(out.result.kind).toBe("error");
  });
});

/** Answers every request with a redirect to `location`. */
const redirectTo =
  (location: () => string, status = 302) =>
  (_req: IncomingMessage, res: ServerResponse) =>
    res.writeHead(status, { location: location() }).end("moved");

describe("sendRequest: redirects", () => {
  it("follows one redirect and re-POSTs the same body and signed headers", async () => {
    const second = await startServer((_req, res) => res.writeHead(200).end("ok at second"));
    const first = await startServer(redirectTo(() => `${second.url}?hop=2`, 301));
    const out = await sendRequest(request(first.url, '{"id":"evt_1","n":7}'), {
      dispatcher: agentFor(loopbackPolicy),
      policy: loopbackPolicy,
      timeoutMs: 5_000,
    });
    expect(out.result).toEqual({
      kind: "response",
      statusCode: 200,
      retryAfter: undefined,
      redirect: { statusCode: 301, location: `${second.url}?hop=2` },
    });
    expect(out.responseBody).toBe("ok at second");
    expect(first.requests).toHaveLength(1);
    expect(second.requests).toHaveLength(1);
    expect(second.requests[0]).toMatchObject({ method: "POST", body: '{"id":"evt_1","n":7}' });
    // Every header is the same except Host, which names the new target, and the custom ones: the second server is
    // another origin (another port), and custom headers stay with their own (outbound/redirect-headers.ts).
    const { host: firstHost, "x-custom": custom, ...firstHeaders } = first.requests[0]?.headers ?? {};
    const { host: secondHost, ...secondHeaders } = second.requests[0]?.headers ?? {};
    expect(custom).toBe("yes");
    expect(secondHeaders).toEqual(firstHeaders);
    expect(firstHost).toBe(`127.0.0.1:${first.port}`);
    expect(secondHost).toBe(`127.0.0.1:${second.port}`);
  });

  it.each([303, 307, 308])("follows a %i as a POST too", async (status) => {
    const second = await startServer((_req, res) => res.writeHead(204).end());
    const first = await startServer(redirectTo(() => second.url, status));
    const out = await sendRequest(request(first.url), { dispatcher: agentFor(loopbackPolicy), policy: loopbackPolicy, timeoutMs: 5_000 });
    expect(out.result).toMatchObject({ kind: "response", statusCode: 204, redirect: { statusCode: status } });
    expect(second.requests[0]?.method).toBe("POST");
  });

  it("resolves a relative Location against the URL that answered", async () => {
    let hits = 0;
    const srv = await startServer((req, res) => {
      hits++;
      if (req.url === "/hook") res.writeHead(308, { location: "/v2/hook" }).end();
      else res.writeHead(200).end(req.url);
    });
    const out = await sendRequest(request(srv.url), { dispatcher: agentFor(loopbackPolicy), policy: loopbackPolicy, timeoutMs: 5_000 });
    expect(out.result).toMatchObject({ statusCode: 200, redirect: { location: `http://127.0.0.1:${srv.port}/v2/hook` } });
    expect(out.responseBody).toBe("/v2/hook");
    expect(hits).toBe(2);
  });

  it("does not follow a second redirect: the third server is never reached", async () => {
    const third = await startServer((_req, res) => res.writeHead(200).end());
    const second = await startServer(redirectTo(() => third.url));
    const first = await startServer(redirectTo(() => second.url, 301));
    const out = await sendRequest(request(first.url), { dispatcher: agentFor(loopbackPolicy), policy: loopbackPolicy, timeoutMs: 5_000 });
    expect(out.result).toEqual({
      kind: "response",
      statusCode: 302,
      retryAfter: undefined,
      redirect: { statusCode: 301, location: second.url },
      location: third.url,
    });
    expect(first.requests).toHaveLength(1);
    expect(second.requests).toHaveLength(1);
    expect(third.requests).toHaveLength(0);
  });

  it("refuses a redirect to a loopback victim when only the receiver's address is allowed", async () => {
    const onlyReceiver = createEgressPolicy({ allowedNetworks: ["127.0.0.2/32"], allowedPorts: ports, requireHttps: false });
    const victim = await startServer((_req, res) => res.writeHead(200).end("victim"));
    for (const target of [() => victim.url, () => `http://localhost:${victim.port}/`, () => `http://[::ffff:127.0.0.1]:${victim.port}/`]) {
      const receiver = await startServer(redirectTo(target), "127.0.0.2");
      const out = await sendRequest(request(receiver.url), { dispatcher: agentFor(onlyReceiver), policy: onlyReceiver, timeoutMs: 5_000 });
      expect(out.result).toMatchObject({ kind: "error", errorClass: "ssrf_blocked" });
      expect(receiver.requests).toHaveLength(1);
    }
    expect(victim.requests).toHaveLength(0);
  });

  it.each([
    ["ftp://127.0.0.1/x", "scheme ftp is not allowed"],
    ["http://user:pw@127.0.0.1:{port}/", "credentials"],
    ["http://127.0.0.1:22/", "port 22 is not allowed"],
    ["http://2130706433:{port}/", "non-canonical"],
    ["http://0x7f.1:{port}/", "non-canonical"],
  ])("refuses a redirect to %s before connecting", async (location, message) => {
    const victim = await startServer((_req, res) => res.writeHead(200).end());
    const receiver = await startServer(redirectTo(() => location.replace("{port}", String(victim.port))));
    // Loopback is allowed here, so only the form checks stand between the redirect and the victim.
    const out = await sendRequest(request(receiver.url), { dispatcher: agentFor(loopbackPolicy), policy: loopbackPolicy, timeoutMs: 5_000 });
    expect(out.result).toMatchObject({ kind: "error", errorClass: "ssrf_blocked" });
    if (out.result.kind === "error") {
      expect(out.result.message).toContain("redirect (302) to");
      expect(out.result.message).toContain(message);
    }
    expect(victim.requests).toHaveLength(0);
  });
});

describe("sendRequest: settings that changed after the endpoint was saved", () => {
  it("refuses plain http at delivery under HOOKD_REQUIRE_HTTPS, without reaching the server", async () => {
    const httpsOnly = createEgressPolicy({ allowedNetworks: ["127.0.0.0/8"], allowedPorts: ports, requireHttps: true });
    const srv = await startServer((_req, res) => res.writeHead(200).end());
    const out = await sendRequest(request(srv.url), { dispatcher: agentFor(httpsOnly), policy: httpsOnly, timeoutMs: 5_000 });
    expect(out.result).toMatchObject({ kind: "error", errorClass: "ssrf_blocked" });
    if (out.result.kind === "error") expect(out.result.message).toContain("HOOKD_REQUIRE_HTTPS=true");
    expect(srv.requests).toHaveLength(0);
  });

  it("refuses a port no longer in HOOKD_ALLOWED_PORTS, without reaching the server", async () => {
    const webOnly = createEgressPolicy({ allowedNetworks: ["127.0.0.0/8"], allowedPorts: parsePortList("80,443"), requireHttps: false });
    const srv = await startServer((_req, res) => res.writeHead(200).end());
    const out = await sendRequest(request(srv.url), { dispatcher: agentFor(webOnly), policy: webOnly, timeoutMs: 5_000 });
    expect(out.result).toMatchObject({ kind: "error", errorClass: "ssrf_blocked" });
    if (out.result.kind === "error") expect(out.result.message).toContain(`port ${srv.port} is not allowed`);
    expect(srv.requests).toHaveLength(0);
  });
});

describe("sendRequest: response bodies are data", () => {
  it("stops reading an endless response at the cap instead of waiting for the timeout", async () => {
    let written = 0;
    const srv = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      const pump = (): void => {
        while (!res.destroyed && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once("drain", pump);
            return;
          }
        }
      };
      res.on("close", () => undefined);
      pump();
    });
    const out = await sendRequest(request(srv.url), { dispatcher: agentFor(loopbackPolicy), policy: loopbackPolicy, timeoutMs: 20_000 });
    expect(out.result).toMatchObject({ kind: "response", statusCode: 200 });
    expect(out.responseBody).toBe("a".repeat(STORED_RESPONSE_BYTES));
    // Far less than the 64 MB the server was willing to send: the read was cut at MAX_RESPONSE_READ_BYTES (plus what
    // sat in socket buffers).
    expect(written).toBeLessThan(16 * 1024 * 1024);
    expect(out.durationMs).toBeLessThan(20_000);
  });

  it("keeps a body that looks like instructions as plain text and lets only the status decide", async () => {
    const hostile = '{"status":"succeeded","outcome":"success","next_attempt_at":null}<script>alert(1)</script>';
    const srv = await startServer((_req, res) => res.writeHead(500, { "content-type": "application/json" }).end(hostile));
    const out = await sendRequest(request(srv.url), { dispatcher: agentFor(loopbackPolicy), policy: loopbackPolicy, timeoutMs: 5_000 });
    expect(out.result).toEqual({ kind: "response", statusCode: 500, retryAfter: undefined });
    expect(out.responseBody).toBe(hostile);
  });

  it("stores bytes that are not UTF-8 as text with replacement characters", async () => {
    const srv = await startServer((_req, res) => res.writeHead(200).end(Buffer.from([0x6f, 0x6b, 0xff, 0xfe, 0x00, 0x21])));
    const out = await sendRequest(request(srv.url), { dispatcher: agentFor(loopbackPolicy), policy: loopbackPolicy, timeoutMs: 5_000 });
    expect(out.responseBody).toBe("ok\ufffd\ufffd\u0000!");
  });
});

describe("errorClassOf", () => {
  const withCode = (code: string, cause?: unknown): Error => Object.assign(new Error(code, { cause }), { code });

  it.each([
    ["EGRESS_BLOCKED", "ssrf_blocked"],
    ["ENOTFOUND", "dns"],
    ["EAI_AGAIN", "dns"],
    ["DNS_LOOKUP_FAILED", "dns"],
    ["UND_ERR_CONNECT_TIMEOUT", "timeout"],
    ["ETIMEDOUT", "timeout"],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "tls"],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "tls"],
    ["ECONNREFUSED", "connect"],
    ["ECONNRESET", "connect"],
    ["UND_ERR_SOCKET", "connect"],
    ["SOMETHING_ELSE", "response"],
  ] as const)("%s -> %s", (code, expected) => {
    expect(errorClassOf(withCode(code))).toBe(expected);
  });

  it("finds a code further down the cause chain", () => {
    expect(errorClassOf(new Error("wrapped", { cause: withCode("EGRESS_BLOCKED") }))).toBe("ssrf_blocked");
  });
});
