/**
 * What every worker must agree on about one endpoint, kept in the store (table endpoint_state, one JSON document per
 * endpoint) so that several worker processes on one PostgreSQL respect the same breaker, pause and rate. The store
 * treats it as opaque data; src/isolation/ owns every rule that reads or changes it.
 */

export type BreakerState = "closed" | "open" | "half_open";

export interface EndpointState {
  breaker: BreakerState;
  /** Opens since the breaker was last closed by a successful probe: the cool-down doubles with each. */
  opens: number;
  /** While open: when the next probe may go (the cool-down's end). */
  openUntil: number;
  /** While half-open: the probe's lease end; no second probe before it (unless the probe's worker died). */
  probeUntil: number;
  /** A 429 with Retry-After pauses the whole endpoint until then. */
  pausedUntil: number;
  /** When the breaker last closed: the recovery ramp runs from here; null once the ramp is over. */
  rampFrom: number | null;
  /** The rate the ramp climbs back to: the endpoint's throughput before it failed (deliveries per second). */
  rampTargetPerS: number;
  /** Token bucket for rate_limit_per_s and the ramp. */
  tokens: number;
  tokensAt: number;
  /** Sliding window over attempts: the current fixed window and the previous one, weighted by overlap. */
  windowStart: number;
  attempts: number;
  failures: number;
  successes: number;
  prevAttempts: number;
  prevFailures: number;
  prevSuccesses: number;
  /** Successful deliveries per second in the last full window while closed (the ramp's target). */
  throughputPerS: number;
  consecutiveTimeouts: number;
  lastSuccessAt: number | null;
  /** First failure since the last success; auto-disable counts from here. */
  failingSince: number | null;
  /** Durations of the last attempts (newest last), for p50/p95 health and the adaptive timeout. */
  recentMs: number[];
  /** Requests open to the endpoint when its owner last wrote this state (the health API shows it). */
  inFlight: number;
  /** The owner's concurrency limit for the endpoint (adapts to its latency; at most max_in_flight). */
  concurrencyLimit: number;
}

export function initialEndpointState(): EndpointState {
  return {
    breaker: "closed",
    opens: 0,
    openUntil: 0,
    probeUntil: 0,
    pausedUntil: 0,
    rampFrom: null,
    rampTargetPerS: 0,
    tokens: Number.NaN,
    tokensAt: 0,
    windowStart: 0,
    attempts: 0,
    failures: 0,
    successes: 0,
    prevAttempts: 0,
    prevFailures: 0,
    prevSuccesses: 0,
    throughputPerS: 0,
    consecutiveTimeouts: 0,
    lastSuccessAt: null,
    failingSince: null,
    recentMs: [],
    inFlight: 0,
    concurrencyLimit: 0,
  };
}

/** Stored text to state; missing fields (a row written by an older version, or '{}') take their initial value. */
export function parseEndpointState(text: string): EndpointState {
  const stored = JSON.parse(text) as Partial<EndpointState>;
  const state = { ...initialEndpointState(), ...stored };
  // JSON has no NaN: an unset bucket is stored as null.
  if (typeof state.tokens !== "number") state.tokens = Number.NaN;
  return state;
}

export function serializeEndpointState(state: EndpointState): string {
  return JSON.stringify(state);
}
