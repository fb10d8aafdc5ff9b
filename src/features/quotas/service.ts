/**
 * Per-tenant quotas (docs/security.md#quotas): the checks that keep one tenant from filling or slowing a shared
 * hookd. Every check runs before anything is written, so a refused request leaves no trace and nothing accepted is
 * ever dropped to enforce a quota.
 *
 * - endpoints: counted in the endpoint-creation transaction (the store), never on the ingest path;
 * - ingest requests and bytes per second: token buckets in this process (rate-buckets.ts), checked once the key is
 *   known and before the body is read (the bytes from Content-Length);
 * - deliveries per request and per second: checked by the store on the planned fan-out, inside the ingest
 *   transaction, before any delivery is written (FanOutAdmission);
 * - stored bytes: a counter maintained by ingest and by expunging (tenant_usage), read at most every
 *   USAGE_REFRESH_MS per tenant and process; between reads this process adds what it accepted itself.
 *
 * A tenant's overrides are read with its usage, so a PATCH reaches other processes within USAGE_REFRESH_MS (this
 * process at once). Each refusal records a `tenant.quota_exceeded` operational event, at most one per tenant and
 * quota per EVENT_INTERVAL_MS in each process, so a client hammering a limit cannot flood the operator's feed.
 */
import { LRUCache } from "lru-cache";
import type { FastifyBaseLogger } from "fastify";
import { newOperationalEvent } from "../../domain/operational-events.ts";
import { effectiveQuotas, type QuotaName, type Quotas } from "../../domain/quotas.ts";
import { AppError } from "../../errors/app-error.ts";
import type { FanOutAdmission, Store, TenantUsage } from "../../store/store.ts";
import { RateBuckets } from "./rate-buckets.ts";

export const USAGE_REFRESH_MS = 5_000;
const EVENT_INTERVAL_MS = 60_000;
/** How long a producer over its stored-bytes quota is asked to wait: retention frees space only slowly. */
const STORAGE_RETRY_AFTER_S = 60;

export interface QuotaView {
  quotas: Quotas;
  overrides: Partial<Quotas>;
  usage: { endpoints: number; storedBytes: number };
}

export class QuotaService {
  private readonly usageCache = new LRUCache<string, { usage: TenantUsage; at: number }>({ max: 10_000 });
  private readonly reported = new LRUCache<string, number>({ max: 10_000 });
  private readonly buckets: RateBuckets;

  constructor(
    private readonly store: Store,
    readonly defaults: Readonly<Quotas>,
    private readonly log?: FastifyBaseLogger,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = new RateBuckets(now);
  }

  /** The tenant's usage and overrides, at most USAGE_REFRESH_MS old. Throws TENANT_NOT_FOUND. */
  private async usage(tenantId: string): Promise<TenantUsage> {
    const cached = this.usageCache.get(tenantId);
    const now = this.now();
    if (cached && now - cached.at < USAGE_REFRESH_MS) return cached.usage;
    const usage = await this.store.getTenantUsage(tenantId);
    if (!usage) throw new AppError("TENANT_NOT_FOUND", `tenant ${tenantId} not found`);
    this.usageCache.set(tenantId, { usage, at: now });
    return usage;
  }

  /** The defaults with the tenant's overrides. */
  async effective(tenantId: string): Promise<Quotas> {
    return effectiveQuotas(this.defaults, (await this.usage(tenantId)).quotas);
  }

  /** Forgets what this process read about the tenant (its overrides changed, it was deleted or created). */
  forget(tenantId: string): void {
    this.usageCache.delete(tenantId);
  }

  /** Quotas, overrides and fresh usage for GET /v1/tenants/{id}/quotas. */
  async view(tenantId: string): Promise<QuotaView> {
    this.forget(tenantId);
    const usage = await this.usage(tenantId);
    return {
      quotas: effectiveQuotas(this.defaults, usage.quotas),
      overrides: usage.quotas,
      usage: { endpoints: usage.endpoints, storedBytes: usage.storedBytes },
    };
  }

  /**
   * Publish requests and bytes per second, before the body is read. `bytes` is the Content-Length; null (a chunked
   * body) charges the request only, and the payload bytes are charged by admitPayload instead.
   */
  async admitIngestRequest(tenantId: string, bytes: number | null): Promise<void> {
    const q = await this.effective(tenantId);
    const quotas: QuotaName[] = ["ingest_requests_per_second"];
    const charges = [{ key: `${tenantId}\0requests`, ratePerS: q.ingest_requests_per_second, cost: 1 }];
    if (bytes !== null) {
      quotas.push("ingest_bytes_per_second");
      charges.push({ key: `${tenantId}\0bytes`, ratePerS: q.ingest_bytes_per_second, cost: bytes });
    }
    const { waitS, index } = this.buckets.take(charges);
    const over = quotas[index];
    if (over) throw this.rateLimited(tenantId, over, q[over], waitS);
  }

