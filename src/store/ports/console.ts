/**
 * The store port behind the operator console and the stats series: narrow, bounded aggregate reads. Implemented by
 * store/sqlite/console.ts and store/postgres/console.ts.
 *
 * Every count that could grow with the backlog is capped (`cap`: the query stops counting there and the answer says
 * so), so a refresh of the console costs the same with a million queued deliveries as with a thousand. The queue
 * reads live only in these two small files, so they can follow a change of the queue tables.
 */
import type { AttemptStatsTotals } from "../../domain/attempt-stats.ts";
import type { BreakerState } from "../../domain/endpoint-state.ts";

/** A count that stopped at a cap: `value` is the cap when `capped`. */
export interface CappedCount {
  value: number;
  capped: boolean;
}

export interface OpenBreaker {
  tenantId: string;
  endpointId: string;
  url: string;
  breaker: BreakerState;
  openUntil: number | null;
}

export interface SystemHealth {
  /** pending or failed deliveries (due, scheduled or in flight). */
  queued: CappedCount;
  /** due now and not leased. */
  due: CappedCount;
  inFlight: CappedCount;
  dead: CappedCount;
  oldestDueAt: number | null;
  /** HTTP attempts in the `recentMs` before now, from the per-minute stats (every worker's). */
  recentAttempts: number;
  recentMs: number;
  breakers: Record<BreakerState, number>;
  /** Endpoints whose breaker is not closed, at most `limit`, longest open first. */
  openBreakers: OpenBreaker[];
}

export interface TenantActivity {
  tenantId: string;
  /** One entry per bucket of the window, oldest first. */
  buckets: { attempts: number; succeeded: number }[];
  backlog: CappedCount;
  dead: CappedCount;
  endpoints: number;
  openBreakers: number;
}

export interface ConsoleStore {
  systemHealth(now: number, cap: number, breakerLimit: number): Promise<SystemHealth>;
  /** Activity of these tenants (a page of them) in `buckets` buckets of `bucketMs` from `from`. */
  tenantActivity(tenantIds: string[], from: number, bucketMs: number, buckets: number, cap: number): Promise<TenantActivity[]>;
  /**
   * One endpoint's (or, with null, the tenant's) per-minute stats summed into `buckets` buckets of `bucketMs` from
   * `from`, oldest first; a bucket without attempts is all zeros.
   */
  attemptSeries(
    tenantId: string,
    endpointId: string | null,
    from: number,
    bucketMs: number,
    buckets: number,
  ): Promise<AttemptStatsTotals[]>;
}
