import { describe, expect, it } from "vitest";
import type { ClaimedDelivery } from "./claimed.ts";
import { classify, type SendResult } from "./classify.ts";
import { nextState } from "./next-state.ts";
import type { SendOutcome } from "./send.ts";

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const STARTED = NOW - 250;
const SCHEDULE = [0, 10, 20] as const;

function delivery(overrides: Partial<ClaimedDelivery> = {}, endpoint: Partial<ClaimedDelivery["endpoint"]> = {}): ClaimedDelivery {
  return {
    id: "dlv_1",
    tenantId: "acme",
    eventId: "evt_1",
    endpointId: "ep_1",
    seq: 7,
    attempts: 0,
    cycleAttempts: 0,
    event: { type: "invoice.paid", dataJson: '{"amount":1}', createdAt: NOW - 60_000 },
    endpoint: {
      url: "https://example.com/hook",
      signatureScheme: "hmac_sha256",
      sealedSecret: "hkenc1:0011223344556677:not-opened-by-these-tests",
      previousSealedSecret: null,
      previousSecretExpiresAt: null,
      headers: {},
      oauth2: null,
      mtls: null,
      timeoutMs: 15_000,
      retryScheduleS: null,
      payloadMode: "full",
      ...endpoint,
    },
    ...overrides,
  };
}

function response(statusCode: number, retryAfter?: string, responseBody: string | null = null): SendOutcome {
  return { result: { kind: "response", statusCode, retryAfter }, responseBody, durationMs: 42 };
}

function transportError(result: Extract<SendResult, { kind: "error" }>): SendOutcome {
  return { result, responseBody: null, durationMs: 7 };
}

function run(d: ClaimedDelivery, sent: SendOutcome, defaultScheduleS: readonly number[] = SCHEDULE) {
  return nextState({
    delivery: d,
    sent,
    classification: classify(sent.result),
    startedAt: STARTED,
    now: NOW,
    defaultScheduleS,
    random: () => 0,
  });
}

