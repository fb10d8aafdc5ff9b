/**
 * Attempt records whose fold into endpoint state had to wait. Recording attempts must never queue behind a claim
 * that holds an endpoint's state lock (on a busy endpoint that wait was most of the delivery time), so the recorder
 * locks endpoint_state with SKIP LOCKED and keeps the records of a locked endpoint here, in arrival order, to fold
 * them with its next batch. The attempt rows themselves are already committed; only the statistics wait. Only
 * batches of plain successes wait this way: a failure (the breaker) or a 429 (the pause) waits for the lock, since
 * the very next claim must see it.
 *
 * What is kept here is per process and lost if the process dies: the breaker then sees a few attempts fewer, which
 * the sliding window absorbs. Records of an endpoint that stays locked for long, or that was deleted, are bounded:
 * past `forceAfter` records the recorder waits for the lock instead, and records older than `maxAgeMs` are dropped.
 */
import type { AttemptRecord } from "../store.ts";

export interface EndpointRecords {
  tenantId: string;
  /** Oldest first. */
  records: AttemptRecord[];
  /** When the oldest of them was first deferred (ms). */
  since: number;
}

export type RecordsByEndpoint = Map<string, EndpointRecords>;

export class DeferredObservations {
  private pending: RecordsByEndpoint = new Map();

  constructor(
    /** Past this many waiting records, an endpoint's fold waits for its lock rather than skip it again. */
    readonly forceAfter = 500,
    readonly maxAgeMs = 60_000,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Removes and returns everything waiting; hand back what is still unfolded with `restore`. */
  takeAll(): RecordsByEndpoint {
    const taken = this.pending;
    this.pending = new Map();
    return taken;
  }

  /**
   * Puts records back in front of any that arrived meanwhile (they are older), dropping those older than maxAgeMs.
   * @returns how many records were dropped for age.
   */
  restore(older: RecordsByEndpoint, now: number): number {
    let dropped = 0;
    for (const [endpointId, group] of older) {
      if (now - group.since > this.maxAgeMs) {
        dropped += group.records.length;
        continue;
      }
      const newer = this.pending.get(endpointId);
      this.pending.set(
        endpointId,
        newer ? { tenantId: group.tenantId, records: [...group.records, ...newer.records], since: group.since } : group,
      );
    }
    return dropped;
  }
}

/** Adds `records` (newer) behind what `into` holds for the same endpoint. */
export function appendRecords(into: RecordsByEndpoint, endpointId: string, tenantId: string, records: AttemptRecord[], now: number): void {
  const group = into.get(endpointId);
  if (group) group.records.push(...records);
  else into.set(endpointId, { tenantId, records: [...records], since: now });
}
