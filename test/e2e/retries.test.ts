/**
 * End to end, on both stores: retries on the short schedule [0, 1, 1] and how each kind of answer is classified.
 */
import { describe, expect, it } from "vitest";
import { STORE_KINDS } from "../support/stores.ts";
import { answer } from "../support/receiver.ts";
import { hang, type Json, sequence, useHookd } from "./harness.ts";

const finished = (d: Json) => d.status === "succeeded" || d.status === "dead";

describe.each(STORE_KINDS)("retries and classification (%s)", (kind) => {
  const h = useHookd(kind);

  async function setUp(handler: Parameters<typeof h.receiver>[0], endpoint: Record<string, unknown> = {}) {
    const tenant = await h.tenant();
    const receiver = await h.receiver(handler);
    const ep = await h.api.createEndpoint(tenant, { url: `${receiver.url}/in`, ...endpoint });
    const event = await h.api.publish(tenant, { type: "thing.happened", data: { k: "v" } });
    expect(event.matched_endpoints).toBe(1);
    const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
    return { tenant, receiver, ep, event, delivery };
  }

  it("retries 500s and succeeds on the third attempt with the same webhook-id", async () => {
    const { tenant, receiver, event, delivery } = await setUp(sequence(500, 500, 200));
    const done = await h.api.waitForDelivery(tenant, delivery.id, finished);
    expect(done.status).toBe("succeeded");
    expect(done.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3]);
    expect(done.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(["retry", "retry", "success"]);
    expect(done.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 500, 200]);
    expect(done.attempts[0]).toMatchObject({ error_class: "http_status", error: "HTTP 500" });
    expect(done).toMatchObject({ last_status_code: 200, next_attempt_at: null });

    expect(receiver.received).toHaveLength(3);
    expect(receiver.received.map((r) => r.headers["webhook-attempt"])).toEqual(["1", "2", "3"]);
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([event.id]));
    // The body is byte-identical on every attempt.
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    // The schedule's one-second delays were honoured between attempts.
    for (let i = 1; i < 3; i++) {
      expect(receiver.received[i]!.at - receiver.received[i - 1]!.at).toBeGreaterThanOrEqual(900);
    }
  });

  it("gives up after the schedule's three attempts against a receiver that always answers 503", async () => {
    const { tenant, receiver, delivery } = await setUp(answer(503, {}, "down for maintenance"));
    const done = await h.api.waitForDelivery(tenant, delivery.id, finished);
    expect(done).toMatchObject({ status: "dead", next_attempt_at: null, last_status_code: 503, last_error: "HTTP 503" });
    expect(done.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3]);
    expect(done.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(["retry", "retry", "retry"]);
    expect(done.attempts[2]).toMatchObject({ status_code: 503, response_body: "down for maintenance" });
    expect(receiver.received).toHaveLength(3);
    const dead = await h.api.deliveriesOf(tenant, { status: "dead" });
    expect(dead.map((d) => d.id)).toEqual([delivery.id]);
  });

  it("400 is permanent: dead after one attempt", async () => {
    const { tenant, receiver, ep, delivery } = await setUp(answer(400, { "content-type": "text/plain" }, "bad payload"));
    const done = await h.api.waitForDelivery(tenant, delivery.id, finished);
    expect(done).toMatchObject({ status: "dead", last_status_code: 400 });
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({
      attempt: 1,
      status_code: 400,
      outcome: "permanent",
      error_class: "http_status",
      response_body: "bad payload",
    });
    expect(receiver.received).toHaveLength(1);
    // A plain 4xx does not disable the endpoint.
    expect(await h.api.expectGet(`/v1/tenants/${tenant}/endpoints/${ep.id}`)).toMatchObject({ disabled: false });
  });

  it("410 is permanent and disables the endpoint, which then gets no deliveries", async () => {
    const { tenant, receiver, ep, delivery } = await setUp(answer(410));
    const done = await h.api.waitForDelivery(tenant, delivery.id, finished);
    expect(done).toMatchObject({ status: "dead", last_status_code: 410 });
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ outcome: "permanent", status_code: 410 });
    const endpoint = await h.api.expectGet(`/v1/tenants/${tenant}/endpoints/${ep.id}`);
    expect(endpoint.disabled).toBe(true);
    expect(endpoint.disabled_reason).toEqual(expect.stringMatching(/\S/));
    expect(endpoint.disabled_reason).toMatch(/410/);

    const next = await h.api.publish(tenant, { type: "thing.happened", data: {} });
    expect(next.matched_endpoints).toBe(0);
    expect(receiver.received).toHaveLength(1);
  });

  it("429 with Retry-After is retried no sooner than a minute later", async () => {
    const { tenant, receiver, delivery } = await setUp(answer(429, { "retry-after": "120" }));
    // The delivery and its attempts are read by separate queries, so wait for both to show the recorded attempt.
    const failed = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.attempts.length >= 1 && d.status !== "pending");
    expect(failed).toMatchObject({ status: "failed", last_status_code: 429 });
    expect(failed.attempts).toHaveLength(1);
    expect(failed.attempts[0]).toMatchObject({ attempt: 1, status_code: 429, outcome: "retry", error_class: "http_status" });
    const startedAt = Date.parse(failed.attempts[0].started_at);
    const next = Date.parse(failed.next_attempt_at);
    expect(next - startedAt).toBeGreaterThanOrEqual(60_000);
    expect(next - Date.now()).toBeGreaterThan(50_000);
    // And it really is not retried on the short schedule.
    expect(receiver.received).toHaveLength(1);
  });

  it("a receiver that never answers times out after the endpoint's timeout_ms", async () => {
    const { tenant, receiver, delivery } = await setUp(hang, { timeout_ms: 1000 });
    await receiver.waitFor(1);
    // The delivery row and its attempts are two reads: wait until both show the recorded attempt.
    const first = await h.api.waitForDelivery(
      tenant,
      delivery.id,
      (d) => d.attempts.length >= 1 && d.status !== "pending",
      8_000,
    );
    expect(["failed", "dead"]).toContain(first.status);
    expect(first.attempts[0]).toMatchObject({
      attempt: 1,
      status_code: null,
      outcome: "retry",
      error_class: "timeout",
      timeout_ms: 1000,
    });
    expect(first.attempts[0].duration_ms).toBeGreaterThanOrEqual(900);
    expect(first.attempts[0].duration_ms).toBeLessThan(5_000);
    expect(first.last_status_code).toBeNull();
    expect(first.last_error).toMatch(/timed out/);
  });

  it("records an answer with a NUL byte in its body, and other deliveries are recorded meanwhile", async () => {
    const { tenant, delivery } = await setUp(answer(500, { "content-type": "text/plain" }, "bad\u0000body"));
    const other = await setUp(answer(200));
    const first = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.attempts.length >= 1, 5_000);
    expect(first.attempts[0]).toMatchObject({ status_code: 500, response_body: "bad\ufffdbody", outcome: "retry" });
    await h.api.waitForDelivery(other.tenant, other.delivery.id, (d) => d.status === "succeeded", 5_000);
    expect(other.receiver.received).toHaveLength(1);
  });
});