describe("nextState", () => {
  it("a 2xx makes the delivery succeeded and records attempt number attempts+1", () => {
    const d = delivery({ attempts: 3, cycleAttempts: 3 });
    const r = run(d, response(200, undefined, "ok"));
    expect(r).toMatchObject({
      status: "succeeded",
      nextAttemptAt: null,
      attempts: 4,
      cycleAttempts: 4,
      lastStatusCode: 200,
      lastError: null,
      now: NOW,
      disableReason: null,
    });
    expect(r.attempt).toMatchObject({
      deliveryId: "dlv_1",
      attempt: 4,
      startedAt: STARTED,
      durationMs: 42,
      statusCode: 200,
      responseBody: "ok",
      error: null,
      errorClass: null,
      outcome: "success",
      timeoutMs: 15_000,
    });
    expect(r.attempt?.id).toMatch(/^atm_/);
  });

  it("gives each attempt row a fresh id", () => {
    const a = run(delivery(), response(200));
    const b = run(delivery(), response(200));
    expect(a.attempt?.id).not.toBe(b.attempt?.id);
  });

  it("a retryable failure after attempt 1 is failed, due after the schedule's second delay", () => {
    const r = run(delivery(), response(500));
    expect(r.status).toBe("failed");
    expect(r.nextAttemptAt).toBe(NOW + 10_000);
    expect(r.attempts).toBe(1);
    expect(r.cycleAttempts).toBe(1);
    expect(r.lastStatusCode).toBe(500);
    expect(r.lastError).toBe("HTTP 500");
    expect(r.attempt).toMatchObject({ attempt: 1, outcome: "retry", errorClass: "http_status", statusCode: 500 });
  });

  it("after attempt 2 the third delay applies", () => {
    const r = run(delivery({ attempts: 1, cycleAttempts: 1 }), response(503));
    expect(r.status).toBe("failed");
    expect(r.nextAttemptAt).toBe(NOW + 20_000);
  });

  it("a retryable failure on the last scheduled attempt is dead", () => {
    const r = run(delivery({ attempts: 2, cycleAttempts: 2 }), response(500));
    expect(r.status).toBe("dead");
    expect(r.nextAttemptAt).toBeNull();
    expect(r.attempts).toBe(3);
    expect(r.attempt).toMatchObject({ attempt: 3, outcome: "retry" });
  });

  it("applies jitter from the injected random", () => {
    const r = nextState({
      delivery: delivery(),
      sent: response(500),
      classification: classify(response(500).result),
      startedAt: STARTED,
      now: NOW,
      defaultScheduleS: SCHEDULE,
      random: () => 1,
    });
    expect(r.nextAttemptAt).toBe(NOW + 12_500);
  });

  it("an endpoint's own retry schedule overrides the default", () => {
    const d = delivery({}, { retryScheduleS: [0, 600] });
    const first = run(d, response(500));
    expect(first.nextAttemptAt).toBe(NOW + 600_000);
    const second = run(delivery({ attempts: 1, cycleAttempts: 1 }, { retryScheduleS: [0, 600] }), response(500));
    expect(second.status).toBe("dead");
  });

  it("a 429 honours Retry-After but never under one minute", () => {
    const r = run(delivery(), response(429, "120"));
    // scheduled 10 s; Retry-After 120 s clamped to 2x scheduled (20 s), then raised to the 60 s floor
    expect(r.status).toBe("failed");
    expect(r.nextAttemptAt).toBe(NOW + 60_000);
    expect(r.lastStatusCode).toBe(429);
  });

  it("a 429 with a Retry-After inside [scheduled, 2x scheduled] uses it as is", () => {
    const d = delivery({}, { retryScheduleS: [0, 100] });
    const r = run(d, response(429, "150"));
    expect(r.nextAttemptAt).toBe(NOW + 150_000);
  });

  it("a 429 on the last scheduled attempt is dead, whatever Retry-After says", () => {
    const r = run(delivery({ attempts: 2, cycleAttempts: 2 }), response(429, "5"));
    expect(r.status).toBe("dead");
    expect(r.nextAttemptAt).toBeNull();
  });

  it("Retry-After on a 503 is ignored (only 429 is rate limiting)", () => {
    const r = run(delivery(), response(503, "3600"));
    expect(r.nextAttemptAt).toBe(NOW + 10_000);
  });

  it("a 410 is dead and asks for the endpoint to be disabled", () => {
    const r = run(delivery(), response(410));
    expect(r.status).toBe("dead");
    expect(r.nextAttemptAt).toBeNull();
    expect(r.disableReason).toEqual(expect.stringContaining("410"));
    expect(r.attempt).toMatchObject({ outcome: "permanent", statusCode: 410 });
  });

  it("a 400 is dead at once, with retries left, and does not disable the endpoint", () => {
    const r = run(delivery(), response(400));
    expect(r.status).toBe("dead");
    expect(r.nextAttemptAt).toBeNull();
    expect(r.disableReason).toBeNull();
    expect(r.attempts).toBe(1);
  });

  it("a transport error is retried and recorded without a status code", () => {
    const r = run(delivery(), transportError({ kind: "error", errorClass: "timeout", message: "timed out after 15000 ms" }));
    expect(r.status).toBe("failed");
    expect(r.nextAttemptAt).toBe(NOW + 10_000);
    expect(r.lastStatusCode).toBeNull();
    expect(r.lastError).toBe("timed out after 15000 ms");
    expect(r.attempt).toMatchObject({ statusCode: null, errorClass: "timeout", durationMs: 7, outcome: "retry" });
  });

  it("a target blocked by egress policy is dead at once", () => {
    const r = run(delivery(), transportError({ kind: "error", errorClass: "ssrf_blocked", message: "blocked" }));
    expect(r.status).toBe("dead");
    expect(r.disableReason).toBeNull();
  });

  it("a replayed delivery starts the schedule over while attempt numbers carry on", () => {
    const replayed = delivery({ attempts: 8, cycleAttempts: 0 });
    const r = run(replayed, response(500));
    expect(r.status).toBe("failed");
    expect(r.nextAttemptAt).toBe(NOW + 10_000);
    expect(r.attempts).toBe(9);
    expect(r.cycleAttempts).toBe(1);
    expect(r.attempt?.attempt).toBe(9);

    const last = run(delivery({ attempts: 10, cycleAttempts: 2 }), response(500));
    expect(last.status).toBe("dead");
    expect(last.attempt?.attempt).toBe(11);
  });
});
