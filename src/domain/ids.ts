/**
 * Prefixed, time-sortable identifiers (`evt_01J...`). The prefix tells a reader what an id names; the ULID after it
 * sorts by creation time, which the stores use for stable cursor pagination.
 */
import { monotonicFactory } from "ulid";

const nextUlid = monotonicFactory();

export type IdPrefix = "ten" | "ep" | "evt" | "dlv" | "atm" | "key" | "msg" | "oev" | "aud" | "task";

/**
 * @example newId("evt") // "evt_01JD7Z6M0Q3X2N4K8V5R9T1B2C"
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${nextUlid()}`;
}

/** Caller-chosen ids (tenants, events) must be URL-safe and short. */
export const CALLER_ID_PATTERN = "^[a-zA-Z0-9_-]{1,64}$";
