/**
 * The batcher against a real SQLite store, with faults injected in front of it: an unreachable store is waited out,
 * while one record the store refuses must not hold back the others.
 */
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { endpoint, event, ingestRequest, T0, tenant } from "../../test/contract/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/stores.ts";
import type { AttemptRecord, ClaimedDelivery, Store } from "../store/store.ts";
import { RecordBatcher } from "./record-batcher.ts";

function record(d: ClaimedDelivery, responseBody: string): AttemptRecord {
  return {
    deliveryId: d.id,
    leaseToken: d.leaseToken,
    attempt: {
      id: `atm_${d.id}`,
      deliveryId: d.id,
      attempt: 1,
      startedAt: T0,
      durationMs: 5,
      statusCode: 200,
      responseBody,
      error: null,
      errorClass: null,
      outcome: "success",
      timeoutMs: 15_000,
    },
    status: "succeeded",
    nextAttemptAt: null,
    attempts: 1,
    cycleAttempts: 1,
    lastStatusCode: 200,
    lastError: null,
    now: T0 + 1,
    disableEndpoint: null,
  };
}

describe("RecordBatcher", () => {
  let db: TestDatabase;
  let store: Store;
  let claimed: ClaimedDelivery[];

  beforeEach(async () => {
    db = await createTestDatabase("sqlite");
    store = await db.open();
    await store.insertTenant(tenant("acme"));
    await store.insertEndpoint(endpoint("acme"));
    await store.ingest(ingestRequest("acme", [event(), event(), event()]));
    claimed = await store.claimDue({ limit: 10, leaseMarginMs: 1_000, now: T0, leaseToken: "t" });
    expect(claimed).toHaveLength(3);
  });

  afterEach(async () => {
    await store.close();
    await db.destroy();
  });

  it("writes the good records of a batch that contains one the store refuses", async () => {
    const refusing: Store = Object.create(store, {
      recordAttempts: {
        value: (records: AttemptRecord[]) =>
          records.some((r) => r.attempt?.responseBody === "POISON")
            ? Promise.reject(Object.assign(new Error("invalid byte sequence"), { code: "22021" }))
            : store.recordAttempts(records),
      },
    });
    const batcher = new RecordBatcher(refusing, pino({ level: "silent" }));
    const [a, b, c] = claimed as [ClaimedDelivery, ClaimedDelivery, ClaimedDelivery];
    batcher.add(record(a, "ok"));
    batcher.add(record(b, "POISON"));
    batcher.add(record(c, "ok"));
    await batcher.drain();
    for (const d of [a, c]) {
      expect((await store.getDelivery("acme", d.id))?.status).toBe("succeeded");
      expect((await store.listAttempts(d.id))[0]?.responseBody).toBe("ok");
    }
    expect((await store.getDelivery("acme", b.id))?.status).toBe("succeeded");
    expect(await store.listAttempts(b.id)).toMatchObject([{ attempt: 1, responseBody: null, statusCode: 200 }]);
  });

  it("waits out an unreachable store and then writes the whole batch", async () => {
    let failures = 2;
    const flaky: Store = Object.create(store, {
      recordAttempts: {
        value: (records: AttemptRecord[]) =>
          failures-- > 0
            ? Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))
            : store.recordAttempts(records),
      },
    });
    const batcher = new RecordBatcher(flaky, pino({ level: "silent" }));
    for (const d of claimed) batcher.add(record(d, "ok"));
    await batcher.drain();
    expect(failures).toBe(-1);
    for (const d of claimed) expect((await store.getDelivery("acme", d.id))?.status).toBe("succeeded");
  });
});
