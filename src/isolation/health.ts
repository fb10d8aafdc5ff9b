/**
 * The `health` object the API shows for an endpoint: breaker state, failure rate over the breaker's sliding window,
 * p50 and p95 latency of the last attempts, and how many deliveries are in flight right now.
 */
import type { EndpointState } from "../domain/endpoint-state.ts";
import { percentile } from "./adaptive-timeout.ts";
import { type BreakerSettings, DEFAULT_BREAKER, windowCounts } from "./breaker.ts";

export interface EndpointHealth {
  breaker: "closed" | "open" | "half_open";
  /** Failed share of the attempts in the sliding window, 0..1; null with no attempts in it. */
  failureRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  inFlight: number;
  /** Set while a 429's Retry-After pauses the endpoint. */
  pausedUntil: number | null;
  /** Set while the breaker is open: when the next probe may go. */
  openUntil: number | null;
  lastSuccessAt: number | null;
}

export function endpointHealth(
  state: EndpointState,
  inFlight: number,
  now: number,
  settings: BreakerSettings = DEFAULT_BREAKER,
): EndpointHealth {
  const { attempts, failures } =
    now >= state.windowStart + 2 * settings.windowMs ? { attempts: 0, failures: 0 } : windowCountsAt(state, now, settings);
  const p50 = percentile(state.recentMs, 50);
  const p95 = percentile(state.recentMs, 95);
  return {
    breaker: state.breaker,
    failureRate: attempts >= 1 ? Math.round((failures / attempts) * 1000) / 1000 : null,
    p50Ms: Number.isNaN(p50) ? null : p50,
    p95Ms: Number.isNaN(p95) ? null : p95,
    inFlight,
    pausedUntil: state.pausedUntil > now ? state.pausedUntil : null,
    openUntil: state.breaker === "open" ? state.openUntil : null,
    lastSuccessAt: state.lastSuccessAt,
  };
}

/** The window as it would look at `now` without a new attempt (the stored one may be a window or two behind). */
function windowCountsAt(state: EndpointState, now: number, s: BreakerSettings) {
  if (now < state.windowStart + s.windowMs) return windowCounts(state, now, s);
  // One window later: the stored current window is now the previous one.
  const shifted = { ...state, windowStart: state.windowStart + s.windowMs, prevAttempts: state.attempts, prevFailures: state.failures, attempts: 0, failures: 0 };
  return windowCounts(shifted, now, s);
}
