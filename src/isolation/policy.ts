/**
 * The isolation rules hookd applies per endpoint, composed from the pure pieces next to this file. The worker that
 * owns an endpoint (store/ports/queue.ts) is the only one sending to it, so the rules run in its memory: `admit`
 * before each request, `observe` after each outcome, and the state is written back to the store for whoever owns the
 * endpoint next and for the health API.
 *
 * admit: a 429 pause or an open breaker admits nothing until it ends (no attempt is spent); a cooled-down breaker
 * admits one probe at a time; a closed one admits a request whenever the token bucket holds a token (when the
 * endpoint has a rate limit or is on its recovery ramp), else always (the concurrency limit still applies).
 * observe: folds each attempt into the breaker, the latency history and the failure streak, pauses on 429 with
 * Retry-After, and asks for the endpoint to be disabled once every attempt has failed for autoDisableAfterMs.
 */
import type { Config } from "../config/config.ts";
import type { EndpointState } from "../domain/endpoint-state.ts";
import type { Attempt } from "../domain/types.ts";
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

/** How the breaker reads one attempt. */
export function observationOf(a: Attempt): Observation {
  if (a.outcome === "success") return "success";
  if (a.errorClass === "timeout") return "timeout";
  // 429 is the endpoint asking for less, handled by the pause; any other 4xx is an answer about this one request.
  if (a.statusCode !== null && a.statusCode >= 400 && a.statusCode < 500 && a.statusCode !== 408) return "neutral";
  return "failure";
}

/** What the rules say about sending one more request now. */
export type Admission =
  /** Send; store `state` (a token spent, a probe marked) once the request has left. */
  | { kind: "send"; state: EndpointState; timeoutMs: number }
  /** Not before `until` (a pause, an open breaker, an empty bucket, a probe out). */
  | { kind: "wait"; until: number };

export class EndpointIsolation {
  constructor(readonly settings: IsolationSettings = DEFAULT_ISOLATION) {}

  /** The timeout a request uses now: adaptive, never above the configured one. */
  timeoutMs(configuredMs: number, state: EndpointState): number {
    return this.settings.adaptiveTimeout ? adaptiveTimeoutMs(configuredMs, state.recentMs) : configuredMs;
  }

  /**
   * @param probeLeaseMs how long a probe blocks the next one if its answer never comes (its timeout and a margin)
   */
  admit(state: EndpointState, rateLimitPerS: number | null, configuredTimeoutMs: number, now: number, probeLeaseMs: number): Admission {
    const timeoutMs = this.timeoutMs(configuredTimeoutMs, state);
    if (state.pausedUntil > now) return { kind: "wait", until: state.pausedUntil };
    const g = gate(state, now, probeLeaseMs);
    if (g.kind === "blocked") return { kind: "wait", until: state.breaker === "open" ? state.openUntil : state.probeUntil };
    if (g.kind === "probe") return { kind: "send", state: g.state, timeoutMs };
    let next = state;
    let ramp: number | null = null;
    if (next.rampFrom !== null) {
      ramp = rampRatePerS(next.rampTargetPerS, now - next.rampFrom, this.settings.rampMs);
      if (ramp === null) next = { ...next, rampFrom: null };
    }
    const rate = Math.min(rateLimitPerS ?? Number.POSITIVE_INFINITY, ramp ?? Number.POSITIVE_INFINITY);
    if (!Number.isFinite(rate)) return { kind: "send", state: next, timeoutMs };
    const bucket = refill({ tokens: next.tokens, at: next.tokensAt }, rate, now);
    if (available(bucket) < 1) {
      // The next whole token arrives after (1 - tokens) / rate seconds.
      return { kind: "wait", until: now + Math.max(1, Math.ceil(((1 - bucket.tokens) / rate) * 1000)) };
    }
    return { kind: "send", state: { ...next, tokens: bucket.tokens - 1, tokensAt: bucket.at }, timeoutMs };
  }

  /**
   * The state after one attempt (null: no HTTP attempt was made, nothing to learn), and a reason to disable the
   * endpoint, if any.
   */
  observe(
    state: EndpointState,
    attempt: Attempt | null,
    pauseMs: number | null,
    now: number,
  ): { state: EndpointState; disableReason: string | null } {
    let next = state;
    if (attempt) {
      const obs = observationOf(attempt);
      next = observe(next, obs, now, this.settings.breaker);
      next = { ...next, recentMs: [...next.recentMs, attempt.durationMs].slice(-ADAPTIVE_SAMPLES) };
      if (obs === "success") next = { ...next, lastSuccessAt: now, failingSince: null };
      else next = { ...next, failingSince: next.failingSince ?? attempt.startedAt };
    }
    if (pauseMs && pauseMs > 0) next = { ...next, pausedUntil: Math.max(next.pausedUntil, now + pauseMs) };
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
