import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { createOutboundAgent } from "../outbound/agent.ts";
import { createNetworkPolicy, type NetworkPolicy } from "../outbound/network-policy.ts";
import type { PreparedRequest } from "./prepare.ts";
import { MAX_RESPONSE_READ_BYTES, STORED_RESPONSE_BYTES, errorClassOf, sendRequest } from "./send.ts";

const loopbackPolicy = createNetworkPolicy({ allowedNetworks: ["127.0.0.0/8"] });
const strictPolicy = createNetworkPolicy({ allowedNetworks: [] });

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
async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
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
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, port, requests };
}

/** A port that was just free and now has nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function agentFor(policy: NetworkPolicy): Agent {
  const agent = createOutboundAgent({ policy });
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
