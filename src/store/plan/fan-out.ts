/**
 * The fan-out plan, shared by both adapters: which endpoint gets a delivery of which event. Pure; the adapters write
 * what it returns and check each endpoint against its scheduler row in the same transaction (an endpoint deleted or
 * disabled since the subscriptions were read gets nothing, and the caller plans again with fresh subscriptions).
 * An endpoint with a payload filter gets only the events its filter matches; the event's data is parsed once, and
 * only when some endpoint subscribed to its type has a filter.
 */
import { newDeliveryId } from "../../domain/ids.ts";
import type { CompiledFilter } from "../../domain/event-filter/compile.ts";
import { matchesEventType } from "../../domain/event-type-match.ts";
import type { NewEvent } from "../ports/ingest.ts";

/** An enabled endpoint and what it subscribes to. */
export interface Subscription {
  endpointId: string;
  eventTypes: readonly string[];
  /** Compiled once per subscription cache entry (subscriptions.ts); null or absent: every event of those types. */
  filter?: CompiledFilter | null;
}

export interface PlannedDelivery {
  id: string;
  /** Index into the request's events. */
  event: number;
  eventId: string;
  eventType: string;
  endpointId: string;
  createdAt: number;
}

const UNPARSED = Symbol("unparsed");

/**
 * One delivery per (event, subscribed endpoint whose filter matches it), or, for a test send, exactly one to the target.
 * With `stopAfter` (a fan-out quota) planning stops as soon as the plan holds more than that many deliveries: the
 * caller refuses such a request anyway, and a hostile one (1,000 events to 1,000 endpoints) would otherwise cost a
 * million planned rows before being refused.
 * @example planFanOut([{endpointId: "ep_1", eventTypes: ["invoice.*"]}], [ev], null) // one delivery to ep_1
 */
export function planFanOut(
  subscriptions: readonly Subscription[],
  events: readonly NewEvent[],
  target: { endpointId: string; deliveryId: string } | null,
  stopAfter = 0,
): PlannedDelivery[] {
  const out: PlannedDelivery[] = [];
  const over = () => stopAfter > 0 && out.length > stopAfter;
  events.forEach((e, i) => {
    if (over()) return;
    if (target) {
      out.push({ id: target.deliveryId, event: i, eventId: e.id, eventType: e.type, endpointId: target.endpointId, createdAt: e.createdAt });
      return;
    }
    let data: unknown = UNPARSED;
    for (const s of subscriptions) {
      if (over()) return;
      if (!matchesEventType(s.eventTypes, e.type)) continue;
      if (s.filter) {
        if (data === UNPARSED) data = JSON.parse(e.dataJson) as unknown;
        if (!s.filter.matches({ type: e.type, data })) continue;
      }
      out.push({ id: newDeliveryId(e.createdAt), event: i, eventId: e.id, eventType: e.type, endpointId: s.endpointId, createdAt: e.createdAt });
    }
  });
  return out;
}

/** The endpoints a plan touches, sorted: scheduler rows are locked in this order, so two ingests never deadlock. */
export function plannedEndpoints(plan: readonly PlannedDelivery[]): string[] {
  return [...new Set(plan.map((d) => d.endpointId))].sort();
}

/** Deliveries per endpoint, for taking that many sequence numbers at once. */
export function countByEndpoint(plan: readonly PlannedDelivery[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const d of plan) counts.set(d.endpointId, (counts.get(d.endpointId) ?? 0) + 1);
  return counts;
}

/**
 * Numbers each planned delivery within its endpoint's stream, given the last number each endpoint had handed out:
 * deliveries of one endpoint get consecutive numbers in plan order (event order).
 */
export function assignSequences(plan: readonly PlannedDelivery[], lastSeq: ReadonlyMap<string, number>): number[] {
  const next = new Map(lastSeq);
  return plan.map((d) => {
    const seq = (next.get(d.endpointId) ?? 0) + 1;
    next.set(d.endpointId, seq);
    return seq;
  });
}
