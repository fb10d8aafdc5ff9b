/**
 * OpenTelemetry traces end to end, on both stores: a real hookd exporting OTLP/HTTP JSON to an in-process collector
 * (a Receiver on port 0). A publish with a producer's traceparent continues that trace through ingest and fan-out,
 * and every delivery attempt (made by the delivery thread on SQLite, by the worker on PostgreSQL) is a child of the
 * fan-out, with the attempt's ids, number, status code and outcome.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config/config.ts";
import { otlpSpans, type OtlpSpan } from "../support/otlp-spans.ts";
import { Receiver } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { eventually, sequence, useHookd } from "./harness.ts";

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

for (const kind of STORE_KINDS) {
  describe(`traces (${kind})`, () => {
    const collector = new Receiver();
    // Filled in before hookd starts (useHookd reads its overrides in its own beforeAll, registered after this one).
    const overrides: Partial<Config> = { otlpProtocol: "http/json", retryScheduleS: [0, 1] };
    beforeAll(async () => {
      await collector.start();
      overrides.otlpEndpoint = collector.url;
    });
    afterAll(async () => {
      await collector.close();
    });
    const h = useHookd(kind, overrides, { deliveryThread: true });

    const spans = () => otlpSpans(collector.received);
    const named = (name: string, traceId: string) => spans().filter((s) => s.name === name && s.traceId === traceId);

    it("continues the producer's traceparent through ingest and fan-out to every attempt", async () => {
      const tenant = await h.tenant();
      const receiver = await h.receiver(sequence(503, 200));
      const endpoint = await h.api.createEndpoint(tenant, { url: `${receiver.url}/hook`, event_types: ["order.*"] });
      const traceId = hex(16);
      const producerSpan = hex(8);
      const event = await h.api.publish(
        tenant,
        { type: "order.paid", data: { order: 1 } },
        { traceparent: `00-${traceId}-${producerSpan}-01`, tracestate: "vendor=opaque" },
      );
      const delivery = await h.api.onlyDeliveryOf(tenant, event.id as string);

      const attempts = await eventually(() => {
        const found = named("hookd.attempt", traceId);
        expect(found).toHaveLength(2);
        return found.sort((a, b) => Number(a.attributes["hookd.attempt"]) - Number(b.attributes["hookd.attempt"]));
      }, 15_000);
      const [ingest] = named("hookd.ingest", traceId);
      const [fanOut] = named("hookd.fan_out", traceId);

      expect(ingest).toBeDefined();
      expect(ingest!.parentSpanId).toBe(producerSpan);
      expect(ingest!.kind).toBe(2); // SERVER
      expect(ingest!.attributes).toMatchObject({ "hookd.tenant_id": tenant, "hookd.event_count": 1 });
      expect(ingest!.resource["service.name"]).toBe("hookd");

      expect(fanOut).toBeDefined();
      expect(fanOut!.parentSpanId).toBe(ingest!.spanId);
      expect(fanOut!.attributes).toMatchObject({ "hookd.event_id": event.id, "hookd.matched_endpoints": 1 });

      const [first, second] = attempts as [OtlpSpan, OtlpSpan];
      for (const a of attempts) {
        expect(a.parentSpanId).toBe(fanOut!.spanId);
        expect(a.kind).toBe(3); // CLIENT
        expect(a.attributes).toMatchObject({
          "hookd.tenant_id": tenant,
          "hookd.endpoint_id": endpoint.id,
          "hookd.event_id": event.id,
          "hookd.delivery_id": delivery.id,
        });
        expect(a.endNs).toBeGreaterThanOrEqual(a.startNs);
        // The embedded shape sends from its delivery thread, which exports its spans itself.
        expect(a.resource["hookd.thread"]).toBe(kind === "sqlite" ? "delivery" : "api");
      }
      expect(first.attributes).toMatchObject({ "hookd.attempt": 1, "http.response.status_code": 503, "hookd.outcome": "retry" });
      expect(first.statusCode).toBe(2); // ERROR
      expect(second.attributes).toMatchObject({ "hookd.attempt": 2, "http.response.status_code": 200, "hookd.outcome": "success" });
      expect(second.attributes["hookd.delivery_status"]).toBe("succeeded");
      expect(second.statusCode).not.toBe(2);
      expect(second.startNs).toBeGreaterThan(first.endNs);
    });

    it("starts a trace of its own when the producer sends none, and keeps a batch's events in it", async () => {
      const tenant = await h.tenant();
      const receiver = await h.receiver();
      await h.api.createEndpoint(tenant, { url: `${receiver.url}/hook`, event_types: ["batch.*"] });
      const published = await h.api.expectPost(
        `/v1/tenants/${tenant}/events/batch`,
        { events: [{ type: "batch.one", data: {} }, { type: "batch.two", data: {} }] },
        202,
      );
      const ids = (published.data as { id: string }[]).map((e) => e.id);
      const ingest = await eventually(() => {
        const found = spans().filter((s) => s.name === "hookd.ingest" && s.attributes["hookd.tenant_id"] === tenant);
        expect(found).toHaveLength(1);
        return found[0]!;
      });
      expect(ingest.parentSpanId).toBe("");
      expect(ingest.attributes).toMatchObject({ "hookd.publish": "batch", "hookd.event_count": 2 });
      const attempts = await eventually(() => {
        const found = named("hookd.attempt", ingest.traceId);
        expect(found).toHaveLength(2);
        return found;
      }, 15_000);
      const [fanOut] = named("hookd.fan_out", ingest.traceId);
      expect(fanOut!.attributes["hookd.event_ids"]).toEqual(ids);
      expect(attempts.map((a) => a.parentSpanId)).toEqual([fanOut!.spanId, fanOut!.spanId]);
      expect(attempts.map((a) => a.attributes["hookd.event_id"]).sort()).toEqual([...ids].sort());
    });

    it("marks a refused publish with its error code (a body the schema refuses never reaches ingest)", async () => {
      const tenant = await h.tenant();
      const traceId = hex(16);
      const res = await h.api.post(`/v1/tenants/${tenant}/events`, { type: "x", data: "not an object" }, {
        headers: { traceparent: `00-${traceId}-${hex(8)}-01` },
      });
      expect(res.status).toBe(400);
      // An unknown tenant is refused before the body is read (the quota check needs the tenant), so it has no ingest
      // span either; a refusal of the ingest itself does: the same caller id with other data.
      expect((await h.api.post(`/v1/tenants/${tenant}/events`, { id: "trace-conflict", type: "x.y", data: { v: 1 } })).status).toBe(202);
      const conflict = await h.api.post(`/v1/tenants/${tenant}/events`, { id: "trace-conflict", type: "x.y", data: { v: 2 } }, {
        headers: { traceparent: `00-${traceId}-${hex(8)}-01` },
      });
      expect(conflict.status).toBe(409);
      const ingest = await eventually(() => {
        const found = named("hookd.ingest", traceId);
        expect(found).toHaveLength(1);
        return found[0]!;
      });
      expect(ingest.attributes["hookd.error_code"]).toBe("EVENT_ID_CONFLICT");
    });
  });
}
