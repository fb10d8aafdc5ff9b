/**
 * Prefixed, time-sortable identifiers (`evt_01J...`). The prefix tells a reader what an id names; the ULID after it
 * sorts by creation time, which the stores use for stable cursor pagination.
 */
import { randomFillSync } from "node:crypto";
import { monotonicFactory } from "ulid";

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

export type IdPrefix = "ten" | "ep" | "evt" | "dlv" | "atm" | "key" | "msg" | "oev" | "aud" | "task" | "ps";

/**
 * @example newId("evt") // "evt_01JD7Z6M0Q3X2N4K8V5R9T1B2C"
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${nextUlid()}`;
}

/** Caller-chosen ids (tenants, events) must be URL-safe and short. */
export const CALLER_ID_PATTERN = "^[a-zA-Z0-9_-]{1,64}$";
