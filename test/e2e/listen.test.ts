/**
 * `hookd listen` end to end, on both stores: a real hookd, the command run in-process against it (through the same
 * program main.ts runs), and a real local receiver on port 0. The receiver verifies what it got with the
 * standardwebhooks package; the delivery log must show the local answers as the attempts' outcomes; another
 * tenant's events never reach the session; and deliveries published while no session is connected wait, fail
 * with `relay_not_connected`, and arrive once one connects.
 */
import { PassThrough } from "node:stream";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.ts";
import { answer } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { ADMIN_KEY, type E2eContext, eventually, type Json, sequence, useHookd } from "./harness.ts";

/** Retries every second for a while: long enough for a test to connect a session in between. */
const PATIENT_SCHEDULE = [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];

interface Session {
  ready: Json;
  lines: () => Json[];
  stderr: () => string;
  /** Stops the command as Ctrl-C would; resolves with its exit status. */
  stop: () => Promise<number>;
}

const running: Session[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

/** Starts `hookd listen <localUrl> --json ...` in-process and waits for its ready line. */
async function listen(h: E2eContext, localUrl: string, args: string[], key = ADMIN_KEY): Promise<Session> {
  let stdout = "";
  let stderr = "";
  const controller = new AbortController();
  const { run } = buildProgram({
    env: { HOOKD_URL: h.app.url!, HOOKD_API_KEY: key },
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    progress: new PassThrough(),
    signal: controller.signal,
  });
  const done = run(["node", "hookd", "listen", localUrl, "--json", ...args]);
  const parsed = () =>
    stdout
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Json);
  const ready = await eventually(() => {
    const first = parsed()[0];
    if (!first?.ready) throw new Error(`not ready: ${stdout} ${stderr}`);
    return first;
  });
  let stopped: Promise<number> | null = null;
  const session: Session = {
    ready,
    lines: () => parsed().slice(1),
    stderr: () => stderr,
    stop: () => {
      controller.abort();
      stopped ??= done;
      return stopped;
    },
  };
  running.push(session);
  return session;
}

const verify = (secret: string, r: { body: string; headers: Record<string, unknown> }) =>
  new Webhook(secret).verify(r.body, {
    "webhook-id": String(r.headers["webhook-id"]),
    "webhook-timestamp": String(r.headers["webhook-timestamp"]),
    "webhook-signature": String(r.headers["webhook-signature"]),
  });

