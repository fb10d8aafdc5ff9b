/**
 * The circuit breaker of one endpoint, as pure functions of (state, observation, now): no clock, no I/O, so every
 * transition is unit-tested with a fake clock, and the store can apply them under a row lock shared by all workers.
 *
 *   closed    --(>= minAttempts in the sliding window with failure rate >= failureRatio,
 *                or consecutiveTimeouts timeouts in a row)-->                       open
 *   open      --(cool-down over; the next claim takes one probe)-->                  half_open
 *   half_open --(probe succeeds)--> closed (the recovery ramp starts)
 *   half_open --(probe fails)-->    open, with the cool-down doubled (up to maxCooldownMs)
 *
 * The sliding window is two fixed windows, the previous one weighted by how much of it still overlaps the last
 * windowMs: exact enough for a threshold, and a handful of numbers instead of a list of timestamps.
 */
import type { EndpointState } from "../domain/endpoint-state.ts";

export interface BreakerSettings {
  windowMs: number;
  minAttempts: number;
  /** 0.5 means 50% of the attempts in the window failed. */
  failureRatio: number;
  consecutiveTimeouts: number;
  cooldownMs: number;
  maxCooldownMs: number;
}

export const DEFAULT_BREAKER: BreakerSettings = {
  windowMs: 60_000,
  minAttempts: 10,
  failureRatio: 0.5,
  consecutiveTimeouts: 5,
  cooldownMs: 30_000,
  maxCooldownMs: 600_000,
};

/** success: 2xx. failure: the endpoint is unwell (5xx, 408, connection errors). timeout: a failure that held a slot
 * for the whole timeout. neutral: the endpoint answered but refused this one request (4xx): alive, not failing. */
export type Observation = "success" | "failure" | "timeout" | "neutral";

/** Cool-down after the `opens`-th consecutive open: 30 s, 60 s, 120 s ... capped. */
export function cooldownMs(opens: number, s: BreakerSettings): number {
  return Math.min(s.cooldownMs * 2 ** Math.max(0, opens - 1), s.maxCooldownMs);
}

/** Moves the fixed window forward to the one containing `now`. */
export function rollWindow(state: EndpointState, now: number, s: BreakerSettings): EndpointState {
  if (now < state.windowStart + s.windowMs) return state;
  const steps = Math.floor((now - state.windowStart) / s.windowMs);
  const adjacent = steps === 1 && state.windowStart > 0;
  const next = {
    ...state,
    windowStart: state.windowStart === 0 ? now : state.windowStart + steps * s.windowMs,
    prevAttempts: adjacent ? state.attempts : 0,
    prevFailures: adjacent ? state.failures : 0,
    prevSuccesses: adjacent ? state.successes : 0,
    attempts: 0,
    failures: 0,
    successes: 0,
  };
  // The ramp's target: what the endpoint delivered in a full window while it was healthy.
  if (adjacent && state.breaker === "closed" && state.successes > 0) {
    next.throughputPerS = state.successes / (s.windowMs / 1000);
  }
  return next;
}

/** Attempts and failures over the last windowMs, the previous window weighted by its remaining overlap. */
export function windowCounts(state: EndpointState, now: number, s: BreakerSettings): { attempts: number; failures: number } {
  const overlap = Math.max(0, 1 - (now - state.windowStart) / s.windowMs);
  return {
    attempts: state.attempts + state.prevAttempts * overlap,
    failures: state.failures + state.prevFailures * overlap,
  };
}

function open(state: EndpointState, now: number, s: BreakerSettings): EndpointState {
  const opens = state.opens + 1;
  const recentRate = (state.prevSuccesses + state.successes) / (s.windowMs / 1000);
  return {
    ...state,
    breaker: "open",
    opens,
    openUntil: now + cooldownMs(opens, s),
    probeUntil: 0,
    rampFrom: null,
    // Remember how much the endpoint took before it failed, so the ramp climbs back to that and no further.
    rampTargetPerS:
      state.breaker === "closed"
        ? Math.max(state.throughputPerS, recentRate)
        : Math.max(state.rampTargetPerS, state.throughputPerS),
    consecutiveTimeouts: 0,
  };
}

/** The state after one attempt's outcome. */
export function observe(state: EndpointState, obs: Observation, now: number, s: BreakerSettings): EndpointState {
  let next = rollWindow(state, now, s);
  const failed = obs === "failure" || obs === "timeout";
  next = {
    ...next,
    attempts: next.attempts + 1,
    failures: next.failures + (failed ? 1 : 0),
    successes: next.successes + (obs === "success" ? 1 : 0),
    consecutiveTimeouts: obs === "timeout" ? next.consecutiveTimeouts + 1 : 0,
  };
  if (next.breaker === "half_open") {
    // The probe's answer decides; an endpoint that answers at all (even 4xx) is reachable again.
    if (failed) return open(next, now, s);
    return { ...next, breaker: "closed", opens: 0, probeUntil: 0, rampFrom: now, consecutiveTimeouts: 0 };
  }
  if (next.breaker === "open") return next; // stragglers that were in flight when it opened
  const { attempts, failures } = windowCounts(next, now, s);
  const tooManyFailures = attempts >= s.minAttempts && failures / attempts >= s.failureRatio;
  if (failed && (tooManyFailures || next.consecutiveTimeouts >= s.consecutiveTimeouts)) return open(next, now, s);
  return next;
}

export type BreakerGate =
  | { kind: "closed" }
  /** One probe may go; the state has the probe marked as in flight until `probeLeaseMs` from now. */
  | { kind: "probe"; state: EndpointState }
  | { kind: "blocked" };

/**
 * What the breaker lets through at `now`. A probe is granted once per cool-down: the caller stores the returned state
 * (probe leased) only if it actually claimed a delivery.
 */
export function gate(state: EndpointState, now: number, probeLeaseMs: number): BreakerGate {
  if (state.breaker === "closed") return { kind: "closed" };
  if (state.breaker === "open" && now < state.openUntil) return { kind: "blocked" };
  if (state.breaker === "half_open" && now < state.probeUntil) return { kind: "blocked" };
  return { kind: "probe", state: { ...state, breaker: "half_open", probeUntil: now + probeLeaseMs } };
}
