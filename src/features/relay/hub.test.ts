import { describe, expect, it } from "vitest";
import { type RelayAnswer, RelayHub, type RelayRequest } from "./hub.ts";

function sink() {
  const delivered: RelayRequest[] = [];
  let ended = false;
  return { delivered, ended: () => ended, sink: { deliver: (r: RelayRequest) => delivered.push(r), end: () => (ended = true) } };
}

const ok: RelayAnswer = { kind: "response", status: 200, headers: {}, body: "fine", durationMs: 3 };
const request = { headers: { "webhook-id": "evt_1" }, body: "{}" };

describe("RelayHub", () => {
  it("hands a request to the endpoint's session and resolves with the answer posted under its id", async () => {
    const hub = new RelayHub();
    const s = sink();
    hub.attach("acme", "ep_1", s.sink);
    const result = hub.forward("acme", "ep_1", request, new AbortController().signal);
    expect(s.delivered).toHaveLength(1);
    expect(s.delivered[0]).toMatchObject(request);
    expect(hub.answer("acme", "ep_1", s.delivered[0]!.id, ok)).toBe(true);
    expect(await result).toEqual(ok);
    // Answered once: a second answer finds nobody waiting.
    expect(hub.answer("acme", "ep_1", s.delivered[0]!.id, ok)).toBe(false);
  });

  it("is not connected for another tenant, and refuses another tenant's answer", async () => {
    const hub = new RelayHub();
    const s = sink();
    hub.attach("acme", "ep_1", s.sink);
    expect(hub.isConnected("other", "ep_1")).toBe(false);
    expect(await hub.forward("other", "ep_1", request, new AbortController().signal)).toEqual({ kind: "not-connected" });
    expect(s.delivered).toHaveLength(0);
    const result = hub.forward("acme", "ep_1", request, new AbortController().signal);
    expect(hub.answer("other", "ep_1", s.delivered[0]!.id, ok)).toBe(false);
    hub.closeAll();
    expect(await result).toEqual({ kind: "not-connected" });
  });

  it("a newer session replaces the older one, whose waiting requests are answered not-connected", async () => {
    const hub = new RelayHub();
    const first = sink();
    const detachFirst = hub.attach("acme", "ep_1", first.sink);
    const waiting = hub.forward("acme", "ep_1", request, new AbortController().signal);
    const second = sink();
    hub.attach("acme", "ep_1", second.sink);
    expect(first.ended()).toBe(true);
    expect(await waiting).toEqual({ kind: "not-connected" });
    // The old connection closing later must not detach the new session.
    detachFirst();
    expect(hub.isConnected("acme", "ep_1")).toBe(true);
    void hub.forward("acme", "ep_1", request, new AbortController().signal);
    expect(second.delivered).toHaveLength(1);
  });

  it("stops waiting when the caller gives up", async () => {
    const hub = new RelayHub();
    const s = sink();
    hub.attach("acme", "ep_1", s.sink);
    const controller = new AbortController();
    const result = hub.forward("acme", "ep_1", request, controller.signal);
    controller.abort();
    expect(await result).toEqual({ kind: "not-connected" });
    expect(hub.answer("acme", "ep_1", s.delivered[0]!.id, ok)).toBe(false);
  });
});
