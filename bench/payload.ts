/**
 * Owns what every system sends: the event (type and ~500-byte data object) published to hookd or enqueued in BullMQ,
 * and, for the senders the bench writes itself (raw ceiling, BullMQ worker), the webhook request hookd would make for
 * it: the Standard Webhooks body `{"id","type","timestamp","data"}` (~600 bytes) and its signed headers.
 */
import { randomBytes } from "node:crypto";
import { signPayload } from "../src/signing/standard-webhooks.ts";

export const EVENT_TYPE = "invoice.paid";
/** Size of the data object as JSON text; the delivered body adds id, type and timestamp (~90 bytes). */
const DATA_BYTES = 510;

const RUN_TAG = randomBytes(3).toString("hex");

/** The event's data; only `seq` varies, so every system serialises and signs the same amount of bytes. */
export function eventData(seq: number): Record<string, unknown> {
  const data: Record<string, unknown> = {
    object: "invoice",
    invoice: `in_${RUN_TAG}_${String(seq).padStart(9, "0")}`,
    customer: { id: "cus_4QFJOjw2pOmAGJ", email: "billing@example.com", name: "Acme Corporation" },
    currency: "eur",
    amount_due: 4200,
    amount_paid: 4200,
    lines: [{ description: "Pro plan (monthly)", quantity: 3, unit_amount: 1400 }],
    status: "paid",
    period: { start: "2026-11-01T00:00:00Z", end: "2026-11-30T23:59:59Z" },
    metadata: { order: `ord_${seq}`, region: "eu-west-1" },
    seq,
    note: "",
  };
  const pad = DATA_BYTES - JSON.stringify(data).length;
  data.note = "x".repeat(Math.max(0, pad));
  return data;
}

/** The data object as text, the way a producer hands it over. */
export function eventDataJson(seq: number): string {
  return JSON.stringify(eventData(seq));
}

/** The webhook body, in the same shape hookd delivers. */
export function webhookBody(id: string, type: string, createdAtMs: number, dataJson: string): string {
  return `{"id":${JSON.stringify(id)},"type":${JSON.stringify(type)},"timestamp":"${new Date(createdAtMs).toISOString()}","data":${dataJson}}`;
}

/** The headers of one signed attempt (Standard Webhooks), as hookd sends them. */
export function webhookHeaders(key: Buffer, id: string, body: string, attempt = 1): Record<string, string> {
  const timestampS = Math.floor(Date.now() / 1000);
  return {
    "content-type": "application/json",
    "user-agent": "hookd-bench/1",
    "webhook-id": id,
    "webhook-timestamp": String(timestampS),
    "webhook-signature": signPayload(key, id, timestampS, body),
    "webhook-attempt": String(attempt),
  };
}
