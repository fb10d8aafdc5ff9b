/**
 * End to end, on both stores: expunging one payload through the API (and what replay then answers), and the
 * retention job on a controlled clock over a running hookd's store.
 */
import { describe, expect, it } from "vitest";
import { RetentionJob } from "../../src/features/retention/retention-job.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { answer } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { type Json, useHookd } from "./harness.ts";

const DAY = 86_400_000;

describe.each(STORE_KINDS)("retention (%s)", (kind) => {
  const h = useHookd(kind);

  async function delivered(tenant: string, data: Json): Promise<{ eventId: string; deliveryId: string }> {
    const receiver = await h.receiver(answer(200, {}, "received"));
    await h.api.createEndpoint(tenant, { url: receiver.url });
    const published = await h.api.publish(tenant, { type: "user.created", data });
    const d = await h.api.onlyDeliveryOf(tenant, published.id);
    await h.api.waitForDelivery(tenant, d.id, (x) => x.status === "succeeded");
    return { eventId: published.id, deliveryId: d.id };
  }

  it("expunges one event's payload on request; replay then answers 409 PAYLOAD_EXPUNGED", async () => {
    const tenant = await h.tenant();
    const { eventId, deliveryId } = await delivered(tenant, { email: "a@example.com" });
    const res = await h.api.delete(`/v1/tenants/${tenant}/events/${eventId}/payload`);
    expect(res.status).toBe(204);
    const ev = await h.api.expectGet(`/v1/tenants/${tenant}/events/${eventId}`);
    expect(ev).toMatchObject({ id: eventId, type: "user.created", data: null });
    expect(Date.parse(ev.payload_expunged_at)).toBeGreaterThan(0);
    expect(JSON.stringify(ev)).not.toContain("a@example.com");
    // The delivery summary and its attempt log stay.
    const d = await h.api.getDelivery(tenant, deliveryId);
    expect(d).toMatchObject({ status: "succeeded", attempts: [{ status_code: 200 }] });
    const replay = await h.api.post(`/v1/tenants/${tenant}/deliveries/${deliveryId}/replay`, {});
    expect([replay.status, replay.body.code]).toEqual([409, "PAYLOAD_EXPUNGED"]);
    // Idempotent; unknown events are 404.
    expect((await h.api.delete(`/v1/tenants/${tenant}/events/${eventId}/payload`)).status).toBe(204);
    const missing = await h.api.delete(`/v1/tenants/${tenant}/events/evt_nope/payload`);
    expect([missing.status, missing.body.code]).toEqual([404, "EVENT_NOT_FOUND"]);
  });

  it("the job expunges payloads and attempts past HOOKD_RETENTION_DAYS and bodies past the shorter body limit", async () => {
    const tenant = await h.tenant();
    const { eventId, deliveryId } = await delivered(tenant, { n: 1 });
    let now = Date.now();
    const job = new RetentionJob({
      store: h.app.store,
      log: createLogger("silent"),
      retentionDays: 30,
      bodyRetentionDays: 7,
      batchSize: 2,
      now: () => now,
    });
    // Nothing is old yet.
    expect(await job.runOnce()).toMatchObject({ payloads: 0, attempts: 0, attemptStats: 0 });
    const stats = () => h.api.expectGet(`/v1/tenants/${tenant}/stats`);
    expect((await stats()).attempts).toBe(1);
    expect((await h.api.getDelivery(tenant, deliveryId)).attempts[0].response_body).toBe("received");

    now += 8 * DAY;
    // Stats counters go after 8 days, the longest stats window (7 days) plus one, whatever HOOKD_RETENTION_DAYS says.
    expect((await job.runOnce()).attemptStats).toBeGreaterThanOrEqual(1);
    expect((await stats()).attempts).toBe(0);
    const d8 = await h.api.getDelivery(tenant, deliveryId);
    expect(d8.attempts).toHaveLength(1);
    expect(d8.attempts[0].response_body).toBeNull();
    expect((await h.api.expectGet(`/v1/tenants/${tenant}/events/${eventId}`)).data).toEqual({ n: 1 });

    now += 23 * DAY;
    const result = await job.runOnce();
    expect(result.payloads).toBeGreaterThanOrEqual(1);
    expect(result.attempts).toBeGreaterThanOrEqual(1);
    const ev = await h.api.expectGet(`/v1/tenants/${tenant}/events/${eventId}`);
    expect(ev.data).toBeNull();
    const d31 = await h.api.getDelivery(tenant, deliveryId);
    expect(d31).toMatchObject({ status: "succeeded", attempts: [], last_status_code: 200 });
  });
});
