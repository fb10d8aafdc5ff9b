/**
 * End to end, on both stores: searching the delivery log over HTTP (event type wildcards, several statuses, a time
 * window, a minimum attempt count, cursor pages) and a delivery's detail showing the request exactly as sent (URL,
 * headers with the signature redacted, body) and each attempt's response headers, body excerpt and error class.
 */
import { describe, expect, it } from "vitest";
import { answer } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { type Json, useHookd } from "./harness.ts";

describe.each(STORE_KINDS)("delivery log (%s)", (kind) => {
  const h = useHookd(kind);

  it("shows the request as sent and each attempt's response headers, body excerpt and error class", async () => {
    const tenant = await h.tenant();
    let calls = 0;
    const receiver = await h.receiver((_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(503, { "retry-after": "0", "x-receiver": "busy" });
        res.end("try later");
      } else {
        res.writeHead(200, { "x-receiver": "ok" });
        res.end("thanks");
      }
    });
    const ep = await h.api.createEndpoint(tenant, {
      url: `${receiver.url}/in?src=log`,
      headers: { "X-Customer": "c-7" },
    });
    const published = await h.api.publish(tenant, { type: "invoice.paid", data: { amount: 7 } });
    const delivery = await h.api.onlyDeliveryOf(tenant, published.id);
    const done = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "succeeded");

    const sent = receiver.received[1]!;
    expect(sent.headers["x-customer"]).toBe("c-7");
    expect(done.event_type).toBe("invoice.paid");
    expect(done.request).toEqual({
      url: `${receiver.url}/in?src=log`,
      headers: expect.objectContaining({
        "webhook-id": published.id,
        "webhook-attempt": "2",
        "webhook-timestamp": sent.headers["webhook-timestamp"],
        "webhook-signature": "[redacted]",
        // Custom header values are encrypted at rest, so the log keeps only their names.
        "x-customer": "[redacted]",
        "content-type": "application/json",
      }),
      body: sent.body,
    });
    expect(JSON.stringify(done)).not.toContain(String(sent.headers["webhook-signature"]));

    const [first, second] = done.attempts as Json[];
    expect(first).toMatchObject({
      attempt: 1,
      status_code: 503,
      response_body: "try later",
      error_class: "http_status",
      outcome: "retry",
      timeout_ms: ep.timeout_ms,
      request: { url: `${receiver.url}/in?src=log` },
    });
    expect(first!.response_headers).toMatchObject({ "retry-after": "0", "x-receiver": "busy" });
    expect(first!.request.headers["webhook-attempt"]).toBe("1");
    expect(typeof first!.duration_ms).toBe("number");
    expect(second).toMatchObject({ attempt: 2, status_code: 200, response_body: "thanks", error_class: null });
    expect(second!.response_headers).toMatchObject({ "x-receiver": "ok" });
  });

  it("classifies a refused connection as connect, with no response headers", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    const url = receiver.url;
    await receiver.close();
    await h.api.createEndpoint(tenant, { url, retry_schedule_s: [0] });
    const published = await h.api.publish(tenant, { type: "a.b", data: {} });
    const delivery = await h.api.onlyDeliveryOf(tenant, published.id);
    const dead = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "dead");
    expect(dead.attempts[0]).toMatchObject({ error_class: "connect", status_code: null, response_headers: null });
    expect(dead.request.url).toBe(url);
  });

  it("filters by event type wildcard, several statuses, time window and min attempts, in stable pages", async () => {
    const tenant = await h.tenant();
    const ok = await h.receiver(answer(200));
    const bad = await h.receiver(answer(400));
    const okEp = await h.api.createEndpoint(tenant, { url: ok.url, event_types: ["invoice.*", "user.*"] });
    const badEp = await h.api.createEndpoint(tenant, { url: bad.url, event_types: ["invoice.*"] });
    const base = `/v1/tenants/${tenant}/deliveries`;

    const t0 = new Date().toISOString();
    for (const type of ["invoice.paid", "invoice.line.added", "user.created", "invoice"]) {
      await h.api.publish(tenant, { type, data: {} });
    }
    // okEp gets the two invoice.* and user.created; badEp the two invoice.*; "invoice" matches nothing.
    const all = await h.api.deliveriesOf(tenant);
    expect(all).toHaveLength(5);
    await h.api.waitForDelivery(tenant, all[0]!.id, (d) => d.status !== "pending");
    for (const d of all) await h.api.waitForDelivery(tenant, d.id, (x) => x.status === "succeeded" || x.status === "dead");

    const ofType = (q: string) => h.api.deliveriesOf(tenant, { event_type: q });
    expect((await ofType("invoice.*")).map((d) => d.event_type).sort()).toEqual([
      "invoice.line.added",
      "invoice.line.added",
      "invoice.paid",
      "invoice.paid",
    ]);
    expect(await ofType("invoice.line.*")).toHaveLength(2);
    expect(await ofType("user.created")).toHaveLength(1);
    expect(await ofType("*")).toHaveLength(5);

    const dead = await h.api.deliveriesOf(tenant, { status: "dead" });
    expect(dead.map((d) => d.endpoint_id)).toEqual([badEp.id, badEp.id]);
    const repeated = await h.api.expectGet(`${base}?status=dead&status=succeeded`);
    expect(repeated.data).toHaveLength(5);
    const comma = await h.api.expectGet(`${base}?status=dead,succeeded&endpoint_id=${okEp.id}`);
    expect(comma.data).toHaveLength(3);
    expect((await h.api.deliveriesOf(tenant, { since: t0, min_attempts: "1" })).length).toBe(5);
    expect(await h.api.deliveriesOf(tenant, { min_attempts: "2" })).toEqual([]);
    expect(await h.api.deliveriesOf(tenant, { until: t0 })).toEqual([]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(await h.api.deliveriesOf(tenant, { since: future })).toEqual([]);

    // Newest first, two at a time, same order as the one-page listing.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = cursor ? `&cursor=${cursor}` : "";
      const page: Json = await h.api.expectGet(`${base}?limit=2${qs}`);
      paged.push(...(page.data as Json[]).map((d) => d.id as string));
      cursor = page.next_cursor as string | null;
    } while (cursor);
    expect(paged).toEqual(all.map((d) => d.id));
    expect([...paged].sort().reverse()).toEqual(paged);
  });

  it("refuses malformed filters with 400 VALIDATION_FAILED", async () => {
    const tenant = await h.tenant();
    const base = `/v1/tenants/${tenant}/deliveries`;
    for (const q of [
      "status=lost",
      "status=dead,,failed",
      "event_type=inv*",
      "event_type=a.*.b",
      "since=yesterday",
      "until=2026-13-01T00:00:00Z",
      "min_attempts=-1",
      "min_attempts=x",
    ]) {
      const res = await h.api.get(`${base}?${q}`);
      expect({ q, status: res.status, code: res.body?.code }).toEqual({ q, status: 400, code: "VALIDATION_FAILED" });
    }
  });
});
