/**
 * End to end, on both stores: deleting an endpoint or a tenant through the API answers at once and a background
 * task removes the rows (an endpoint's task is visible in the tenant's task list); a deleted tenant's key stops
 * working at once and its id is free again once its rows are gone; only the admin key sets a tenant's retention.
 */
import { describe, expect, it } from "vitest";
import { answer } from "../support/receiver.ts";
import { rawCount } from "../support/raw-query.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { eventually, useHookd } from "./harness.ts";

describe.each(STORE_KINDS)("deleting endpoints and tenants (%s)", (kind) => {
  const h = useHookd(kind);

  it("deletes an endpoint at once and its deliveries in a task; the tenant's other endpoint goes on", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(200, {}, "ok"));
    const gone = await h.api.createEndpoint(tenant, { url: receiver.url });
    const kept = await h.api.createEndpoint(tenant, { url: receiver.url });
    const batch = { events: Array.from({ length: 50 }, (_, i) => ({ type: "user.created", data: { i } })) };
    expect((await h.api.post(`/v1/tenants/${tenant}/events/batch`, batch)).status).toBe(202);
    const count = (endpointId: string) => rawCount(h.db.url, "SELECT count(*) AS n FROM deliveries WHERE endpoint_id = ?", [endpointId]);
    expect(await count(gone.id)).toBe(50);

    expect((await h.api.delete(`/v1/tenants/${tenant}/endpoints/${gone.id}`)).status).toBe(204);
    expect((await h.api.get(`/v1/tenants/${tenant}/endpoints/${gone.id}`)).status).toBe(404);
    expect((await h.api.delete(`/v1/tenants/${tenant}/endpoints/${gone.id}`)).status).toBe(404);
    const task = await eventually(async () => {
      const { data } = await h.api.expectGet(`/v1/tenants/${tenant}/tasks`);
      const t = data.find((x: { kind: string }) => x.kind === "endpoint.delete");
      expect(t).toMatchObject({ endpoint_id: gone.id, status: "succeeded", total: 50, done: 50, params: {} });
      return t;
    });
    expect(task.error).toBeNull();
    expect(await count(gone.id)).toBe(0);

    // The other endpoint keeps its deliveries and gets new ones.
    const published = await h.api.publish(tenant, { type: "user.created", data: { after: true } });
    const d = await h.api.onlyDeliveryOf(tenant, published.id);
    expect(d.endpoint_id).toBe(kept.id);
    await h.api.waitForDelivery(tenant, d.id, (x) => x.status === "succeeded");
    expect(await count(kept.id)).toBe(51);
  });

  it("deletes a tenant: its key stops at once, its rows go in a task, then its id can be used afresh", async () => {
    const id = `doomed-${kind}`;
    await h.api.createTenant({ id, name: "doomed" });
    const key = (await h.api.expectPost(`/v1/tenants/${id}/api-keys`, {}, 201)).key as string;
    const receiver = await h.receiver(answer(200, {}, "ok"));
    await h.api.createEndpoint(id, { url: receiver.url });
    const published = await h.api.publish(id, { type: "user.created", data: { secret: "old" } });
    expect((await h.api.get(`/v1/tenants/${id}`, { key })).status).toBe(200);

    expect((await h.api.delete(`/v1/tenants/${id}`)).status).toBe(204);
    expect((await h.api.get(`/v1/tenants/${id}`, { key })).status).toBe(401);
    expect((await h.api.get(`/v1/tenants/${id}`)).status).toBe(404);
    expect((await h.api.post(`/v1/tenants/${id}/events`, { type: "user.created", data: {} })).status).toBe(404);
    const ids = (await h.api.expectGet("/v1/tenants?limit=100")).data.map((t: { id: string }) => t.id);
    expect(ids).not.toContain(id);

    // The id is taken until the task has removed the last row, then free, and the new tenant starts empty.
    await eventually(async () => {
      expect(await rawCount(h.db.url, "SELECT count(*) AS n FROM tenants WHERE id = ?", [id])).toBe(0);
    });
    for (const table of ["events", "deliveries", "endpoints", "tasks"]) {
      expect([table, await rawCount(h.db.url, `SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`, [id])]).toEqual([table, 0]);
    }
    await h.api.createTenant({ id, name: "reborn" });
    expect((await h.api.get(`/v1/tenants/${id}/events/${published.id}`)).status).toBe(404);
    expect((await h.api.expectGet(`/v1/tenants/${id}/endpoints`)).data).toEqual([]);
    expect((await h.api.get(`/v1/tenants/${id}`, { key })).status).toBe(401);
  });

  it("sets a tenant's event retention with the admin key only", async () => {
    const tenant = await h.tenant();
    const key = (await h.api.expectPost(`/v1/tenants/${tenant}/api-keys`, {}, 201)).key as string;
    expect((await h.api.expectGet(`/v1/tenants/${tenant}`)).event_retention_days).toBeNull();
    const refused = await h.api.patch(`/v1/tenants/${tenant}`, { event_retention_days: 3650 }, { key });
    expect([refused.status, refused.body.code]).toEqual([403, "FORBIDDEN"]);
    expect((await h.api.patch(`/v1/tenants/${tenant}`, { name: "mine" }, { key })).status).toBe(200);
    const set = await h.api.patch(`/v1/tenants/${tenant}`, { event_retention_days: 7 });
    expect(set.body).toMatchObject({ name: "mine", event_retention_days: 7 });
    const bad = await h.api.patch(`/v1/tenants/${tenant}`, { event_retention_days: -1 });
    expect([bad.status, bad.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    const back = await h.api.patch(`/v1/tenants/${tenant}`, { event_retention_days: null });
    expect(back.body.event_retention_days).toBeNull();
    const created = await h.api.createTenant({ name: "kept", event_retention_days: 0 });
    expect(created.event_retention_days).toBe(0);
  });
});
