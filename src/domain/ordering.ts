/**
 * Ordering vocabulary (docs/delivery.md, "Ordering"): an event's ordering key, and the key a FIFO endpoint lines its
 * deliveries up by.
 */

/** An ordering key: 1 to 128 visible ASCII characters (an order id, an account id ...). */
export const ORDERING_KEY_PATTERN = "^[\\x21-\\x7e]{1,128}$";

/** A FIFO endpoint's events without a key share one line: FIFO then applies to the whole endpoint. */
export const WHOLE_ENDPOINT_KEY = "";

/**
 * A parked job's run_at: never due (the largest JavaScript date). A FIFO delivery waiting behind its key's blocked
 * delivery waits as such a job until the cycle that records the blocker's end makes it due.
 */
export const PARKED_RUN_AT = 8_640_000_000_000_000;

/** The line a FIFO endpoint puts an event's delivery in. */
export function lineKey(orderingKey: string | null): string {
  return orderingKey ?? WHOLE_ENDPOINT_KEY;
}
