/**
 * The fan-out and endpoint quotas end to end, on both stores (docs/security.md#quotas): 1,000 endpoints on one event
 * type, then a batch that would create more deliveries than max_deliveries_per_request, is refused with 422
 * FAN_OUT_LIMIT_EXCEEDED and leaves no event, no delivery and no stored byte; creating an endpoint past max_endpoints
 * is refused with 422 ENDPOINT_LIMIT_REACHED; both are on the operational record. Its own file (and hookd) because
 * a thousand endpoints are heavy to set up.
 */
import { describe, expect, it } from "vitest";
import { answer } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { type Api, eventually, type Json, useHookd } from "./harness.ts";

/** Creates `n` endpoints, `parallel` at a time. */
async function createEndpoints(api: Api, tenant: string, n: number, body: Json, parallel = 25): Promise<void> {
  for (let done = 0; done < n; done += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, n - done) }, () => api.createEndpoint(tenant, body)));
  }
}

const event = (i: number): Json => ({ type: "invoice.paid", data: { i } });

describe.each(STORE_KINDS)("fan-out and endpoint quotas (%s)", (kind) => {
  const h = useHookd(kind);

  it("refuses a batch whose fan-out passes the per-request cap, before writing anything (1,000 endpoints)", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    // The default endpoint quota (500) is below what this test needs: an admin raises it for this tenant.
    const raised = await h.api.patch(`/v1/tenants/${tenant}`, { quotas: { max_endpoints: 1_000 } });
    expect(raised.status).toBe(200);
    expect(raised.body.quotas.max_endpoints).toBe(1_000);
    expect(raised.body.quota_overrides).toEqual({ max_endpoints: 1_000 });
    await createEndpoints(h.api, tenant, 1_000, { url: receiver.url, event_types: ["invoice.paid"] });

    // The 1,001st endpoint is over the quota.
    const over = await h.api.post(`/v1/tenants/${tenant}/endpoints`, { url: receiver.url, event_types: ["invoice.paid"] });
    expect(over.status).toBe(422);
    expect(over.body.code).toBe("ENDPOINT_LIMIT_REACHED");
    expect(over.body.details).toEqual([{ quota: "max_endpoints", limit: 1_000 }]);

    // 11 events x 1,000 endpoints = 11,000 deliveries > 10,000 (HOOKD_QUOTA_MAX_DELIVERIES_PER_REQUEST's default):
    // refused with caller-chosen ids (one transaction per request) and with generated ones (the grouped path).
    const withIds = Array.from({ length: 11 }, (_, i) => ({ ...event(i), id: `fan-${i}` }));
    for (const events of [withIds, Array.from({ length: 11 }, (_, i) => event(i))]) {
      const res = await h.api.post(`/v1/tenants/${tenant}/events/batch`, { events });
      expect(res.status, res.text).toBe(422);
      expect(res.body.code).toBe("FAN_OUT_LIMIT_EXCEEDED");
      expect(res.body.details).toEqual([{ quota: "max_deliveries_per_request", limit: 10_000 }]);
    }
    expect((await h.api.get(`/v1/tenants/${tenant}/events/fan-0`)).status).toBe(404);
    expect(await h.api.deliveriesOf(tenant)).toEqual([]);
    const usage = await h.api.expectGet(`/v1/tenants/${tenant}/quotas`);
    expect(usage.usage).toEqual({ endpoints: 1_000, stored_bytes: 0 });

    // One event to the same 1,000 endpoints is within the cap.
    const ok = await h.api.publish(tenant, event(99));
    expect(ok.matched_endpoints).toBe(1_000);

    // Recorded after the answer (the refused request's transaction is not the place): once per quota and minute.
    await eventually(async () => {
      const page = await h.api.expectGet(`/v1/operational-events?type=tenant.quota_exceeded&tenant_id=${tenant}`);
      const recorded = page.data as Json[];
      expect(recorded.map((e) => e.data.quota).sort()).toEqual(["max_deliveries_per_request", "max_endpoints"]);
    });
  }, 120_000);

});
