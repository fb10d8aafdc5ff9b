/**
 * Operational events for the admin API: listing with filters, and recording for features that change state outside
 * the delivery path (the store already records the events recordAttempts and updateEndpoint cause).
 */
import type { OperationalEvent } from "../../domain/operational-events.ts";
import type { Page } from "../../domain/types.ts";
import type { OperationalEventFilter, PageRequest, Store } from "../../store/store.ts";

export class OperationalEventService {
  constructor(private readonly store: Store) {}

  list(filter: OperationalEventFilter, page: PageRequest): Promise<Page<OperationalEvent>> {
    return this.store.listOperationalEvents(filter, page);
  }

  record(event: OperationalEvent): Promise<void> {
    return this.store.recordOperationalEvent(event);
  }
}
