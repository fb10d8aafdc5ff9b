/** Read-side aggregates: queue gauges for /metrics, per-minute attempt stats, backlogs and breaker counts. */
import type { AttemptStatsTotals } from "../../domain/attempt-stats.ts";
import type { BreakerState } from "../../domain/endpoint-state.ts";

/** Queue gauges read at scrape time, from the scheduler rows and counters rather than a count of the backlog. */
export interface QueueStats {
  /** Deliveries waiting for their turn now: fresh ones not yet sent, and retries whose time has come. */
  due: number;
  /** Retries scheduled for later. */
  scheduled: number;
  /** Endpoints a worker owns right now (sending to them). */
  inFlight: number;
  /** When the longest-waiting due endpoint became due. */
  oldestDueAt: number | null;
  dead: number;
  /** Attempts started in the last minute, across every worker (the recent delivery rate). */
  attemptsLastMinute: number;
}

/** Deliveries still waiting for a successful attempt. */
export interface DeliveryBacklog {
  pending: number;
  failed: number;
}

export interface StatsPort {
  queueStats(now: number): Promise<QueueStats>;
  /**
   * Delivery stats. Every landed HTTP attempt is added to its endpoint's row for the minute the attempt started (in
   * the cycle that records it); this sums the rows of one endpoint, or of every endpoint of the tenant when
   * `endpointId` is null, for the minutes in [from, to).
   */
  attemptStats(tenantId: string, endpointId: string | null, from: number, to: number): Promise<AttemptStatsTotals>;
  /** Pending and failed deliveries of one endpoint (the caller checked it belongs to the tenant), or of the tenant. */
  deliveryBacklog(tenantId: string, endpointId: string | null): Promise<DeliveryBacklog>;
  /** Endpoints per stored breaker state, across all tenants (every state present, 0 when none). */
  countEndpointsByBreaker(): Promise<Record<BreakerState, number>>;
}
