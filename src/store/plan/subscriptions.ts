/**
 * Each process keeps every active tenant's subscriptions (enabled endpoints and their event types) in memory, so a
 * publish matches its events without reading the endpoints table. A change to a tenant's endpoints drops its entry
 * in this process at once and, on PostgreSQL, in every other process through a notification; the time limit is the
 * safety net for a notification missed while the listening connection was down. Stale entries never send to a
 * removed or disabled endpoint: ingest checks each planned endpoint's scheduler row in its transaction.
 *
 * Payload filters are compiled when an entry is built (subscriptionOf), so each publish only runs them: a filter is
 * compiled once per process per change of the tenant's endpoints (or per TTL), never per event.
 */
import { compileFilterText } from "../../domain/event-filter/compile.ts";
import type { Subscription } from "./fan-out.ts";

export const SUBSCRIPTIONS_TTL_MS = 10_000;
const MAX_TENANTS = 10_000;

/**
 * One endpoint's subscription from its stored columns. A stored filter that no longer compiles (saved under a more
 * lenient hookd) is not enforced rather than made to drop every event: the same choice as for event-type schemas.
 */
export function subscriptionOf(endpointId: string, eventTypes: string[], filterJson: string | null): Subscription {
  if (filterJson === null) return { endpointId, eventTypes, filter: null };
  try {
    return { endpointId, eventTypes, filter: compileFilterText(filterJson) };
  } catch {
    return { endpointId, eventTypes, filter: null };
  }
}

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
