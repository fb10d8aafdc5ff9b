/**
 * End to end, on both stores: the event-type catalogue (CRUD, paging, audit, cascade with the tenant), schema
 * validation at single and batch ingest (the 422 body, and that nothing is written), the ingest cache following a
 * PATCH at once, hostile schemas refused with a 4xx, and HOOKD_STRICT_EVENT_TYPES for endpoints and publishing.
 */
import { describe, expect, it } from "vitest";
import { CATALOGUE_TTL_MS } from "../../src/features/event-types/catalogue.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { Api, eventually, type Json, startHookd, useHookd } from "./harness.ts";

const INVOICE_SCHEMA = {
  type: "object",
  required: ["invoice", "amount"],
  properties: { invoice: { type: "string", pattern: "^in_[0-9]+$" }, amount: { type: "integer", minimum: 1 } },
};

/** Event ids the tenant has: a refused publish must leave this unchanged. */
async function storedEvents(api: Api, tenant: string, ids: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const id of ids) {
    const res = await api.get(`/v1/tenants/${tenant}/events/${id}`);
    if (res.status === 200) found.push(id);
    else expect(res.body.code).toBe("EVENT_NOT_FOUND");
  }
  return found;
}

describe.each(STORE_KINDS)("event types end to end (%s)", (kind) => {
  const h = useHookd(kind);
  const types = (tenant: string) => `/v1/tenants/${tenant}/event-types`;

  it("creates, reads, lists by name with archived ones on request, patches, deletes and audits each change", async () => {
    const tenant = await h.tenant();
    const created = await h.api.post(types(tenant), { name: "invoice.paid", description: "Paid", schema: INVOICE_SCHEMA });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      tenant_id: tenant,
      name: "invoice.paid",
      description: "Paid",
      schema: INVOICE_SCHEMA,
      archived: false,
      created_at: expect.any(String),
      updated_at: created.body.created_at,
    });
    const again = await h.api.post(types(tenant), { name: "invoice.paid" });
    expect([again.status, again.body.code]).toEqual([409, "EVENT_TYPE_EXISTS"]);

    for (const name of ["invoice.void", "order.created", "Order.archived"]) {
      await h.api.expectPost(types(tenant), { name, archived: name === "Order.archived" }, 201);
    }
    expect(await h.api.expectGet(`${types(tenant)}/invoice.paid`)).toEqual(created.body);
    const missing = await h.api.get(`${types(tenant)}/invoice.nope`);
    expect([missing.status, missing.body.code]).toEqual([404, "EVENT_TYPE_NOT_FOUND"]);

    // Paged by name, bytewise; archived types only when asked.
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await h.api.expectGet(`${types(tenant)}?limit=2&include_archived=true${cursor ? `&cursor=${cursor}` : ""}`);
      names.push(...page.data.map((t: Json) => t.name));
      cursor = page.next_cursor;
    } while (cursor);
    expect(names).toEqual(["Order.archived", "invoice.paid", "invoice.void", "order.created"]);
    const live = await h.api.expectGet(types(tenant));
    expect(live.data.map((t: Json) => t.name)).toEqual(["invoice.paid", "invoice.void", "order.created"]);
    const badCursor = await h.api.get(`${types(tenant)}?cursor=not-a-cursor`);
    expect([badCursor.status, badCursor.body.code]).toEqual([400, "INVALID_CURSOR"]);

    const patched = await h.api.patch(`${types(tenant)}/invoice.paid`, { description: "Paid in full", archived: true, schema: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: "invoice.paid", description: "Paid in full", archived: true, schema: null });
    expect((await h.api.patch(`${types(tenant)}/invoice.nope`, { archived: true })).status).toBe(404);

    expect((await h.api.delete(`${types(tenant)}/invoice.void`)).status).toBe(204);
    expect((await h.api.get(`${types(tenant)}/invoice.void`)).status).toBe(404);
    expect((await h.api.delete(`${types(tenant)}/invoice.void`)).body.code).toBe("EVENT_TYPE_NOT_FOUND");

    const log = (await h.api.expectGet(`/v1/tenants/${tenant}/audit-log?limit=250`)).data as Json[];
    const typeEntries = log.filter((e) => e.target_type === "event_type");
    expect(typeEntries.map((e) => [e.action, e.target_id])).toEqual([
      ["event_type.deleted", "invoice.void"],
      ["event_type.updated", "invoice.paid"],
      ["event_type.created", "Order.archived"],
      ["event_type.created", "order.created"],
      ["event_type.created", "invoice.void"],
      ["event_type.created", "invoice.paid"],
    ]);
    expect(typeEntries[1]!.before).toMatchObject({ schema: INVOICE_SCHEMA, archived: false });
    expect(typeEntries[1]!.after).toMatchObject({ schema: null, archived: true, description: "Paid in full" });
  });

  it("refuses bad names and fields with a 400, and forgets the catalogue with its tenant", async () => {
    const tenant = await h.tenant();
    for (const body of [
      { name: "invoice.*" },
      { name: "*" },
      { name: ".." },
      { name: "a".repeat(129) },
      { name: "ok.name", description: "x".repeat(1025) },
      { name: "ok.name", schema: "not an object" },
      { name: "ok.name", extra: true },
    ]) {
      const res = await h.api.post(types(tenant), body);
      expect([res.status, res.body.code], JSON.stringify(body).slice(0, 80)).toEqual([400, "VALIDATION_FAILED"]);
    }
    expect((await h.api.get(`${types(tenant)}/invoice.*`)).status).toBe(400);

    const id = `cascade-${kind}`;
    await h.api.createTenant({ id, name: "cascade" });
    await h.api.expectPost(types(id), { name: "a.b", schema: { type: "object" } }, 201);
    expect((await h.api.delete(`/v1/tenants/${id}`)).status).toBe(204);
    expect((await h.api.get(types(id))).body.code).toBe("TENANT_NOT_FOUND");
    // The id is free again once the tenant's deletion task has removed its rows (409 until then).
    await eventually(() => h.api.createTenant({ id, name: "cascade again" }));
    expect((await h.api.expectGet(types(id))).data).toEqual([]);
  });

  it("validates a single event's data, answering 422 with the schema's errors and storing nothing", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    await h.api.createEndpoint(tenant, { url: receiver.url });
    await h.api.expectPost(types(tenant), { name: "invoice.paid", schema: INVOICE_SCHEMA }, 201);

    const bad = await h.api.post(`/v1/tenants/${tenant}/events`, {
      id: "evt-bad",
      type: "invoice.paid",
      data: { invoice: "nope", amount: 0 },
    });
    expect(bad.status).toBe(422);
    expect(bad.body).toEqual({
      code: "SCHEMA_VALIDATION_FAILED",
      message: expect.any(String),
      details: [
        { type: "invoice.paid", instance_path: "/invoice", message: 'must match pattern "^in_[0-9]+$"' },
        { type: "invoice.paid", instance_path: "/amount", message: "must be >= 1" },
      ],
    });
    const missing = await h.api.post(`/v1/tenants/${tenant}/events`, { type: "invoice.paid", data: {} });
    expect(missing.body.details.map((d: Json) => d.message)).toEqual([
      "must have required property 'invoice'",
      "must have required property 'amount'",
    ]);
    expect(await storedEvents(h.api, tenant, ["evt-bad"])).toEqual([]);
    expect(await h.api.deliveriesOf(tenant)).toEqual([]);

    const good = await h.api.publish(tenant, { id: "evt-good", type: "invoice.paid", data: { invoice: "in_1", amount: 5 } });
    expect(good).toMatchObject({ id: "evt-good", matched_endpoints: 1 });
    // Undeclared types and declared types without a schema pass as before (not strict).
    await h.api.publish(tenant, { type: "invoice.other", data: { anything: true } });
    await receiver.waitFor(2);
    expect(await storedEvents(h.api, tenant, ["evt-bad", "evt-good"])).toEqual(["evt-good"]);
  });

  it("refuses a whole batch when one event fails, naming each failing index, and writes none of it", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    await h.api.createEndpoint(tenant, { url: receiver.url });
    await h.api.expectPost(types(tenant), { name: "invoice.paid", schema: INVOICE_SCHEMA }, 201);
    await h.api.expectPost(types(tenant), { name: "order.created", schema: { type: "object", required: ["order"] } }, 201);

    const events = [
      { id: "b-0", type: "invoice.paid", data: { invoice: "in_1", amount: 1 } },
      { id: "b-1", type: "invoice.paid", data: { invoice: "in_2", amount: "ten" } },
      { id: "b-2", type: "unrelated.type", data: {} },
      { id: "b-3", type: "order.created", data: { nope: 1 } },
    ];
    const res = await h.api.post(`/v1/tenants/${tenant}/events/batch`, { events });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      code: "SCHEMA_VALIDATION_FAILED",
      message: expect.stringContaining("no event was written"),
      details: [
        { index: 1, type: "invoice.paid", instance_path: "/amount", message: "must be integer" },
        { index: 3, type: "order.created", instance_path: "", message: "must have required property 'order'" },
      ],
    });
    expect(await storedEvents(h.api, tenant, events.map((e) => e.id))).toEqual([]);
    expect(await h.api.deliveriesOf(tenant)).toEqual([]);

    // At most 20 problems, however many events fail.
    const many = Array.from({ length: 50 }, () => ({ type: "invoice.paid", data: {} }));
    const bounded = await h.api.post(`/v1/tenants/${tenant}/events/batch`, { events: many });
    expect(bounded.status).toBe(422);
    expect(bounded.body.details).toHaveLength(20);
    expect(bounded.body.details.at(-1).index).toBe(9);

    const fixed = events.map((e, i) => (i === 1 ? { ...e, data: { invoice: "in_2", amount: 10 } } : i === 3 ? { ...e, data: { order: 1 } } : e));
    const ok = await h.api.post(`/v1/tenants/${tenant}/events/batch`, { events: fixed });
    expect(ok.status).toBe(202);
    await receiver.waitFor(4);
    expect(await storedEvents(h.api, tenant, events.map((e) => e.id))).toEqual(["b-0", "b-1", "b-2", "b-3"]);
  });

  it("applies a PATCH or DELETE to the very next publish, and keeps validating an archived type", async () => {
    const tenant = await h.tenant();
    const path = `${types(tenant)}/invoice.paid`;
    const publish = (data: Json) => h.api.post(`/v1/tenants/${tenant}/events`, { type: "invoice.paid", data });
    await h.api.expectPost(types(tenant), { name: "invoice.paid", schema: { type: "object", required: ["a"] } }, 201);
    // Warm both caches (catalogue and compiled validator) first, so the PATCH has something to invalidate.
    expect((await publish({ a: 1 })).status).toBe(202);
    expect((await publish({ b: 1 })).status).toBe(422);

    expect((await h.api.patch(path, { schema: { type: "object", required: ["b"] } })).status).toBe(200);
    expect((await publish({ b: 1 })).status).toBe(202);
    expect((await publish({ a: 1 })).status).toBe(422);

    expect((await h.api.patch(path, { archived: true })).status).toBe(200);
    expect((await publish({ a: 1 })).status).toBe(422);
    expect((await publish({ b: 1 })).status).toBe(202);

    expect((await h.api.patch(path, { schema: null })).status).toBe(200);
    expect((await publish({ a: 1 })).status).toBe(202);

    expect((await h.api.patch(path, { schema: { type: "object", required: ["c"] } })).status).toBe(200);
    expect((await publish({ a: 1 })).status).toBe(422);
    expect((await h.api.delete(path)).status).toBe(204);
    expect((await publish({ a: 1 })).status).toBe(202);
  });

  it("keeps one tenant's schema away from another tenant's events of the same type", async () => {
    const strictTenant = await h.tenant();
    const otherTenant = await h.tenant();
    await h.api.expectPost(types(strictTenant), { name: "user.created", schema: { type: "object", required: ["id"] } }, 201);
    expect((await h.api.post(`/v1/tenants/${strictTenant}/events`, { type: "user.created", data: {} })).status).toBe(422);
    expect((await h.api.post(`/v1/tenants/${otherTenant}/events`, { type: "user.created", data: {} })).status).toBe(202);
  });

  it("refuses hostile or broken schemas with 422 INVALID_SCHEMA, on create and on patch, and never a 5xx", async () => {
    const tenant = await h.tenant();
    const chain: Json = { d0: { type: "integer" } };
    for (let i = 1; i < 60; i++) chain[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i - 1}` }, { $ref: `#/$defs/d${i - 1}` }] };
    let deep: Json = { type: "object" };
    for (let i = 0; i < 40; i++) deep = { type: "object", properties: { x: deep } };
    const hostile: Record<string, [Json, RegExp]> = {
      remoteRef: [{ $ref: "https://example.com/schema.json" }, /only "#\/\.\.\." pointers/],
      relativeRef: [{ $ref: "other.json#/a" }, /only "#\/\.\.\." pointers/],
      danglingRef: [{ $ref: "#/$defs/missing" }, /points at nothing/],
      recursive: [{ type: "object", properties: { child: { $ref: "#" } } }, /recursive schemas are not supported/],
      exponentialRefs: [{ $defs: chain, $ref: "#/$defs/d59" }, /more than 10000 subschemas/],
      // Patterns run on a linear-time engine: nested repetition is fine, what it cannot run is refused.
      lookahead: [{ type: "string", pattern: "^(?=a)a+$" }, /linear-time engine/],
      backreference: [{ type: "string", pattern: "^(a)\\1$" }, /linear-time engine/],
      badRegex: [{ type: "string", pattern: "(" }, /pattern "\(" at #\/pattern is refused: missing closing \)/],
      asyncSchema: [{ $async: true, type: "object" }, /\$async/],
      unknownKeyword: [{ type: "object", requried: ["a"] }, /unknown keyword: "requried"/],
      unknownFormat: [{ type: "string", format: "no-such-format" }, /unknown format/],
      otherDraft: [{ $schema: "http://json-schema.org/draft-07/schema#", type: "object" }, /does not compile/],
      dynamicRef: [{ $dynamicRef: "#meta" }, /\$dynamicRef is not supported/],
      nestedId: [{ properties: { a: { $id: "https://evil.example/a" } } }, /only at the root/],
      notMeta: [{ type: "objekt" }, /does not compile/],
      tooDeep: [deep, /nested more than 32 levels/],
      tooLarge: [{ type: "object", description: "x".repeat(70 * 1024) }, /larger than 65536 bytes/],
    };
    for (const [name, [schema, message]] of Object.entries(hostile)) {
      const res = await h.api.post(types(tenant), { name: `hostile.${name}`, schema });
      expect([res.status, res.body.code], `${name}: ${res.text.slice(0, 200)}`).toEqual([422, "INVALID_SCHEMA"]);
      expect(res.body.message, name).toMatch(message);
      expect((await h.api.get(`${types(tenant)}/hostile.${name}`)).status, name).toBe(404);
    }

    // A good schema stays in force when a patch tries to replace it with a bad one.
    await h.api.expectPost(types(tenant), { name: "safe.type", schema: { type: "object", required: ["a"] } }, 201);
    const patch = await h.api.patch(`${types(tenant)}/safe.type`, { schema: hostile.recursive![0] });
    expect([patch.status, patch.body.code]).toEqual([422, "INVALID_SCHEMA"]);
    expect((await h.api.expectGet(`${types(tenant)}/safe.type`)).schema).toEqual({ type: "object", required: ["a"] });
    expect((await h.api.post(`/v1/tenants/${tenant}/events`, { type: "safe.type", data: {} })).status).toBe(422);

    // A schema with its own root $id, declared by two tenants: no collision.
    const withId = { $id: "https://example.com/shared", type: "object", required: ["a"] };
    const otherTenant = await h.tenant();
    await h.api.expectPost(types(tenant), { name: "with.id", schema: withId }, 201);
    await h.api.expectPost(types(otherTenant), { name: "with.id", schema: { ...withId, required: ["b"] } }, 201);
    expect((await h.api.post(`/v1/tenants/${tenant}/events`, { type: "with.id", data: { a: 1 } })).status).toBe(202);
    expect((await h.api.post(`/v1/tenants/${otherTenant}/events`, { type: "with.id", data: { a: 1 } })).status).toBe(422);
  });
});

