/**
 * End to end, on both stores: GET .../endpoints/{id}/stats and GET .../stats after real receivers answered a known
 * mix of 2xx, 500 and timeouts (exact counts, percentiles in the right buckets, the live backlog), windows and their
 * validation, and the hookd_breaker_endpoints gauge following an endpoint's breaker through open and half-open.
 */
import { describe, expect, it } from "vitest";
import { OUTCOME_CLASSES } from "../../src/domain/attempt-stats.ts";
import { answer, type ReceiverHandler } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { eventually, hang, parked, useHookd } from "./harness.ts";

/** Answers by the event's `data.answer`: a status code, or "hang" for no answer at all. */
const byEvent: ReceiverHandler = (req, res) => {
  const wanted = (JSON.parse(req.body) as { data: { answer: number | "hang" } }).data.answer;
  if (wanted === "hang") return;
  res.writeHead(wanted);
  res.end();
};

function outcomes(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(OUTCOME_CLASSES.map((c) => [c, counts[c] ?? 0]));
}

describe.each(STORE_KINDS)("delivery stats (%s)", (kind) => {
  const h = useHookd(kind);

  it("reports exact counts, percentiles and the backlog for an endpoint and its tenant", async () => {
    const tenant = await h.tenant();
    const mixed = await h.receiver(byEvent);
    const fine = await h.receiver(answer(204));
    const held = parked(200);
    const slow = await h.receiver(held.handler);
    // One attempt each, then a retry an hour later: failures stay `failed`, in the backlog.
    const main = await h.api.createEndpoint(tenant, {
      url: mixed.url,
      event_types: ["main.*"],
      timeout_ms: 1_000,
      retry_schedule_s: [0, 3600],
    });
    await h.api.createEndpoint(tenant, { url: fine.url, event_types: ["fine.*"] });
    // Holds its first request open; with max_in_flight 1 the second waits unclaimed: two pending deliveries.
    await h.api.createEndpoint(tenant, { url: slow.url, event_types: ["slow.*"], max_in_flight: 1 });

    for (const a of [200, 200, 201, 500, 500, "hang"]) await h.api.publish(tenant, { type: "main.x", data: { answer: a } });
    await h.api.publish(tenant, { type: "fine.x", data: {} });
    for (let i = 0; i < 2; i++) await h.api.publish(tenant, { type: "slow.x", data: { i } });
    await eventually(async () => {
      const list = await h.api.deliveriesOf(tenant, { endpoint_id: main.id as string });
      expect(list.map((d) => d.status).sort()).toEqual(["failed", "failed", "failed", "succeeded", "succeeded", "succeeded"]);
      expect(held.waiting()).toBe(1);
      expect((await h.api.deliveriesOf(tenant, { status: "succeeded" })).length).toBe(4);
    }, 15_000);

    const ep = await h.api.expectGet(`/v1/tenants/${tenant}/endpoints/${main.id}/stats?window=1h`);
    expect(ep).toMatchObject({
      window: "1h",
      attempts: 6,
      succeeded: 3,
      failed: 3,
      success_rate: 0.5,
      by_outcome: outcomes({ success: 3, http_5xx: 2, timeout: 1 }),
      backlog: { pending: 0, failed: 3 },
    });
    expect(Date.parse(ep.to) - Date.parse(ep.from)).toBe(3_600_000);
    expect(Date.parse(ep.from) % 60_000).toBe(0);
    // Five fast local answers and one 1 s timeout: p50 is among the fast ones; p95 and p99 fall in the timeout's
    // bucket, (750, 1000] or (1000, 1500] depending on how long the timeout took to fire.
    expect(ep.latency_ms.p50).toBeLessThan(750);
    for (const p of [ep.latency_ms.p95, ep.latency_ms.p99]) {
      expect(p).toBeGreaterThan(750);
      expect(p).toBeLessThanOrEqual(1_500);
    }

    const all = await h.api.expectGet(`/v1/tenants/${tenant}/stats`);
    expect(all).toMatchObject({
      window: "24h",
      attempts: 7,
      succeeded: 4,
      failed: 3,
      success_rate: 0.5714,
      by_outcome: outcomes({ success: 4, http_5xx: 2, timeout: 1 }),
      backlog: { pending: 2, failed: 3 },
    });
    expect(Date.parse(all.to) - Date.parse(all.from)).toBe(86_400_000);
    held.release();
  });

  it("answers an endpoint without attempts with zeros and nulls, a 7-day window, and refuses bad input", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(hang);
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url });
    const quiet = await h.api.expectGet(`/v1/tenants/${tenant}/endpoints/${ep.id}/stats?window=7d`);
    expect(quiet).toMatchObject({
      window: "7d",
      attempts: 0,
      succeeded: 0,
      failed: 0,
      success_rate: null,
      by_outcome: outcomes({}),
      latency_ms: null,
      backlog: { pending: 0, failed: 0 },
    });
    expect(Date.parse(quiet.to) - Date.parse(quiet.from)).toBe(7 * 86_400_000);

    const bad = await h.api.get(`/v1/tenants/${tenant}/stats?window=2h`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: "VALIDATION_FAILED" });
    expect(JSON.stringify(bad.body.details)).toContain("window");
    const unknown = await h.api.get(`/v1/tenants/${tenant}/stats?windw=1h`);
    expect(unknown.status).toBe(400);
    const missing = await h.api.get(`/v1/tenants/${tenant}/endpoints/ep_nope/stats`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: "ENDPOINT_NOT_FOUND" });
    // Another tenant's endpoint is not found under this tenant, however the ids are combined.
    const other = await h.tenant();
    const foreign = await h.api.get(`/v1/tenants/${other}/endpoints/${ep.id}/stats`);
    expect(foreign.status).toBe(404);
    expect((await h.api.get(`/v1/tenants/nope/stats`)).body).toMatchObject({ code: "TENANT_NOT_FOUND" });
  });
});

