/**
 * The gradual recovery ramp: after the breaker closes, the endpoint's allowed rate climbs from a low start back to
 * its historical throughput H, rate(t) = max(floor, H * (1 - e^(-t/tau))) with tau = rampMs / 5, so it reaches 99%
 * of H after rampMs (5 minutes by default). A backlog that piled up while the endpoint was down then arrives as a
 * rising tide instead of a wall that knocks it over again.
 */

/** The lowest rate the ramp allows, so an endpoint with a tiny history still drains. */
export const RAMP_FLOOR_PER_S = 1;

/**
 * Allowed deliveries per second `elapsedMs` after closing, or null when the ramp is over.
 * @example rampRatePerS(100, 60_000, 300_000) // ~63.2 (one tau)
 */
export function rampRatePerS(targetPerS: number, elapsedMs: number, rampMs: number): number | null {
  if (elapsedMs >= rampMs || rampMs <= 0) return null;
  const tau = rampMs / 5;
  return Math.max(RAMP_FLOOR_PER_S, targetPerS * (1 - Math.exp(-Math.max(0, elapsedMs) / tau)));
}
