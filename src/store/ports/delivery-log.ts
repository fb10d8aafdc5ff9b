/** The delivery log: one row per (event, endpoint) with its status, every attempt, and replays. */
import type { Attempt, Delivery, DeliveryStatus, Page } from "../../domain/types.ts";
import type { PageRequest } from "./common.ts";

export interface DeliveryFilter {
  endpointId?: string | undefined;
  eventId?: string | undefined;
  /** Exact, or a prefix wildcard (`invoice.*`) matched as endpoint subscriptions are; `*` matches every type. */
  eventType?: string | undefined;
  statuses?: DeliveryStatus[] | undefined;
  /** created_at at or after (inclusive), in ms. */
  since?: number | undefined;
  /** created_at before (exclusive), in ms. */
  until?: number | undefined;
  minAttempts?: number | undefined;
}

/**
 * replayed: queued for a new attempt now. in_flight: a retry of it is due and may be being attempted right now;
 * already_pending: its first attempt has not happened yet.
 */
export type ReplayResult = "replayed" | "not_found" | "in_flight" | "already_pending" | "payload_expunged";

export interface DeliveryLogPort {
  /** Newest first. */
  listDeliveries(tenantId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<Delivery>>;
  getDelivery(tenantId: string, id: string): Promise<Delivery | null>;
  /** Oldest first. */
  listAttempts(deliveryId: string): Promise<Attempt[]>;
  replayDelivery(tenantId: string, id: string, now: number): Promise<ReplayResult>;
  /** Requeues every delivery of the endpoint in `status` created at or after `since`; returns how many. */
  replayEndpoint(
    tenantId: string,
    endpointId: string,
    status: "dead" | "failed",
    since: number | null,
    now: number,
  ): Promise<number>;
}
