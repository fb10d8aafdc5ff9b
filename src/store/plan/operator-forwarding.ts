/**
 * Operational events travel to the operator webhook as events of the reserved operator tenant. This plans them:
 * which operational events forward (domain/operational-events.ts) and to which of the operator tenant's endpoints,
 * as ordinary events (with the operational event's id, so the webhook-id is stable) and a fan-out plan that both
 * adapters write with their ordinary ingest code.
 */
import {
  forwardsToOperator,
  type OperationalEvent,
  operationalEventToApi,
} from "../../domain/operational-events.ts";
import type { NewEvent } from "../ports/ingest.ts";
import { type PlannedDelivery, planFanOut, type Subscription } from "./fan-out.ts";

export function planOperatorForwarding(
  ops: readonly OperationalEvent[],
  operatorSubscriptions: readonly Subscription[],
): { events: NewEvent[]; deliveries: PlannedDelivery[] } {
  if (operatorSubscriptions.length === 0) return { events: [], deliveries: [] };
  const events: NewEvent[] = ops.filter(forwardsToOperator).map((op) => ({
    id: op.id,
    type: op.type,
    dataJson: JSON.stringify(operationalEventToApi(op)),
    createdAt: op.createdAt,
  }));
  const deliveries = planFanOut(operatorSubscriptions, events, null);
  // Only events some endpoint wants are written, as before: the operational event itself is the record.
  const wanted = new Set(deliveries.map((d) => d.event));
  const kept = events.filter((_, i) => wanted.has(i));
  const reindex = new Map(events.map((e, i) => [i, kept.indexOf(e)]));
  return { events: kept, deliveries: deliveries.map((d) => ({ ...d, event: reindex.get(d.event) ?? 0 })) };
}
