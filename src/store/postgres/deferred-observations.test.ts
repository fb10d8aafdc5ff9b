import { describe, expect, it } from "vitest";
import type { AttemptRecord } from "../store.ts";
import { appendRecords, DeferredObservations, type RecordsByEndpoint } from "./deferred-observations.ts";

const rec = (id: string, now: number): AttemptRecord =>
  ({ deliveryId: id, leaseToken: "t", attempt: null, status: "succeeded", nextAttemptAt: null, attempts: 1, cycleAttempts: 1, lastStatusCode: 204, lastError: null, now, disableEndpoint: null });

const ids = (m: RecordsByEndpoint, ep: string) => m.get(ep)?.records.map((r) => r.deliveryId);

describe("DeferredObservations", () => {
  it("keeps records in arrival order: restored (older) ones go before those deferred meanwhile", () => {
    const d = new DeferredObservations();
    const older: RecordsByEndpoint = new Map();
    appendRecords(older, "ep_a", "acme", [rec("d1", 1), rec("d2", 2)], 1);
    const taken = d.takeAll();
    expect(taken.size).toBe(0);
    const meanwhile: RecordsByEndpoint = new Map();
    appendRecords(meanwhile, "ep_a", "acme", [rec("d3", 3)], 3);
    appendRecords(meanwhile, "ep_b", "acme", [rec("d4", 3)], 3);
    d.restore(meanwhile, 3);
    expect(d.restore(older, 4)).toBe(0);
    const all = d.takeAll();
    expect(ids(all, "ep_a")).toEqual(["d1", "d2", "d3"]);
    expect(all.get("ep_a")?.since).toBe(1);
    expect(ids(all, "ep_b")).toEqual(["d4"]);
    expect(d.size).toBe(0);
  });

  it("drops records that have waited longer than maxAgeMs (a deleted endpoint is never locked again)", () => {
    const d = new DeferredObservations(500, 60_000);
    const groups: RecordsByEndpoint = new Map();
    appendRecords(groups, "ep_gone", "acme", [rec("d1", 0), rec("d2", 0)], 0);
    appendRecords(groups, "ep_busy", "acme", [rec("d3", 30_000)], 30_000);
    expect(d.restore(groups, 60_001)).toBe(2);
    const left = d.takeAll();
    expect([...left.keys()]).toEqual(["ep_busy"]);
  });

  it("appends newer records behind older ones of the same endpoint", () => {
    const groups: RecordsByEndpoint = new Map();
    appendRecords(groups, "ep_a", "acme", [rec("d1", 1)], 1);
    appendRecords(groups, "ep_a", "acme", [rec("d2", 2)], 2);
    expect(ids(groups, "ep_a")).toEqual(["d1", "d2"]);
    expect(groups.get("ep_a")?.since).toBe(1);
  });
});
