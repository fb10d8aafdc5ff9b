/**
 * SSRF-proof egress, end to end on both stores. A "victim" HTTP server on 127.0.0.1 stands for every internal
 * service hookd must never reach; it counts connections and requests, and every test that does not allow its network
 * ends with both counts at 0. hookd runs with only 127.0.0.2/32 allowed (Linux answers on all of 127/8), so a
 * legitimate receiver on 127.0.0.2 can take part in redirects while the victim stays forbidden.
 *
 * DNS is simulated by a resolver injected into the app, which the registration check and the outbound agent's
 * connect-time lookup both use; rebinding is a name that answers a public address first and loopback afterwards.
 */
import type { LookupAddress } from "node:dns";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { parsePortList } from "../../src/outbound/port-list.ts";
import { answer, Receiver, type ReceiverHandler } from "../support/receiver.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { Api, type Json, startHookd, useHookd, webhookHeaders } from "./harness.ts";

const PUBLIC_ADDRESS = "93.184.215.14";

/** A server that must never be reached. */
class Victim {
  connections = 0;
  requests = 0;
  port = 0;
  private readonly server: Server = createServer((_req, res) => {
    this.requests++;
    res.writeHead(200).end("internal secrets");
  });

  async start(): Promise<this> {
    this.server.on("connection", () => this.connections++);
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The test's DNS: fixed answers, `rebind.test` answers a public address on its first lookup and loopback on every
 * later one, and every name's lookups are counted.
 */
function testResolver() {
  const lookups = new Map<string, number>();
  const fixed: Record<string, string[]> = {
    localhost: ["127.0.0.1", "::1"],
    "public.test": [PUBLIC_ADDRESS],
    "private.test": ["10.0.0.5"],
    "metadata.test": ["169.254.169.254"],
    "mixed.test": [PUBLIC_ADDRESS, "127.0.0.1"],
    "nat64.test": ["64:ff9b::7f00:1"],
    "receiver.test": ["127.0.0.2"],
  };
  const resolver = async (hostname: string): Promise<LookupAddress[]> => {
    const n = (lookups.get(hostname) ?? 0) + 1;
    lookups.set(hostname, n);
    const answers = hostname === "rebind.test" ? [n === 1 ? PUBLIC_ADDRESS : "127.0.0.1"] : fixed[hostname];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return answers.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { resolver, lookups };
}

function expectForbidden(res: { status: number; body: Json; text: string }, mentions?: RegExp): void {
  expect(res.status, res.text).toBe(422);
  expect(res.body.code).toBe("ENDPOINT_URL_FORBIDDEN");
  if (mentions) expect(res.body.message).toMatch(mentions);
}

describe.each(STORE_KINDS)("egress (%s)", (kind) => {
  const dns = testResolver();
  // Only the legitimate receivers' address is allowed; the ports are the production default.
  const h = useHookd(
    kind,
    { allowedNetworks: ["127.0.0.2/32"], allowedPorts: parsePortList("80,443,1024-65535") },
    { resolver: dns.resolver },
  );
  let victim: Victim;
  const receivers: Receiver[] = [];
  const receiverAt127002 = async (handler: ReceiverHandler): Promise<Receiver> => {
    const r = await new Receiver().start("127.0.0.2");
    r.handler = handler;
    receivers.push(r);
    return r;
  };

  beforeEach(async () => {
    victim = await new Victim().start();
  });
  afterEach(async () => {
    await victim.close();
    for (const r of receivers.splice(0)) await r.close();
  });

  /** Publishes one event to the tenant and waits until its only delivery has its first attempt logged. */
  async function firstAttempt(tenant: string, until: (d: Json) => boolean = (d) => d.attempts.length > 0) {
    const event = await h.api.publish(tenant, { type: "egress.test", data: { n: 1 } });
    const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
    const done = await h.api.waitForDelivery(tenant, delivery.id, until, 15_000);
    return { event, delivery: done, attempt: done.attempts[0] as Json };
  }

  it("refuses every forbidden form at registration, stores nothing and never touches the victim", async () => {
    const tenant = await h.tenant();
    const path = `/v1/tenants/${tenant}/endpoints`;
    const v = victim.port;
    const forbidden: [string, RegExp][] = [
      // loopback in every spelling
      [`http://127.0.0.1:${v}/`, /loopback/],
      [`http://127.255.255.254:${v}/`, /loopback/],
      [`http://localhost:${v}/`, /localhost resolves to .*loopback/],
      [`http://[::1]:${v}/`, /loopback/],
      [`http://[0:0:0:0:0:0:0:1]:${v}/`, /loopback/],
      [`http://[::ffff:127.0.0.1]:${v}/`, /IPv4-mapped.*loopback/],
      [`http://[::ffff:7f00:1]:${v}/`, /IPv4-mapped.*loopback/],
      [`http://[64:ff9b::7f00:1]:${v}/`, /NAT64.*loopback/],
      [`http://[64:ff9b::127.0.0.1]:${v}/`, /NAT64.*loopback/],
      [`http://[64:ff9b:1::7f00:1]:${v}/`, /NAT64/],
      [`http://[2002:7f00:1::1]:${v}/`, /6to4.*loopback/],
      [`http://[::127.0.0.1]:${v}/`, /reserved/],
      // non-canonical IPv4 spellings, refused as spellings (the raw strings go through the API)
      [`http://2130706433:${v}/`, /non-canonical/],
      [`http://0x7f.1:${v}/`, /non-canonical/],
      [`http://017700000001:${v}/`, /non-canonical/],
      [`http://0177.0.0.1:${v}/`, /non-canonical/],
      [`http://0x7f000001:${v}/`, /non-canonical/],
      [`http://127.1:${v}/`, /non-canonical/],
      [`http://127.0.0.1.:${v}/`, /non-canonical/],
      [`http://%31%32%37.0.0.1:${v}/`, /non-canonical/],
      [`http:\\\\2130706433:${v}/`, /non-canonical/],
      [`http://134744072/`, /non-canonical/], // 8.8.8.8: public, but still an ambiguous spelling
      // every other special range
      ["http://0.0.0.0:8080/", /unspecified/],
      ["http://[::]:8080/", /unspecified/],
      ["http://10.0.0.1/", /private/],
      ["http://172.16.5.4/", /private/],
      ["http://192.168.1.1/", /private/],
      ["http://[fc00::1]/", /private/],
      ["http://[fd12:3456::1]/", /private/],
      ["http://169.254.169.254/latest/meta-data/", /link-local/],
      ["http://[::ffff:169.254.169.254]/", /link-local/],
      ["http://[fe80::1]/", /link-local/],
      ["http://100.64.0.1/", /carrier-grade NAT/],
      ["http://224.0.0.1/", /multicast/],
      ["http://[ff02::1]/", /multicast/],
      ["http://255.255.255.255/", /broadcast/],
      ["http://192.0.2.1/", /documentation/],
      ["http://198.51.100.7/", /documentation/],
      ["http://203.0.113.9/", /documentation/],
      ["http://[2001:db8::1]/", /documentation/],
      ["http://198.18.0.1/", /benchmarking/],
      ["http://[2001:2::1]/", /benchmarking/],
      ["http://240.0.0.1/", /reserved/],
      // names that resolve to forbidden addresses, including a mix of public and private answers
      ["http://private.test/", /private\.test resolves to 10\.0\.0\.5/],
      ["http://metadata.test/", /169\.254\.169\.254/],
      [`http://mixed.test:${v}/`, /mixed\.test resolves to 127\.0\.0\.1/],
      [`http://nat64.test:${v}/`, /NAT64.*loopback/],
      // userinfo, schemes, ports
      ["http://user:pass@public.test/", /credentials/],
      [`http://user@receiver.test:${v}/`, /credentials/],
      ["ftp://public.test/", /scheme ftp/],
      ["file:///etc/passwd", /scheme file/],
      ["gopher://public.test:70/", /scheme gopher/],
      ["ws://public.test/", /scheme ws/],
      ["http://public.test:22/", /port 22 is not allowed \(HOOKD_ALLOWED_PORTS=80,443,1024-65535\)/],
      ["https://public.test:25/", /port 25/],
      ["http://127.0.0.2:6/", /port 6/], // even inside an allowed network
    ];
    for (const [url, mentions] of forbidden) {
      const res = await h.api.post(path, { url, event_types: ["*"] });
      expectForbidden(res, mentions);
    }
    // A loopback or private refusal names the setting that allows it on purpose; a credentials refusal does not.
    const loopback = await h.api.post(path, { url: `http://127.0.0.1:${v}/`, event_types: ["*"] });
    expect(loopback.body.message).toContain("HOOKD_ALLOWED_NETWORKS=127.0.0.0/8");
    const privateNet = await h.api.post(path, { url: "http://10.0.0.1/", event_types: ["*"] });
    expect(privateNet.body.message).toContain("HOOKD_ALLOWED_NETWORKS=10.0.0.1/32");
    const creds = await h.api.post(path, { url: "http://user:pass@public.test/", event_types: ["*"] });
    expect(creds.body.message).not.toContain("HOOKD_ALLOWED_NETWORKS");
    // The same rules hold on PATCH.
    const ok = await h.api.createEndpoint(tenant, { url: "http://public.test/hook" });
    for (const [url, mentions] of forbidden.slice(0, 5)) {
      expectForbidden(await h.api.patch(`${path}/${ok.id}`, { url }), mentions);
    }
    const stored = (await h.api.expectGet(path)).data as Json[];
    expect(stored.map((e) => e.url)).toEqual(["http://public.test/hook"]);
    expect(victim.connections).toBe(0);
    expect(victim.requests).toBe(0);
  });

  it("accepts public and allowed targets", async () => {
    const tenant = await h.tenant();
    for (const url of [
      "https://public.test/hook",
      "http://public.test:8080/hook",
      `http://${PUBLIC_ADDRESS}/`,
      "https://[2606:4700::1111]/",
      "http://127.0.0.2:9000/", // the one allowed network
      "http://receiver.test:9000/",
    ]) {
      await h.api.createEndpoint(tenant, { url });
    }
  });

  it("DNS rebinding: a name that passed registration as public is refused at connect when it turns into loopback", async () => {
    const tenant = await h.tenant();
    const before = dns.lookups.get("rebind.test") ?? 0;
    expect(before).toBe(0);
    await h.api.createEndpoint(tenant, { url: `http://rebind.test:${victim.port}/hook` });
    expect(dns.lookups.get("rebind.test")).toBe(1); // registration saw the public address

    const { delivery, attempt } = await firstAttempt(tenant, (d) => d.status === "dead");
    expect(attempt).toMatchObject({ attempt: 1, outcome: "permanent", error_class: "ssrf_blocked", status_code: null });
    expect(attempt.error).toContain("rebind.test resolves to 127.0.0.1, which is a loopback address");
    expect(delivery.attempts).toHaveLength(1); // refused for good, not retried
    // The connect-time lookup ran (and is what refused): the address judged is the one that would have been used.
    expect(dns.lookups.get("rebind.test")).toBeGreaterThanOrEqual(2);
    expect(victim.connections).toBe(0);
    expect(victim.requests).toBe(0);
  });

  it("follows a redirect from an allowed receiver only to allowed targets: the victim is never reached", async () => {
    const tenant = await h.tenant();
    const v = victim.port;
    const targets: [string, RegExp][] = [
      [`http://127.0.0.1:${v}/`, /127\.0\.0\.1 is a loopback address/],
      [`http://localhost:${v}/`, /loopback/],
      [`http://[::ffff:127.0.0.1]:${v}/`, /IPv4-mapped/],
      [`http://rebind.test:${v}/`, /loopback/], // rebind.test already answered its first (public) lookup above or now
      [`http://2130706433:${v}/`, /redirect \(302\) to http:\/\/2130706433:\d+\/ refused: .*non-canonical/],
      [`http://user:pw@127.0.0.2:${v}/`, /redirect \(302\) .* refused: credentials/],
      [`ftp://127.0.0.1:${v}/`, /redirect \(302\) .* refused: scheme ftp/],
      ["http://127.0.0.2:23/", /port 23 is not allowed/],
    ];
    // Use up rebind.test's public answer so that the redirect meets the loopback one.
    await dns.resolver("rebind.test");
    for (const [location, mentions] of targets) {
      const receiver = await receiverAt127002(answer(302, { location }));
      const ep = await h.api.createEndpoint(tenant, { url: `${receiver.url}/in`, event_types: [`r${receivers.length}.*`] });
      const event = await h.api.publish(tenant, { type: `r${receivers.length}.x`, data: {} });
      const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
      const done = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "dead", 15_000);
      expect(done.endpoint_id).toBe(ep.id);
      expect(done.attempts).toHaveLength(1);
      expect(done.attempts[0]).toMatchObject({ outcome: "permanent", error_class: "ssrf_blocked" });
      expect(done.attempts[0].error).toMatch(mentions);
      expect(receiver.received).toHaveLength(1);
    }
    expect(victim.connections).toBe(0);
    expect(victim.requests).toBe(0);
  });

  it("with the network allowed, follows one redirect and delivers the same body and signature; a second redirect fails", async () => {
    const tenant = await h.tenant();
    const second = await receiverAt127002(answer(200, {}, "received at second"));
    const first = await receiverAt127002(answer(307, { location: `${second.url}/moved?x=1` }));
    const ep = await h.api.createEndpoint(tenant, { url: `${first.url}/in`, event_types: ["one.*"] });
    const event = await h.api.publish(tenant, { type: "one.hop", data: { amount: 4200 } });
    const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
    const done = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "succeeded");

    expect(first.received).toHaveLength(1);
    expect(second.received).toHaveLength(1);
    const [a, b] = [first.received[0]!, second.received[0]!];
    expect(b.method).toBe("POST");
    expect(b.path).toBe("/moved?x=1");
    expect(b.body).toBe(a.body);
    expect(webhookHeaders(b.headers)).toEqual(webhookHeaders(a.headers));
    // The second receiver verifies the signature with the endpoint's secret.
    expect(new Webhook(ep.secret).verify(b.body, webhookHeaders(b.headers))).toMatchObject({ data: { amount: 4200 } });
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({
      outcome: "success",
      status_code: 200,
      error_class: null,
      response_body: "received at second",
      error: `followed 307 redirect to ${second.url}/moved?x=1`,
    });
    expect(done.last_error ?? null).toBeNull();

    // Two redirects: the third receiver is never reached and the attempt fails.
    const third = await receiverAt127002(answer(200));
    const middle = await receiverAt127002(answer(302, { location: `${third.url}/` }));
    const start = await receiverAt127002(answer(301, { location: `${middle.url}/` }));
    await h.api.createEndpoint(tenant, { url: `${start.url}/in`, event_types: ["two.*"] });
    const twice = await h.api.publish(tenant, { type: "two.hops", data: {} });
    const d2 = await h.api.onlyDeliveryOf(tenant, twice.id);
    const failed = await h.api.waitForDelivery(tenant, d2.id, (d) => d.attempts.length >= 1);
    expect(failed.attempts[0]).toMatchObject({ outcome: "retry", status_code: 302, error_class: "http_status" });
    expect(failed.attempts[0].error).toContain("a second redirect");
    expect(failed.attempts[0].error).toContain("hookd follows at most one");
    expect(start.received).toHaveLength(1);
    expect(middle.received).toHaveLength(1);
    expect(third.received).toHaveLength(0);
    expect(victim.requests).toBe(0);
  });
});

describe.each(STORE_KINDS)("egress settings changed after registration (%s)", (kind) => {
  let db: TestDatabase;
  let app: App | null = null;
  let victim: Victim;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await app?.close();
    await db?.destroy();
  });
  beforeEach(async () => {
    victim = await new Victim().start();
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    await victim.close();
    for (const r of receivers.splice(0)) await r.close();
  });

