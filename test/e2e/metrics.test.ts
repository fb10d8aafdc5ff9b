/**
 * End to end, on both stores: scrape GET /metrics after a known sequence of deliveries and check exact values; tenant
 * labels only when opted in; the admin-key option.
 */
import { describe, expect, it } from "vitest";
import { answer } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { eventually, type Json, useHookd } from "./harness.ts";

/** name{labels} -> value, for every sample line of a Prometheus text exposition. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe.each(STORE_KINDS)("GET /metrics (%s)", (kind) => {
  const h = useHookd(kind);

  async function scrape(): Promise<Map<string, number>> {
    const res = await h.api.get("/metrics", { key: null });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toContain("text/plain");
    return parseMetrics(res.text);
  }

  it("counts exactly 3 successes and 1 delivery retried then dead, without tenant labels", async () => {
    const tenant = await h.tenant();
    const ok = await h.receiver(answer(200));
    const bad = await h.receiver(answer(500));
    await h.api.createEndpoint(tenant, { url: ok.url, event_types: ["ok.*"] });
    // Two attempts in all: the first fails and schedules a retry 1 s later, the second fails and is the last.
    await h.api.createEndpoint(tenant, { url: bad.url, event_types: ["bad.*"], retry_schedule_s: [0, 1] });

    for (let i = 0; i < 3; i++) await h.api.publish(tenant, { type: "ok.thing", data: { i } });
    const doomed = await h.api.publish(tenant, { type: "bad.thing", data: {} });
    const delivery = await h.api.onlyDeliveryOf(tenant, doomed.id);
    await h.api.waitForDelivery(tenant, delivery.id, (d: Json) => d.status === "dead", 15_000);
    await ok.waitFor(3);

    const m = await eventually(async () => {
      const m = await scrape();
      // Records are written in batches a few ms after the attempt: wait until the store has them all.
      if (m.get("hookd_dead_deliveries") !== 1) throw new Error("dead delivery not recorded yet");
      return m;
    });
    expect(m.get("hookd_events_ingested_total")).toBe(4);
    expect(m.get("hookd_ingest_ack_seconds_count")).toBe(4);
    expect(m.get('hookd_attempts_total{outcome="success"}')).toBe(3);
    expect(m.get('hookd_attempts_total{outcome="retry"}')).toBe(2);
    expect(m.get('hookd_attempts_total{outcome="permanent"}')).toBeUndefined();
    expect(m.get('hookd_deliveries_total{status="succeeded"}')).toBe(3);
    expect(m.get('hookd_deliveries_total{status="failed"}')).toBe(1);
    expect(m.get('hookd_deliveries_total{status="dead"}')).toBe(1);
    expect(m.get('hookd_attempt_duration_seconds_count{outcome="success"}')).toBe(3);
    expect(m.get('hookd_attempt_duration_seconds_count{outcome="retry"}')).toBe(2);
    expect(m.get("hookd_delivery_latency_seconds_count")).toBe(3);
    expect(m.get('hookd_queue_depth{state="due"}')).toBe(0);
    expect(m.get('hookd_queue_depth{state="scheduled"}')).toBe(0);
    expect(m.get('hookd_queue_depth{state="in_flight"}')).toBe(0);
    expect(m.get("hookd_oldest_due_age_seconds")).toBe(0);
    expect(m.get("hookd_estimated_drain_seconds")).toBe(0);
    expect(m.get("hookd_attempt_rate_per_second")).toBeCloseTo(5 / 60, 10);

    const text = (await h.api.get("/metrics", { key: null })).text;
    expect(text).not.toContain(tenant);
    expect(text).not.toContain("tenant_id");
  });
});

describe.each(STORE_KINDS)("GET /metrics options (%s)", (kind) => {
  const h = useHookd(kind, { metricsTenantLabels: true, metricsAuth: "admin" });

  it("needs the admin key when HOOKD_METRICS_AUTH=admin, and labels per tenant when opted in", async () => {
    expect((await h.api.get("/metrics", { key: null })).status).toBe(401);
    const tenant = await h.tenant();
    const ok = await h.receiver(answer(204));
    await h.api.createEndpoint(tenant, { url: ok.url });
    await h.api.publish(tenant, { type: "a.b", data: {} });
    await ok.waitFor(1);
    const m = await eventually(async () => {
      const res = await h.api.get("/metrics");
      expect(res.status).toBe(200);
      const m = parseMetrics(res.text);
      if (!m.has(`hookd_deliveries_total{status="succeeded",tenant_id="${tenant}"}`)) throw new Error("not yet");
      return m;
    });
    expect(m.get(`hookd_events_ingested_total{tenant_id="${tenant}"}`)).toBe(1);
    expect(m.get(`hookd_attempts_total{outcome="success",tenant_id="${tenant}"}`)).toBe(1);
  });
});
