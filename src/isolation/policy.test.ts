import { describe, expect, it } from "vitest";
import { type EndpointState, initialEndpointState } from "../domain/endpoint-state.ts";
import type { Attempt } from "../domain/types.ts";
import { type Admission, DEFAULT_ISOLATION, EndpointIsolation, observationOf } from "./policy.ts";

const T0 = 1_800_000_000_000;
const policy = new EndpointIsolation();

function state(over: Partial<EndpointState> = {}): EndpointState {
  return { ...initialEndpointState(), ...over };
}

function admit(s: EndpointState, at: number, rateLimitPerS: number | null = null): Admission {
  return policy.admit(s, rateLimitPerS, 15_000, at, 20_000);
}

function attempt(at: number, statusCode: number | null, errorClass: string | null = null): Attempt {
  const ok = statusCode !== null && statusCode < 300;
  return {
    id: "atm_1",
    deliveryId: "dlv_1",
    attempt: 1,
    startedAt: at - 10,
    durationMs: 10,
    statusCode,
    responseBody: null,
    error: ok ? null : "x",
    errorClass: (ok ? null : (errorClass ?? "http_status")) as Attempt["errorClass"],
    outcome: ok ? "success" : "retry",
    timeoutMs: 15_000,
  };
}

/** Sends as many requests as the rules admit at `at`; returns how many went and the state after. */
function drain(s: EndpointState, at: number, rate: number | null): { sent: number; state: EndpointState } {
  let sent = 0;
  for (;;) {
    const a = admit(s, at, rate);
    if (a.kind === "wait") return { sent, state: s };
    s = a.state;
    sent++;
    if (sent > 1000) return { sent, state: s };
  }
}

describe("isolation policy: admit", () => {
  it("admits every request for a healthy endpoint without a rate limit, changing nothing", () => {
    const s = state();
    const a = admit(s, T0);
    expect(a).toMatchObject({ kind: "send", timeoutMs: 15_000 });
    expect(a.kind === "send" && a.state).toBe(s);
  });

  it("admits nothing while a 429 pause lasts, and says until when", () => {
    expect(admit(state({ pausedUntil: T0 + 1 }), T0)).toEqual({ kind: "wait", until: T0 + 1 });
    expect(admit(state({ pausedUntil: T0 }), T0).kind).toBe("send");
  });

  it("admits nothing while open, then one probe; the probe blocks a second one until its lease runs out", () => {
    expect(admit(state({ breaker: "open", openUntil: T0 + 5 }), T0)).toEqual({ kind: "wait", until: T0 + 5 });
    const probe = admit(state({ breaker: "open", openUntil: T0 }), T0);
    expect(probe.kind).toBe("send");
    const after = probe.kind === "send" ? probe.state : state();
    expect(after).toMatchObject({ breaker: "half_open", probeUntil: T0 + 20_000 });
    expect(admit(after, T0 + 1)).toEqual({ kind: "wait", until: T0 + 20_000 });
  });

  it("spends one token of rate_limit_per_s per request, in bursts of one second's worth", () => {
    const first = drain(state(), T0, 3);
    expect(first.sent).toBe(3);
    const waiting = admit(first.state, T0 + 100, 3);
    expect(waiting.kind).toBe("wait");
    // One token comes back every 333 ms.
    expect(waiting.kind === "wait" && waiting.until).toBeGreaterThan(T0 + 100);
    expect(waiting.kind === "wait" && waiting.until).toBeLessThanOrEqual(T0 + 334);
    expect(drain(first.state, T0 + 1_000, 3).sent).toBe(3);
  });

  it("limits a recovering endpoint to the ramp's rate, and lifts the limit when the ramp is over", () => {
    const recovering = state({ rampFrom: T0, rampTargetPerS: 100 });
    // 100 * (1 - e^(-1/60)) is under 2 a second: a bucket of at most 1-2 tokens.
    expect(drain(recovering, T0 + 1_000, null).sent).toBeLessThanOrEqual(2);
    const late = admit(recovering, T0 + DEFAULT_ISOLATION.rampMs);
    expect(late.kind).toBe("send");
    expect(late.kind === "send" && late.state.rampFrom).toBeNull();
  });

  it("uses the adaptive timeout once 100 fast attempts are known", () => {
    expect(admit(state({ recentMs: Array(100).fill(30) }), T0)).toMatchObject({ timeoutMs: 5_000 });
    expect(admit(state({ recentMs: Array(50).fill(30) }), T0)).toMatchObject({ timeoutMs: 15_000 });
  });
});

describe("isolation policy: observe", () => {
  it("reads outcomes for the breaker: 2xx success, timeout, 4xx neutral, 5xx and transport errors failures", () => {
    expect(observationOf(attempt(T0, 200))).toBe("success");
    expect(observationOf(attempt(T0, null, "timeout"))).toBe("timeout");
    expect(observationOf(attempt(T0, 404))).toBe("neutral");
    expect(observationOf(attempt(T0, 429))).toBe("neutral");
    expect(observationOf(attempt(T0, 503))).toBe("failure");
    expect(observationOf(attempt(T0, 408))).toBe("failure");
    expect(observationOf(attempt(T0, null, "connect"))).toBe("failure");
  });

  it("pauses the whole endpoint for a 429's Retry-After", () => {
    const { state: s } = policy.observe(initialEndpointState(), attempt(T0, 429), 7_000, T0);
    expect(s.pausedUntil).toBe(T0 + 7_000);
    expect(admit(s, T0 + 6_999)).toEqual({ kind: "wait", until: T0 + 7_000 });
  });

  it("keeps the last 100 durations", () => {
    let s = initialEndpointState();
    for (let i = 0; i < 130; i++) s = policy.observe(s, attempt(T0 + i, 200), null, T0 + i).state;
    expect(s.recentMs).toHaveLength(100);
  });

  it("opens the breaker after enough failures, so the next admission waits for the cool-down", () => {
    let s = initialEndpointState();
    for (let i = 0; i < 10; i++) s = policy.observe(s, attempt(T0 + i, 503), null, T0 + i).state;
    expect(s.breaker).toBe("open");
    expect(admit(s, T0 + 20)).toEqual({ kind: "wait", until: s.openUntil });
  });

  it("asks to disable after 5 days of nothing but failures, and a success resets the clock", () => {
    const day = 86_400_000;
    let { state: s, disableReason } = policy.observe(initialEndpointState(), attempt(T0, 500), null, T0);
    expect(disableReason).toBeNull();
    ({ state: s, disableReason } = policy.observe(s, attempt(T0 + 4 * day, 500), null, T0 + 4 * day));
    expect(disableReason).toBeNull();
    const recovered = policy.observe(s, attempt(T0 + 4 * day + 1, 200), null, T0 + 4 * day + 1).state;
    expect(recovered.failingSince).toBeNull();
    expect(policy.observe(recovered, attempt(T0 + 5 * day, 500), null, T0 + 5 * day).disableReason).toBeNull();
    const result = policy.observe(s, attempt(T0 + 5 * day, 500), null, T0 + 5 * day);
    expect(result.disableReason).toBe("every attempt failed for 5 days with no success");
  });
});
