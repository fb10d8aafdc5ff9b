/**
 * Expunging payloads on request; the scheduled side is retention-job.ts.
 */
import type { Store } from "../../store/store.ts";

export class RetentionService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** false when the tenant has no such event. Idempotent. */
  expungePayload(tenantId: string, eventId: string): Promise<boolean> {
    return this.store.expungeEventPayload(tenantId, eventId, this.now());
  }
}
