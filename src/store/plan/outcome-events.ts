/**
 * Which operational events one recorded outcome produces, shared by both adapters, which call it for the outcomes
 * that landed (the worker still owned the endpoint and the delivery was still waiting): `delivery.dead` when an
 * attempt killed a delivery, `delivery.recovered` when one succeeded after a failed attempt.
 */
import { newOperationalEvent, type OperationalEvent } from "../../domain/operational-events.ts";
import type { Outcome } from "../ports/queue.ts";

export function attemptOperationalEvents(o: Outcome): OperationalEvent[] {
  const subject = { tenantId: o.tenantId, endpointId: o.owner.endpointId, deliveryId: o.deliveryId, eventId: o.eventId };
  if (o.status === "dead" && o.attempt !== null) {
    return [
      newOperationalEvent(
        "delivery.dead",
        subject,
        { attempts: o.attempts, last_status_code: o.lastStatusCode, last_error: o.lastError },
        o.now,
      ),
    ];
  }
  if (o.status === "succeeded" && o.attempt !== null && o.hadFailure) {
    return [newOperationalEvent("delivery.recovered", subject, { attempts: o.attempts }, o.now)];
  }
  return [];
}
