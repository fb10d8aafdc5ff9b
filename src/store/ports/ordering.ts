/**
 * FIFO lines the tenant can see and act on (docs/delivery.md, "Ordering"): keys halted by a dead delivery on an
 * endpoint with fifo_on_dead = halt, and their release.
 */

export interface HaltedKey {
  endpointId: string;
  /** The line's key: the events' ordering key, or "" for events without one. */
  orderingKey: string;
  /** The dead delivery that halted the key. */
  deliveryId: string;
  haltedAt: number;
}

/**
 * skip: the dead delivery stays dead and the key's next delivery goes; replay: the dead delivery is sent again first
 * (as a replay, a fresh retry cycle), and the key's line continues behind it.
 */
export type HaltRelease = "skip" | "replay";

export interface OrderingPort {
  listHaltedKeys(tenantId: string, endpointId: string): Promise<HaltedKey[]>;
  /** "not_halted" when the key is not halted on that endpoint of the tenant (released meanwhile, or never). */
  releaseHaltedKey(tenantId: string, endpointId: string, orderingKey: string, action: HaltRelease, now: number): Promise<"released" | "not_halted">;
}