  it("HOOKD_REQUIRE_HTTPS and HOOKD_ALLOWED_PORTS refuse endpoints saved before they were set, at delivery", async () => {
    // Saved while loopback and every port were allowed and http was fine.
    app = await startHookd(db.url, { allowedNetworks: ["127.0.0.0/8"] });
    let api = new Api(app.url!);
    const tenant = (await api.createTenant({ name: "before" })).id as string;
    await api.createEndpoint(tenant, { url: `http://127.0.0.1:${victim.port}/plain`, event_types: ["plain.*"] });
    await app.close();

    // Restarted with https required: registration refuses http, delivery refuses the old endpoint.
    app = await startHookd(db.url, { allowedNetworks: ["127.0.0.0/8"], requireHttps: true });
    api = new Api(app.url!);
    expectForbidden(
      await api.post(`/v1/tenants/${tenant}/endpoints`, { url: `http://127.0.0.1:${victim.port}/` }),
      /HOOKD_REQUIRE_HTTPS=true/,
    );
    await api.createEndpoint(tenant, { url: `https://127.0.0.1:${victim.port}/tls`, event_types: ["none"] });
    const event = await api.publish(tenant, { type: "plain.x", data: {} });
    const delivery = await api.onlyDeliveryOf(tenant, event.id);
    const done = await api.waitForDelivery(tenant, delivery.id, (d) => d.status === "dead", 15_000);
    expect(done.attempts[0]).toMatchObject({ outcome: "permanent", error_class: "ssrf_blocked" });
    expect(done.attempts[0].error).toContain("plain http is refused (HOOKD_REQUIRE_HTTPS=true)");
    await app.close();

    // Restarted with only the web ports allowed: the victim's high port is refused at delivery.
    app = await startHookd(db.url, { allowedNetworks: ["127.0.0.0/8"], allowedPorts: parsePortList("80,443") });
    api = new Api(app.url!);
    const event2 = await api.publish(tenant, { type: "plain.y", data: {} });
    const delivery2 = await api.onlyDeliveryOf(tenant, event2.id);
    const done2 = await api.waitForDelivery(tenant, delivery2.id, (d) => d.status === "dead", 15_000);
    expect(done2.attempts[0]).toMatchObject({ outcome: "permanent", error_class: "ssrf_blocked" });
    expect(done2.attempts[0].error).toContain(`port ${victim.port} is not allowed (HOOKD_ALLOWED_PORTS=80,443)`);

    expect(victim.connections).toBe(0);
    expect(victim.requests).toBe(0);
  });
});
