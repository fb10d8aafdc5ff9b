/**
 * Contract cases for retention, run by store-contract.ts on both adapters, on a controlled clock: payload expunge
 * (on request and by age), attempt deletion and response-body clearing in batches, and replay refusing expunged
 * events.
 */
import { beforeEach, expect, it } from "vitest";
import type { Store } from "../../src/store/store.ts";
import { attemptRecord, claimDue, endpoint, event, ingestRequest, type Recorded, recordAttempts, T0, type Taken, tenant } from "./fixtures.ts";

const DAY = 86_400_000;

function attempt(d: Taken, now: number, ok: boolean): Recorded {
  return attemptRecord(d, now, { status: ok ? 200 : 500, durationMs: 3, responseBody: ok ? "fine" : "broken" });
}

export function retentionCases(getStore: () => Store): void {
  let store: Store;
  beforeEach(async () => {
    store = getStore();
    await store.insertTenant(tenant("acme"));
    await store.insertEndpoint(endpoint("acme"));
  });
  const claim = (now: number) => claimDue(store, now, `tok-${now}`);

  it("expunges one payload on request: data gone, waiting deliveries dead, replay refused, summary kept", async () => {
    await store.ingest(ingestRequest("acme", [event({ id: "e1", dataJson: '{"card":"4242"}' })]));
    const [d] = await claim(T0);
    await recordAttempts([attempt(d!, T0 + 1, false)]);
    expect(await store.expungeEventPayload("acme", "e1", T0 + 2)).toBe(true);
    expect(await store.getEvent("acme", "e1")).toMatchObject({ dataJson: "", payloadExpungedAt: T0 + 2, type: "invoice.paid" });
    expect(await store.getDelivery("acme", d!.id)).toMatchObject({
      status: "dead",
      attempts: 1,
      lastStatusCode: 500,
      lastError: "payload expunged",
    });
    expect(await store.listAttempts(d!.id)).toHaveLength(1);
    expect(await store.replayDelivery("acme", d!.id, T0 + 3)).toBe("payload_expunged");
    expect(await store.replayEndpoint("acme", d!.endpointId, "dead", null, T0 + 3)).toBe(0);
    expect(await claim(T0 + 4)).toEqual([]);
    // Idempotent, keeps the first time; unknown events and other tenants' events are not found.
    expect(await store.expungeEventPayload("acme", "e1", T0 + 5)).toBe(true);
    expect((await store.getEvent("acme", "e1"))?.payloadExpungedAt).toBe(T0 + 2);
    expect(await store.expungeEventPayload("acme", "nope", T0 + 5)).toBe(false);
    await store.insertTenant(tenant("other"));
    expect(await store.expungeEventPayload("other", "e1", T0 + 5)).toBe(false);
  });

  it("expunges payloads by age in batches, skipping events with a delivery still waiting", async () => {
    const old = Array.from({ length: 5 }, (_, i) => event({ id: `old${i}`, createdAt: T0 + i }));
    await store.ingest(ingestRequest("acme", old));
    await store.ingest(ingestRequest("acme", [event({ id: "young", createdAt: T0 + 10 * DAY })]));
    // Deliver all but old4, which stays pending.
    const due = await claim(T0 + 10 * DAY);
    await recordAttempts(due.filter((d) => d.eventId !== "old4").map((d) => attempt(d, T0 + 10 * DAY, true)));

    const cutoff = T0 + 5 * DAY;
    expect(await store.expungePayloadsBefore(cutoff, 2, T0 + 11 * DAY)).toBe(2);
    expect(await store.expungePayloadsBefore(cutoff, 2, T0 + 11 * DAY)).toBe(2);
    expect(await store.expungePayloadsBefore(cutoff, 2, T0 + 11 * DAY)).toBe(0);
    for (let i = 0; i < 4; i++) expect((await store.getEvent("acme", `old${i}`))?.payloadExpungedAt).toBe(T0 + 11 * DAY);
    expect((await store.getEvent("acme", "old4"))?.dataJson).toBe('{"amount":42}');
    expect((await store.getEvent("acme", "young"))?.payloadExpungedAt).toBeNull();
  });

  it("deletes attempts and clears response bodies by age, keeping the delivery summary", async () => {
    await store.ingest(ingestRequest("acme", [event({ id: "e1" })]));
    let [d] = await claim(T0);
    for (let i = 0; i < 3; i++) {
      await recordAttempts([attempt(d!, T0 + i * DAY, false)]);
      [d] = await claim(T0 + i * DAY + 1);
    }
    await recordAttempts([attempt(d!, T0 + 3 * DAY, true)]);
    const id = d!.id;
    // Bodies of attempts started before day 2, batch of 1 with a moving watermark.
    let from = 0;
    let scanned = 0;
    for (;;) {
      const r = await store.clearResponseBodies(from, T0 + 2 * DAY, 1);
      scanned += r.scanned;
      if (r.lastStartedAt !== null) from = r.lastStartedAt + 1;
      if (r.scanned < 1) break;
    }
    expect(scanned).toBe(2);
    expect((await store.listAttempts(id)).map((a) => a.responseBody)).toEqual([null, null, "broken", "fine"]);
    // Attempts started before day 1.5: the first two.
    expect(await store.deleteAttemptsBefore(T0 + 1.5 * DAY, 10)).toBe(2);
    expect((await store.listAttempts(id)).map((a) => a.attempt)).toEqual([3, 4]);
    expect(await store.deleteAttemptsBefore(T0 + 1.5 * DAY, 10)).toBe(0);
    expect(await store.getDelivery("acme", id)).toMatchObject({ status: "succeeded", attempts: 4, lastStatusCode: 200 });
  });
}
