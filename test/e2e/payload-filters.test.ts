/**
 * Payload filters end to end, on both stores, with real receivers: a publish creates deliveries only for endpoints
 * whose filter matches (and `matched_endpoints` counts only those), a filter change holds for the very next publish
 * in the process that made it and within milliseconds in another process (PostgreSQL, through NOTIFY
 * hookd_endpoints), bad filters are refused with a pointer to the clause, and filter-test explains a mismatch.
 */
import { describe, expect, it } from "vitest";
import { answer, type Receiver } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { Api, type E2eContext, eventually, type Json, startHookd, useHookd } from "./harness.ts";

async function ids(receiver: Receiver): Promise<string[]> {
  return receiver.received.map((r) => String(r.headers["webhook-id"])).sort();
}

/** The endpoint ids an event was fanned out to. */
async function fannedOut(h: E2eContext, tenant: string, eventId: string): Promise<string[]> {
  const event = await h.api.expectGet(`/v1/tenants/${tenant}/events/${eventId}`);
  return (event.deliveries as Json[]).map((d) => d.endpoint_id as string).sort();
}

describe.each(STORE_KINDS)("payload filters (%s)", (kind) => {
  const h = useHookd(kind);

  it("delivers each event only to the endpoints whose filter matches it, and counts only those", async () => {
    const tenant = await h.tenant();
    const [big, euro, all] = [await h.receiver(answer(204)), await h.receiver(answer(204)), await h.receiver(answer(204))];
    const bigEp = await h.api.createEndpoint(tenant, { url: big.url, filter: { data: { amount: { $gte: 100 } } } });
    const euroEp = await h.api.createEndpoint(tenant, {
      url: euro.url,
      event_types: ["invoice.*"],
      filter: { data: { currency: { $in: ["EUR"] } }, $not: { data: { test: true } } },
    });
    const allEp = await h.api.createEndpoint(tenant, { url: all.url });

    const publish = (data: Json, type = "invoice.paid") => h.api.publish(tenant, { type, data });
    const e1 = await publish({ amount: 150, currency: "USD" }); // big, all
    const e2 = await publish({ amount: 50, currency: "EUR" }); // euro, all
    const e3 = await publish({ amount: 500, currency: "EUR", test: true }); // big, all
    const e4 = await publish({ amount: 500, currency: "EUR" }); // big, euro, all
    const e5 = await publish({ amount: 500, currency: "EUR" }, "order.paid"); // big, all (euro subscribes to invoice.*)
    expect([e1, e2, e3, e4, e5].map((e) => e.matched_endpoints)).toEqual([2, 2, 2, 3, 2]);

    const batch = await h.api.expectPost(
      `/v1/tenants/${tenant}/events/batch`,
      { events: [{ type: "invoice.paid", data: { amount: 1 } }, { type: "invoice.paid", data: { amount: 1, currency: "EUR" } }] },
      202,
    );
    const [b1, b2] = batch.data as Json[];
    expect([b1!.matched_endpoints, b2!.matched_endpoints]).toEqual([1, 2]);

    expect(await fannedOut(h, tenant, e1.id)).toEqual([bigEp.id, allEp.id].sort());
    expect(await fannedOut(h, tenant, e2.id)).toEqual([euroEp.id, allEp.id].sort());
    expect(await fannedOut(h, tenant, e4.id)).toEqual([bigEp.id, euroEp.id, allEp.id].sort());
    expect(await fannedOut(h, tenant, b1!.id)).toEqual([allEp.id]);

    await all.waitFor(7);
    await big.waitFor(4);
    await euro.waitFor(3);
    expect(await ids(big)).toEqual([e1.id, e3.id, e4.id, e5.id].sort());
    expect(await ids(euro)).toEqual([e2.id, e4.id, b2!.id].sort());
    expect(await ids(all)).toEqual([e1.id, e2.id, e3.id, e4.id, e5.id, b1!.id, b2!.id].sort());
    // Nothing beyond those: give stragglers a moment by checking the tenant's log, which is written at ingest.
    expect(await h.api.deliveriesOf(tenant)).toHaveLength(4 + 3 + 7);
  });

  it("shows the filter as saved, and a change holds for the next publish", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    const filter = { data: { region: "eu", amount: { $gt: 10, $lte: 20 } } };
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url, filter });
    expect(ep.filter).toEqual(filter);
    expect(JSON.stringify((await h.api.expectGet(`/v1/tenants/${tenant}/endpoints/${ep.id}`)).filter)).toBe(JSON.stringify(filter));

    const eu = { type: "x.y", data: { region: "eu", amount: 15 } };
    const us = { type: "x.y", data: { region: "us", amount: 15 } };
    // Warm this process's subscription cache with the first filter.
    expect((await h.api.publish(tenant, eu)).matched_endpoints).toBe(1);
    expect((await h.api.publish(tenant, us)).matched_endpoints).toBe(0);

    const patched = await h.api.patch(`/v1/tenants/${tenant}/endpoints/${ep.id}`, { filter: { data: { region: "us" } } });
    expect(patched.status).toBe(200);
    expect(patched.body.filter).toEqual({ data: { region: "us" } });
    expect((await h.api.publish(tenant, us)).matched_endpoints).toBe(1);
    expect((await h.api.publish(tenant, eu)).matched_endpoints).toBe(0);

    // Other changes keep the filter; null removes it.
    await h.api.patch(`/v1/tenants/${tenant}/endpoints/${ep.id}`, { description: "kept" });
    expect((await h.api.expectGet(`/v1/tenants/${tenant}/endpoints/${ep.id}`)).filter).toEqual({ data: { region: "us" } });
    expect((await h.api.patch(`/v1/tenants/${tenant}/endpoints/${ep.id}`, { filter: null })).body.filter).toBeNull();
    expect((await h.api.publish(tenant, eu)).matched_endpoints).toBe(1);

    // The audit log has who narrowed the endpoint to what.
    const audit = await h.api.expectGet(`/v1/tenants/${tenant}/audit-log`);
    const updates = (audit.data as Json[]).filter((e) => e.action === "endpoint.updated");
    expect(updates.map((u) => u.after.filter)).toContainEqual({ data: { region: "us" } });
  });

  it("refuses a bad filter with 422 INVALID_FILTER naming the clause, and changes nothing", async () => {
    const tenant = await h.tenant();
    const bad = await h.api.post(`/v1/tenants/${tenant}/endpoints`, {
      url: "http://127.0.0.1:9/hook",
      filter: { data: { amount: { $gte: 1 }, tags: { $in: ["a", { b: 1 }] } } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe("INVALID_FILTER");
    expect(bad.body.message).toContain("/filter/data/tags/$in/1");
    expect(bad.body.details).toEqual([{ pointer: "/filter/data/tags/$in/1", message: expect.any(String) }]);
    expect((await h.api.expectGet(`/v1/tenants/${tenant}/endpoints`)).data).toEqual([]);

    const ep = await h.api.createEndpoint(tenant, { url: "http://127.0.0.1:9/hook", filter: { type: "a" } });
    for (const [filter, pointer] of [
      [{ data: { n: { $between: [1, 2] } } }, "/filter/data/n/$between"],
      [{ id: "evt_1" }, "/filter/id"],
      [{ $or: [] }, "/filter/$or"],
      [{}, "/filter"],
      [{ data: { s: "x".repeat(17_000) } }, "/filter"],
    ] as const) {
      const res = await h.api.patch(`/v1/tenants/${tenant}/endpoints/${ep.id}`, { filter });
      expect([res.status, res.body.code, res.body.details?.[0]?.pointer]).toEqual([422, "INVALID_FILTER", pointer]);
    }
    const nested = await h.api.patch(`/v1/tenants/${tenant}/endpoints/${ep.id}`, { filter: "type = a" });
    expect([nested.status, nested.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    expect((await h.api.expectGet(`/v1/tenants/${tenant}/endpoints/${ep.id}`)).filter).toEqual({ type: "a" });
  });

  it("filter-test answers whether a sample event matches, and which clause failed", async () => {
    const tenant = await h.tenant();
    const ep = await h.api.createEndpoint(tenant, {
      url: "http://127.0.0.1:9/hook",
      event_types: ["invoice.*"],
      filter: { data: { amount: { $gte: 100 }, customer: { tier: "gold" } } },
    });
    const test = (body: Json) => h.api.expectPost(`/v1/tenants/${tenant}/endpoints/${ep.id}/filter-test`, body, 200);
    expect(await test({ type: "invoice.paid", data: { amount: 150, customer: { tier: "gold" } } })).toEqual({
      matches: true,
      event_type_matches: true,
      filter_matches: true,
      failed_clause: null,
    });
    expect(await test({ type: "invoice.paid", data: { amount: 150, customer: { tier: "silver" } } })).toEqual({
      matches: false,
      event_type_matches: true,
      filter_matches: false,
      failed_clause: { pointer: "/data/customer/tier", message: 'expected "gold"' },
    });
    expect(await test({ type: "order.paid", data: { amount: 150, customer: { tier: "gold" } } })).toMatchObject({
      matches: false,
      event_type_matches: false,
      filter_matches: true,
    });
    // A candidate filter instead of the stored one, and none at all.
    expect(await test({ type: "invoice.paid", data: { amount: 5 }, filter: { data: { amount: { $lt: 10 } } } })).toMatchObject({
      matches: true,
    });
    expect(await test({ type: "invoice.paid", data: {}, filter: null })).toMatchObject({ matches: true, failed_clause: null });
    const bad = await h.api.post(`/v1/tenants/${tenant}/endpoints/${ep.id}/filter-test`, {
      type: "invoice.paid",
      data: {},
      filter: { data: { a: { $gt: null } } },
    });
    expect([bad.status, bad.body.code, bad.body.details?.[0]?.pointer]).toEqual([422, "INVALID_FILTER", "/filter/data/a/$gt"]);
    const ghost = await h.api.post(`/v1/tenants/${tenant}/endpoints/ep_ghost/filter-test`, { type: "a", data: {} });
    expect([ghost.status, ghost.body.code]).toEqual([404, "ENDPOINT_NOT_FOUND"]);
  });
});

describe("payload filters across processes (postgres)", () => {
  const h = useHookd("postgres");

  it("a filter change made in one process holds in another within milliseconds (NOTIFY hookd_endpoints), not the cache TTL", async () => {
    const other = await startHookd(h.db.url);
    try {
      const otherApi = new Api(other.url!);
      const tenant = await h.tenant();
      const ep = await h.api.createEndpoint(tenant, { url: "http://127.0.0.1:9/hook", filter: { data: { v: 1 } } });
      const one = { type: "t.a", data: { v: 1 } };
      const two = { type: "t.a", data: { v: 2 } };
      // The other process reads the tenant's subscriptions, and caches them (10 s), with the first filter.
      expect((await otherApi.publish(tenant, one)).matched_endpoints).toBe(1);
      expect((await otherApi.publish(tenant, two)).matched_endpoints).toBe(0);

      const changedAt = Date.now();
      expect((await h.api.patch(`/v1/tenants/${tenant}/endpoints/${ep.id}`, { filter: { data: { v: 2 } } })).status).toBe(200);
      // Its next publishes follow the new filter as soon as the notification arrived: well inside the 10 s TTL.
      await eventually(async () => expect((await otherApi.publish(tenant, two)).matched_endpoints).toBe(1), 2_000, 10);
      expect(Date.now() - changedAt).toBeLessThan(2_000);
      for (let i = 0; i < 5; i++) {
        expect((await otherApi.publish(tenant, one)).matched_endpoints).toBe(0);
        expect((await otherApi.publish(tenant, two)).matched_endpoints).toBe(1);
      }
    } finally {
      await other.close();
    }
  });
});
