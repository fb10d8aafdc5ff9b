/**
 * End to end, on both stores: tenant isolation as a receiver sees it. A per-endpoint concurrency limit held by real
 * receivers counting concurrent requests (on PostgreSQL across three worker instances sharing the database), a 429
 * with Retry-After pausing the whole endpoint, an open breaker postponing deliveries without spending attempts and
 * closing after a successful probe, endpoint health in the API, and enable.
 */
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { type App, createApp } from "../../src/app.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { answer, type ReceiverHandler } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { eventually, hookdConfig, type Json, useHookd } from "./harness.ts";

/** Answers every request after `delayMs`, counting how many are open at once. */
function concurrencyCounter(delayMs: number): { handler: ReceiverHandler; max: () => number } {
  let open = 0;
  let max = 0;
  return {
    handler: (_req, res: ServerResponse) => {
      open++;
      max = Math.max(max, open);
      setTimeout(() => {
        open--;
        res.writeHead(200);
        res.end();
      }, delayMs);
    },
    max: () => max,
  };
}

describe.each(STORE_KINDS)("tenant isolation (%s)", (kind) => {
  const h = useHookd(kind, {
    breakerMinAttempts: 3,
    breakerCooldownMs: 1_500,
    recoveryRampMs: 0,
    retryScheduleS: [0, 1, 1, 1, 1],
  });

  it("never has more than max_in_flight requests open to one endpoint, across all workers", async () => {
    const extraWorkers: App[] = [];
    if (kind === "postgres") {
      // Two more worker instances with their own pools: the limit must hold across them, through the database.
      for (let i = 0; i < 2; i++) {
        extraWorkers.push(
          await createApp(hookdConfig(h.db.url, { retryScheduleS: [0, 1, 1] }), { role: "worker", log: createLogger("silent") }),
        );
      }
    }
    try {
      const tenant = await h.tenant();
      const counter = concurrencyCounter(150);
      const receiver = await h.receiver(counter.handler);
      await h.api.createEndpoint(tenant, { url: receiver.url, max_in_flight: 3 });
      await h.api.expectPost(
        `/v1/tenants/${tenant}/events/batch`,
        { events: Array.from({ length: 30 }, (_, i) => ({ type: "job.done", data: { i } })) },
        202,
      );
      await receiver.waitFor(30, 30_000);
      expect(counter.max()).toBe(3);
      const deliveries = await h.api.deliveriesOf(tenant);
      await eventually(async () => {
        const all = await h.api.deliveriesOf(tenant);
        expect(all.filter((d) => d.status === "succeeded")).toHaveLength(30);
      });
      expect(deliveries.every((d) => d.attempts <= 1)).toBe(true);
    } finally {
      for (const w of extraWorkers) await w.close();
    }
  });

  it("pauses the whole endpoint for a 429's Retry-After, not just that delivery", async () => {
    const tenant = await h.tenant();
    let calls = 0;
    const receiver = await h.receiver((_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(429, { "retry-after": "2" });
      else res.writeHead(200);
      res.end();
    });
    await h.api.createEndpoint(tenant, { url: receiver.url });
    const first = await h.api.publish(tenant, { type: "a.b", data: { n: 1 } });
    const firstDelivery = await h.api.onlyDeliveryOf(tenant, first.id);
    await h.api.waitForDelivery(tenant, firstDelivery.id, (d) => d.attempts.length === 1);
    const limitedAt = receiver.received[0]!.at;
    // A second event once the 429 is recorded waits for the pause to end, without an attempt spent meanwhile.
    const second = await h.api.publish(tenant, { type: "a.b", data: { n: 2 } });
    const delivery = await h.api.onlyDeliveryOf(tenant, second.id);
    await new Promise((r) => setTimeout(r, 800));
    expect((await h.api.getDelivery(tenant, delivery.id)).attempts).toHaveLength(0);
    const ep = (await h.api.expectGet(`/v1/tenants/${tenant}/endpoints`)).data[0] as Json;
    expect(ep.health.paused_until).not.toBeNull();
    await receiver.waitFor(2, 10_000);
    expect(receiver.received[1]!.at - limitedAt).toBeGreaterThanOrEqual(1_900);
    const done = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "succeeded");
    expect(done.attempts).toHaveLength(1);
  });

  it("opens the breaker on failures, postpones without spending attempts, probes after the cool-down, closes", async () => {
    const tenant = await h.tenant();
    let healthy = false;
    const receiver = await h.receiver((_req, res) => {
      res.writeHead(healthy ? 200 : 503);
      res.end();
    });
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url, max_in_flight: 1 });
    const path = `/v1/tenants/${tenant}/endpoints/${ep.id}`;
    for (let i = 0; i < 3; i++) await h.api.publish(tenant, { type: "a.b", data: { i } });
    await eventually(async () => expect((await h.api.expectGet(path)).health.breaker).toBe("open"), 10_000);
    const openHealth = (await h.api.expectGet(path)).health;
    expect(openHealth.failure_rate).toBe(1);
    expect(openHealth.open_until).not.toBeNull();
    const attemptsWhenOpened = receiver.received.length;
    // While open, new events wait: no request, no attempt.
    const later = await h.api.publish(tenant, { type: "a.b", data: { later: true } });
    const laterDelivery = await h.api.onlyDeliveryOf(tenant, later.id);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received.length).toBe(attemptsWhenOpened);
    expect(await h.api.getDelivery(tenant, laterDelivery.id)).toMatchObject({ status: "pending", attempts: [] });

    healthy = true;
    const done = await h.api.waitForDelivery(tenant, laterDelivery.id, (d) => d.status === "succeeded", 15_000);
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0].attempt).toBe(1);
    await eventually(async () => expect((await h.api.expectGet(path)).health.breaker).toBe("closed"), 10_000);
  });

  it("shows health on GET and in the list, and enable resets a disabled endpoint", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url, rate_limit_per_s: 50, max_in_flight: 4 });
    expect(ep).toMatchObject({ max_in_flight: 4, rate_limit_per_s: 50 });
    const event = await h.api.publish(tenant, { type: "a.b", data: {} });
    await h.api.waitForDelivery(tenant, (await h.api.onlyDeliveryOf(tenant, event.id)).id, (d) => d.status === "succeeded");
    const path = `/v1/tenants/${tenant}/endpoints/${ep.id}`;
    const fetched = await eventually(async () => {
      const e = await h.api.expectGet(path);
      expect(e.health.p50_ms).not.toBeNull();
      return e;
    });
    expect(fetched.health).toMatchObject({ breaker: "closed", failure_rate: 0, in_flight: 0, paused_until: null });
    expect(fetched.health.last_success_at).toEqual(expect.any(String));

    const disabled = await h.api.patch(path, { disabled: true });
    expect(disabled.body).toMatchObject({ disabled: true, disabled_reason: "disabled by request" });
    const enabled = await h.api.post(`${path}/enable`);
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ disabled: false, disabled_reason: null, health: { breaker: "closed", p50_ms: null } });
    expect((await h.api.post(`/v1/tenants/${tenant}/endpoints/ep_missing/enable`)).body.code).toBe("ENDPOINT_NOT_FOUND");
  });

  it("validates max_in_flight and rate_limit_per_s", async () => {
    const tenant = await h.tenant();
    for (const bad of [{ max_in_flight: 0 }, { max_in_flight: 1.5 }, { max_in_flight: 1001 }, { rate_limit_per_s: -1 }, { rate_limit_per_s: 1e6 }]) {
      const res = await h.api.post(`/v1/tenants/${tenant}/endpoints`, { url: "http://127.0.0.1:9/x", ...bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
    const ok = await h.api.createEndpoint(tenant, { url: "http://127.0.0.1:9/x" });
    expect(ok).toMatchObject({ max_in_flight: 16, rate_limit_per_s: null });
    const patched = await h.api.patch(`/v1/tenants/${tenant}/endpoints/${ok.id}`, { rate_limit_per_s: 0.5, max_in_flight: 2 });
    expect(patched.body).toMatchObject({ rate_limit_per_s: 0.5, max_in_flight: 2 });
  });
});
