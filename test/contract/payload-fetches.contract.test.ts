/**
 * The payload-fetch log port (src/store/ports/payload-fetches.ts), the same checks on SQLite and PostgreSQL: a fetch
 * is recorded only for an endpoint of the named tenant, listed per endpoint and event oldest first, deleted by age
 * in bounded batches, and goes with its endpoint and with its tenant. Also the stored columns of filters, payload
 * modes and tenants' oversized-event setting round-trip on both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids.ts";
import type { PayloadFetch } from "../../src/store/ports/payload-fetches.ts";
import type { Store } from "../../src/store/store.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { endpoint, T0, tenant } from "./fixtures.ts";
import { deleteEndpointNow, deleteTenantNow } from "../support/deletions.ts";

function fetchOf(tenantId: string, endpointId: string, eventId: string, at: number): PayloadFetch {
  return { id: newId("pfx"), tenantId, endpointId, eventId, fetchedAt: at, remoteAddress: "10.0.0.1", userAgent: "ua/1" };
}

describe.each(STORE_KINDS)("payload fetches port (%s)", (kind) => {
  let db: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    store = await db.open();
  });
  afterAll(async () => {
    await store?.close();
    await db?.destroy();
  });

  it("records fetches only for the tenant's own endpoints and lists them per endpoint and event", async () => {
    await store.insertTenant(tenant("pf-a"));
    await store.insertTenant(tenant("pf-b"));
    const a = endpoint("pf-a");
    const b = endpoint("pf-b");
    await store.insertEndpoint(a);
    await store.insertEndpoint(b);
    const first = fetchOf("pf-a", a.id, "evt_1", T0);
    const second = fetchOf("pf-a", a.id, "evt_1", T0 + 5);
    expect(await store.payloadFetches.record(first)).toBe(true);
    expect(await store.payloadFetches.record(second)).toBe(true);
    expect(await store.payloadFetches.record(fetchOf("pf-a", a.id, "evt_2", T0))).toBe(true);
    // Another tenant's endpoint, and one that does not exist: nothing written.
    expect(await store.payloadFetches.record(fetchOf("pf-a", b.id, "evt_1", T0))).toBe(false);
    expect(await store.payloadFetches.record(fetchOf("pf-a", "ep_ghost", "evt_1", T0))).toBe(false);

    expect(await store.payloadFetches.list("pf-a", a.id, "evt_1", 10)).toEqual([first, second]);
    expect(await store.payloadFetches.list("pf-a", a.id, "evt_1", 1)).toEqual([first]);
    expect(await store.payloadFetches.list("pf-b", a.id, "evt_1", 10)).toEqual([]);
    expect(await store.payloadFetches.list("pf-b", b.id, "evt_1", 10)).toEqual([]);

    // They go with their endpoint.
    expect(await deleteEndpointNow(store, "pf-a", a.id)).toBe(true);
    expect(await store.payloadFetches.list("pf-a", a.id, "evt_1", 10)).toEqual([]);
  });

  it("deletes fetches older than a time in bounded batches, and goes with the tenant", async () => {
    await store.insertTenant(tenant("pf-c"));
    const ep = endpoint("pf-c");
    await store.insertEndpoint(ep);
    for (let i = 0; i < 5; i++) await store.payloadFetches.record(fetchOf("pf-c", ep.id, "evt_old", T0 + i));
    const recent = fetchOf("pf-c", ep.id, "evt_new", T0 + 1_000);
    await store.payloadFetches.record(recent);
    expect(await store.payloadFetches.deleteBefore(T0 + 1_000, 3)).toBe(3);
    expect(await store.payloadFetches.deleteBefore(T0 + 1_000, 3)).toBe(2);
    expect(await store.payloadFetches.deleteBefore(T0 + 1_000, 3)).toBe(0);
    expect(await store.payloadFetches.list("pf-c", ep.id, "evt_new", 10)).toEqual([recent]);
    expect(await deleteTenantNow(store, "pf-c")).toBe(true);
    expect(await store.payloadFetches.list("pf-c", ep.id, "evt_new", 10)).toEqual([]);
  });

  it("round-trips an endpoint's filter and payload mode and a tenant's oversized-event setting", async () => {
    await store.insertTenant(tenant("pf-d", { oversizedEvents: "thin" }));
    expect((await store.getTenant("pf-d"))?.oversizedEvents).toBe("thin");
    expect((await store.updateTenant("pf-d", { oversizedEvents: "reject" }, T0 + 1))?.oversizedEvents).toBe("reject");
    expect((await store.getTenant("pf-d"))?.oversizedEvents).toBe("reject");
    expect((await store.updateTenant("pf-d", { name: "kept" }, T0 + 2))?.oversizedEvents).toBe("reject");

    const filterJson = '{"data":{"b":1,"a":{"$in":[2,3]}}}';
    const ep = endpoint("pf-d", { filterJson, payloadMode: "thin" });
    await store.insertEndpoint(ep);
    expect(await store.getEndpoint("pf-d", ep.id)).toEqual(ep);
    const updated = await store.updateEndpoint("pf-d", ep.id, { filterJson: null, payloadMode: "full" }, T0 + 3);
    expect(updated).toMatchObject({ filterJson: null, payloadMode: "full" });
    expect(await store.getEndpoint("pf-d", ep.id)).toMatchObject({ filterJson: null, payloadMode: "full", updatedAt: T0 + 3 });
  });
});