describe.each(STORE_KINDS)("hookd listen (%s)", (kind) => {
  const h = useHookd(kind);

  it("forwards the signed deliveries of the subscribed types, and the local answers are the outcomes", async () => {
    const tenant = await h.tenant();
    const local = await h.receiver(sequence(500, 200));
    const session = await listen(h, `${local.url}/webhooks`, ["--tenant", tenant, "--events", "order.*"]);
    const endpointId = session.ready.endpoint_id as string;
    expect(session.ready.event_types).toEqual(["order.*"]);
    const endpoint = await h.api.expectGet(`/v1/tenants/${tenant}/endpoints/${endpointId}`);
    expect(endpoint).toMatchObject({ type: "relay", disabled: false, event_types: ["order.*"] });

    expect((await h.api.publish(tenant, { type: "user.created", data: { n: 0 } })).matched_endpoints).toBe(0);
    const event = await h.api.publish(tenant, { type: "order.created", data: { order: 42 } });
    expect(event.matched_endpoints).toBe(1);
    const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
    const done = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "succeeded");

    // The local server got the exact request hookd signed, twice (500, then the retry), on its own path.
    expect(local.received).toHaveLength(2);
    for (const r of local.received) {
      expect(r.path).toBe("/webhooks");
      expect(verify(session.ready.secret as string, r)).toEqual({
        id: event.id,
        type: "order.created",
        timestamp: expect.any(String),
        data: { order: 42 },
      });
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers["user-agent"]).toMatch(/^hookd\//);
      expect(r.headers["hookd-relay"]).toBeUndefined();
    }
    expect(local.received.map((r) => r.headers["webhook-attempt"])).toEqual(["1", "2"]);

    // The delivery log holds the local answers.
    expect(done.attempts.map((a: Json) => [a.status_code, a.outcome])).toEqual([
      [500, "retry"],
      [200, "success"],
    ]);
    expect(done.attempts[0]).toMatchObject({ error_class: "http_status", error: "HTTP 500" });

    // One line per delivery attempt: time, type, id, local status, latency.
    await eventually(() => expect(session.lines()).toHaveLength(2));
    expect(session.lines().map((l) => [l.type, l.id, l.status])).toEqual([
      ["order.created", event.id, 500],
      ["order.created", event.id, 200],
    ]);
    for (const l of session.lines()) {
      expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(l.duration_ms).toBeGreaterThanOrEqual(0);
    }

    // Stopping the command disables the relay endpoint.
    expect(await session.stop()).toBe(0);
    expect(await h.api.expectGet(`/v1/tenants/${tenant}/endpoints/${endpointId}`)).toMatchObject({ disabled: true });
    expect((await h.api.publish(tenant, { type: "order.created", data: {} })).matched_endpoints).toBe(0);
  });

  it("never receives another tenant's events, and another tenant's key cannot open the session", async () => {
    const mine = await h.tenant();
    const theirs = await h.tenant();
    const theirKey = (await h.api.expectPost(`/v1/tenants/${theirs}/api-keys`, {}, 201)).key as string;
    const myKey = (await h.api.expectPost(`/v1/tenants/${mine}/api-keys`, {}, 201)).key as string;
    const local = await h.receiver(answer(204));
    // My own tenant key is enough to listen.
    const session = await listen(h, local.url, ["--tenant", mine], myKey);
    const endpointId = session.ready.endpoint_id as string;

    const theirEvent = await h.api.publish(theirs, { type: "order.created", data: { who: "them" } });
    expect(theirEvent.matched_endpoints).toBe(0);
    const myEvent = await h.api.publish(mine, { type: "order.created", data: { who: "me" } });
    await local.waitFor(1);
    const myDelivery = await h.api.onlyDeliveryOf(mine, myEvent.id);
    await h.api.waitForDelivery(mine, myDelivery.id, (d) => d.status === "succeeded");
    expect(local.received.map((r) => r.headers["webhook-id"])).toEqual([myEvent.id]);

    // Their key reaches neither my session nor my endpoint under their own tenant's path.
    // (Another tenant's key is told the tenant does not exist, so it learns nothing about it.)
    const foreign = await h.api.call("GET", `/v1/tenants/${mine}/relay-endpoints/${endpointId}/session`, { key: theirKey });
    expect(foreign).toMatchObject({ status: 404, body: { code: "TENANT_NOT_FOUND" } });
    const session404 = await h.api.call("GET", `/v1/tenants/${theirs}/relay-endpoints/${endpointId}/session`, { key: theirKey });
    expect(session404).toMatchObject({ status: 404, body: { code: "ENDPOINT_NOT_FOUND" } });
    const resume = await h.api.call("POST", `/v1/tenants/${theirs}/relay-endpoints`, { key: theirKey, body: { endpoint_id: endpointId } });
    expect(resume).toMatchObject({ status: 404, body: { code: "ENDPOINT_NOT_FOUND" } });
    const answers = await h.api.call("POST", `/v1/tenants/${theirs}/relay-endpoints/${endpointId}/answers`, {
      key: theirKey,
      body: { request_id: "x", status: 200 },
    });
    expect(answers).toMatchObject({ status: 404, body: { code: "RELAY_REQUEST_NOT_FOUND" } });
  });

  it("keeps deliveries while no session is connected, and delivers them once one connects", async () => {
    const tenant = await h.tenant();
    const registered = await h.api.expectPost(`/v1/tenants/${tenant}/relay-endpoints`, { event_types: ["invoice.paid"] }, 201);
    expect(registered).toMatchObject({ type: "relay", secret: expect.stringMatching(/^whsec_/) });
    await h.api.call("PATCH", `/v1/tenants/${tenant}/endpoints/${registered.id}`, { body: { retry_schedule_s: PATIENT_SCHEDULE } });

    const event = await h.api.publish(tenant, { type: "invoice.paid", data: { amount: 10 } });
    const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
    const waiting = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.attempts.length >= 1);
    expect(waiting.status).toBe("failed");
    expect(waiting.attempts[0]).toMatchObject({ status_code: null, error_class: "relay_not_connected", outcome: "retry" });
    expect(waiting.attempts[0].error).toMatch(/no `hookd listen` session is connected/);

    const local = await h.receiver(answer(200));
    const session = await listen(h, local.url, ["--tenant", tenant, "--endpoint", registered.id]);
    expect(session.ready.secret).toBe(registered.secret);
    const done = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "succeeded");
    expect(done.attempts.at(-1)).toMatchObject({ status_code: 200, outcome: "success" });
    expect(local.received).toHaveLength(1);
    expect(verify(registered.secret as string, local.received[0]!)).toMatchObject({ id: event.id, data: { amount: 10 } });
  });

  it("records a local server that is down as a connect failure with the command's reason", async () => {
    const tenant = await h.tenant();
    const session = await listen(h, "http://127.0.0.1:9/webhooks", ["--tenant", tenant]);
    const event = await h.api.publish(tenant, { type: "thing.happened", data: {} });
    const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
    const failed = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.attempts.length >= 1);
    expect(failed.attempts[0]).toMatchObject({ status_code: null, error_class: "connect", outcome: "retry" });
    expect(failed.attempts[0].error).toMatch(/^hookd listen could not reach the local URL: POST http:\/\/127\.0\.0\.1:9\/webhooks: ECONNREFUSED/);
    await eventually(() => expect(session.lines()[0]).toMatchObject({ id: event.id, status: null, error: expect.stringMatching(/ECONNREFUSED/) }));
  });

  it("guards the relay route and the relay endpoint's URL", async () => {
    const tenant = await h.tenant();
    const local = await h.receiver(answer(200));
    const session = await listen(h, local.url, ["--tenant", tenant]);
    const endpointId = session.ready.endpoint_id as string;
    const endpoint = await h.api.expectGet(`/v1/tenants/${tenant}/endpoints/${endpointId}`);
    expect(endpoint.url).toBe(`${h.app.url}/internal/relay/${tenant}/${endpointId}`);

    // The URL is hookd's own: a tenant cannot point it elsewhere (it skips the egress guard).
    const patch = await h.api.call("PATCH", `/v1/tenants/${tenant}/endpoints/${endpointId}`, { body: { url: "http://169.254.169.254/" } });
    expect(patch).toMatchObject({ status: 409, body: { code: "RELAY_URL_FIXED" } });

    // Only a request signed with the endpoint's secret reaches the session; no key is needed or accepted instead.
    const forged = await h.api.call("POST", `/internal/relay/${tenant}/${endpointId}`, {
      key: ADMIN_KEY,
      body: { id: "evt_x", type: "forged", data: {} },
      headers: { "webhook-id": "evt_x", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,AAAA" },
    });
    expect(forged).toMatchObject({ status: 401, body: { code: "UNAUTHORIZED" } });
    expect(local.received).toHaveLength(0);

    // Without a session the route says so before reading anything.
    await session.stop();
    const idle = await h.api.call("POST", `/internal/relay/${tenant}/${endpointId}`, { key: null, body: {} });
    expect(idle.status).toBe(404);
    expect(idle.headers["hookd-relay"]).toBe("not-connected");
    expect(idle.body).toMatchObject({ code: "RELAY_NOT_CONNECTED" });
  });
});

describe("hookd listen through the delivery thread (sqlite, as hookd serve runs)", () => {
  const h = useHookd("sqlite", {}, { deliveryThread: true });

  it("delivers through the thread's relay agent", async () => {
    const tenant = await h.tenant();
    const local = await h.receiver(answer(202));
    const session = await listen(h, local.url, ["--tenant", tenant]);
    const event = await h.api.publish(tenant, { type: "thing.happened", data: { x: 1 } });
    await local.waitFor(1);
    expect(verify(session.ready.secret as string, local.received[0]!)).toMatchObject({ id: event.id });
    const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
    const done = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "succeeded");
    expect(done.attempts[0]).toMatchObject({ status_code: 202, outcome: "success" });
  });
});
