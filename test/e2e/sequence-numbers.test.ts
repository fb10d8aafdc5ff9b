/**
 * End to end, on both stores: every delivery request carries `webhook-sequence`, its endpoint's stream number in
 * ingest order, the same on retries and on a replay; the delivery log shows it as `sequence`.
 */
import { describe, expect, it } from "vitest";
import { STORE_KINDS } from "../support/stores.ts";
import { type Json, eventually, useHookd } from "./harness.ts";

const finished = (d: Json) => d.status === "succeeded" || d.status === "dead";

describe.each(STORE_KINDS)("sequence numbers (%s)", (kind) => {
  const h = useHookd(kind);

  it("numbers each endpoint's deliveries 1, 2, 3 in ingest order and keeps the number on retries and replays", async () => {
    const tenant = await h.tenant();
    // The second event's first two attempts fail, so its retries arrive after the third event's first attempt.
    const failuresLeft = new Map<string, number>();
    const receiver = await h.receiver((req, res) => {
      const id = String(req.headers["webhook-id"]);
      const left = failuresLeft.get(id) ?? 0;
      failuresLeft.set(id, left - 1);
      res.writeHead(left > 0 ? 500 : 204);
      res.end();
    });
    const other = await h.receiver();
    const ep = await h.api.createEndpoint(tenant, { url: `${receiver.url}/in`, event_types: ["thing.happened"] });
    await h.api.createEndpoint(tenant, { url: `${other.url}/in`, event_types: ["only.other"] });

    const events: Json[] = [];
    for (let i = 0; i < 3; i++) {
      const ev = await h.api.publish(tenant, { type: "thing.happened", data: { i } });
      if (i === 1) failuresLeft.set(ev.id, 2);
      events.push(ev);
    }
    // Another endpoint's stream is numbered on its own.
    const otherEvent = await h.api.publish(tenant, { type: "only.other", data: {} });

    const deliveries = await Promise.all(events.map((e) => h.api.onlyDeliveryOf(tenant, e.id)));
    expect(deliveries.map((d) => d.sequence)).toEqual([1, 2, 3]);
    for (const d of deliveries) await h.api.waitForDelivery(tenant, d.id, finished);
    expect((await h.api.onlyDeliveryOf(tenant, otherEvent.id)).sequence).toBe(1);

    const seqOf = (eventId: string) =>
      receiver.received.filter((r) => r.headers["webhook-id"] === eventId).map((r) => r.headers["webhook-sequence"]);
    expect(seqOf(events[0]!.id)).toEqual(["1"]);
    expect(seqOf(events[1]!.id)).toEqual(["2", "2", "2"]);
    expect(seqOf(events[2]!.id)).toEqual(["3"]);

    // A replay is the same delivery: the same number.
    const replayed = await h.api.post(`/v1/tenants/${tenant}/deliveries/${deliveries[0]!.id}/replay`);
    expect(replayed.status).toBe(202);
    expect(replayed.body).toMatchObject({ sequence: 1 });
    await eventually(() => expect(seqOf(events[0]!.id)).toEqual(["1", "1"]));

    // The list and the single-delivery view both show it.
    const listed = await h.api.deliveriesOf(tenant, { endpoint_id: ep.id });
    expect(listed.map((d) => d.sequence).sort()).toEqual([1, 2, 3]);
    expect((await h.api.getDelivery(tenant, deliveries[2]!.id)).sequence).toBe(3);
  });
});
