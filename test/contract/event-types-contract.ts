/**
 * Store contract cases for the event-type catalogue: insert once per (tenant, name), round-trip of every field
 * (the schema keeps its key order), paging by name with and without archived types, the summaries the ingest cache
 * reads, updates and deletes with their audit rows in the same transaction, and the cascade when the tenant goes.
 * Called from runStoreContract, so both adapters run them.
 */
import { describe, expect, it } from "vitest";
import type { EventType } from "../../src/domain/event-type.ts";
import type { AuditNote, Store } from "../../src/store/store.ts";
import { T0, tenant } from "./fixtures.ts";
import { deleteTenantNow } from "../support/deletions.ts";

function eventType(tenantId: string, name: string, over: Partial<EventType> = {}): EventType {
  return {
    tenantId,
    name,
    description: `about ${name}`,
    schema: { type: "object", required: ["amount"], properties: { amount: { type: "integer" } } },
    archived: false,
    revision: `rev-${name}-1`,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

const note = (action: string, at = T0): AuditNote<EventType> => ({
  actorKeyId: "key_actor",
  action,
  at,
  snapshot: (t) => ({ name: t.name, archived: t.archived, schema: t.schema }),
});

export function eventTypesContract(store: () => Store): void {
  describe("event types", () => {
    it("inserts once per tenant and name, and round-trips every field", async () => {
      const s = store();
      await s.insertTenant(tenant("acme"));
      await s.insertTenant(tenant("other"));
      // Key order is the caller's, not the store's (PostgreSQL's jsonb would sort these).
      const schema = { type: "object", properties: { zeta: { type: "string" }, alpha: { type: "number" } } };
      const t = eventType("acme", "invoice.paid", { schema });
      expect(await s.insertEventType(t)).toBe(true);
      expect(await s.insertEventType(eventType("acme", "invoice.paid", { description: "again" }))).toBe(false);
      // The same name in another tenant is another type.
      expect(await s.insertEventType(eventType("other", "invoice.paid", { schema: null }))).toBe(true);

      const read = await s.getEventType("acme", "invoice.paid");
      expect(read).toEqual(t);
      expect(Object.keys(read!.schema!.properties as object)).toEqual(["zeta", "alpha"]);
      expect((await s.getEventType("other", "invoice.paid"))?.schema).toBeNull();
      expect(await s.getEventType("acme", "invoice.void")).toBeNull();
      expect(await s.getEventType("ghost", "invoice.paid")).toBeNull();
    });

    it("refuses a type for a tenant that does not exist", async () => {
      await expect(store().insertEventType(eventType("ghost", "a.b"))).rejects.toThrow();
    });

    it("lists by name in bytewise order, pages with the name as cursor, and leaves archived types out unless asked", async () => {
      const s = store();
      await s.insertTenant(tenant("acme"));
      await s.insertTenant(tenant("other"));
      // Upper case sorts before lower case and "-" before "." bytewise, on both stores.
      for (const name of ["b.two", "a.one", "B.upper", "a-dash", "c.three"]) {
        await s.insertEventType(eventType("acme", name, { archived: name === "b.two" }));
      }
      await s.insertEventType(eventType("other", "a.zero"));

      const all: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await s.listEventTypes("acme", true, { limit: 2, after });
        all.push(...page.data.map((t) => t.name));
        if (page.nextCursor === null) break;
        expect(page.data).toHaveLength(2);
        after = page.nextCursor;
      }
      expect(all).toEqual(["B.upper", "a-dash", "a.one", "b.two", "c.three"]);

      const live = await s.listEventTypes("acme", false, { limit: 10, after: null });
      expect(live.data.map((t) => t.name)).toEqual(["B.upper", "a-dash", "a.one", "c.three"]);
      expect(live.nextCursor).toBeNull();
      const rest = await s.listEventTypes("acme", false, { limit: 10, after: "a.one" });
      expect(rest.data.map((t) => t.name)).toEqual(["c.three"]);
    });

    it("summarises the whole catalogue without schemas, archived types included", async () => {
      const s = store();
      await s.insertTenant(tenant("acme"));
      expect(await s.listEventTypeSummaries("acme")).toEqual([]);
      await s.insertEventType(eventType("acme", "a.with", { revision: "r1" }));
      await s.insertEventType(eventType("acme", "a.without", { schema: null, archived: true, revision: "r2" }));
      const summaries = (await s.listEventTypeSummaries("acme")).sort((x, y) => x.name.localeCompare(y.name));
      expect(summaries).toEqual([
        { name: "a.with", archived: false, hasSchema: true, revision: "r1" },
        { name: "a.without", archived: true, hasSchema: false, revision: "r2" },
      ]);
      expect(await s.listEventTypeSummaries("ghost")).toEqual([]);
    });

    it("updates the given fields, removes a schema set to null, and audits before and after in the same call", async () => {
      const s = store();
      await s.insertTenant(tenant("acme"));
      const t = eventType("acme", "order.created");
      await s.insertEventType(t, note("event_type.created"));

      const archived = await s.updateEventType(
        "acme",
        "order.created",
        { archived: true, revision: "rev-2" },
        T0 + 10,
        note("event_type.updated", T0 + 10),
      );
      expect(archived).toEqual({ ...t, archived: true, revision: "rev-2", updatedAt: T0 + 10 });
      const cleared = await s.updateEventType("acme", "order.created", { schema: null, description: "d", revision: "rev-3" }, T0 + 20);
      expect(cleared).toEqual({ ...t, archived: true, schema: null, description: "d", revision: "rev-3", updatedAt: T0 + 20 });
      expect(await s.getEventType("acme", "order.created")).toEqual(cleared);
      expect(await s.updateEventType("acme", "order.nope", { archived: true }, T0 + 30)).toBeNull();
      expect(await s.updateEventType("ghost", "order.created", { archived: true }, T0 + 30)).toBeNull();

      const log = await s.listAuditLog("acme", 0, { limit: 10, after: null });
      expect(log.data.map((e) => [e.action, e.targetType, e.targetId, e.tenantId])).toEqual([
        ["event_type.updated", "event_type", "order.created", "acme"],
        ["event_type.created", "event_type", "order.created", "acme"],
      ]);
      expect(log.data[0]!.before).toEqual({ name: "order.created", archived: false, schema: t.schema });
      expect(log.data[0]!.after).toEqual({ name: "order.created", archived: true, schema: t.schema });
      expect(log.data[1]!.before).toBeNull();
    });

    it("deletes one type with its audit row, and every type with the tenant", async () => {
      const s = store();
      await s.insertTenant(tenant("acme"));
      await s.insertEventType(eventType("acme", "a.one"));
      await s.insertEventType(eventType("acme", "a.two"));
      expect(await s.deleteEventType("acme", "a.one", note("event_type.deleted", T0 + 5))).toBe(true);
      expect(await s.deleteEventType("acme", "a.one")).toBe(false);
      expect(await s.getEventType("acme", "a.one")).toBeNull();
      const log = await s.listAuditLog("acme", 0, { limit: 10, after: null });
      expect(log.data.map((e) => [e.action, e.before === null, e.after === null])).toEqual([["event_type.deleted", false, true]]);

      await deleteTenantNow(s, "acme");
      expect(await s.listEventTypeSummaries("acme")).toEqual([]);
      // A tenant re-created with the same id starts with an empty catalogue.
      await s.insertTenant(tenant("acme"));
      expect(await s.getEventType("acme", "a.two")).toBeNull();
      expect(await s.insertEventType(eventType("acme", "a.two"))).toBe(true);
    });
  });
}
