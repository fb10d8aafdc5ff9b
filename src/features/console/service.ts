/**
 * The operator console's figures: system health (queue, drain estimate, breakers) and a page of the tenant heatmap.
 * Every figure comes from bounded store reads (store/ports/console.ts): counts stop at COUNT_CAP and the heatmap reads
 * one page of tenants at a time, so a refresh costs the same with thousands of tenants and a million queued deliveries.
 */
import { iso } from "../../http/common-schemas.ts";
import type { CappedCount } from "../../store/ports/console.ts";
import type { PageRequest, Store } from "../../store/store.ts";
import { HEATMAP_WINDOWS, type HeatmapWindow } from "./schemas.ts";

export const COUNT_CAP = 100_000;
/** Per tenant on the heatmap: enough to tell a small backlog from a large one. */
export const TENANT_COUNT_CAP = 10_000;
const OPEN_BREAKERS_SHOWN = 20;

const rate = (succeeded: number, attempts: number) =>
  attempts === 0 ? null : Math.round((succeeded / attempts) * 10_000) / 10_000;

export class ConsoleService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async health() {
    const now = this.now();
    const h = await this.store.consoleStats.systemHealth(now, COUNT_CAP, OPEN_BREAKERS_SHOWN);
    const perS = h.recentMs > 0 ? h.recentAttempts / (h.recentMs / 1000) : 0;
    const waiting = h.due.value + h.inFlight.value;
    return {
      generated_at: iso(now) as string,
      queue: {
        queued: h.queued,
        due: h.due,
        in_flight: h.inFlight,
        dead: h.dead,
        oldest_due_at: iso(h.oldestDueAt),
        oldest_due_age_s: h.oldestDueAt === null ? null : Math.max(0, (now - h.oldestDueAt) / 1000),
        attempts_per_s: Math.round(perS * 100) / 100,
        drain_estimate_s: waiting === 0 ? 0 : perS > 0 ? Math.round(waiting / perS) : null,
      },
      breakers: h.breakers,
      open_breakers: h.openBreakers.map((b) => ({
        tenant_id: b.tenantId,
        endpoint_id: b.endpointId,
        url: b.url,
        breaker: b.breaker,
        open_until: iso(b.openUntil),
      })),
    };
  }

  async tenantHeatmap(window: HeatmapWindow, page: PageRequest) {
    const { bucketMs, buckets } = HEATMAP_WINDOWS[window];
    const to = Math.ceil((this.now() + 1) / bucketMs) * bucketMs;
    const from = to - bucketMs * buckets;
    const tenants = await this.store.listTenants(page);
    const activity = await this.store.consoleStats.tenantActivity(
      tenants.data.map((t) => t.id),
      from,
      bucketMs,
      buckets,
      TENANT_COUNT_CAP,
    );
    const byId = new Map(activity.map((a) => [a.tenantId, a]));
    const none: CappedCount = { value: 0, capped: false };
    return {
      window,
      from: iso(from) as string,
      bucket_s: bucketMs / 1000,
      data: tenants.data.map((t) => {
        const a = byId.get(t.id);
        const cells = (a?.buckets ?? []).map((b) => ({ ...b, success_rate: rate(b.succeeded, b.attempts) }));
        const attempts = cells.reduce((n, c) => n + c.attempts, 0);
        const succeeded = cells.reduce((n, c) => n + c.succeeded, 0);
        return {
          tenant_id: t.id,
          name: t.name,
          cells,
          attempts,
          success_rate: rate(succeeded, attempts),
          backlog: a?.backlog ?? none,
          dead: a?.dead ?? none,
          endpoints: a?.endpoints ?? 0,
          open_breakers: a?.openBreakers ?? 0,
        };
      }),
      nextCursor: tenants.nextCursor,
    };
  }
}
