/**
 * Delivery stats of one endpoint or a whole tenant over a window: attempt counts by outcome class and latency
 * percentiles from the per-minute aggregates, and the backlog counted live.
 */
import {
  type AttemptStatsTotals,
  latencyPercentile,
  type StatsWindow,
  windowBounds,
} from "../../domain/attempt-stats.ts";
import { AppError } from "../../errors/app-error.ts";
import { iso } from "../../http/common-schemas.ts";
import type { DeliveryBacklog, Store } from "../../store/store.ts";

export class StatsService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async endpoint(tenantId: string, endpointId: string, window: StatsWindow) {
    // Also what keeps the endpoint-keyed reads below within the tenant.
    if (!(await this.store.getEndpoint(tenantId, endpointId))) {
      throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${endpointId} not found`);
    }
    return this.read(tenantId, endpointId, window);
  }

  tenant(tenantId: string, window: StatsWindow) {
    return this.read(tenantId, null, window);
  }

  private async read(tenantId: string, endpointId: string | null, window: StatsWindow) {
    const { from, to } = windowBounds(window, this.now());
    const [totals, backlog] = await Promise.all([
      this.store.attemptStats(tenantId, endpointId, from, to),
      this.store.deliveryBacklog(tenantId, endpointId),
    ]);
    return statsToApi(window, from, to, totals, backlog);
  }
}

export function statsToApi(window: StatsWindow, from: number, to: number, t: AttemptStatsTotals, backlog: DeliveryBacklog) {
  const succeeded = t.byClass.success;
  const pct = (q: number) => latencyPercentile(t.latencyBuckets, q);
  return {
    window,
    from: iso(from),
    to: iso(to),
    attempts: t.attempts,
    succeeded,
    failed: t.attempts - succeeded,
    success_rate: t.attempts === 0 ? null : Math.round((succeeded / t.attempts) * 10_000) / 10_000,
    by_outcome: t.byClass,
    latency_ms: t.attempts === 0 ? null : { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99) },
    backlog: { pending: backlog.pending, failed: backlog.failed },
  };
}
