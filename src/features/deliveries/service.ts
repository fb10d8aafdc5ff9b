/**
 * Reading deliveries with their attempt log, and replaying one. The dead-letter list is simply the deliveries with
 * status `dead`.
 */
import type { Attempt, Delivery, DeliveryStatus, Page } from "../../domain/types.ts";
import { DEFAULT_MAX_FULL_BYTES, isThinDelivery, payloadPath } from "../../delivery/payload-url.ts";
import { REDACTED, renderBody, renderThinBody } from "../../delivery/prepare.ts";
import { AppError } from "../../errors/app-error.ts";
import type { DeliveryFilter, PageRequest, PayloadFetch, Store } from "../../store/store.ts";

/** How thin deliveries look, to show their body as sent (with the URL's token redacted). */
export interface ThinBodySettings {
  maxFullBytes: number;
  /** Where payload URLs point (HOOKD_PUBLIC_URL or the API's own address), known once the API listens. */
  baseUrl: () => string;
}

/** An endpoint fetches an event's payload once per thin attempt or so; the detail shows at most this many. */
const MAX_FETCHES_SHOWN = 100;

export class DeliveryService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    private readonly thin: ThinBodySettings = { maxFullBytes: DEFAULT_MAX_FULL_BYTES, baseUrl: () => "" },
  ) {}

  list(tenantId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<Delivery>> {
    return this.store.listDeliveries(tenantId, filter, page);
  }

  /**
   * One delivery with its attempts, the request body and, for thin deliveries, the receiver's payload fetches. The
   * body is rebuilt from the stored event with the same function the worker signs, which is byte-identical on every
   * attempt, so it is not stored per attempt. A thin body differs per attempt only in its URL's token, shown
   * redacted; whether the delivery is thin is decided as the worker decides it, by the endpoint's current mode.
   */
  async get(
    tenantId: string,
    id: string,
  ): Promise<{ delivery: Delivery; attempts: Attempt[]; requestBody: string | null; payloadFetches: PayloadFetch[] }> {
    const delivery = await this.store.getDelivery(tenantId, id);
    if (!delivery) throw new AppError("DELIVERY_NOT_FOUND", `delivery ${id} not found`);
    const [attempts, event, endpoint, payloadFetches] = await Promise.all([
      this.store.listAttempts(id),
      this.store.getEvent(tenantId, delivery.eventId),
      this.store.getEndpoint(tenantId, delivery.endpointId),
      this.store.payloadFetches.list(tenantId, delivery.endpointId, delivery.eventId, MAX_FETCHES_SHOWN),
    ]);
    let requestBody: string | null = null;
    if (event) {
      const thin = endpoint !== null && isThinDelivery(endpoint.payloadMode, event.dataJson, this.thin.maxFullBytes);
      const url = `${this.thin.baseUrl()}${payloadPath(event.id)}?token=${REDACTED}`;
      requestBody = thin
        ? renderThinBody(event.id, event.type, event.createdAt, url)
        : renderBody(event.id, event.type, event.createdAt, event.dataJson);
    }
    return { delivery, attempts, requestBody, payloadFetches };
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
