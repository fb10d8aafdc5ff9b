/**
 * Store contract cases for the delivery log as a support tool: searching deliveries (event type with wildcards,
 * several statuses, a created_at window, a minimum attempt count) with stable newest-first pages, and the request
 * and response details each attempt keeps. Run on both adapters from store-contract.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DeliveryFilter, Store } from "../../src/store/store.ts";
import { createTestDatabase, type StoreKind, type TestDatabase } from "../support/stores.ts";
import { attemptRecord, claimDue, endpoint, event, ingestRequest, recordAttempts, T0, tenant } from "./fixtures.ts";

export function runDeliveryLogContract(kind: StoreKind): void {
  describe(`Store contract, delivery log: ${kind}`, () => {
    let db: TestDatabase;
    let store: Store;
    let epA: string;
    let epB: string;

    beforeEach(async () => {
      db = await createTestDatabase(kind);
      store = await db.open();
      await store.insertTenant(tenant("acme"));
      await store.insertTenant(tenant("other"));
      const a = endpoint("acme", { eventTypes: ["*"] });
      const b = endpoint("acme", { eventTypes: ["invoice.*"] });
      epA = a.id;
      epB = b.id;
      await store.insertEndpoint(a);
      await store.insertEndpoint(b);
      await store.insertEndpoint(endpoint("other"));
    });

    afterEach(async () => {
      await store.close();
      await db.destroy();
    });

    async function ids(filter: DeliveryFilter, tenantId = "acme"): Promise<string[]> {
      return (await store.listDeliveries(tenantId, filter, { limit: 250, after: null })).data.map((d) => d.id);
    }

    /** Publishes one event of `type` at `at` (grouped path) and returns its deliveries by endpoint. */
    async function publish(type: string, at: number): Promise<{ a?: string; b?: string }> {
      const ev = event({ type, createdAt: at });
      await store.ingest(ingestRequest("acme", [ev]));
      const list = (await store.listDeliveries("acme", { eventId: ev.id }, { limit: 10, after: null })).data;
      const out: { a?: string; b?: string } = {};
      for (const d of list) {
        if (d.endpointId === epA) out.a = d.id;
        if (d.endpointId === epB) out.b = d.id;
      }
      return out;
    }

    it("copies the event type onto deliveries on the grouped and the per-request ingest path", async () => {
      await store.ingest(ingestRequest("acme", [event({ type: "invoice.paid" })]));
      await store.ingest(
        ingestRequest("acme", [event({ id: "evt_caller", type: "user.created" })], {
          idempotency: { key: "k1", requestHash: "h", notBefore: 0 },
        }),
      );
      const types = (await store.listDeliveries("acme", {}, { limit: 10, after: null })).data.map((d) => d.eventType);
      expect(types.sort()).toEqual(["invoice.paid", "invoice.paid", "user.created"]);
    });

    it("filters by exact event type and by prefix wildcard as subscriptions match", async () => {
      const paid = await publish("invoice.paid", T0);
      const line = await publish("invoice.line.added", T0 + 1);
      const bare = await publish("invoice", T0 + 2);
      const near = await publish("invoicex.paid", T0 + 3);
      const user = await publish("user.created", T0 + 4);
      expect(await ids({ eventType: "invoice.paid" })).toEqual([paid.b, paid.a].sort().reverse());
      expect(new Set(await ids({ eventType: "invoice.*" }))).toEqual(
        new Set([paid.a, paid.b, line.a, line.b].filter(Boolean)),
      );
      expect(await ids({ eventType: "invoice.line.*" })).toEqual([line.a, line.b].sort().reverse());
      expect(await ids({ eventType: "invoice.*", endpointId: epA })).toEqual([line.a, paid.a]);
      expect(await ids({ eventType: "*" })).toHaveLength(7);
      expect(await ids({ eventType: "invoice" })).toEqual([bare.a]);
      expect(await ids({ eventType: "user.*" })).toEqual([user.a]);
      expect(await ids({ eventType: "invoicex.*" })).toEqual([near.a]);
      expect(await ids({ eventType: "nothing.*" })).toEqual([]);
    });

    it("filters by several statuses, a created_at window (since inclusive, until exclusive) and min attempts", async () => {
      const first = await publish("user.a", T0);
      const second = await publish("user.b", T0 + 1_000);
      const third = await publish("user.c", T0 + 2_000);
      // Fail `second` once (retry scheduled) and kill `third` after one attempt.
      const claimed = await claimDue(store, T0 + 3_000, "t");
      const byId = new Map(claimed.map((c) => [c.id, c]));
      const record = (id: string | undefined, status: "failed" | "dead" | "succeeded", next: number | null) => {
        const c = byId.get(id ?? "");
        if (!c) throw new Error(`not claimed: ${id}`);
        return attemptRecord(
          c,
          T0 + 3_000,
          { status: status === "succeeded" ? 200 : 500, deliveryStatus: status },
          { nextAttemptAt: next, lastStatusCode: null, lastError: null },
        );
      };
      await recordAttempts([
        record(first.a, "succeeded", null),
        record(second.a, "failed", T0 + 60_000),
        record(third.a, "dead", null),
      ]);

      expect(await ids({ statuses: ["failed", "dead"] })).toEqual([third.a, second.a]);
      expect(await ids({ statuses: ["succeeded"] })).toEqual([first.a]);
      expect(await ids({ statuses: ["pending"] })).toEqual([]);
      expect(await ids({ since: T0 + 1_000 })).toEqual([third.a, second.a]);
      expect(await ids({ until: T0 + 1_000 })).toEqual([first.a]);
      expect(await ids({ since: T0 + 1_000, until: T0 + 2_000 })).toEqual([second.a]);
      expect(await ids({ since: T0 + 2_001 })).toEqual([]);
      expect(await ids({ minAttempts: 1 })).toHaveLength(3);
      expect(await ids({ minAttempts: 2 })).toEqual([]);
      expect(await ids({ minAttempts: 0, statuses: ["dead"], since: T0, endpointId: epA })).toEqual([third.a]);
      expect(await ids({ statuses: ["failed", "dead"] }, "other")).toEqual([]);
    });

    it("pages newest first without gaps or repeats, under a filter, while new deliveries arrive", async () => {
      const all: string[] = [];
      for (let i = 0; i < 7; i++) all.push((await publish("user.x", T0 + i)).a!);
      all.reverse();
      const seen: string[] = [];
      let after: string | null = null;
      for (let round = 0; round < 10; round++) {
        const page = await store.listDeliveries("acme", { eventType: "user.*", endpointId: epA }, { limit: 3, after });
        seen.push(...page.data.map((d) => d.id));
        // Newer deliveries arriving mid-listing land before the cursor and never shift later pages.
        if (round === 0) await publish("user.x", T0 + 100);
        after = page.nextCursor;
        if (after === null) break;
      }
      expect(seen).toEqual(all);
    });

    it("keeps each attempt's request URL, redacted request headers and response headers", async () => {
      const { a } = await publish("user.x", T0);
      const [c] = await claimDue(store, T0, "t", 1);
      if (!c || c.id !== a) throw new Error("claim failed");
      const base = attemptRecord(c, T0 + 10, { status: 503, deliveryStatus: "failed" }, { nextAttemptAt: T0 + 1_000 });
      await recordAttempts([
        {
          ...base,
          outcome: {
            ...base.outcome,
            attempt: {
              ...base.outcome.attempt!,
              startedAt: T0,
              durationMs: 7,
              responseBody: "busy",
              requestUrl: "https://example.com/hook?x=1",
              requestHeaders: { "webhook-id": c.eventId, "webhook-signature": "[redacted]", "x-team": "billing" },
              responseHeaders: { "retry-after": "120", "content-type": "text/plain" },
            },
          },
        },
      ]);
      const [attempt] = await store.listAttempts(c.id);
      expect(attempt).toMatchObject({
        requestUrl: "https://example.com/hook?x=1",
        requestHeaders: { "webhook-id": c.eventId, "webhook-signature": "[redacted]", "x-team": "billing" },
        responseHeaders: { "retry-after": "120", "content-type": "text/plain" },
        errorClass: "http_status",
        timeoutMs: 15_000,
      });
    });
  });
}
