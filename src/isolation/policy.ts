/**
 * The isolation rules hookd applies per endpoint, composed from the pure pieces next to this file. The store calls
 * `admit` while it holds an endpoint's state lock in a claim, and `observe` while it holds it in a record, so every
 * worker process sees and changes one shared state per endpoint.
 *
 * admit: a 429 pause or an open breaker admits nothing (the deliveries simply stay due: postponed, no attempt spent);
 * a cooled-down breaker admits one probe; a closed one admits what the token bucket holds when the endpoint has a
 * rate limit or is on its recovery ramp, else everything (max_in_flight and the fair share still apply).
 * observe: folds each attempt into the breaker, the latency history and the failure streak, pauses on 429 with
 * Retry-After, and asks for the endpoint to be disabled once every attempt has failed for autoDisableAfterMs.
 */
import type { Config } from "../config/config.ts";
import type { EndpointState } from "../domain/endpoint-state.ts";
import type { Admission, AttemptRecord, EndpointCandidate, IsolationPolicy } from "../store/store.ts";
import { ADAPTIVE_SAMPLES, adaptiveTimeoutMs } from "./adaptive-timeout.ts";
import { type BreakerSettings, DEFAULT_BREAKER, gate, type Observation, observe } from "./breaker.ts";
import { rampRatePerS } from "./recovery-ramp.ts";
import { available, refill } from "./token-bucket.ts";

export interface IsolationSettings {
  breaker: BreakerSettings;
  /** Length of the recovery ramp after the breaker closes. */
  rampMs: number;
  /** Disable an endpoint whose attempts have all failed for this long. */
  autoDisableAfterMs: number;
  adaptiveTimeout: boolean;
}

export const DEFAULT_ISOLATION: IsolationSettings = {
  breaker: DEFAULT_BREAKER,
  rampMs: 300_000,
  autoDisableAfterMs: 5 * 24 * 3600 * 1000,
  adaptiveTimeout: true,
};

/** How the breaker reads one recorded attempt. */
export function observationOf(r: AttemptRecord): Observation | null {
  const a = r.attempt;
  if (!a) return null;
  if (a.outcome === "success") return "success";
  if (a.errorClass === "timeout") return "timeout";
  // 429 is the endpoint asking for less, handled by the pause; any other 4xx is an answer about this one request.
  if (a.statusCode !== null && a.statusCode >= 400 && a.statusCode < 500 && a.statusCode !== 408) return "neutral";
  return "failure";
}

const NOTHING = (timeoutMs: number): Admission => ({ quota: 0, timeoutMs, settle: () => null });

export class EndpointIsolation implements IsolationPolicy {
  constructor(private readonly settings: IsolationSettings = DEFAULT_ISOLATION) {}

  admit(c: EndpointCandidate, now: number, leaseMs: number): Admission {
    const timeoutMs = this.settings.adaptiveTimeout ? adaptiveTimeoutMs(c.timeoutMs, c.state.recentMs) : c.timeoutMs;
    let state = c.state;
    if (state.pausedUntil > now) return NOTHING(timeoutMs);
    const g = gate(state, now, leaseMs);
    if (g.kind === "blocked") return NOTHING(timeoutMs);
    if (g.kind === "probe") {
      // Only a probe that really left marks the endpoint as probing; if nothing was due, nothing changes.
      return { quota: 1, timeoutMs, settle: (n) => (n > 0 ? g.state : null) };
    }
    let changed = false;
    let ramp: number | null = null;
    if (state.rampFrom !== null) {
      ramp = rampRatePerS(state.rampTargetPerS, now - state.rampFrom, this.settings.rampMs);
      if (ramp === null) {
        state = { ...state, rampFrom: null };
        changed = true;
      }
    }
    const rate = Math.min(c.rateLimitPerS ?? Number.POSITIVE_INFINITY, ramp ?? Number.POSITIVE_INFINITY);
    if (!Number.isFinite(rate)) {
      const settled = changed ? state : null;
      return { quota: Number.POSITIVE_INFINITY, timeoutMs, settle: () => settled };
    }
    const bucket = refill({ tokens: state.tokens, at: state.tokensAt }, rate, now);
    const base = state;
    return {
      quota: available(bucket),
      timeoutMs,
      settle: (n) => ({ ...base, tokens: bucket.tokens - n, tokensAt: bucket.at }),
    };
  }

  observe(state: EndpointState, records: AttemptRecord[], now: number): { state: EndpointState; disableReason: string | null } {
    let next = state;
    for (const r of records) {
      const obs = observationOf(r);
      if (obs === null || !r.attempt) continue;
      next = observe(next, obs, r.now, this.settings.breaker);
      next = { ...next, recentMs: [...next.recentMs, r.attempt.durationMs].slice(-ADAPTIVE_SAMPLES) };
      if (obs === "success") next = { ...next, lastSuccessAt: r.now, failingSince: null };
      else next = { ...next, failingSince: next.failingSince ?? r.attempt.startedAt };
      if (r.endpointPauseMs && r.endpointPauseMs > 0) {
        next = { ...next, pausedUntil: Math.max(next.pausedUntil, r.now + r.endpointPauseMs) };
      }
    }
    const after = this.settings.autoDisableAfterMs;
    const disableReason =
      next.failingSince !== null && now - next.failingSince >= after
        ? `every attempt failed for ${formatDuration(after)} with no success`
        : null;
    return { state: next, disableReason };
  }
}

function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} days`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hours`;
  return `${Math.round(ms / 1000)} s`;
}

/** The isolation rules as the settings (HOOKD_BREAKER_* and kin) configure them. */
export function isolationSettings(config: Config): IsolationSettings {
  return {
    breaker: {
      windowMs: config.breakerWindowMs,
      minAttempts: config.breakerMinAttempts,
      failureRatio: config.breakerFailurePercent / 100,
      consecutiveTimeouts: config.breakerConsecutiveTimeouts,
      cooldownMs: config.breakerCooldownMs,
      maxCooldownMs: Math.max(config.breakerMaxCooldownMs, config.breakerCooldownMs),
    },
    rampMs: config.recoveryRampMs,
    autoDisableAfterMs: config.autoDisableAfterMs,
    adaptiveTimeout: true,
  };
}
