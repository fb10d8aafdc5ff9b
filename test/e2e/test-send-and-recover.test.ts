/**
 * End to end, on both stores, with real receivers: a test send reaches the one endpoint it names, signed, and
 * nowhere else; a recover task brings an endpoint's dead deliveries back to its receiver in the background and
 * reports its progress; and both refuse what they cannot do with stable codes.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { answer } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { eventually, type Json, useHookd, webhookHeaders } from "./harness.ts";

describe.each(STORE_KINDS)("test send (%s)", (kind) => {
  const h = useHookd(kind);

  it("sends a signed hookd.test event to the named endpoint only, whatever it subscribes to", async () => {
    const tenant = await h.tenant();
    const target = await h.receiver(answer(200));
    const bystander = await h.receiver(answer(200));
    const ep = await h.api.createEndpoint(tenant, { url: target.url, event_types: ["order.*"] });
    await h.api.createEndpoint(tenant, { url: bystander.url, event_types: ["*"] });

    const res = await h.api.post(`/v1/tenants/${tenant}/endpoints/${ep.id}/test`);
    expect(res.status).toBe(202);
    expect(Object.keys(res.body).sort()).toEqual(["delivery_id", "event_id"]);
    const { event_id, delivery_id } = res.body;

    const done = await h.api.waitForDelivery(tenant, delivery_id, (d) => d.status === "succeeded");
    expect(done).toMatchObject({ event_id, endpoint_id: ep.id, event_type: "hookd.test" });
    expect(done.attempts).toHaveLength(1);
    expect(target.received).toHaveLength(1);
    const req = target.received[0]!;
    expect(req.headers["webhook-id"]).toBe(event_id);
    const verified = new Webhook(ep.secret).verify(req.body, webhookHeaders(req.headers)) as Json;
    expect(verified).toMatchObject({ id: event_id, type: "hookd.test", data: { test: true } });

    // The event is a real one with exactly this delivery: the subscribed bystander got none.
    const event = await h.api.expectGet(`/v1/tenants/${tenant}/events/${event_id}`);
    expect(event.deliveries.map((d: Json) => d.id)).toEqual([delivery_id]);
    expect(bystander.received).toHaveLength(0);
  });

  it("carries the caller's event type and data", async () => {
    const tenant = await h.tenant();
    const target = await h.receiver(answer(204));
    const ep = await h.api.createEndpoint(tenant, { url: target.url });
    const sent = await h.api.expectPost(
      `/v1/tenants/${tenant}/endpoints/${ep.id}/test`,
      { event_type: "invoice.paid", data: { amount: 4200 } },
      202,
    );
    await h.api.waitForDelivery(tenant, sent.delivery_id, (d) => d.status === "succeeded");
    const body = JSON.parse(target.received[0]!.body) as Json;
    expect(body).toMatchObject({ type: "invoice.paid", data: { amount: 4200 } });
  });

  it("holds a named event type to its declared schema, as a publish is; the default type needs none", async () => {
    const tenant = await h.tenant();
    const target = await h.receiver(answer(204));
    const ep = await h.api.createEndpoint(tenant, { url: target.url });
    await h.api.expectPost(
      `/v1/tenants/${tenant}/event-types`,
      { name: "invoice.paid", schema: { type: "object", required: ["amount"] } },
      201,
    );
    const path = `/v1/tenants/${tenant}/endpoints/${ep.id}/test`;
    const bad = await h.api.post(path, { event_type: "invoice.paid", data: { note: "no amount" } });
    expect([bad.status, bad.body.code]).toEqual([422, "SCHEMA_VALIDATION_FAILED"]);
    expect(await h.api.deliveriesOf(tenant)).toEqual([]);
    await h.api.expectPost(path, { event_type: "invoice.paid", data: { amount: 1 } }, 202);
    await h.api.expectPost(path, {}, 202);
    expect(await h.api.deliveriesOf(tenant)).toHaveLength(2);
  });

  it("refuses an unknown or disabled endpoint and bad input with stable codes", async () => {
    const tenant = await h.tenant();
    const ep = await h.api.createEndpoint(tenant, { url: "http://127.0.0.1:9/", disabled: true });
    const path = `/v1/tenants/${tenant}/endpoints/${ep.id}/test`;
    const cases: [string, unknown, number, string][] = [
      [`/v1/tenants/${tenant}/endpoints/ep_nope/test`, {}, 404, "ENDPOINT_NOT_FOUND"],
      [path, {}, 409, "ENDPOINT_DISABLED"],
      [path, { event_type: "has space" }, 400, "VALIDATION_FAILED"],
      [path, { data: [1, 2] }, 400, "VALIDATION_FAILED"],
      [path, { extra: true }, 400, "VALIDATION_FAILED"],
      [path, { data: { big: "x".repeat(300 * 1024) } }, 413, "PAYLOAD_TOO_LARGE"],
      [`/v1/tenants/nobody/endpoints/${ep.id}/test`, {}, 404, "TENANT_NOT_FOUND"],
    ];
    for (const [p, body, status, code] of cases) {
      const res = await h.api.post(p, body);
      expect({ p, status: res.status, code: res.body?.code }).toEqual({ p, status, code });
    }
    expect(await h.api.deliveriesOf(tenant)).toEqual([]);
  });
});

describe.each(STORE_KINDS)("recover (%s)", (kind) => {
  const h = useHookd(kind);

  it("replays every dead delivery of an endpoint in the background; the task counts them all", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(422));
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url });
    const start = new Date(Date.now() - 1_000).toISOString();
    const n = 12;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await h.api.publish(tenant, { type: "bulk.item", data: { i } })).id);
    await eventually(async () => {
      expect(await h.api.deliveriesOf(tenant, { endpoint_id: ep.id, status: "dead" })).toHaveLength(n);
    });

    receiver.handler = answer(204);
    const res = await h.api.post(`/v1/tenants/${tenant}/endpoints/${ep.id}/recover`, { since: start });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      kind: "endpoint.recover",
      status: "queued",
      endpoint_id: ep.id,
      params: { since: start, until: null },
      done: 0,
      total: null,
    });
    expect(res.body.id).toMatch(/^task_/);
    expect(res.headers.location).toBe(`/v1/tenants/${tenant}/tasks/${res.body.id}`);

    const task = await eventually(async () => {
      const t = await h.api.expectGet(res.headers.location as string);
      expect(t.status).toBe("succeeded");
      return t;
    });
    expect(task).toMatchObject({ done: n, total: n, requeued: n, skipped: 0, error: null });
    expect(task.finished_at).not.toBeNull();

    await eventually(async () => {
      const list = await h.api.deliveriesOf(tenant, { endpoint_id: ep.id });
      expect(list.map((d) => [d.status, d.attempts])).toEqual(Array(n).fill(["succeeded", 2]));
    });
    const redelivered = receiver.received.slice(n);
    expect(redelivered.map((r) => r.headers["webhook-id"]).sort()).toEqual([...ids].sort());
    expect(redelivered.every((r) => r.headers["webhook-attempt"] === "2")).toBe(true);

    const listed = await h.api.expectGet(`/v1/tenants/${tenant}/tasks`);
    expect(listed.data.map((t: Json) => t.id)).toEqual([task.id]);
    expect(listed.next_cursor).toBeNull();
  });

  it("lists tasks newest first with cursor paging, and keeps each tenant's to itself", async () => {
    const tenant = await h.tenant();
    const since = new Date().toISOString();
    const made: string[] = [];
    // One endpoint each: an endpoint has at most one recover queued or running.
    for (let i = 0; i < 3; i++) {
      const ep = await h.api.createEndpoint(tenant, { url: "http://127.0.0.1:9/" });
      made.push((await h.api.expectPost(`/v1/tenants/${tenant}/endpoints/${ep.id}/recover`, { since }, 202)).id);
    }
    const first = await h.api.expectGet(`/v1/tenants/${tenant}/tasks?limit=2`);
    const second = await h.api.expectGet(`/v1/tenants/${tenant}/tasks?limit=2&cursor=${first.next_cursor}`);
    expect([...first.data, ...second.data].map((t: Json) => t.id)).toEqual([...made].reverse());
    expect(second.next_cursor).toBeNull();

    const stranger = await h.tenant();
    const foreign = await h.api.get(`/v1/tenants/${stranger}/tasks/${made[0]}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe("TASK_NOT_FOUND");
    expect((await h.api.expectGet(`/v1/tenants/${stranger}/tasks`)).data).toEqual([]);
  });

  it("refuses a disabled or unknown endpoint and bad windows with stable codes", async () => {
    const tenant = await h.tenant();
    const off = await h.api.createEndpoint(tenant, { url: "http://127.0.0.1:9/", disabled: true });
    const on = await h.api.createEndpoint(tenant, { url: "http://127.0.0.1:9/" });
    const at = "2026-01-01T00:00:00Z";
    const cases: [string, unknown, number, string][] = [
      [off.id, { since: at }, 409, "ENDPOINT_DISABLED"],
      ["ep_nope", { since: at }, 404, "ENDPOINT_NOT_FOUND"],
      [on.id, {}, 400, "VALIDATION_FAILED"],
      [on.id, { since: "yesterday" }, 400, "VALIDATION_FAILED"],
      [on.id, { since: at, until: at }, 400, "VALIDATION_FAILED"],
      [on.id, { since: at, status: "dead" }, 400, "VALIDATION_FAILED"],
    ];
    for (const [endpointId, body, status, code] of cases) {
      const res = await h.api.post(`/v1/tenants/${tenant}/endpoints/${endpointId}/recover`, body);
      expect({ endpointId, body, status: res.status, code: res.body?.code }).toEqual({ endpointId, body, status, code });
    }
    expect((await h.api.expectGet(`/v1/tenants/${tenant}/tasks`)).data).toEqual([]);
    const missing = await h.api.get(`/v1/tenants/${tenant}/tasks/task_nope`);
    expect([missing.status, missing.body.code]).toEqual([404, "TASK_NOT_FOUND"]);
  });
});