describe.each(STORE_KINDS)("hookd_breaker_endpoints (%s)", (kind) => {
  const h = useHookd(kind, { breakerMinAttempts: 3, breakerCooldownMs: 1_000, retryScheduleS: [0, 3600] });

  async function breakerGauge(): Promise<Record<string, number>> {
    const text = (await h.api.get("/metrics", { key: null })).text;
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^hookd_breaker_endpoints\{state="(\w+)"\} (\S+)$/gm)) out[m[1]!] = Number(m[2]);
    return out;
  }

  it("counts endpoints per breaker state as a failing endpoint's breaker opens and probes", async () => {
    const tenant = await h.tenant();
    let calls = 0;
    // Three failures open the breaker; the probe after the cool-down gets no answer, so it stays half-open.
    const failing = await h.receiver((_req, res) => {
      if (++calls > 3) return;
      res.writeHead(503);
      res.end();
    });
    const healthy = await h.receiver(answer(200));
    const ep = await h.api.createEndpoint(tenant, {
      url: failing.url,
      event_types: ["bad.*"],
      max_in_flight: 1,
      timeout_ms: 30_000,
    });
    await h.api.createEndpoint(tenant, { url: healthy.url, event_types: ["good.*"] });
    expect(await breakerGauge()).toEqual({ closed: 2, open: 0, half_open: 0 });

    for (let i = 0; i < 3; i++) await h.api.publish(tenant, { type: "bad.x", data: { i } });
    const path = `/v1/tenants/${tenant}/endpoints/${ep.id}`;
    await eventually(async () => expect((await h.api.expectGet(path)).health.breaker).toBe("open"), 10_000);
    expect(await breakerGauge()).toEqual({ closed: 1, open: 1, half_open: 0 });

    await h.api.publish(tenant, { type: "bad.x", data: { probe: true } });
    await failing.waitFor(4, 10_000);
    await eventually(async () => expect(await breakerGauge()).toEqual({ closed: 1, open: 0, half_open: 1 }));
    expect((await h.api.expectGet(path)).health.breaker).toBe("half_open");
  });
});
