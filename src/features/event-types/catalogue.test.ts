/**
 * The ingest cache on a real SQLite store: catalogues are served from memory within the TTL (a change written behind
 * its back stays invisible until then), forget() and the TTL reload them, schemas are read once per revision
 * within a byte budget, and a stored schema that no longer compiles is logged once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EventType } from "../../domain/event-type.ts";
import { createLogger } from "../../observability/logger.ts";
import { SqliteStore } from "../../store/sqlite/sqlite-store.ts";
import { CATALOGUE_TTL_MS, EventTypeCatalogue } from "./catalogue.ts";

const T0 = 1_800_000_000_000;

function eventType(name: string, over: Partial<EventType> = {}): EventType {
  return {
    tenantId: "acme",
    name,
    description: "",
    schema: { type: "object", required: ["a"] },
    archived: false,
    revision: `${name}-r1`,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

describe("EventTypeCatalogue", () => {
  let dir: string;
  let store: SqliteStore;
  let clock: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "hookd-catalogue-"));
    store = SqliteStore.open(`sqlite:${join(dir, "hookd.db")}`);
    await store.migrate();
    await store.insertTenant({ id: "acme", name: "Acme", metadata: {}, oversizedEvents: "reject", eventRetentionDays: null, createdAt: T0, updatedAt: T0 });
    clock = T0;
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves a tenant's catalogue from memory for the TTL, and reloads it after the TTL or forget()", async () => {
    const catalogue = new EventTypeCatalogue(store, undefined, () => clock);
    const first = await catalogue.catalogue("acme");
    expect(first.size).toBe(0);
    // Written straight to the store, as another process would: this process does not see it yet.
    await store.insertEventType(eventType("a.one"));
    clock += CATALOGUE_TTL_MS;
    expect(await catalogue.catalogue("acme")).toBe(first);
    clock += 1;
    const reloaded = await catalogue.catalogue("acme");
    expect([...reloaded.keys()]).toEqual(["a.one"]);

    await store.insertEventType(eventType("a.two"));
    expect(await catalogue.catalogue("acme")).toBe(reloaded);
    catalogue.forget("acme");
    expect([...(await catalogue.catalogue("acme")).keys()].sort()).toEqual(["a.one", "a.two"]);
  });

  it("reads a type's schema once per revision, and again for a new revision", async () => {
    const catalogue = new EventTypeCatalogue(store, undefined, () => clock);
    await store.insertEventType(eventType("a.one"));
    const summary = (await catalogue.catalogue("acme")).get("a.one")!;
    const [first, concurrent] = await Promise.all([catalogue.schema("acme", summary), catalogue.schema("acme", summary)]);
    expect(concurrent).toBe(first);
    expect(first).toEqual({ key: "acme\u0000a.one\u0000a.one-r1", source: '{"type":"object","required":["a"]}' });
    expect(await catalogue.schema("acme", summary)).toBe(first);

    await store.updateEventType("acme", "a.one", { schema: { type: "object", required: ["b"] }, revision: "a.one-r2" }, T0 + 1);
    catalogue.forget("acme");
    const next = (await catalogue.catalogue("acme")).get("a.one")!;
    expect(next.revision).toBe("a.one-r2");
    expect(await catalogue.schema("acme", next)).toEqual({ key: "acme\u0000a.one\u0000a.one-r2", source: '{"type":"object","required":["b"]}' });

    await store.updateEventType("acme", "a.one", { schema: null, revision: "a.one-r3" }, T0 + 2);
    expect(await catalogue.schema("acme", { ...next, revision: "a.one-r3" })).toBeNull();
  });

  it("logs a stored schema that does not compile once per revision", async () => {
    const lines: string[] = [];
    const log = createLogger(
      "warn",
      new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const catalogue = new EventTypeCatalogue(store, log, () => clock);
    catalogue.reportBroken("acme\u0000a.loop\u0000r1", "schema refers to itself");
    catalogue.reportBroken("acme\u0000a.loop\u0000r1", "schema refers to itself");
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 40, tenant_id: "acme", event_type: "a.loop", reason: "schema refers to itself", msg: expect.stringContaining("not enforced") }),
    ]);
  });

  it("keeps the cached schema bytes within its budget, dropping the least recently used first", async () => {
    // Three schemas of about 400 bytes against a 1,000-byte budget: the third evicts the coldest.
    const big = (field: string) => ({ type: "object", required: [field], description: "x".repeat(360) });
    const catalogue = new EventTypeCatalogue(store, undefined, () => clock, CATALOGUE_TTL_MS, 1_000);
    for (const name of ["b.one", "b.two", "b.three"]) await store.insertEventType(eventType(name, { schema: big(name) }));
    const types = await catalogue.catalogue("acme");
    const first = await catalogue.schema("acme", types.get("b.one")!);
    const second = await catalogue.schema("acme", types.get("b.two")!);
    expect(catalogue.cachedSchemaBytes).toBeGreaterThan(700);
    await catalogue.schema("acme", types.get("b.three")!);
    expect(catalogue.cachedSchemaBytes).toBeLessThanOrEqual(1_000);
    expect(await catalogue.schema("acme", types.get("b.two")!)).toBe(second);
    const again = await catalogue.schema("acme", types.get("b.one")!);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});
