import { describe, expect, it } from "vitest";
import { type EndpointState, initialEndpointState } from "../domain/endpoint-state.ts";
import { type BreakerSettings, cooldownMs, DEFAULT_BREAKER, gate, type Observation, observe } from "./breaker.ts";

const S: BreakerSettings = DEFAULT_BREAKER;

/** A fake clock: every observation advances it by `stepMs`. */
function run(start: EndpointState, observations: Observation[], t0: number, stepMs = 100): { state: EndpointState; now: number } {
  let state = start;
  let now = t0;
  for (const o of observations) {
    now += stepMs;
    state = observe(state, o, now, S);
  }
  return { state, now };
}

const T0 = 1_000_000;

describe("breaker", () => {
  it("stays closed below the minimum number of attempts, however many fail", () => {
    const { state } = run(initialEndpointState(), Array(9).fill("failure"), T0);
    expect(state.breaker).toBe("closed");
  });

  it("opens at 10 attempts in the window with half of them failed, with a 30 s cool-down", () => {
    const obs: Observation[] = ["success", "failure", "success", "failure", "success", "failure", "success", "failure", "success"];
    const almost = run(initialEndpointState(), obs, T0);
    expect(almost.state.breaker).toBe("closed");
    const { state, now } = run(almost.state, ["failure"], almost.now);
    expect(state.breaker).toBe("open");
    expect(state.openUntil).toBe(now + 30_000);
  });

  it("does not open when under half of the attempts failed", () => {
    const obs: Observation[] = [...Array(6).fill("success"), ...Array(5).fill("failure")];
    expect(run(initialEndpointState(), obs, T0).state.breaker).toBe("closed");
  });

  it("forgets failures that slid out of the 60 s window", () => {
    const early = run(initialEndpointState(), Array(9).fill("failure"), T0);
    // Two minutes later the nine failures no longer count: one more failure is 1 of 1, under the minimum.
    const later = observe(early.state, "failure", early.now + 120_000, S);
    expect(later.breaker).toBe("closed");
  });

  it("weights the previous window by its overlap", () => {
    const early = run(initialEndpointState(), Array(8).fill("failure"), T0, 1);
    // 0.4 of a window after the first window ended, its 8 failures count as 8 x 0.6 = 4.8: six more failures make
    // 10.8 attempts (over the minimum of 10), five make 9.8 (under it).
    const mid = early.state.windowStart + S.windowMs * 1.4;
    expect(run(early.state, Array(6).fill("failure"), mid, 1).state.breaker).toBe("open");
    expect(run(early.state, Array(5).fill("failure"), mid, 1).state.breaker).toBe("closed");
  });

  it("opens after 5 consecutive timeouts even with few attempts; a success in between resets the run", () => {
    expect(run(initialEndpointState(), Array(5).fill("timeout"), T0).state.breaker).toBe("open");
    const broken = run(initialEndpointState(), ["timeout", "timeout", "timeout", "timeout", "success", "timeout"], T0);
    expect(broken.state.breaker).toBe("closed");
  });

  it("does not count 4xx answers (neutral) as failures", () => {
    expect(run(initialEndpointState(), Array(20).fill("neutral"), T0).state.breaker).toBe("closed");
  });

  it("blocks while open, lets exactly one probe through after the cool-down, and closes on its success", () => {
    const opened = run(initialEndpointState(), Array(5).fill("timeout"), T0);
    const { state, now } = opened;
    expect(gate(state, now + 29_999, 20_000).kind).toBe("blocked");
    const probe = gate(state, now + 30_000, 20_000);
    expect(probe.kind).toBe("probe");
    if (probe.kind !== "probe") return;
    expect(probe.state).toMatchObject({ breaker: "half_open", probeUntil: now + 50_000 });
    // A second claimer sees the probe in flight and is blocked.
    expect(gate(probe.state, now + 30_001, 20_000).kind).toBe("blocked");
    const closed = observe(probe.state, "success", now + 30_100, S);
    expect(closed).toMatchObject({ breaker: "closed", opens: 0, rampFrom: now + 30_100 });
    expect(gate(closed, now + 30_101, 20_000).kind).toBe("closed");
  });

  it("sends another probe when the first one's lease ran out without an answer (its worker died)", () => {
    const opened = run(initialEndpointState(), Array(5).fill("timeout"), T0);
    const probe = gate(opened.state, opened.now + 30_000, 20_000);
    if (probe.kind !== "probe") throw new Error("expected a probe");
    expect(gate(probe.state, opened.now + 50_000, 20_000).kind).toBe("probe");
  });

  it("re-opens on a failed probe with the cool-down doubled, up to 10 minutes", () => {
    let { state, now } = run(initialEndpointState(), Array(5).fill("timeout"), T0);
    const seen: number[] = [state.openUntil - now];
    for (let i = 0; i < 7; i++) {
      now = state.openUntil;
      const probe = gate(state, now, 20_000);
      if (probe.kind !== "probe") throw new Error("expected a probe");
      now += 50;
      state = observe(probe.state, "failure", now, S);
      expect(state.breaker).toBe("open");
      seen.push(state.openUntil - now);
    }
    expect(seen).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000]);
  });

  it("computes the cool-down from the number of opens", () => {
    expect([1, 2, 3, 6, 20].map((n) => cooldownMs(n, S))).toEqual([30_000, 60_000, 120_000, 600_000, 600_000]);
  });

  it("remembers the throughput before opening as the ramp's target", () => {
    // A full healthy window of 120 successes (2/s), then a run of timeouts.
    const healthy = run(initialEndpointState(), Array(120).fill("success"), T0, 500);
    const next = run(healthy.state, Array(5).fill("timeout"), healthy.now + S.windowMs);
    expect(next.state.breaker).toBe("open");
    expect(next.state.rampTargetPerS).toBeCloseTo(2, 0);
  });
});
