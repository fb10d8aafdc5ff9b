/**
 * The Store contract suite. Every adapter must pass all of it against a real database; the two *.contract.test.ts
 * files run it on SQLite and on PostgreSQL. It pins down the behaviour the rest of hookd relies on: atomic ingest
 * with fan-out and idempotency, lease-based claiming that never hands one delivery to two claimers, lease-guarded
 * completion, and replay.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/store.ts";
import type { StoreKind, TestDatabase } from "../support/stores.ts";
import { createTestDatabase } from "../support/stores.ts";
import { attemptStatsCases } from "./attempt-stats-contract.ts";
import { runDeliveryLogContract } from "./delivery-log-contract.ts";
import { endpoint, event, ingestRequest, T0, tenant } from "./fixtures.ts";
import { queueCases } from "./queue-contract.ts";
import { QueueDriver } from "./queue-driver.ts";
import { eventTypesContract } from "./event-types-contract.ts";
import { keysAndAuditContract } from "./keys-and-audit-contract.ts";
import { operationalEventCases, queueStatsCases } from "./operational-events-contract.ts";
import { retentionCases } from "./retention-contract.ts";
import { taskCases } from "./tasks-contract.ts";
import { deleteEndpointNow, deleteTenantNow } from "../support/deletions.ts";

export function runStoreContract(kind: StoreKind): void {
  describe(`Store contract: ${kind}`, () => {
    let db: TestDatabase;
    let store: Store;

    beforeEach(async () => {
      db = await createTestDatabase(kind);
      store = await db.open();
    });

    afterEach(async () => {
      await store.close();
      await db.destroy();
    });

    /** What a worker (named `token`) taking over everything due at `now` would be handed, with each endpoint's config. */
    async function claim(now: number, limit = 100, token = "token-a") {
      const driver = new QueueDriver(store, token);
      const work = await driver.take(now, { limit, count: 1000 });
      return work.map((w) => ({ ...w, id: w.deliveryId, endpoint: driver.held.get(w.endpointId)!.config }));
    }

    describe("migrations", () => {
      it("are idempotent: migrating an up-to-date store changes nothing and keeps data", async () => {
        await store.insertTenant(tenant("acme"));
        await store.migrate();
        await store.migrate();
        expect((await store.getTenant("acme"))?.name).toBe("Tenant acme");
      });
    });

    describe("api keys", () => {
      it("finds keys by hash, counts them, and replaces the hash of an existing id", async () => {
        expect(await store.countApiKeys()).toBe(0);
        await store.putApiKey({ id: "key_1", tenantId: null, hash: "h1", createdAt: T0 });
        expect(await store.findApiKeyByHash("h1")).toMatchObject({ id: "key_1", tenantId: null, hash: "h1", createdAt: T0 });
        await store.putApiKey({ id: "key_1", tenantId: null, hash: "h2", createdAt: T0 });
        expect(await store.findApiKeyByHash("h1")).toBeNull();
        expect((await store.findApiKeyByHash("h2"))?.id).toBe("key_1");
        expect(await store.countApiKeys()).toBe(1);
      });
    });

    keysAndAuditContract(() => store);
    eventTypesContract(() => store);

    describe("tenants", () => {
      it("inserts once, refuses a duplicate id, and round-trips every field", async () => {
        expect(await store.insertTenant(tenant("acme"))).toBe(true);
        expect(await store.insertTenant(tenant("acme", { name: "Other" }))).toBe(false);
        expect(await store.getTenant("acme")).toEqual(tenant("acme"));
        expect(await store.getTenant("nope")).toBeNull();
      });

      it("keeps quota overrides, counts endpoints against a limit, and counts stored payload bytes", async () => {
        await store.insertTenant(tenant("acme", { quotas: { max_endpoints: 2 } }));
        expect((await store.getTenant("acme"))?.quotas).toEqual({ max_endpoints: 2 });
        const patched = await store.updateTenant("acme", { quotas: { deliveries_per_second: 0 } }, T0 + 1);
        expect(patched?.quotas).toEqual({ deliveries_per_second: 0 });
        expect((await store.getTenant("acme"))?.quotas).toEqual({ deliveries_per_second: 0 });
        expect(await store.getTenantUsage("nope")).toBeNull();

        const data = JSON.stringify({ note: "h\u00e9llo" });
        const kept = event({ id: "kept", dataJson: data });
        await store.ingest(ingestRequest("acme", [kept, event({ dataJson: data })]));
        // A repeat of a caller-chosen id stores nothing new.
        await store.ingest(ingestRequest("acme", [kept]));
        // Endpoints after the events, so that no delivery keeps retention from expunging them below.
        expect(await store.insertEndpoint(endpoint("acme"), undefined, 2)).toBe(true);
        expect(await store.insertEndpoint(endpoint("acme"), undefined, 2)).toBe(true);
        expect(await store.insertEndpoint(endpoint("acme"), undefined, 2)).toBe(false);
        expect(await store.insertEndpoint(endpoint("acme"))).toBe(true);
        const bytes = Buffer.byteLength(data);
        expect(await store.getTenantUsage("acme")).toEqual({ quotas: { deliveries_per_second: 0 }, storedBytes: 2 * bytes, endpoints: 3 });
        expect(await store.expungeEventPayload("acme", "kept", T0 + 2)).toBe(true);
        expect(await store.expungeEventPayload("acme", "kept", T0 + 3)).toBe(true);
        expect((await store.getTenantUsage("acme"))?.storedBytes).toBe(bytes);
        expect(await store.expungePayloadsBefore(T0 + 1, 100, T0 + 4)).toBe(1);
        expect((await store.getTenantUsage("acme"))?.storedBytes).toBe(0);
      });

      it("refuses a planned fan-out its admission check refuses, writing nothing", async () => {
        await store.insertTenant(tenant("acme"));
        for (let i = 0; i < 3; i++) await store.insertEndpoint(endpoint("acme"));
        const seen: number[] = [];
        const refusal = new Error("over the cap");
        for (const events of [[event(), event()], [event({ id: "mine" }), event({ id: "yours" })]]) {
          const result = await store.ingest(
            ingestRequest("acme", events, { admit: { maxDeliveries: 4, check: (n) => (seen.push(n), n > 4 ? refusal : null) } }),
          );
          expect(result).toEqual({ kind: "refused", error: refusal });
        }
        // Planning stopped just past the cap.
        expect(seen).toEqual([5, 5]);
        expect(await store.getEvent("acme", "mine")).toBeNull();
        expect((await store.getTenantUsage("acme"))?.storedBytes).toBe(0);
        const ok = await store.ingest(ingestRequest("acme", [event()], { admit: { maxDeliveries: 4, check: () => null } }));
        expect(ok.kind).toBe("created");
      });

      it("lists in id order with keyset pages", async () => {
        for (const id of ["c", "a", "e", "b", "d"]) await store.insertTenant(tenant(id));
        const p1 = await store.listTenants({ limit: 2, after: null });
        expect(p1.data.map((t) => t.id)).toEqual(["a", "b"]);
        expect(p1.nextCursor).toBe("b");
        const p2 = await store.listTenants({ limit: 2, after: p1.nextCursor });
        expect(p2.data.map((t) => t.id)).toEqual(["c", "d"]);
        const p3 = await store.listTenants({ limit: 2, after: p2.nextCursor });
        expect(p3.data.map((t) => t.id)).toEqual(["e"]);
        expect(p3.nextCursor).toBeNull();
      });

      it("updates only the patched fields", async () => {
        await store.insertTenant(tenant("acme"));
        const updated = await store.updateTenant("acme", { name: "Acme Inc" }, T0 + 5);
        expect(updated).toMatchObject({ name: "Acme Inc", metadata: { plan: "pro" }, updatedAt: T0 + 5 });
        expect(await store.getTenant("acme")).toEqual(updated);
        expect(await store.updateTenant("nope", { name: "x" }, T0)).toBeNull();
      });

      it("deletes a tenant with everything it owns", async () => {
        await store.insertTenant(tenant("acme"));
        const ep = endpoint("acme");
        await store.insertEndpoint(ep);
        const ev = event();
        await store.ingest(ingestRequest("acme", [ev]));
        expect(await deleteTenantNow(store, "acme")).toBe(true);
        expect(await deleteTenantNow(store, "acme")).toBe(false);
        expect(await store.getEndpoint("acme", ep.id)).toBeNull();
        expect(await store.getEvent("acme", ev.id)).toBeNull();
        expect(await claim(T0 + 1)).toEqual([]);
      });
    });

    describe("endpoints", () => {
      beforeEach(async () => {
        await store.insertTenant(tenant("acme"));
        await store.insertTenant(tenant("globex"));
      });

      it("round-trips every field and is invisible to other tenants", async () => {
        const ep = endpoint("acme", { retryScheduleS: [0, 5], headers: { a: "1" }, eventTypes: ["a.*", "b"] });
        await store.insertEndpoint(ep);
        expect(await store.getEndpoint("acme", ep.id)).toEqual(ep);
        expect(await store.getEndpoint("globex", ep.id)).toBeNull();
        expect(await store.updateEndpoint("globex", ep.id, { url: "https://x" }, T0)).toBeNull();
        expect(await deleteEndpointNow(store, "globex", ep.id)).toBe(false);
        expect((await store.listEndpoints("globex", { limit: 10, after: null })).data).toEqual([]);
      });

      it("updates patched fields and keeps the rest", async () => {
        const ep = endpoint("acme");
        await store.insertEndpoint(ep);
        const next = await store.updateEndpoint(
          "acme",
          ep.id,
          { disabled: true, disabledReason: "why", retryScheduleS: [1, 2] },
          T0 + 9,
        );
        expect(next).toEqual({ ...ep, disabled: true, disabledReason: "why", retryScheduleS: [1, 2], updatedAt: T0 + 9 });
        expect(await store.getEndpoint("acme", ep.id)).toEqual(next);
      });

      it("lists a tenant's endpoints in pages", async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          const ep = endpoint("acme");
          ids.push(ep.id);
          await store.insertEndpoint(ep);
        }
        const seen: string[] = [];
        let after: string | null = null;
        do {
          const page = await store.listEndpoints("acme", { limit: 2, after });
          seen.push(...page.data.map((e) => e.id));
          after = page.nextCursor;
        } while (after);
        expect(seen).toEqual([...ids].sort());
      });
    });

    describe("endpoint secrets", () => {
      beforeEach(async () => {
        await store.insertTenant(tenant("acme"));
        await store.insertTenant(tenant("globex"));
      });

      it("round-trips the scheme, the previous secret with its expiry, and the public key", async () => {
        const ep = endpoint("acme", {
          signatureScheme: "ed25519",
          sealedSecret: "sealed-current",
          previousSealedSecret: "sealed-previous",
          previousSecretExpiresAt: T0 + 1_000,
          publicKey: "whpk_public",
        });
        await store.insertEndpoint(ep);
        expect(await store.getEndpoint("acme", ep.id)).toEqual(ep);
        const patched = await store.updateEndpoint(
          "acme",
          ep.id,
          { sealedSecret: "sealed-set", previousSealedSecret: null, previousSecretExpiresAt: null, publicKey: "whpk_2" },
          T0 + 1,
        );
        expect(patched).toMatchObject({ sealedSecret: "sealed-set", previousSealedSecret: null, publicKey: "whpk_2" });
        expect(await store.getEndpoint("acme", ep.id)).toEqual(patched);
      });

      it("rotates: the current secret becomes the previous one until the given time", async () => {
        const ep = endpoint("acme", { sealedSecret: "s1" });
        await store.insertEndpoint(ep);
        const once = await store.rotateEndpointSecret(
          "acme",
          ep.id,
          { sealedSecret: "s2", publicKey: null, previousExpiresAt: T0 + 86_400_000 },
          T0 + 5,
        );
        expect(once).toEqual({
          ...ep,
          sealedSecret: "s2",
          previousSealedSecret: "s1",
          previousSecretExpiresAt: T0 + 86_400_000,
          updatedAt: T0 + 5,
        });
        expect(await store.getEndpoint("acme", ep.id)).toEqual(once);
        // Only the secret just replaced is kept: a second rotation ends the first overlap.
        const twice = await store.rotateEndpointSecret(
          "acme",
          ep.id,
          { sealedSecret: "s3", publicKey: "whpk_3", previousExpiresAt: T0 + 10 },
          T0 + 6,
        );
        expect(twice).toMatchObject({ sealedSecret: "s3", previousSealedSecret: "s2", previousSecretExpiresAt: T0 + 10, publicKey: "whpk_3" });
        // Without an overlap the old secret is dropped at once.
        const hard = await store.rotateEndpointSecret("acme", ep.id, { sealedSecret: "s4", publicKey: null, previousExpiresAt: null }, T0 + 7);
        expect(hard).toMatchObject({ sealedSecret: "s4", previousSealedSecret: null, previousSecretExpiresAt: null, publicKey: null });
        expect(await store.rotateEndpointSecret("globex", ep.id, { sealedSecret: "x", publicKey: null, previousExpiresAt: null }, T0)).toBeNull();
        expect((await store.getEndpoint("acme", ep.id))?.sealedSecret).toBe("s4");
      });

      it("hands a claimed delivery both secrets and the overlap's end", async () => {
        const ep = endpoint("acme", { sealedSecret: "s1", signatureScheme: "ed25519" });
        await store.insertEndpoint(ep);
        await store.rotateEndpointSecret("acme", ep.id, { sealedSecret: "s2", publicKey: "whpk_2", previousExpiresAt: T0 + 99 }, T0);
        await store.ingest(ingestRequest("acme", [event()]));
        const [claimed] = await claim(T0);
        expect(claimed?.endpoint).toMatchObject({
          signatureScheme: "ed25519",
          sealedSecret: "s2",
          previousSealedSecret: "s1",
          previousSecretExpiresAt: T0 + 99,
        });
      });

      it("lists every tenant's stored secrets in id order, in pages", async () => {
        const eps = [endpoint("acme"), endpoint("globex"), endpoint("acme", { previousSealedSecret: "p", previousSecretExpiresAt: T0 })];
        for (const ep of eps) await store.insertEndpoint(ep);
        const sorted = [...eps].sort((a, b) => (a.id < b.id ? -1 : 1));
        const first = await store.listEndpointSecrets(null, 2);
        const rest = await store.listEndpointSecrets(first[1]!.id, 2);
        expect([...first, ...rest]).toEqual(
          sorted.map((e) => ({
            id: e.id,
            sealedSecret: e.sealedSecret,
            previousSealedSecret: e.previousSealedSecret,
            previousSecretExpiresAt: e.previousSecretExpiresAt,
          })),
        );
        expect(await store.listEndpointSecrets(sorted[2]!.id, 2)).toEqual([]);
      });

      it("replaces stored secrets only where they still hold the expected values", async () => {
        const a = endpoint("acme", { sealedSecret: "a1" });
        const b = endpoint("acme", { sealedSecret: "b1", previousSealedSecret: "b0", previousSecretExpiresAt: T0 + 50 });
        const c = endpoint("globex", { sealedSecret: "c1" });
        for (const ep of [a, b, c]) await store.insertEndpoint(ep);
        const [sa, sb, sc] = [a, b, c].map((e) => ({
          id: e.id,
          sealedSecret: e.sealedSecret,
          previousSealedSecret: e.previousSealedSecret,
          previousSecretExpiresAt: e.previousSecretExpiresAt,
        }));
        // c was rotated meanwhile: its change must not apply.
        await store.rotateEndpointSecret("globex", c.id, { sealedSecret: "c2", publicKey: null, previousExpiresAt: null }, T0);
        const applied = await store.replaceEndpointSecrets([
          { expected: sa!, sealedSecret: "a1*", previousSealedSecret: null, previousSecretExpiresAt: null },
          { expected: sb!, sealedSecret: "b1*", previousSealedSecret: "b0*", previousSecretExpiresAt: T0 + 50 },
          { expected: sc!, sealedSecret: "c1*", previousSealedSecret: null, previousSecretExpiresAt: null },
        ]);
        expect(applied).toBe(2);
        expect((await store.getEndpoint("acme", a.id))?.sealedSecret).toBe("a1*");
        expect(await store.getEndpoint("acme", b.id)).toMatchObject({ sealedSecret: "b1*", previousSealedSecret: "b0*", previousSecretExpiresAt: T0 + 50 });
        expect((await store.getEndpoint("globex", c.id))?.sealedSecret).toBe("c2");
        // A stale expectation about the previous secret also refuses the change.
        expect(
          await store.replaceEndpointSecrets([
            { expected: { ...sb!, sealedSecret: "b1*" }, sealedSecret: "b1**", previousSealedSecret: null, previousSecretExpiresAt: null },
          ]),
        ).toBe(0);
        expect(await store.replaceEndpointSecrets([])).toBe(0);
      });
    });

    describe("ingest", () => {
      beforeEach(async () => {
        await store.insertTenant(tenant("acme"));
        await store.insertTenant(tenant("globex"));
      });

      it("fans out to every matching enabled endpoint of the tenant only", async () => {
        const all = endpoint("acme", { eventTypes: ["*"] });
        const invoices = endpoint("acme", { eventTypes: ["invoice.*"] });
        const users = endpoint("acme", { eventTypes: ["user.created"] });
        const disabled = endpoint("acme", { disabled: true });
        const other = endpoint("globex");
        for (const ep of [all, invoices, users, disabled, other]) await store.insertEndpoint(ep);

        const ev = event({ type: "invoice.paid" });
        const result = await store.ingest(ingestRequest("acme", [ev]));
        expect(result).toEqual({
          kind: "created",
          events: [{ id: ev.id, type: "invoice.paid", createdAt: T0, matchedEndpoints: 2 }],
        });
        const claimed = await claim(T0);
        expect(claimed.map((d) => d.endpointId).sort()).toEqual([all.id, invoices.id].sort());
        for (const d of claimed) {
          expect(d).toMatchObject({ eventId: ev.id, tenantId: "acme", attempts: 0, cycleAttempts: 0 });
          expect(d.event).toEqual({ type: "invoice.paid", dataJson: '{"amount":42}', createdAt: T0 });
        }
        expect(claimed.find((d) => d.endpointId === all.id)?.endpoint).toMatchObject({
          url: all.url,
          signatureScheme: "hmac_sha256",
          sealedSecret: all.sealedSecret,
          previousSealedSecret: null,
          previousSecretExpiresAt: null,
          headers: all.headers,
          timeoutMs: all.timeoutMs,
          maxInFlight: all.maxInFlight,
          retryScheduleS: null,
          disabled: false,
        });
      });

      it("refuses events for a tenant that does not exist, on the grouped and the per-request path", async () => {
        expect(await store.ingest(ingestRequest("ghost", [event()]))).toEqual({ kind: "tenant_not_found" });
        expect(await store.ingest(ingestRequest("ghost", [event({ id: "mine" })]))).toEqual({ kind: "tenant_not_found" });
        const idem = { key: "k", requestHash: "h", notBefore: 0 };
        expect(await store.ingest(ingestRequest("ghost", [event()], { idempotency: idem }))).toEqual({
          kind: "tenant_not_found",
        });
        // A concurrent group mixing a missing tenant with a real one answers each on its own.
        await store.insertEndpoint(endpoint("acme"));
        const [ghost, real] = await Promise.all([
          store.ingest(ingestRequest("ghost", [event()])),
          store.ingest(ingestRequest("acme", [event()])),
        ]);
        expect(ghost.kind).toBe("tenant_not_found");
        expect(real.kind === "created" && real.events[0]?.matchedEndpoints).toBe(1);
      });

      it("groups many concurrent ingests without losing or mixing up any event", async () => {
        const a = endpoint("acme", { eventTypes: ["a.*"] });
        const b = endpoint("globex", { eventTypes: ["*"] });
        await store.insertEndpoint(a);
        await store.insertEndpoint(b);
        const reqs = Array.from({ length: 60 }, (_, i) =>
          ingestRequest(i % 2 ? "acme" : "globex", [event({ type: i % 3 ? "a.x" : "z.y" }), event({ type: "a.y" })]),
        );
        const results = await Promise.all(reqs.map((r) => store.ingest(r)));
        results.forEach((r, i) => {
          const req = reqs[i]!;
          expect(r.kind).toBe("created");
          if (r.kind !== "created") return;
          expect(r.events.map((e) => e.id)).toEqual(req.events.map((e) => e.id));
          const expected = req.events.map((e) => (req.tenantId === "globex" ? 1 : e.type.startsWith("a.") ? 1 : 0));
          expect(r.events.map((e) => e.matchedEndpoints)).toEqual(expected);
        });
        const total = results.flatMap((r) => (r.kind === "created" ? r.events : [])).reduce((n, e) => n + e.matchedEndpoints, 0);
        expect(await claim(T0, 1000)).toHaveLength(total);
      });

      it("stores an event that matches nothing, with zero deliveries", async () => {
        const ev = event({ type: "nobody.cares" });
        const result = await store.ingest(ingestRequest("acme", [ev]));
        expect(result.kind === "created" && result.events[0]?.matchedEndpoints).toBe(0);
        const { generatedId: _, ...stored } = ev;
        expect(await store.getEvent("acme", ev.id)).toEqual({ ...stored, tenantId: "acme", orderingKey: null, payloadExpungedAt: null });
        expect(await store.getEvent("globex", ev.id)).toBeNull();
      });

      it("keeps event data byte for byte", async () => {
        const dataJson = '{"z":1,  "a":"\\u00e9 ü","n":1.50}';
        const ev = event({ dataJson });
        await store.ingest(ingestRequest("acme", [ev]));
        expect((await store.getEvent("acme", ev.id))?.dataJson).toBe(dataJson);
      });

      it("keeps each event's trace context for attempt spans, on the grouped and the per-request path", async () => {
        const traceparent = (n: number) => `00-${"a".repeat(31)}${n}-${"b".repeat(15)}${n}-01`;
        const grouped = event({ traceContext: traceparent(1) });
        const perRequest = event({ id: "traced-own-id", generatedId: false, traceContext: traceparent(2) });
        const untraced = event();
        await store.ingest(ingestRequest("acme", [grouped]));
        await store.ingest(ingestRequest("acme", [perRequest, untraced]));
        const found = await store.eventTraceContexts("acme", [grouped.id, perRequest.id, untraced.id, "evt_missing"]);
        expect(Object.fromEntries(found)).toEqual({ [grouped.id]: traceparent(1), [perRequest.id]: traceparent(2) });
        expect((await store.eventTraceContexts("globex", [grouped.id])).size).toBe(0);
        expect((await store.eventTraceContexts("acme", [])).size).toBe(0);
      });

      it("writes a batch atomically, fanning out each event", async () => {
        await store.insertEndpoint(endpoint("acme"));
        const events = Array.from({ length: 250 }, () => event());
        const result = await store.ingest(ingestRequest("acme", events));
        expect(result.kind === "created" && result.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
        expect(await claim(T0, 1000)).toHaveLength(250);
      });

      it("treats a repeated caller id with the same content as a repeat, and other content as a conflict", async () => {
        await store.insertEndpoint(endpoint("acme"));
        const ev = event({ id: "order-1" });
        await store.ingest(ingestRequest("acme", [ev]));
        const again = await store.ingest(ingestRequest("acme", [{ ...ev, createdAt: T0 + 50 }]));
        expect(again).toEqual({
          kind: "created",
          events: [{ id: "order-1", type: ev.type, createdAt: T0, matchedEndpoints: 1 }],
        });
        const conflict = await store.ingest(ingestRequest("acme", [{ ...ev, dataJson: '{"amount":43}' }]));
        expect(conflict).toEqual({ kind: "event_conflict", eventId: "order-1" });
        expect(await claim(T0 + 100)).toHaveLength(1);
        // The same id in another tenant is a different event.
        await store.insertEndpoint(endpoint("globex"));
        const other = await store.ingest(ingestRequest("globex", [{ ...ev, dataJson: '{"amount":99}' }]));
        expect(other.kind).toBe("created");
      });

      it("rolls back the whole batch when one event conflicts", async () => {
        await store.insertEndpoint(endpoint("acme"));
        await store.ingest(ingestRequest("acme", [event({ id: "dup" })]));
        await claim(T0); // lease the first delivery out of the way
        const fresh = event();
        const result = await store.ingest(ingestRequest("acme", [fresh, event({ id: "dup", type: "other.type" })]));
        expect(result.kind).toBe("event_conflict");
        expect(await store.getEvent("acme", fresh.id)).toBeNull();
      });

      it("isolates concurrent ingests: one conflicting request does not undo the others", async () => {
        await store.insertEndpoint(endpoint("acme"));
        await store.ingest(ingestRequest("acme", [event({ id: "taken" })]));
        const good = Array.from({ length: 5 }, () => event());
        const results = await Promise.all([
          store.ingest(ingestRequest("acme", [good[0]!, good[1]!])),
          store.ingest(ingestRequest("acme", [good[2]!, event({ id: "taken", dataJson: '{"other":1}' })])),
          store.ingest(ingestRequest("acme", [good[3]!])),
          store.ingest(ingestRequest("acme", [good[4]!])),
        ]);
        expect(results.map((r) => r.kind)).toEqual(["created", "event_conflict", "created", "created"]);
        for (const ev of [good[0], good[1], good[3], good[4]]) expect(await store.getEvent("acme", ev!.id)).not.toBeNull();
        expect(await store.getEvent("acme", good[2]!.id)).toBeNull();
      });

      it("answers a repeated idempotency key with the stored response and writes nothing new", async () => {
        await store.insertEndpoint(endpoint("acme"));
        const idem = { key: "k1", requestHash: "hash-a", notBefore: T0 - 1000 };
        const first = await store.ingest(ingestRequest("acme", [event()], { idempotency: idem }));
        expect(first.kind).toBe("created");
        const ids = first.kind === "created" ? first.events.map((e) => e.id) : [];
        const second = await store.ingest(ingestRequest("acme", [event()], { idempotency: idem }));
        expect(second).toEqual({ kind: "replayed", responseJson: JSON.stringify(ids) });
        const mismatch = await store.ingest(
          ingestRequest("acme", [event()], { idempotency: { ...idem, requestHash: "hash-b" } }),
        );
        expect(mismatch).toEqual({ kind: "idempotency_mismatch" });
        expect(await claim(T0 + 1)).toHaveLength(1);
        // Keys are per tenant.
        const elsewhere = await store.ingest(ingestRequest("globex", [event()], { idempotency: idem }));
        expect(elsewhere.kind).toBe("created");
      });

      it("lets an idempotency key be reused once it has expired", async () => {
        await store.insertEndpoint(endpoint("acme"));
        await store.ingest(ingestRequest("acme", [event()], { idempotency: { key: "k", requestHash: "a", notBefore: 0 } }));
        const later = await store.ingest(
          ingestRequest("acme", [event({ createdAt: T0 + 10 })], {
            idempotency: { key: "k", requestHash: "b", notBefore: T0 + 1 },
          }),
        );
        expect(later.kind).toBe("created");
        expect(await claim(T0 + 20)).toHaveLength(2);
      });

      it("purges idempotency keys past their window in batches, oldest first", async () => {
        await store.insertEndpoint(endpoint("acme"));
        for (const [i, at] of [T0, T0 + 10, T0 + 20].entries()) {
          const idem = { key: `old-${i}`, requestHash: "h", notBefore: 0 };
          await store.ingest(ingestRequest("acme", [event({ createdAt: at })], { idempotency: idem }));
        }
        expect(await store.deleteIdempotencyKeysBefore(T0 + 15, 1)).toBe(1);
        expect(await store.deleteIdempotencyKeysBefore(T0 + 15, 5)).toBe(1);
        expect(await store.deleteIdempotencyKeysBefore(T0 + 15, 5)).toBe(0);
        // A purged key is free again (even for a window reaching back before it); a kept one still replays.
        const reused = await store.ingest(
          ingestRequest("acme", [event()], { idempotency: { key: "old-0", requestHash: "other", notBefore: 0 } }),
        );
        expect(reused.kind).toBe("created");
        const kept = await store.ingest(
          ingestRequest("acme", [event()], { idempotency: { key: "old-2", requestHash: "other", notBefore: 0 } }),
        );
        expect(kept).toEqual({ kind: "idempotency_mismatch" });
      });

      it("gives concurrent requests with one idempotency key a single set of writes", async () => {
        await store.insertEndpoint(endpoint("acme"));
        const idem = { key: "race", requestHash: "h", notBefore: 0 };
        const results = await Promise.all(
          Array.from({ length: 8 }, () => store.ingest(ingestRequest("acme", [event()], { idempotency: idem }))),
        );
        expect(results.filter((r) => r.kind === "created")).toHaveLength(1);
        expect(results.filter((r) => r.kind === "replayed")).toHaveLength(7);
        expect(await claim(T0 + 1)).toHaveLength(1);
      });

      it("wakes subscribers after a commit that created work", async () => {
        await store.insertEndpoint(endpoint("acme"));
        let woken = 0;
        const unsubscribe = store.subscribeWork(() => woken++);
        // The Postgres listener connects asynchronously and wakes once when it does; wait for that first.
        await vi_waitFor(() => store.kind === "sqlite" || woken > 0);
        const before = woken;
        await store.ingest(ingestRequest("acme", [event()]));
        await vi_waitFor(() => woken > before);
        unsubscribe();
      });
    });

    describe("endpoint changes", () => {
      it("tells subscribers which tenant's endpoint was edited, disabled, rotated or deleted, after the commit", async () => {
        const seen: (string | null)[] = [];
        // What a subscriber is told must be visible when it is told: the owner re-reads the endpoint at once.
        const unsubscribe = store.subscribeEndpointChanges((tenantId) => seen.push(tenantId));
        const count = (t: string) => seen.filter((x) => x === t).length;
        // A creation is announced on PostgreSQL (ingest's subscription caches hear it), twice in the process that made
        // it: at the commit, and again when its NOTIFY comes back. SQLite's owners need no word of a new endpoint.
        // So each change below has a tenant of its own, and more announcements than its creation can account for
        // prove the change was announced, under its own tenant's id.
        const creation = store.kind === "postgres" ? 2 : 0;
        if (store.kind === "postgres") {
          // The LISTEN connection starts with the first subscriber and a NOTIFY sent before it listens is lost: edit a
          // probe endpoint until a notice comes back over it (more announcements than the local ones).
          await store.insertTenant(tenant("probe"));
          const probe = endpoint("probe");
          await store.insertEndpoint(probe);
          let local = 1;
          for (let i = 0; count("probe") <= local; i++) {
            if (i > 100) throw new Error("the LISTEN connection never delivered a notice");
            await store.updateEndpoint("probe", probe.id, { description: `probe ${i}` }, T0);
            local++;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        const changes: [string, (epId: string) => Promise<unknown>][] = [
          ["acme-disable", (id) => store.updateEndpoint("acme-disable", id, { disabled: true, disabledReason: "by hand" }, T0 + 1)],
          ["acme-rotate", (id) => store.rotateEndpointSecret("acme-rotate", id, { sealedSecret: "s2", publicKey: null, previousExpiresAt: null }, T0 + 2)],
          ["acme-delete", (id) => store.deleteEndpoint("acme-delete", id, "task_changes", T0 + 3)],
          ["acme-edit", (id) => store.updateEndpoint("acme-edit", id, { url: "https://elsewhere.example" }, T0 + 4)],
        ];
        for (const [t, change] of changes) {
          await store.insertTenant(tenant(t));
          const ep = endpoint(t);
          await store.insertEndpoint(ep);
          await change(ep.id);
          await vi_waitFor(() => count(t) > creation);
        }
        // Nobody else was named: every announcement is one of these tenants' (or null: "anything may have changed",
        // which PostgreSQL says when its listener (re)connects).
        expect(seen.filter((t) => t !== null && t !== "probe" && !changes.some(([c]) => c === t))).toEqual([]);
        unsubscribe();
      });
    });

    describe("queue", () => queueCases(() => store));

    describe("listing and replay", () => {
      let epId: string;
      beforeEach(async () => {
        await store.insertTenant(tenant("acme"));
        const ep = endpoint("acme");
        epId = ep.id;
        await store.insertEndpoint(ep);
      });

      async function deadDelivery(at = T0): Promise<{ id: string }> {
        await store.ingest(ingestRequest("acme", [event({ createdAt: at })]));
        const driver = new QueueDriver(store, `w-${at}`);
        const [d] = await driver.settleAll(at, { status: 500, deliveryStatus: "dead" });
        if (!d) throw new Error("nothing taken");
        await driver.releaseAll(at + 2);
        return { id: d.deliveryId };
      }

      it("lists deliveries newest first, filtered by status, endpoint and event", async () => {
        const dead = await deadDelivery();
        const ev = event({ createdAt: T0 + 1 });
        await store.ingest(ingestRequest("acme", [ev]));
        const all = await store.listDeliveries("acme", {}, { limit: 10, after: null });
        expect(all.data).toHaveLength(2);
        expect(all.data[0]?.eventId).toBe(ev.id);
        expect(all.data[1]?.id).toBe(dead.id);
        const onlyDead = await store.listDeliveries("acme", { statuses: ["dead", "failed"] }, { limit: 10, after: null });
        expect(onlyDead.data.map((d) => d.id)).toEqual([dead.id]);
        const byEvent = await store.listDeliveries("acme", { eventId: ev.id }, { limit: 10, after: null });
        expect(byEvent.data).toHaveLength(1);
        expect((await store.listDeliveries("acme", { endpointId: "ep_other" }, { limit: 10, after: null })).data).toEqual([]);
        const page1 = await store.listDeliveries("acme", { endpointId: epId }, { limit: 1, after: null });
        const page2 = await store.listDeliveries("acme", { endpointId: epId }, { limit: 1, after: page1.nextCursor });
        expect([...page1.data, ...page2.data].map((d) => d.id)).toEqual(all.data.map((d) => d.id));
        expect(page2.nextCursor).toBeNull();
      });

      it("replays a dead delivery: due now, history kept, retry cycle restarted", async () => {
        const d = await deadDelivery();
        expect(await store.replayDelivery("acme", d.id, T0 + 100)).toBe("replayed");
        expect(await store.getDelivery("acme", d.id)).toMatchObject({ status: "pending", attempts: 1, nextAttemptAt: T0 + 100 });
        const [again] = await claim(T0 + 100);
        expect(again).toMatchObject({ id: d.id, attempts: 1, cycleAttempts: 0, source: { kind: "job", runAt: T0 + 100 } });
        expect(await store.listAttempts(d.id)).toHaveLength(1);
      });

      it("refuses to replay what is queued, being attempted, due for a retry now, or unknown", async () => {
        await store.ingest(ingestRequest("acme", [event()]));
        const [pending] = (await store.listDeliveries("acme", {}, { limit: 1, after: null })).data;
        if (!pending) throw new Error("no delivery");
        expect(await store.replayDelivery("acme", pending.id, T0)).toBe("already_pending");
        const driver = new QueueDriver(store);
        const [d] = await driver.take(T0);
        expect(await store.replayDelivery("acme", pending.id, T0 + 1)).toBe("already_pending");
        // Failed, with its retry due in a moment: a worker may be attempting it right now.
        await driver.record([driver.outcome(d!, T0 + 2, { status: 500, retryAt: T0 + 500 })], T0 + 2, { release: true });
        expect(await store.replayDelivery("acme", pending.id, T0 + 3)).toBe("in_flight");
        // Failed, with its retry far off: the retry moves to now, its schedule restarted.
        await store.ingest(ingestRequest("acme", [event()]));
        const later = await driver.take(T0 + 10);
        const next = later[0]!;
        await driver.record([driver.outcome(next, T0 + 11, { status: 500, retryAt: T0 + 3_600_000 })], T0 + 11);
        expect(await store.replayDelivery("acme", next.deliveryId, T0 + 12)).toBe("replayed");
        expect(await store.getDelivery("acme", next.deliveryId)).toMatchObject({ status: "pending", nextAttemptAt: T0 + 12 });
        expect(await store.replayDelivery("acme", "dlv_nope", T0)).toBe("not_found");
        expect(await store.replayDelivery("other", pending.id, T0)).toBe("not_found");
      });

      it("replays an endpoint's dead deliveries in bulk, honouring since", async () => {
        await deadDelivery(T0);
        await deadDelivery(T0 + 1_000);
        await deadDelivery(T0 + 2_000);
        expect(await store.replayEndpoint("acme", epId, "dead", T0 + 1_000, T0 + 3_000)).toBe(2);
        expect(await store.replayEndpoint("acme", epId, "dead", null, T0 + 3_000)).toBe(1);
        expect(await store.replayEndpoint("acme", epId, "dead", null, T0 + 3_000)).toBe(0);
        expect(await claim(T0 + 3_000)).toHaveLength(3);
      });
    });

    describe("operational events", () => operationalEventCases(() => store));
    describe("queue stats", () => queueStatsCases(() => store));
    describe("retention", () => retentionCases(() => store));
    describe("attempt stats", () => attemptStatsCases(() => store));
    describe("tasks", () => taskCases(() => store));
  });
  runDeliveryLogContract(kind);
}

/** Polls a condition with a hard deadline; for the asynchronous wake-up notifications only. */
async function vi_waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
