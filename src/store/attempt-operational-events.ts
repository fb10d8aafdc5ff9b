/**
 * Which operational events one recorded attempt produces. Both adapters call this inside the transaction that applies
 * the record, with what only the database knows: the delivery's ids, whether its previous attempt had failed, and
 * whether this record actually flipped the endpoint to disabled (it may have been disabled already).
 */
import { newOperationalEvent, type OperationalEvent } from "../domain/operational-events.ts";
import type { AttemptRecord } from "./store.ts";

export interface AppliedAttempt {
  record: AttemptRecord;
  tenantId: string;
  eventId: string;
  endpointId: string;
  /** The delivery's last attempt before this one had failed (its last_error was set). */
  hadFailure: boolean;
  /** This record's disableEndpoint changed the endpoint from enabled to disabled. */
  disabledEndpoint: boolean;
}

/**
 * A success can only be a recovery when an earlier attempt exists: adapters use this to skip reading the prior state
 * for first-attempt successes, the hot path.
 */
export function mayRecover(r: AttemptRecord): boolean {
  return r.status === "succeeded" && r.attempt !== null && r.attempts > 1;
}

/** Whether a record can produce any operational event at all (so a store knows it needs the full transaction). */
export function mayProduceOperationalEvents(r: AttemptRecord): boolean {
  return r.disableEndpoint !== null || (r.status === "dead" && r.attempt !== null) || mayRecover(r);
}

export function operationalEventsFor(a: AppliedAttempt): OperationalEvent[] {
  const r = a.record;
  const subject = { tenantId: a.tenantId, endpointId: a.endpointId, deliveryId: r.deliveryId, eventId: a.eventId };
  const out: OperationalEvent[] = [];
  if (a.disabledEndpoint && r.disableEndpoint) {
    out.push(
      newOperationalEvent(
        "endpoint.disabled",
        subject,
        { reason: r.disableEndpoint.reason },
        r.now,
      ),
    );
  }
  // Only an attempt moves a delivery to dead here; deliveries dropped because their endpoint was already disabled
  // would otherwise flood the list with one event per queued delivery.
  if (r.status === "dead" && r.attempt !== null) {
    out.push(
      newOperationalEvent(
        "delivery.dead",
        subject,
        { attempts: r.attempts, last_status_code: r.lastStatusCode, last_error: r.lastError },
        r.now,
      ),
    );
  }
  if (mayRecover(r) && a.hadFailure) {
    out.push(newOperationalEvent("delivery.recovered", subject, { attempts: r.attempts }, r.now));
  }
  return out;
}
