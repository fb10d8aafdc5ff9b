/**
 * The FIFO side of a lane (delivery/lane.ts): one request per line at a time, in stream order, lines in parallel,
 * and what a blocked line does with the work that arrives for it.
 */
import { describe, expect, it } from "vitest";
import { initialEndpointState } from "../domain/endpoint-state.ts";
import type { EndpointConfig, WorkItem } from "../store/ports/queue.ts";
import { EndpointLane } from "./lane.ts";

const config: EndpointConfig = {
  endpointId: "ep_1",
  tenantId: "acme",
  type: "http",
  version: 1,
  url: "https://example.com/hook",
  signatureScheme: "hmac_sha256",
  sealedSecret: "sealed",
  previousSealedSecret: null,
  previousSecretExpiresAt: null,
  headers: {},
  timeoutMs: 1_000,
  maxInFlight: 8,
  rateLimitPerS: null,
  retryScheduleS: null,
  payloadMode: "full",
  oauth2: null,
  mtls: null,
  ordering: "fifo",
  fifoOnDead: "continue",
  disabled: false,
  stateResetAt: 0,
};

function lane(ordering: "fifo" | "none" = "fifo"): EndpointLane {
  return new EndpointLane({
    owner: { endpointId: "ep_1", epoch: 1 },
    config: { ...config, ordering },
    state: initialEndpointState(),
    ackedSeq: 0,
    ownedUntil: 60_000,
    now: 0,
  });
}

function item(seq: number, key: string | null, over: Partial<WorkItem> = {}): WorkItem {
  return {
    deliveryId: `dlv_${seq}`,
    tenantId: "acme",
    eventId: `evt_${seq}`,
    endpointId: "ep_1",
    source: { kind: "stream", seq },
    seq,
    orderingKey: key,
    blocked: false,
    attempts: 0,
    cycleAttempts: 0,
    hadFailure: false,
    event: { type: "a.b", dataJson: "{}", createdAt: 0 },
    ...over,
  };
}

const seqOf = (w: WorkItem | undefined) => w?.seq;

describe("FIFO lane", () => {
  it("sends one item per key at a time, in stream order, and keys in parallel", () => {
    const l = lane();
    for (const [seq, key] of [[1, "a"], [2, "a"], [3, "b"], [4, null], [5, null]] as const) l.add(item(seq, key));
    expect([l.take(), l.take(), l.take(), l.take()].map(seqOf)).toEqual([1, 3, 4, undefined]);
    expect(l.lineFinished("a", false)).toEqual([]);
    expect(seqOf(l.take())).toBe(2);
    expect(l.take()).toBeUndefined();
    l.lineFinished("", false);
    expect(seqOf(l.take())).toBe(5);
  });

  it("a line blocked by a retry hands back its waiting items and parks what arrives until the cycle recorded it", () => {
    const l = lane();
    for (const [seq, key] of [[1, "a"], [2, "b"], [3, "a"], [4, "a"]] as const) l.add(item(seq, key));
    expect(seqOf(l.take())).toBe(1);
    const parked = l.lineFinished("a", true);
    expect(parked.map((w) => w.seq)).toEqual([3, 4]);
    expect(l.queued).toBe(1);
    // Still outstanding: the stream cursor waits until the parks are recorded.
    expect(l.ackAfter(new Set())).toBe(0);
    expect(l.add(item(5, "a"))).toBe("park");
    expect(l.add(item(6, "b"))).toBe("queued");
    expect(seqOf(l.take())).toBe(2);
    l.lineRecorded("a");
    expect(l.add(item(7, "a"))).toBe("queued");
  });

  it("parks a position the store found blocked, and ignores the flag without FIFO", () => {
    expect(lane().add(item(1, "a", { blocked: true }))).toBe("park");
    const plain = lane("none");
    expect(plain.add(item(1, "a", { blocked: true }))).toBe("queued");
    plain.add(item(2, "a"));
    expect([plain.take(), plain.take()].map(seqOf)).toEqual([1, 2]);
  });

  it("a job of a line (its retry, or a released parked delivery) goes before the line's stream items", () => {
    const l = lane();
    l.add(item(9, "a"));
    l.add(item(4, "a", { source: { kind: "job", runAt: 0 }, deliveryId: "dlv_4" }));
    expect(seqOf(l.take())).toBe(4);
    expect(l.take()).toBeUndefined();
  });
});
