/**
 * The console's aggregate routes and the stats series, through the API on both stores: figures match what happened
 * (deliveries, dead letters, breakers, in-flight), counts stop at their cap and say so, the heatmap pages through
 * tenants with one cell per bucket, and the series splits a window into buckets that add up to the window's stats.
 */
import { describe, expect, it } from "vitest";
import { type Json, parked, useHookd } from "../e2e/harness.ts";
import { answer } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";

describe.each(STORE_KINDS)("console and stats series API (%s)", (kind) => {
  const h = useHookd(kind, { breakerMinAttempts: 2, retryScheduleS: [0] });

  it("system health counts dead letters, open breakers and in-flight deliveries, and caps its counts", async () => {
    const tenantId = await h.tenant();
    const broken = await h.receiver(answer(500));
    const ep = await h.api.createEndpoint(tenantId, { url: broken.url, event_types: ["a.*"] });
    for (let i = 0; i < 2; i++) {
      const ev = await h.api.publish(tenantId, { type: "a.b", data: { i } });
      await h.api.waitForDelivery(tenantId, (await h.api.onlyDeliveryOf(tenantId, ev.id)).id, (d) => d.status === "dead");
    }
    const slow = parked(200);
    const hold = await h.receiver(slow.handler);
    await h.api.createEndpoint(tenantId, { url: hold.url, event_types: ["slow.*"] });
    await h.api.publish(tenantId, { type: "slow.one", data: {} });
    await hold.waitFor(1);

    // The request count comes from the state the endpoint's owner writes back, at most a second behind.
    let health = await h.api.expectGet("/v1/console/health");
    for (const deadline = Date.now() + 5_000; health.queue.in_flight.value !== 1 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      health = await h.api.expectGet("/v1/console/health");
    }
    expect(health.queue.dead).toEqual({ value: 2, capped: false });
    expect(health.queue.in_flight).toEqual({ value: 1, capped: false });
    expect(health.queue.queued).toEqual({ value: 1, capped: false });
    expect(health.breakers).toMatchObject({ open: 1 });
    expect(health.open_breakers).toEqual([
      { tenant_id: tenantId, endpoint_id: ep.id, url: broken.url, breaker: "open", open_until: expect.any(String) },
    ]);
    expect(health.queue.attempts_per_s).toBeGreaterThan(0);
    expect(health.queue.drain_estimate_s).toEqual(expect.any(Number));

    // The store stops counting at the cap and says so.
    const capped = await h.app.store.consoleStats.systemHealth(Date.now(), 1, 10);
    expect(capped.dead).toEqual({ value: 1, capped: true });
    expect(capped.queued).toEqual({ value: 1, capped: false });
    slow.release();
    await h.api.waitForDelivery(tenantId, (await h.api.deliveriesOf(tenantId, { event_type: "slow.one" }))[0]!.id, (d) => d.status === "succeeded");
    expect((await h.api.expectGet("/v1/console/health")).queue.in_flight.value).toBe(0);
  });

  it("the heatmap has a row per tenant with one cell per bucket, and pages by tenant id", async () => {
    const ok = await h.receiver(answer(200));
    const fails = await h.receiver(answer(404));
    const good = (await h.api.createTenant({ id: `hm-good-${kind}`, name: "Good" })).id as string;
    const bad = (await h.api.createTenant({ id: `hm-bad-${kind}`, name: "Bad" })).id as string;
    await h.api.createEndpoint(good, { url: ok.url });
    await h.api.createEndpoint(bad, { url: fails.url });
    for (const [tenant, final] of [[good, "succeeded"], [good, "succeeded"], [good, "succeeded"], [bad, "dead"]] as const) {
      const ev = await h.api.publish(tenant, { type: "a.b", data: {} });
      await h.api.waitForDelivery(tenant, (await h.api.onlyDeliveryOf(tenant, ev.id)).id, (d) => d.status === final);
    }
    const all: Json[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await h.api.expectGet(`/v1/console/tenants?limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.data.length).toBeLessThanOrEqual(1);
      all.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    const row = (id: string) => all.find((r) => r.tenant_id === id)!;
    expect(row(good)).toMatchObject({ name: "Good", attempts: 3, success_rate: 1, endpoints: 1, open_breakers: 0 });
    expect(row(bad)).toMatchObject({ attempts: 1, success_rate: 0, dead: { value: 1, capped: false } });
    expect(row(good).cells).toHaveLength(12);
    // Everything happened just now: in the last cell.
    expect(row(good).cells.at(-1)).toEqual({ attempts: 3, succeeded: 3, success_rate: 1 });
    const day = await h.api.expectGet(`/v1/console/tenants?window=24h&limit=100`);
    expect(day.bucket_s).toBe(3600);
    expect(day.data.find((r: Json) => r.tenant_id === good).cells).toHaveLength(24);
    const refused = await h.api.get("/v1/console/tenants?window=7d");
    expect([refused.status, refused.body.code]).toEqual([400, "VALIDATION_FAILED"]);
  });

  it("the stats series buckets a window and adds up to the window's stats", async () => {
    const tenantId = await h.tenant();
    let n = 0;
    const flaky = await h.receiver((_req, res) => {
      // One failure in four, third: never half of the breaker window, so every event gets its attempt now.
      res.writeHead(n++ === 2 ? 500 : 200);
      res.end();
    });
    const ep = await h.api.createEndpoint(tenantId, { url: flaky.url });
    for (let i = 0; i < 4; i++) {
      const ev = await h.api.publish(tenantId, { type: "a.b", data: {} });
      await h.api.waitForDelivery(tenantId, (await h.api.onlyDeliveryOf(tenantId, ev.id)).id, (d) => d.status !== "pending");
    }
    for (const [window, points, bucket] of [["1h", 12, 300], ["24h", 24, 3600], ["7d", 28, 21600]] as const) {
      const series = await h.api.expectGet(`/v1/tenants/${tenantId}/endpoints/${ep.id}/stats/series?window=${window}`);
      const stats = await h.api.expectGet(`/v1/tenants/${tenantId}/endpoints/${ep.id}/stats?window=${window}`);
      expect(series.points, window).toHaveLength(points);
      expect(series.bucket_s).toBe(bucket);
      const sum = (f: string) => series.points.reduce((s: number, p: Json) => s + p[f], 0);
      expect([sum("attempts"), sum("succeeded")], window).toEqual([stats.attempts, stats.succeeded]);
      expect(stats.attempts).toBe(4);
      const last = series.points.at(-1);
      expect(last).toMatchObject({ attempts: 4, succeeded: 3, success_rate: 0.75 });
      expect(last.p95_ms).toEqual(expect.any(Number));
      expect(series.points[0]).toMatchObject({ attempts: 0, success_rate: null, p50_ms: null });
      expect(Date.parse(series.points[1].at) - Date.parse(series.points[0].at)).toBe(bucket * 1000);
    }
    const other = await h.tenant();
    const hidden = await h.api.get(`/v1/tenants/${other}/endpoints/${ep.id}/stats/series`);
    expect([hidden.status, hidden.body.code]).toEqual([404, "ENDPOINT_NOT_FOUND"]);
  });
});
