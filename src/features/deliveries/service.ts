/**
 * Reading deliveries with their attempt log, and replaying one. The dead-letter list is simply the deliveries with
 * status `dead`.
 */
import type { Attempt, Delivery, DeliveryStatus, Page } from "../../domain/types.ts";
import { renderBody } from "../../delivery/prepare.ts";
import { AppError } from "../../errors/app-error.ts";
import type { DeliveryFilter, PageRequest, Store } from "../../store/store.ts";

export class DeliveryService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  list(tenantId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<Delivery>> {
    return this.store.listDeliveries(tenantId, filter, page);
  }

  /**
   * One delivery with its attempts and the request body. The body is rebuilt from the stored event with the same
   * function the worker signs, which is byte-identical on every attempt, so it is not stored per attempt.
   */
  async get(
    tenantId: string,
    id: string,
  ): Promise<{ delivery: Delivery; attempts: Attempt[]; requestBody: string | null }> {
    const delivery = await this.store.getDelivery(tenantId, id);
    if (!delivery) throw new AppError("DELIVERY_NOT_FOUND", `delivery ${id} not found`);
    const [attempts, event] = await Promise.all([
      this.store.listAttempts(id),
      this.store.getEvent(tenantId, delivery.eventId),
    ]);
    const requestBody = event ? renderBody(event.id, event.type, event.createdAt, event.dataJson) : null;
    return { delivery, attempts, requestBody };
  }

  async replay(tenantId: string, id: string): Promise<Delivery> {
    const result = await this.store.replayDelivery(tenantId, id, this.now());
    if (result === "not_found") throw new AppError("DELIVERY_NOT_FOUND", `delivery ${id} not found`);
    if (result === "payload_expunged") {
      throw new AppError("PAYLOAD_EXPUNGED", `delivery ${id}: the event's payload was expunged, nothing is left to send`);
    }
    if (result === "in_flight") throw new AppError("DELIVERY_IN_FLIGHT", `delivery ${id} is being attempted now`);
    if (result === "already_pending") {
      throw new AppError("DELIVERY_ALREADY_PENDING", `delivery ${id} is already waiting for an attempt`);
    }
    const delivery = await this.store.getDelivery(tenantId, id);
    if (!delivery) throw new AppError("DELIVERY_NOT_FOUND", `delivery ${id} not found`);
    return delivery;
  }
}

/** `status=failed,dead`, `status=failed&status=dead` or both; duplicates dropped. The schema checked every name. */
export function parseStatuses(value: string | string[] | undefined): DeliveryStatus[] | undefined {
  if (value === undefined) return undefined;
  const names = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(","));
  return [...new Set(names)] as DeliveryStatus[];
}