  /**
   * Checks the stored-bytes quota for `dataBytes` of new payload (and charges them to the bytes rate when the
   * request had no Content-Length), and returns the fan-out checks for the store to run on the planned deliveries.
   */
  async admitPayload(tenantId: string, dataBytes: number, chargeBytes: boolean): Promise<FanOutAdmission> {
    const usage = await this.usage(tenantId);
    const q = effectiveQuotas(this.defaults, usage.quotas);
    if (chargeBytes) {
      const { waitS } = this.buckets.take([{ key: `${tenantId}\0bytes`, ratePerS: q.ingest_bytes_per_second, cost: dataBytes }]);
      if (waitS > 0) throw this.rateLimited(tenantId, "ingest_bytes_per_second", q.ingest_bytes_per_second, waitS);
    }
    if (q.max_stored_bytes > 0 && usage.storedBytes + dataBytes > q.max_stored_bytes) {
      this.report(tenantId, "max_stored_bytes", q.max_stored_bytes, { stored_bytes: usage.storedBytes });
      throw new AppError(
        "STORAGE_QUOTA_EXCEEDED",
        `tenant ${tenantId} stores ${usage.storedBytes} payload bytes; ${dataBytes} more would pass its quota of ${q.max_stored_bytes}`,
        [{ quota: "max_stored_bytes", limit: q.max_stored_bytes, stored_bytes: usage.storedBytes }],
        STORAGE_RETRY_AFTER_S,
      );
    }
    return {
      maxDeliveries: q.max_deliveries_per_request,
      check: (deliveries) => this.checkFanOut(tenantId, q, deliveries),
    };
  }

  /** After a commit: this process's view of the tenant's stored bytes grows at once, not at the next read. */
  accepted(tenantId: string, dataBytes: number): void {
    const cached = this.usageCache.get(tenantId);
    if (cached) cached.usage = { ...cached.usage, storedBytes: cached.usage.storedBytes + dataBytes };
  }

  /** The endpoint quota for the store to enforce in the creating transaction (0: none). */
  async maxEndpoints(tenantId: string): Promise<number> {
    return (await this.effective(tenantId)).max_endpoints;
  }

  endpointLimitReached(tenantId: string, limit: number): AppError {
    this.report(tenantId, "max_endpoints", limit, {});
    return new AppError(
      "ENDPOINT_LIMIT_REACHED",
      `tenant ${tenantId} has ${limit} endpoints, the most its quota allows`,
      [{ quota: "max_endpoints", limit }],
    );
  }

  private checkFanOut(tenantId: string, q: Quotas, deliveries: number): Error | null {
    const cap = q.max_deliveries_per_request;
    if (cap > 0 && deliveries > cap) {
      this.report(tenantId, "max_deliveries_per_request", cap, {});
      return new AppError(
        "FAN_OUT_LIMIT_EXCEEDED",
        `this request would create more than ${cap} deliveries (events times matching endpoints), the most one request may; send fewer events per request`,
        [{ quota: "max_deliveries_per_request", limit: cap }],
      );
    }
    if (deliveries === 0) return null;
    const { waitS } = this.buckets.take([{ key: `${tenantId}\0deliveries`, ratePerS: q.deliveries_per_second, cost: deliveries }]);
    return waitS > 0 ? this.rateLimited(tenantId, "deliveries_per_second", q.deliveries_per_second, waitS) : null;
  }

  private rateLimited(tenantId: string, quota: QuotaName, limit: number, waitS: number): AppError {
    this.report(tenantId, quota, limit, { retry_after_s: waitS });
    return new AppError(
      "RATE_LIMITED",
      `tenant ${tenantId} is over its ${quota} quota (${limit}); retry after ${waitS} s`,
      [{ quota, limit, retry_after_s: waitS }],
      waitS,
    );
  }

  /** Records `tenant.quota_exceeded`, at most once per tenant and quota per EVENT_INTERVAL_MS; never fails the caller. */
  private report(tenantId: string, quota: QuotaName, limit: number, data: Record<string, number>): void {
    const key = `${tenantId}\0${quota}`;
    const now = this.now();
    const last = this.reported.get(key);
    if (last !== undefined && now - last < EVENT_INTERVAL_MS) return;
    this.reported.set(key, now);
    const event = newOperationalEvent("tenant.quota_exceeded", { tenantId }, { quota, limit, ...data }, now);
    // Later, not now: the fan-out checks run inside the ingest transaction (synchronously on SQLite), whose rollback
    // of the refused request would take the record with it.
    setImmediate(() => {
      this.store.recordOperationalEvent(event).catch((err: unknown) => {
        this.log?.warn({ err, tenant_id: tenantId, quota }, "could not record tenant.quota_exceeded");
      });
    });
  }
}
