/**
 * OAuth2 client credentials on endpoints, on both stores, against a real token server and a real receiver that
 * accepts only a valid bearer token from it: one token fetched and shared by the deliveries, refreshed once it
 * expires, fetched again once when the receiver answers 401; a failing token endpoint is a failed attempt of class
 * `auth` that is retried; the token URL is held to the egress policy when saved; the client secret is sealed at rest,
 * never read back, and kept when a PATCH sends its mask back.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { dumpTable } from "../support/raw-table.ts";
import type { ReceiverHandler } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { TokenServer } from "../support/token-server.ts";
import { eventually, type Json, useHookd } from "./harness.ts";

const CLIENT_ID = "hookd-client";

describe.each(STORE_KINDS)("OAuth2 client credentials (%s)", (kind) => {
  const ctx = useHookd(kind);
  const servers: TokenServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  async function setUp(oauth2: Json = {}) {
    const secret = `cs-${randomBytes(12).toString("hex")}`;
    const tokens = await new TokenServer(CLIENT_ID, secret).start();
    servers.push(tokens);
    // The receiver a gateway would front: a valid token from the token server, or 401.
    const guarded: ReceiverHandler = (req, res) => {
      res.writeHead(tokens.isValid(req.headers.authorization) ? 204 : 401);
      res.end();
    };
    const receiver = await ctx.receiver(guarded);
    const t = await ctx.tenant();
    const ep = await ctx.api.createEndpoint(t, {
      url: `${receiver.url}/hook`,
      oauth2: { token_url: tokens.url, client_id: CLIENT_ID, client_secret: secret, ...oauth2 },
    });
    return { secret, tokens, receiver, t, ep };
  }

  it("fetches one token for concurrent deliveries, reuses it, and sends it as a bearer token", async () => {
    const { secret, tokens, receiver, t, ep } = await setUp({ scopes: ["webhooks:write", "read"], audience: "https://rx.example" });
    expect(ep.oauth2).toEqual({
      token_url: tokens.url,
      client_id: CLIENT_ID,
      client_secret: "[redacted]",
      scopes: ["webhooks:write", "read"],
      audience: "https://rx.example",
      client_auth: "basic",
    });
    expect((await ctx.api.expectGet(`/v1/tenants/${t}/endpoints/${ep.id}`)).oauth2.client_secret).toBe("[redacted]");

    for (let i = 0; i < 3; i++) await ctx.api.publish(t, { type: "a.b", data: { i } });
    await receiver.waitFor(3);
    expect(receiver.received.map((r) => r.headers.authorization)).toEqual(["Bearer tok-1", "Bearer tok-1", "Bearer tok-1"]);
    expect(tokens.requests).toHaveLength(1);
    const [seen] = tokens.requests;
    expect(seen!.form).toEqual({ grant_type: "client_credentials", scope: "webhooks:write read", audience: "https://rx.example" });
    expect(seen!.headers.authorization).toMatch(/^Basic /);
    expect(seen!.client).toEqual({ id: CLIENT_ID, secret });
    expect(seen!.headers["content-type"]).toBe("application/x-www-form-urlencoded");

    const deliveries = await eventually(async () => {
      const list = await ctx.api.deliveriesOf(t);
      if (list.some((d) => d.status !== "succeeded")) throw new Error("not yet");
      return list;
    });
    const logged = await ctx.api.getDelivery(t, deliveries[0]!.id);
    expect(logged.request.headers.authorization).toBe("[redacted]");
    for (const table of ["endpoints", "attempts", "audit_log"]) {
      expect((await dumpTable(ctx.db.url, table)).includes(secret), table).toBe(false);
      expect((await dumpTable(ctx.db.url, table)).includes("tok-1"), table).toBe(false);
    }
  });

  it("sends the credentials in the body when asked, and fetches a new token once the old one expired", async () => {
    const { tokens, receiver, t } = await setUp({ client_auth: "body" });
    tokens.expiresInS = 1;
    await ctx.api.publish(t, { type: "a.b", data: {} });
    await receiver.waitFor(1);
    expect(tokens.requests[0]!.headers.authorization).toBeUndefined();
    expect(tokens.requests[0]!.form).toMatchObject({ grant_type: "client_credentials", client_id: CLIENT_ID });

    await eventually(() => expect(tokens.allExpired()).toBe(true), 5_000);
    await ctx.api.publish(t, { type: "a.b", data: {} });
    await receiver.waitFor(2);
    expect(receiver.received.map((r) => r.headers.authorization)).toEqual(["Bearer tok-1", "Bearer tok-2"]);
    expect(tokens.requests).toHaveLength(2);
  });

  it("fetches a new token once when the receiver answers 401, and records the answer to the second request", async () => {
    const { tokens, receiver, t } = await setUp();
    await ctx.api.publish(t, { type: "a.b", data: {} });
    await receiver.waitFor(1);
    tokens.revoke("tok-1");
    const evt = await ctx.api.publish(t, { type: "a.b", data: {} });
    await receiver.waitFor(3);
    expect(receiver.received.map((r) => r.headers.authorization)).toEqual(["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
    const dlv = await ctx.api.onlyDeliveryOf(t, evt.id as string);
    const done = await ctx.api.waitForDelivery(t, dlv.id, (d) => d.status === "succeeded");
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ status_code: 204, outcome: "success" });
    expect(tokens.requests).toHaveLength(2);
  });

  it("tries a fresh token only once per attempt when the receiver keeps answering 401", async () => {
    const { tokens, receiver, t } = await setUp();
    receiver.handler = (_req, res) => {
      res.writeHead(401);
      res.end("no");
    };
    const evt = await ctx.api.publish(t, { type: "a.b", data: {} });
    const dlv = await ctx.api.onlyDeliveryOf(t, evt.id as string);
    // A 401 is final, like any 4xx but 408 and 429.
    const dead = await ctx.api.waitForDelivery(t, dlv.id, (d) => d.status === "dead");
    expect(dead.attempts).toHaveLength(1);
    expect(dead.attempts[0]).toMatchObject({ status_code: 401, error_class: "http_status" });
    expect(receiver.received).toHaveLength(2);
    expect(tokens.requests).toHaveLength(2);
  });

  it("records a failing token endpoint as a failed attempt of class auth, and retries it on the schedule", async () => {
    const { tokens, receiver, t } = await setUp();
    tokens.failWith = { status: 400, body: { error: "invalid_client", error_description: "unknown client" } };
    const evt = await ctx.api.publish(t, { type: "a.b", data: {} });
    const dlv = await ctx.api.onlyDeliveryOf(t, evt.id as string);
    const failed = await ctx.api.waitForDelivery(t, dlv.id, (d) => d.attempts.length >= 1);
    expect(failed.attempts[0]).toMatchObject({ outcome: "retry", error_class: "auth", status_code: null });
    expect(failed.attempts[0].error).toBe(`no OAuth2 access token: token endpoint ${tokens.url} answered HTTP 400: invalid_client (unknown client)`);
    expect(receiver.received).toHaveLength(0);

    tokens.failWith = null;
    const done = await ctx.api.waitForDelivery(t, dlv.id, (d) => d.status === "succeeded");
    expect(done.attempts.at(-1)).toMatchObject({ outcome: "success", status_code: 204 });
    expect(receiver.received.at(-1)!.headers.authorization).toBe("Bearer tok-1");
  });

  it("refuses a token URL the egress policy refuses, when created and when changed, naming the field", async () => {
    const t = await ctx.tenant();
    for (const tokenUrl of ["http://10.1.2.3/token", "http://169.254.169.254/latest/token", "ftp://127.0.0.1/token"]) {
      const res = await ctx.api.post(`/v1/tenants/${t}/endpoints`, {
        url: "http://127.0.0.1:9/hook",
        oauth2: { token_url: tokenUrl, client_id: "c", client_secret: "s" },
      });
      expect(res.status, tokenUrl).toBe(422);
      expect(res.body).toMatchObject({ code: "ENDPOINT_URL_FORBIDDEN", details: [{ pointer: "/oauth2/token_url" }] });
      expect(res.body.message).toMatch(/^oauth2\.token_url refused/);
    }
    const ep = await ctx.api.createEndpoint(t, { url: "http://127.0.0.1:9/hook" });
    const res = await ctx.api.patch(`/v1/tenants/${t}/endpoints/${ep.id}`, {
      oauth2: { token_url: "http://192.168.0.10/token", client_id: "c", client_secret: "s" },
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("ENDPOINT_URL_FORBIDDEN");
    expect((await ctx.api.expectGet(`/v1/tenants/${t}/endpoints/${ep.id}`)).oauth2).toBeNull();
  });

  it("keeps the stored client secret when a PATCH sends the mask back, and refuses a mask with nothing stored", async () => {
    const { secret, tokens, receiver, t, ep } = await setUp();
    const patched = await ctx.api.patch(`/v1/tenants/${t}/endpoints/${ep.id}`, { oauth2: { ...ep.oauth2, scopes: ["only"] } });
    expect(patched.status, patched.text).toBe(200);
    await ctx.api.publish(t, { type: "a.b", data: {} });
    await receiver.waitFor(1);
    expect(tokens.requests[0]!.client).toEqual({ id: CLIENT_ID, secret });
    expect(tokens.requests[0]!.form.scope).toBe("only");

    const bare = await ctx.api.createEndpoint(t, { url: "http://127.0.0.1:9/hook" });
    const res = await ctx.api.patch(`/v1/tenants/${t}/endpoints/${bare.id}`, {
      oauth2: { token_url: tokens.url, client_id: "c", client_secret: "[redacted]" },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("VALIDATION_FAILED");

    const removed = await ctx.api.patch(`/v1/tenants/${t}/endpoints/${ep.id}`, { oauth2: null });
    expect(removed.body.oauth2).toBeNull();
    const audit = JSON.stringify((await ctx.api.expectGet(`/v1/tenants/${t}/audit-log`)).data);
    expect(audit).toContain(tokens.url);
    expect(audit).not.toContain(secret);
  });
});
