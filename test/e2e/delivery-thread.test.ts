/**
 * The embedded shape with delivery in a worker thread (HOOKD_DELIVERY_THREAD, what `hookd serve` runs on SQLite):
 * the thread has its own SQLite connection and agent, hears of ingests by message, reports attempts for /metrics,
 * and drains on close like the in-process worker.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { answer } from "../support/receiver.ts";
import { eventually, type Json, parked, useHookd, webhookHeaders } from "./harness.ts";

function metricValue(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe("delivery thread (sqlite)", () => {
  const h = useHookd("sqlite", {}, { deliveryThread: true });

  it("delivers signed requests from the thread, logs every attempt and counts them in the API thread's metrics", async () => {
    const tenant = await h.tenant();
    const ok = await h.receiver(answer(204));
    const flaky = await h.receiver();
    let calls = 0;
    flaky.handler = (_req, res) => {
      calls++;
      res.writeHead(calls === 1 ? 503 : 200).end();
    };
    const okEp = await h.api.createEndpoint(tenant, { url: ok.url, event_types: ["ok.*"] });
    await h.api.createEndpoint(tenant, { url: flaky.url, event_types: ["flaky.*"], retry_schedule_s: [0, 1] });

    const published = [];
    for (let i = 0; i < 20; i++) published.push(await h.api.publish(tenant, { type: "ok.thing", data: { i } }));
    const retried = await h.api.publish(tenant, { type: "flaky.thing", data: {} });
    await ok.waitFor(20);
    await flaky.waitFor(2);

    // Every request is signed with the endpoint's secret, and each event arrived once.
    const ids = ok.received.map((r) => {
      const verified = new Webhook(okEp.secret).verify(r.body, webhookHeaders(r.headers)) as Json;
      return verified.id as string;
    });
    expect(new Set(ids)).toEqual(new Set(published.map((p) => p.id)));

    // The retried delivery's two attempts are both in the log, recorded by the thread's connection.
    const delivery = await h.api.onlyDeliveryOf(tenant, retried.id);
    const done = await h.api.waitForDelivery(tenant, delivery.id, (d: Json) => d.status === "succeeded", 10_000);
    expect(done.attempts.map((a: Json) => a.status_code)).toEqual([503, 200]);

    // Attempts finished in the thread are counted by the API thread's registry.
    await eventually(async () => {
      const text = (await h.api.get("/metrics", { key: null })).text;
      expect(metricValue(text, 'hookd_attempts_total{outcome="success"}')).toBe(21);
      expect(metricValue(text, 'hookd_attempts_total{outcome="retry"}')).toBe(1);
    });
  });
});

describe("delivery thread: thin deliveries (sqlite)", () => {
  const h = useHookd("sqlite", {}, { deliveryThread: true });

  it("links thin deliveries to the API's real address, with tokens the API thread accepts", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    await h.api.createEndpoint(tenant, { url: receiver.url, payload_mode: "thin" });
    const ev = await h.api.publish(tenant, { type: "a.b", data: { n: 7 } });
    await receiver.waitFor(1);
    const body = JSON.parse(receiver.received[0]!.body) as Json;
    expect(body.payload_url).toMatch(new RegExp(`^${h.app.url}/v1/events/${ev.id}/payload\\?token=`));
    const fetched = await h.api.get(new URL(body.payload_url as string).pathname + new URL(body.payload_url as string).search, { key: null });
    expect([fetched.status, fetched.body.data]).toEqual([200, { n: 7 }]);
  });
});

describe("delivery thread wake-up (sqlite)", () => {
  // A poll interval far beyond the test's wait: only the API thread's message can start the delivery in time.
  const h = useHookd("sqlite", { pollIntervalMs: 60_000 }, { deliveryThread: true });

  it("claims as soon as the API thread commits new work", async () => {
    const tenant = await h.tenant();
    const r = await h.receiver(answer(200));
    await h.api.createEndpoint(tenant, { url: r.url, event_types: ["w.*"] });
    for (let i = 0; i < 3; i++) {
      await h.api.publish(tenant, { type: "w.thing", data: { i } });
      await r.waitFor(i + 1, 5_000);
    }
    expect(r.received).toHaveLength(3);
  });
});

describe("delivery thread crash (sqlite)", () => {
  const h = useHookd("sqlite", {}, { deliveryThread: true });

  it("starts a new thread when the delivery thread dies, and delivers what was published meanwhile", async () => {
    const tenant = await h.tenant();
    const r = await h.receiver(answer(200));
    await h.api.createEndpoint(tenant, { url: r.url, event_types: ["c.*"] });
    const before = await h.api.publish(tenant, { type: "c.before", data: {} });
    await r.waitFor(1);
    const first = await h.api.onlyDeliveryOf(tenant, before.id);
    await h.api.waitForDelivery(tenant, first.id, (d) => d.status === "succeeded");
    // Kill the thread from outside, as a fatal error inside it would (nothing is in flight or unrecorded now).
    const handle = h.app.worker as unknown as { thread: { terminate(): Promise<number> } | null };
    expect(handle.thread).not.toBeNull();
    await handle.thread!.terminate();
    const during = await h.api.publish(tenant, { type: "c.after", data: {} });
    await r.waitFor(2, 10_000);
    expect(r.received[1]!.headers["webhook-id"]).toBe(during.id);
  });
});

describe("delivery thread shutdown (sqlite)", () => {
  const h = useHookd("sqlite", { shutdownGraceMs: 5_000 }, { deliveryThread: true });

  it("lets an in-flight request finish and records it before close resolves", async () => {
    const tenant = await h.tenant();
    const slow = parked(200);
    const r = await h.receiver(slow.handler);
    await h.api.createEndpoint(tenant, { url: r.url, event_types: ["s.*"] });
    const published = await h.api.publish(tenant, { type: "s.thing", data: {} });
    await eventually(() => expect(slow.waiting()).toBe(1));
    const closing = h.app.close();
    setTimeout(() => slow.release(), 200);
    await closing;
    // Reopen the file: the attempt the thread made during the drain is on disk.
    const store = await h.db.open();
    try {
      const page = await store.listDeliveries(tenant, { eventId: published.id }, { limit: 10, after: null });
      expect(page.data.map((d) => d.status)).toEqual(["succeeded"]);
      expect(await store.listAttempts(page.data[0]!.id)).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
