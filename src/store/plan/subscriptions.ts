/**
 * Each process keeps every active tenant's subscriptions (enabled endpoints and their event types) in memory, so a
 * publish matches its events without reading the endpoints table. A change to a tenant's endpoints drops its entry
 * in this process at once and, on PostgreSQL, in every other process through a notification; the time limit is the
 * safety net for a notification missed while the listening connection was down. Stale entries never send to a
 * removed or disabled endpoint: ingest checks each planned endpoint's scheduler row in its transaction.
 */
import type { Subscription } from "./fan-out.ts";

export const SUBSCRIPTIONS_TTL_MS = 10_000;
const MAX_TENANTS = 10_000;

export class SubscriptionCache {
  private readonly entries = new Map<string, { subs: Subscription[]; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(tenantId: string): Subscription[] | undefined {
    const e = this.entries.get(tenantId);
    if (!e) return undefined;
    if (this.now() - e.at > SUBSCRIPTIONS_TTL_MS) {
      this.entries.delete(tenantId);
      return undefined;
    }
    return e.subs;
  }

  set(tenantId: string, subs: Subscription[]): void {
    if (this.entries.size >= MAX_TENANTS && !this.entries.has(tenantId)) {
      // Oldest first: a Map iterates in insertion order.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.delete(tenantId);
    this.entries.set(tenantId, { subs, at: this.now() });
  }

  invalidate(tenantId: string): void {
    this.entries.delete(tenantId);
  }

  clear(): void {
    this.entries.clear();
  }
}