describe.each(STORE_KINDS)("strict event types end to end (%s)", (kind) => {
  const h = useHookd(kind, { strictEventTypes: true });
  const types = (tenant: string) => `/v1/tenants/${tenant}/event-types`;

  it("lets endpoints subscribe only to declared, unarchived types or wildcards that match one", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    const endpoints = `/v1/tenants/${tenant}/endpoints`;
    const create = (event_types?: string[]) => h.api.post(endpoints, { url: receiver.url, ...(event_types ? { event_types } : {}) });

    // Nothing declared: not even the default "*" matches anything.
    for (const subscription of [undefined, ["invoice.paid"], ["invoice.*"]]) {
      const res = await create(subscription);
      expect([res.status, res.body.code]).toEqual([422, "UNKNOWN_EVENT_TYPE"]);
    }
    await h.api.expectPost(types(tenant), { name: "invoice.paid" }, 201);
    await h.api.expectPost(types(tenant), { name: "invoice.legacy", archived: true }, 201);

    for (const ok of [undefined, ["*"], ["invoice.paid"], ["invoice.*"]]) expect((await create(ok)).status).toBe(201);
    const refused = await create(["invoice.paid", "invoice.legacy", "order.*", "invoice.pad"]);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      code: "UNKNOWN_EVENT_TYPE",
      details: [
        { path: "body/event_types/1", message: "is not a declared, unarchived event type" },
        { path: "body/event_types/2", message: "matches no declared, unarchived event type" },
        { path: "body/event_types/3", message: "is not a declared, unarchived event type" },
      ],
    });

    const ep = await h.api.createEndpoint(tenant, { url: receiver.url, event_types: ["invoice.paid"] });
    const badPatch = await h.api.patch(`${endpoints}/${ep.id}`, { event_types: ["invoice.legacy"] });
    expect([badPatch.status, badPatch.body.code]).toEqual([422, "UNKNOWN_EVENT_TYPE"]);
    expect((await h.api.expectGet(`${endpoints}/${ep.id}`)).event_types).toEqual(["invoice.paid"]);

    // Archiving a subscribed type leaves existing subscriptions alone; only the subscription list is checked.
    await h.api.patch(`${types(tenant)}/invoice.paid`, { archived: true });
    expect((await h.api.patch(`${endpoints}/${ep.id}`, { description: "still here" })).status).toBe(200);
    expect((await create(["invoice.paid"])).status).toBe(422);
  });

  it("refuses events of undeclared types, single or in a batch, and still delivers archived ones", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    await h.api.expectPost(types(tenant), { name: "invoice.paid", schema: { type: "object", required: ["a"] } }, 201);
    await h.api.createEndpoint(tenant, { url: receiver.url, event_types: ["invoice.*"] });
    await h.api.expectPost(types(tenant), { name: "invoice.old" }, 201);
    await h.api.patch(`${types(tenant)}/invoice.old`, { archived: true });

    const single = await h.api.post(`/v1/tenants/${tenant}/events`, { id: "s-1", type: "invoice.unknown", data: {} });
    expect(single.status).toBe(422);
    expect(single.body).toEqual({
      code: "UNKNOWN_EVENT_TYPE",
      message: expect.any(String),
      details: [{ type: "invoice.unknown", message: "event type invoice.unknown is not declared" }],
    });
    const batch = await h.api.post(`/v1/tenants/${tenant}/events/batch`, {
      events: [
        { id: "b-0", type: "invoice.paid", data: { a: 1 } },
        { id: "b-1", type: "invoice.unknown", data: {} },
      ],
    });
    expect([batch.status, batch.body.code, batch.body.details]).toEqual([
      422,
      "UNKNOWN_EVENT_TYPE",
      [{ index: 1, type: "invoice.unknown", message: "event type invoice.unknown is not declared" }],
    ]);
    expect(await storedEvents(h.api, tenant, ["s-1", "b-0", "b-1"])).toEqual([]);

    // Declared and valid, or archived: accepted and delivered. Schemas still apply in strict mode.
    expect((await h.api.post(`/v1/tenants/${tenant}/events`, { type: "invoice.paid", data: {} })).body.code).toBe(
      "SCHEMA_VALIDATION_FAILED",
    );
    await h.api.publish(tenant, { type: "invoice.paid", data: { a: 1 } });
    await h.api.publish(tenant, { type: "invoice.old", data: {} });
    await receiver.waitFor(2);
    expect(receiver.received.map((r) => JSON.parse(r.body).type).sort()).toEqual(["invoice.old", "invoice.paid"]);
  });
});

describe("event types across processes (postgres)", () => {
  const h = useHookd("postgres");

  it("reaches another API process within the catalogue TTL", async () => {
    const other = await startHookd(h.db.url);
    try {
      const otherApi = new Api(other.url!);
      const tenant = await h.tenant();
      const publishThere = (data: Json) => otherApi.post(`/v1/tenants/${tenant}/events`, { type: "invoice.paid", data });
      await h.api.expectPost(`/v1/tenants/${tenant}/event-types`, { name: "invoice.paid", schema: { type: "object", required: ["a"] } }, 201);
      // The other process may have cached the empty catalogue just before: within the TTL it starts validating.
      await eventually(async () => expect((await publishThere({})).status).toBe(422), CATALOGUE_TTL_MS * 2, 200);
      await h.api.patch(`/v1/tenants/${tenant}/event-types/invoice.paid`, { schema: { type: "object", required: ["b"] } });
      await eventually(async () => expect((await publishThere({ b: 1 })).status).toBe(202), CATALOGUE_TTL_MS * 2, 200);
      expect((await publishThere({ a: 1 })).status).toBe(422);
    } finally {
      await other.close();
    }
  });
});
