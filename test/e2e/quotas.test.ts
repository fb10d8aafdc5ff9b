/**
 * Per-tenant quotas end to end, on both stores (docs/security.md#quotas; the fan-out and endpoint quotas are in
 * fan-out-quota.test.ts). Each refusal is checked to write nothing, and the requests accepted beside it to be kept
 * whole:
 * - rates: repeated large batches from one key get 429 RATE_LIMITED with Retry-After while another tenant's
 *   publishing still gets 202; the same for requests and for deliveries created per second;
 * - stored bytes: publishing past max_stored_bytes gets 429 STORAGE_QUOTA_EXCEEDED until a payload is expunged;
 * - overrides: PATCH /v1/tenants/{id} {"quotas": ...} by an admin changes one tenant's quotas (null goes back to the
 *   default), a tenant key may not, and each refusal is on the operational record as tenant.quota_exceeded.
 */
import { describe, expect, it } from "vitest";
import { answer } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { type Api, eventually, type Json, useHookd } from "./harness.ts";

/**
 * A small byte rate for this suite: a 1 MB batch then owes about a minute, so the next ones are refused however slowly
 * a loaded machine writes the first, and a refusal never depends on timing.
 */
const BYTES_PER_S = 16 * 1024;

/** Creates `n` endpoints, `parallel` at a time. */
async function createEndpoints(api: Api, tenant: string, n: number, body: Json, parallel = 25): Promise<void> {
  for (let done = 0; done < n; done += parallel) {
    await Promise.all(
      Array.from({ length: Math.min(parallel, n - done) }, () => api.createEndpoint(tenant, body)),
    );
  }
}

function quotaEvents(api: Api, tenant: string): Promise<Json[]> {
  return api
    .expectGet(`/v1/operational-events?type=tenant.quota_exceeded&tenant_id=${tenant}`)
    .then((page) => page.data as Json[]);
}

const event = (i: number, bytes = 16): Json => ({ type: "invoice.paid", data: { i, pad: "x".repeat(bytes) } });

