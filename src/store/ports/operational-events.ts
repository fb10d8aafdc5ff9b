/** Operational events: what an operator needs to hear about, recorded with the change that caused it. */
import type { OperationalEvent } from "../../domain/operational-events.ts";
import type { Page } from "../../domain/types.ts";
import type { PageRequest } from "./common.ts";

export interface OperationalEventFilter {
  types?: string[] | undefined;
  tenantId?: string | undefined;
}

export interface OperationalEventsPort {
  /**
   * Records one operational event of any type, and, when the operator tenant has an enabled endpoint that matches,
   * ingests it as an event of that tenant in the same transaction (domain/operational-events.ts).
   */
  recordOperationalEvent(event: OperationalEvent): Promise<void>;
  /** Newest first. */
  listOperationalEvents(filter: OperationalEventFilter, page: PageRequest): Promise<Page<OperationalEvent>>;
}
