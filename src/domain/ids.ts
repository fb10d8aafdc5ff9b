/**
 * Prefixed, time-sortable identifiers (`evt_01J...`). The prefix tells a reader what an id names; the ULID after it
 * sorts by creation time, which the stores use for stable cursor pagination.
 */
import { randomFillSync } from "node:crypto";
import { encodeTime, monotonicFactory, ulid } from "ulid";

/**
 * The ULID library asks its random source once per character, and its default source makes a crypto call each time:
 * 16 calls per id, a few ids per delivery, measurable on the delivery path. This source draws crypto bytes 4 KiB at a
 * time instead. One byte per character stays uniform: 256 is a multiple of the 32-letter alphabet.
 */
const pool = Buffer.alloc(4096);
let pooled = 0;
export function pooledRandom(): number {
  if (pooled === 0) {
    randomFillSync(pool);
    pooled = pool.length;
  }
  pooled--;
  return (pool[pooled] ?? 0) / 256;
}

const nextUlid = monotonicFactory(pooledRandom);

export type IdPrefix = "ten" | "ep" | "evt" | "dlv" | "atm" | "key" | "msg" | "oev" | "aud" | "task" | "ps" | "pfx";

/**
 * @example newId("evt") // "evt_01JD7Z6M0Q3X2N4K8V5R9T1B2C"
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${nextUlid()}`;
}

/** Caller-chosen ids (tenants, events) must be URL-safe and short. */
export const CALLER_ID_PATTERN = "^[a-zA-Z0-9_-]{1,64}$";

/**
 * A delivery's id: a ULID whose time is its event's creation time (not the moment the id was made), so the delivery
 * log's `created_at` windows are ranges of the id index (see deliveryIdBounds) and no index on created_at is needed.
 * @example newDeliveryId(Date.parse("2026-12-05T12:00:00Z")) // "dlv_01KBQ..."
 */
export function newDeliveryId(createdAt: number): string {
  return `dlv_${ulid(createdAt, pooledRandom)}`;
}

/**
 * Bounds on delivery ids for a `created_at` window: every delivery created in [since, until) has an id in
 * [from, to). `marginMs` widens them for deliveries older than this scheme, whose ids were made a little after their
 * event; callers still filter on created_at exactly.
 */
export function deliveryIdBounds(since: number | undefined, until: number | undefined, marginMs = 60_000): { from: string | null; to: string | null } {
  const at = (t: number) => `dlv_${encodeTime(Math.min(Math.max(0, t), 281474976710655), 10)}`;
  return {
    from: since === undefined ? null : at(since - marginMs),
    to: until === undefined ? null : at(until + marginMs),
  };
}