describe.each(STORE_KINDS)("quotas (%s)", (kind) => {
  const h = useHookd(kind, { quotaIngestBytesPerSecond: BYTES_PER_S });

  it("answers repeated large batches from one key with 429 and Retry-After, while another tenant still gets 202", async () => {
    const noisy = await h.tenant();
    const quiet = await h.tenant();
    const key = (await h.api.expectPost(`/v1/tenants/${noisy}/api-keys`, {}, 201)).key as string;
    // About 1 MB a batch, sixty times the suite's 16 KiB/s: the first is admitted (a full bucket admits one request of
    // any size and then owes the rest), the next must wait for the debt to be paid off.
    const batch = (n: number) => ({ events: Array.from({ length: 4 }, (_, i) => ({ ...event(i, 250_000), id: `big-${n}-${i}` })) });
    const first = await h.api.post(`/v1/tenants/${noisy}/events/batch`, batch(1), { key });
    expect(first.status, first.text).toBe(202);
    const refused: Json[] = [];
    for (let n = 2; n <= 4; n++) {
      const res = await h.api.post(`/v1/tenants/${noisy}/events/batch`, batch(n), { key });
      expect(res.status, res.text).toBe(429);
      expect(res.body.code).toBe("RATE_LIMITED");
      expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      refused.push(res.body);
      // Another tenant is not held back by the noisy one.
      expect((await h.api.post(`/v1/tenants/${quiet}/events`, event(n))).status).toBe(202);
    }
    expect(refused[0]!.details[0]).toMatchObject({ quota: "ingest_bytes_per_second", limit: BYTES_PER_S });
    // What was accepted is kept whole; nothing of a refused batch was written.
    for (let i = 0; i < 4; i++) expect((await h.api.get(`/v1/tenants/${noisy}/events/big-1-${i}`)).status).toBe(200);
    expect((await h.api.get(`/v1/tenants/${noisy}/events/big-2-0`)).status).toBe(404);

    // The tenant key cannot lift its own quota; an admin can, for this tenant only.
    const self = await h.api.patch(`/v1/tenants/${noisy}`, { quotas: { ingest_bytes_per_second: 0 } }, { key });
    expect(self.status).toBe(403);
    await h.api.patch(`/v1/tenants/${noisy}`, { quotas: { ingest_bytes_per_second: 0 } });
    const lifted = await h.api.post(`/v1/tenants/${noisy}/events/batch`, batch(5), { key });
    expect(lifted.status, lifted.text).toBe(202);

    await eventually(async () => {
      const recorded = await quotaEvents(h.api, noisy);
      expect(recorded).toHaveLength(1);
      expect(recorded[0]!.data).toMatchObject({ quota: "ingest_bytes_per_second", limit: BYTES_PER_S });
    });
  });

  it("limits publish requests and deliveries created per second per tenant, with overrides", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    await h.api.patch(`/v1/tenants/${tenant}`, { quotas: { ingest_requests_per_second: 2 } });
    expect((await h.api.post(`/v1/tenants/${tenant}/events`, event(1))).status).toBe(202);
    expect((await h.api.post(`/v1/tenants/${tenant}/events`, event(2))).status).toBe(202);
    const third = await h.api.post(`/v1/tenants/${tenant}/events`, event(3));
    expect(third.status).toBe(429);
    expect(third.body.details[0]).toMatchObject({ quota: "ingest_requests_per_second", limit: 2 });
    expect(Number(third.headers["retry-after"])).toBeGreaterThanOrEqual(1);

    // Back to the default for requests; 5 new deliveries a second, with three endpoints.
    const reset = await h.api.patch(`/v1/tenants/${tenant}`, { quotas: { ingest_requests_per_second: null, deliveries_per_second: 5 } });
    expect(reset.body.quota_overrides).toEqual({ deliveries_per_second: 5 });
    expect(reset.body.quotas.ingest_requests_per_second).toBe(200);
    await createEndpoints(h.api, tenant, 3, { url: receiver.url });
    const accepted = await h.api.post(`/v1/tenants/${tenant}/events/batch`, { events: [event(4), event(5)] });
    expect(accepted.status).toBe(202);
    const refused = await h.api.post(`/v1/tenants/${tenant}/events/batch`, { events: [{ ...event(6), id: "late" }] });
    expect(refused.status).toBe(429);
    expect(refused.body.details[0]).toMatchObject({ quota: "deliveries_per_second", limit: 5 });
    expect((await h.api.get(`/v1/tenants/${tenant}/events/late`)).status).toBe(404);
    // The six accepted deliveries are all delivered.
    await receiver.waitFor(6);
  });

  it("refuses publishing past the stored-bytes quota until payloads are expunged", async () => {
    const tenant = await h.tenant();
    await h.api.patch(`/v1/tenants/${tenant}`, { quotas: { max_stored_bytes: 10_000, ingest_bytes_per_second: 0 } });
    const first = await h.api.publish(tenant, { id: "kept", ...event(1, 6_000) });
    const view = await h.api.expectGet(`/v1/tenants/${tenant}/quotas`);
    expect(view.usage.stored_bytes).toBe(JSON.stringify(event(1, 6_000).data).length);
    expect(view.quotas.max_stored_bytes).toBe(10_000);

    const over = await h.api.post(`/v1/tenants/${tenant}/events`, { id: "over", ...event(2, 6_000) });
    expect(over.status).toBe(429);
    expect(over.body.code).toBe("STORAGE_QUOTA_EXCEEDED");
    expect(over.headers["retry-after"]).toBeDefined();
    expect((await h.api.get(`/v1/tenants/${tenant}/events/over`)).status).toBe(404);

    // Expunging the first payload frees its bytes.
    expect((await h.api.delete(`/v1/tenants/${tenant}/events/${first.id}/payload`)).status).toBe(204);
    expect((await h.api.expectGet(`/v1/tenants/${tenant}/quotas`)).usage.stored_bytes).toBe(0);
    expect((await h.api.post(`/v1/tenants/${tenant}/events`, { id: "over", ...event(2, 6_000) })).status).toBe(202);
  });
});
