/**
 * The same checks for every framework adapter, each against a real server on port 0 that hookd delivers to: a
 * genuine delivery reaches the handler with its payload; a delivery under another secret, a stale one and one
 * without headers are refused with the right status and code; a body re-serialised in transit fails; with dedupe, a
 * replayed delivery is acknowledged as a duplicate without running the handler again, and a handler that failed
 * has its id released so hookd's retry is handled.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createDeduper, MemoryDedupeStore, type VerifiedWebhook, type WebhookRouteOptions } from "../../src/index.js";
import { eventually, type Json, useHookd } from "./hookd.js";
import { hmacSignature, nowS, webhookHeaders } from "./sign.js";

/** What the app's handler does with a verified webhook: the status it answers. */
export type Behaviour = (webhook: VerifiedWebhook) => number;

export interface RunningServer {
  /** The webhook route's full URL. */
  url: string;
  close(): Promise<void>;
}

/** Starts the framework's server with the adapter on its webhook route; the handler calls `behaviour`. */
export type StartServer = (options: WebhookRouteOptions, behaviour: Behaviour) => Promise<RunningServer>;

const secret = () => `whsec_${randomBytes(32).toString("base64")}`;

export function frameworkSuite(name: string, start: StartServer): void {
  describe(`${name} adapter`, () => {
    const h = useHookd("sqlite");
    const servers: RunningServer[] = [];
    afterEach(async () => {
      for (const s of servers.splice(0)) await s.close();
    });

    async function serve(options: WebhookRouteOptions, behaviour: Behaviour = () => 204) {
      const seen: VerifiedWebhook[] = [];
      const server = await start(options, (webhook) => {
        seen.push(webhook);
        return behaviour(webhook);
      });
      servers.push(server);
      return { ...server, seen };
    }

    async function deliver(url: string, endpoint: Json, data: Json = { invoice: "in_1", amount: 4200 }) {
      const tenant = await h.tenant();
      await h.api.createEndpoint(tenant, { url, ...endpoint });
      const event = await h.api.publish(tenant, { type: "invoice.paid", data });
      const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
      const settled = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "succeeded" || d.status === "dead");
      return { tenant, event, delivery: settled };
    }

    it("hands a genuine hookd delivery to the handler, payload parsed from the signed bytes", async () => {
      const s = secret();
      const server = await serve({ secret: s });
      const data = { invoice: "in_1", amount: 4200, note: "ünïcode ✓", nested: { list: [1, 2.5, "x"] } };
      const { event, delivery } = await deliver(server.url, { secret: s }, data);
      expect(delivery.status).toBe("succeeded");
      expect(delivery.attempts.map((a: Json) => a.status_code)).toEqual([204]);
      expect(server.seen).toHaveLength(1);
      const webhook = server.seen[0]!;
      expect(webhook.id).toBe(event.id);
      expect(webhook.attempt).toBe(1);
      expect(webhook.payload).toMatchObject({ id: event.id, type: "invoice.paid", data });
      expect(webhook.rawBody.toString("utf8")).toBe(delivery.request.body);
    });

    it("refuses a delivery signed with another secret with 401 INVALID_SIGNATURE, which hookd takes as final", async () => {
      const server = await serve({ secret: secret() });
      const { delivery } = await deliver(server.url, { secret: secret() });
      expect(delivery.status).toBe("dead");
      expect(delivery.attempts).toHaveLength(1);
      expect(delivery.attempts[0]).toMatchObject({ status_code: 401, outcome: "permanent" });
      expect(JSON.parse(delivery.attempts[0].response_body as string)).toMatchObject({ code: "INVALID_SIGNATURE" });
      expect(server.seen).toEqual([]);
    });

    it("refuses stale, unsigned and re-serialised requests with their codes", async () => {
      const s = secret();
      const server = await serve({ secret: s });
      const body = '{"id":"evt_x","type":"t","data":{"a":1}}';
      const post = async (headers: Record<string, string>, payload = body) => {
        const res = await fetch(server.url, { method: "POST", headers, body: payload });
        return { status: res.status, body: (await res.json()) as Json };
      };
      const stale = nowS() - 301;
      expect(await post(webhookHeaders("evt_x", stale, hmacSignature(s, "evt_x", stale, body)))).toMatchObject({
        status: 401,
        body: { code: "TIMESTAMP_TOO_OLD" },
      });
      expect(await post({ "content-type": "application/json" })).toMatchObject({ status: 400, body: { code: "MISSING_HEADER" } });
      const ts = nowS();
      const respaced = JSON.stringify(JSON.parse(body), null, 2);
      expect(await post(webhookHeaders("evt_x", ts, hmacSignature(s, "evt_x", ts, body)), respaced)).toMatchObject({
        status: 401,
        body: { code: "INVALID_SIGNATURE" },
      });
      // The same request with the bytes as signed passes.
      expect((await fetch(server.url, { method: "POST", headers: webhookHeaders("evt_x", ts, hmacSignature(s, "evt_x", ts, body)), body })).status).toBe(204);
      expect(server.seen.map((w) => w.id)).toEqual(["evt_x"]);
    });

    it("with dedupe: a replay is acknowledged as a duplicate, and a failed attempt's retry is handled", async () => {
      const s = secret();
      let failures = 1;
      // Fails the first attempt of each id once, so hookd retries it.
      const server = await serve({ secret: s, dedupe: createDeduper({ store: new MemoryDedupeStore() }) }, () =>
        failures-- > 0 ? 500 : 204,
      );
      const { tenant, event, delivery } = await deliver(server.url, { secret: s, retry_schedule_s: [0, 1] });
      expect(delivery.status).toBe("succeeded");
      expect(delivery.attempts.map((a: Json) => a.status_code)).toEqual([500, 204]);
      expect(server.seen.map((w) => [w.id, w.attempt])).toEqual([
        [event.id, 1],
        [event.id, 2],
      ]);

      const replayed = await h.api.post(`/v1/tenants/${tenant}/deliveries/${delivery.id}/replay`);
      expect(replayed.status).toBe(202);
      const after = await eventually(async () => {
        const d = await h.api.getDelivery(tenant, delivery.id);
        expect(d.attempts).toHaveLength(3);
        expect(d.status).toBe("succeeded");
        return d;
      });
      expect(after.attempts[2]).toMatchObject({ status_code: 200 });
      expect(JSON.parse(after.attempts[2].response_body as string)).toEqual({ duplicate: true, message: "this webhook-id was already handled" });
      expect(server.seen).toHaveLength(2);
    });
  });
}
