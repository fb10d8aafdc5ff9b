import { describe, expect, it } from "vitest";
import { type EndpointState, initialEndpointState } from "../domain/endpoint-state.ts";
import type { AttemptRecord, EndpointCandidate } from "../store/store.ts";
import { DEFAULT_ISOLATION, EndpointIsolation, observationOf } from "./policy.ts";

const T0 = 1_800_000_000_000;
const policy = new EndpointIsolation();

function candidate(state: Partial<EndpointState> = {}, over: Partial<EndpointCandidate> = {}): EndpointCandidate {
  return {
    endpointId: "ep_1",
    maxInFlight: 16,
    rateLimitPerS: null,
    timeoutMs: 15_000,
    state: { ...initialEndpointState(), ...state },
    ...over,
  };
}

function rec(at: number, statusCode: number | null, over: Partial<AttemptRecord> = {}, errorClass: string | null = null): AttemptRecord {
  const ok = statusCode !== null && statusCode < 300;
  return {
    deliveryId: "dlv_1",
    leaseToken: "t",
    attempt: {
      id: "atm_1",
      deliveryId: "dlv_1",
      attempt: 1,
      startedAt: at - 10,
      durationMs: 10,
      statusCode,
      responseBody: null,
      error: ok ? null : "x",
      errorClass: (ok ? null : (errorClass ?? "http_status")) as never,
      outcome: ok ? "success" : "retry",
      timeoutMs: 15_000,
    },
    status: ok ? "succeeded" : "failed",
    nextAttemptAt: null,
    attempts: 1,
    cycleAttempts: 1,
    lastStatusCode: statusCode,
    lastError: null,
    now: at,
    disableEndpoint: null,
    ...over,
  };
}

describe("isolation policy: admit", () => {
  it("admits everything (max_in_flight aside) for a healthy endpoint without a rate limit, changing nothing", () => {
    const a = policy.admit(candidate(), T0, 20_000);
    expect(a.quota).toBe(Number.POSITIVE_INFINITY);
    expect(a.settle(5)).toBeNull();
  });

  it("admits nothing while a 429 pause lasts", () => {
    expect(policy.admit(candidate({ pausedUntil: T0 + 1 }), T0, 20_000).quota).toBe(0);
    expect(policy.admit(candidate({ pausedUntil: T0 }), T0, 20_000).quota).toBe(Number.POSITIVE_INFINITY);
  });

  it("admits nothing while open, then one probe, marked only when it was really sent", () => {
    expect(policy.admit(candidate({ breaker: "open", openUntil: T0 + 5 }), T0, 20_000).quota).toBe(0);
    const probe = policy.admit(candidate({ breaker: "open", openUntil: T0 }), T0, 20_000);
    expect(probe.quota).toBe(1);
    expect(probe.settle(0)).toBeNull();
    expect(probe.settle(1)).toMatchObject({ breaker: "half_open", probeUntil: T0 + 20_000 });
  });

  it("spends tokens of rate_limit_per_s", () => {
    const first = policy.admit(candidate({}, { rateLimitPerS: 3 }), T0, 20_000);
    expect(first.quota).toBe(3);
    const state = first.settle(3)!;
    expect(policy.admit(candidate(state, { rateLimitPerS: 3 }), T0 + 100, 20_000).quota).toBe(0);
    expect(policy.admit(candidate(state, { rateLimitPerS: 3 }), T0 + 1_000, 20_000).quota).toBe(3);
  });

  it("limits a recovering endpoint to the ramp's rate, and lifts the limit when the ramp is over", () => {
    const recovering = { rampFrom: T0, rampTargetPerS: 100 };
    const early = policy.admit(candidate(recovering), T0 + 1_000, 20_000);
    // 100 * (1 - e^(-1/60)) is under 2 a second: a bucket of at most 1-2 tokens.
    expect(early.quota).toBeLessThanOrEqual(2);
    const late = policy.admit(candidate(recovering), T0 + DEFAULT_ISOLATION.rampMs, 20_000);
    expect(late.quota).toBe(Number.POSITIVE_INFINITY);
    expect(late.settle(0)).toMatchObject({ rampFrom: null });
  });

  it("uses the adaptive timeout once 100 fast attempts are known", () => {
    expect(policy.admit(candidate({ recentMs: Array(100).fill(30) }), T0, 20_000).timeoutMs).toBe(5_000);
    expect(policy.admit(candidate({ recentMs: Array(50).fill(30) }), T0, 20_000).timeoutMs).toBe(15_000);
  });
});

describe("isolation policy: observe", () => {
  it("reads outcomes for the breaker: 2xx success, timeout, 4xx neutral, 5xx and 429-less transport errors failures", () => {
    expect(observationOf(rec(T0, 200))).toBe("success");
    expect(observationOf(rec(T0, null, {}, "timeout"))).toBe("timeout");
    expect(observationOf(rec(T0, 404))).toBe("neutral");
    expect(observationOf(rec(T0, 429))).toBe("neutral");
    expect(observationOf(rec(T0, 503))).toBe("failure");
    expect(observationOf(rec(T0, 408))).toBe("failure");
    expect(observationOf(rec(T0, null, {}, "connect"))).toBe("failure");
    expect(observationOf({ ...rec(T0, 200), attempt: null })).toBeNull();
  });

  it("pauses the whole endpoint for a 429's Retry-After", () => {
    const { state } = policy.observe(initialEndpointState(), [rec(T0, 429, { endpointPauseMs: 7_000 })], T0);
    expect(state.pausedUntil).toBe(T0 + 7_000);
    expect(policy.admit(candidate(state), T0 + 6_999, 20_000).quota).toBe(0);
  });

  it("keeps the last 100 durations", () => {
    const records = Array.from({ length: 130 }, (_, i) => rec(T0 + i, 200));
    expect(policy.observe(initialEndpointState(), records, T0 + 200).state.recentMs).toHaveLength(100);
  });

  it("asks to disable after 5 days of nothing but failures, and a success resets the clock", () => {
    const day = 86_400_000;
    let { state, disableReason } = policy.observe(initialEndpointState(), [rec(T0, 500)], T0);
    expect(disableReason).toBeNull();
    ({ state, disableReason } = policy.observe(state, [rec(T0 + 4 * day, 500)], T0 + 4 * day));
    expect(disableReason).toBeNull();
    const recovered = policy.observe(state, [rec(T0 + 4 * day + 1, 200)], T0 + 4 * day + 1).state;
    expect(recovered.failingSince).toBeNull();
    expect(policy.observe(recovered, [rec(T0 + 5 * day, 500)], T0 + 5 * day).disableReason).toBeNull();
    const result = policy.observe(state, [rec(T0 + 5 * day, 500)], T0 + 5 * day);
    expect(result.disableReason).toBe("every attempt failed for 5 days with no success");
  });
});
