/**
 * Per-tenant rate quotas as token buckets in this process's memory. Each bucket refills at its rate and holds one
 * second's worth. A request that costs more than a full bucket (one 16 MB batch against 8 MiB/s) is still admitted
 * when the bucket is full, and the bucket goes into debt: the tenant then waits until the debt is paid off. So any
 * single request a tenant may send can pass, and over time no tenant gets more than its rate.
 *
 * Per process, on purpose: a shared counter in PostgreSQL would cost a round trip and a hot row on every publish.
 * With N API processes behind a balancer a tenant can get up to N times its rate (docs/security.md#quotas).
 */
import { LRUCache } from "lru-cache";
import { type Bucket, refill, take } from "../../isolation/token-bucket.ts";

export interface Charge {
  /** Names the bucket: tenant and quota. */
  key: string;
  /** Tokens per second; 0 is no limit. */
  ratePerS: number;
  cost: number;
}

/** Tenants whose buckets are remembered; the least recently used are forgotten first (and start full again). */
const MAX_BUCKETS = 100_000;

export class RateBuckets {
  private readonly buckets = new LRUCache<string, Bucket>({ max: MAX_BUCKETS });

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Takes every charge, or none: `waitS` 0 when all were admitted, otherwise the whole seconds (at least 1) to wait
   * before the most limiting bucket, charges[`index`], can admit its charge, for `Retry-After`.
   * @example new RateBuckets().take([{ key: "acme/requests", ratePerS: 10, cost: 1 }]) // { waitS: 0, index: -1 }
   */
  take(charges: readonly Charge[]): { waitS: number; index: number } {
    const now = this.now();
    let waitS = 0;
    let index = -1;
    const refilled = charges.map((c, i) => {
      if (c.ratePerS <= 0) return null;
      // The endpoints' rate limit's bucket (isolation/token-bucket.ts); one never used starts full.
      const b = refill(this.buckets.get(c.key) ?? { tokens: Number.NaN, at: now }, c.ratePerS, now);
      const need = Math.min(c.cost, c.ratePerS);
      const wait = b.tokens < need ? Math.max(1, Math.ceil((need - b.tokens) / c.ratePerS)) : 0;
      if (wait > waitS) {
        waitS = wait;
        index = i;
      }
      return b;
    });
    if (waitS > 0) return { waitS, index };
    charges.forEach((c, i) => {
      const b = refilled[i];
      if (b) this.buckets.set(c.key, take(b, c.cost));
    });
    return { waitS: 0, index: -1 };
  }
}
