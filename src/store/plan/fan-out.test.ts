import { describe, expect, it } from "vitest";
import { compileFilter } from "../../domain/event-filter/compile.ts";
import type { NewEvent } from "../ports/ingest.ts";
import { planFanOut, type Subscription } from "./fan-out.ts";
import { subscriptionOf } from "./subscriptions.ts";

const ev = (id: string, type: string, dataJson: string): NewEvent => ({ id, type, dataJson, createdAt: 1_800_000_000_000 });

describe("planFanOut with payload filters", () => {
  it("plans a delivery only where the subscription and the filter both match", () => {
    const subs: Subscription[] = [
      { endpointId: "ep_all", eventTypes: ["*"] },
      { endpointId: "ep_big", eventTypes: ["*"], filter: compileFilter({ data: { amount: { $gte: 100 } } }) },
      { endpointId: "ep_inv", eventTypes: ["invoice.*"], filter: compileFilter({ type: { $prefix: "invoice." } }) },
    ];
    const plan = planFanOut(subs, [ev("e1", "invoice.paid", '{"amount":5}'), ev("e2", "order.paid", '{"amount":500}')], null);
    expect(plan.map((d) => `${d.eventId}->${d.endpointId}`)).toEqual(["e1->ep_all", "e1->ep_inv", "e2->ep_all", "e2->ep_big"]);
  });

  it("parses an event's data only when a subscription to its type has a filter", () => {
    const unparseable = ev("e1", "order.paid", "this is not JSON");
    const subs: Subscription[] = [
      { endpointId: "ep_all", eventTypes: ["*"] },
      { endpointId: "ep_inv", eventTypes: ["invoice.*"], filter: compileFilter({ data: { a: 1 } }) },
    ];
    expect(planFanOut(subs, [unparseable], null).map((d) => d.endpointId)).toEqual(["ep_all"]);
    const filtered = [...subs, { endpointId: "ep_x", eventTypes: ["order.*"], filter: compileFilter({ data: { a: 1 } }) }];
    expect(() => planFanOut(filtered, [unparseable], null)).toThrow(SyntaxError);
  });

  it("ignores filters for a test send, which goes to its target whatever it subscribes to", () => {
    const subs = [{ endpointId: "ep_1", eventTypes: ["*"], filter: compileFilter({ type: "never" }) }];
    const plan = planFanOut(subs, [ev("e1", "hookd.test", "{}")], { endpointId: "ep_1", deliveryId: "dlv_1" });
    expect(plan.map((d) => d.id)).toEqual(["dlv_1"]);
  });
});

describe("subscriptionOf", () => {
  it("compiles the stored filter once, and leaves a filter that no longer compiles unenforced", () => {
    const sub = subscriptionOf("ep_1", ["*"], '{"data":{"n":{"$gt":1}}}');
    expect(sub.filter?.matches({ type: "a", data: { n: 2 } })).toBe(true);
    expect(sub.filter?.matches({ type: "a", data: { n: 1 } })).toBe(false);
    expect(subscriptionOf("ep_1", ["*"], '{"data":{"n":{"$future":1}}}').filter).toBeNull();
    expect(subscriptionOf("ep_1", ["*"], null).filter).toBeNull();
  });
});
