/**
 * One endpoint this worker owns (store/ports/queue.ts): its work waiting to be sent, its requests in flight, its
 * isolation state and concurrency limit, and the bookkeeping that tells the store how far its stream is done.
 *
 * Stream positions: the lane has seen every position up to `streamEnd` (fetched in order, so nothing below it can
 * appear later). A position is outstanding from the moment it is fetched until the cycle that records its outcome
 * commits; skipped positions were never outstanding. The store's acked position may therefore move to just before
 * the lowest outstanding one, or to `streamEnd` when none is: a new owner starts there and sends again only what was
 * in flight, which at-least-once allows.
 */
import type { EndpointState } from "../domain/endpoint-state.ts";
import { startingLimit } from "../isolation/concurrency-limit.ts";
import type { EndpointConfig, Ownership, WorkItem } from "../store/ports/queue.ts";

/** What a work item costs beside its event data (ids, strings, the object). */
export const ITEM_OVERHEAD_BYTES = 512;

export function itemSize(item: WorkItem): number {
  return ITEM_OVERHEAD_BYTES + item.event.dataJson.length;
}

export class EndpointLane {
  readonly endpointId: string;
  readonly tenantId: string;
  readonly epoch: number;
  config: EndpointConfig;
  state: EndpointState;
  /** Ownership holds until then (renewed by cycles). */
  ownedUntil: number;
  limit: number;
  inFlight = 0;
  /** The store has every stream position up to here as done. */
  ackedSeq: number;
  /** Every stream position up to here has been fetched or skipped. */
  streamEnd: number;
  readonly outstanding = new Set<number>();
  /** Jobs this lane holds (waiting, in flight or awaiting their cycle), by delivery id. */
  readonly heldJobs = new Set<string>();
  /** Bytes of event data in the work waiting here (not in flight): the worker's prefetch budget counts them. */
  queuedBytes = 0;
  /** Bytes of this endpoint's recent work items, leaning to the largest, for sizing its next fetch. */
  itemBytes = ITEM_OVERHEAD_BYTES + 1_024;
  private readonly stream: WorkItem[] = [];
  private readonly jobs: WorkItem[] = [];
  /** First attempts and retries take turns. */
  private nextFromJobs = false;
  /** The isolation state changed since it was last written back. */
  stateDirty = false;
  /** When the state was last written back; 0 asks for a write at the next cycle (a breaker or pause change). */
  stateWrittenAt: number;
  /** Counts state changes, so a cycle that wrote an older state does not mark a newer one as written. */
  stateSeq = 0;
  /** A reason to disable the endpoint, to be written by the next cycle, and the delivery that caused it (410). */
  disableReason: string | null = null;
  disableCause: { deliveryId: string; eventId: string } | null = null;
  /** The last refill found nothing new, so the endpoint may have nothing left. */
  drained = false;
  /** Dropped: the store said another worker owns the endpoint now (or it is gone). Outcomes are discarded. */
  lost = false;
  /**
   * Counts changes to the endpoint announced since the lane was taken (QueuePort.subscribeEndpointChanges), and the
   * count its config is known to be current for: while they differ, nothing is sent (the endpoint may be disabled).
   */
  configWanted = 0;
  configHave = 0;

  constructor(args: { owner: Ownership; config: EndpointConfig; state: EndpointState; ackedSeq: number; ownedUntil: number; now: number }) {
    this.endpointId = args.owner.endpointId;
    this.epoch = args.owner.epoch;
    this.tenantId = args.config.tenantId;
    this.config = args.config;
    this.state = args.state;
    this.ownedUntil = args.ownedUntil;
    this.ackedSeq = args.ackedSeq;
    this.streamEnd = args.ackedSeq;
    this.limit = startingLimit(args.state.concurrencyLimit, args.config.maxInFlight);
    this.stateWrittenAt = args.now;
  }

  get owner(): Ownership {
    return { endpointId: this.endpointId, epoch: this.epoch };
  }

  /** The endpoint changed and the next cycle must bring its config before anything more is sent. */
  get configStale(): boolean {
    return this.configWanted !== this.configHave;
  }

  get queued(): number {
    return this.stream.length + this.jobs.length;
  }

  get queuedStream(): number {
    return this.stream.length;
  }

  get queuedJobs(): number {
    return this.jobs.length;
  }

  add(item: WorkItem): void {
    if (item.source.kind === "stream") {
      if (item.source.seq <= this.streamEnd && this.outstanding.has(item.source.seq)) return;
      this.outstanding.add(item.source.seq);
      this.stream.push(item);
    } else {
      if (this.heldJobs.has(item.deliveryId)) return;
      this.heldJobs.add(item.deliveryId);
      this.jobs.push(item);
    }
    const size = itemSize(item);
    this.queuedBytes += size;
    this.itemBytes = Math.max(size, Math.round(0.95 * this.itemBytes + 0.05 * size));
  }

  /** The stream has been read up to `seq` (what a fetch looked at, skipped positions included). */
  seen(seq: number): void {
    if (seq > this.streamEnd) this.streamEnd = seq;
  }

  take(): WorkItem | undefined {
    const fromJobs = this.jobs.length > 0 && (this.nextFromJobs || this.stream.length === 0);
    this.nextFromJobs = !fromJobs;
    const item = fromJobs ? this.jobs.shift() : this.stream.shift();
    if (item) this.queuedBytes -= itemSize(item);
    return item;
  }

  /** Puts back an item that was taken but not sent (shutdown, a lost lane): it stays outstanding or held. */
  giveBack(item: WorkItem): void {
    if (item.source.kind === "stream") this.stream.unshift(item);
    else this.jobs.unshift(item);
    this.queuedBytes += itemSize(item);
  }

  /**
   * The acked position the store may move to once the given stream positions (this cycle's outcomes) are recorded.
   */
  ackAfter(recorded: ReadonlySet<number>): number {
    let lowest = Number.POSITIVE_INFINITY;
    for (const seq of this.outstanding) if (!recorded.has(seq) && seq < lowest) lowest = seq;
    return Number.isFinite(lowest) ? lowest - 1 : this.streamEnd;
  }

  /** A cycle recorded the outcome of this item. */
  settled(item: { source: WorkItem["source"]; deliveryId: string }): void {
    if (item.source.kind === "stream") this.outstanding.delete(item.source.seq);
    else this.heldJobs.delete(item.deliveryId);
  }

  /** Nothing waiting, nothing in flight, and nothing unrecorded once these outcomes are. */
  idleAfter(recordedSeqs: ReadonlySet<number>, recordedJobs: ReadonlySet<string>): boolean {
    if (this.queued > 0 || this.inFlight > 0) return false;
    for (const seq of this.outstanding) if (!recordedSeqs.has(seq)) return false;
    for (const id of this.heldJobs) if (!recordedJobs.has(id)) return false;
    return true;
  }

  /** A new isolation state; `urgent` ones (breaker or pause changes) are written by the very next cycle. */
  changeState(state: EndpointState, urgent: boolean): void {
    this.state = state;
    this.stateSeq++;
    this.stateDirty = true;
    if (urgent) this.stateWrittenAt = 0;
  }

  /** A cycle that wrote the state as it was at `seq` committed. */
  stateWritten(seq: number, now: number): void {
    if (seq !== this.stateSeq) return;
    this.stateDirty = false;
    this.stateWrittenAt = now;
  }

  /** The state to write back: with the live request count and limit, for the health API and the next owner. */
  stateToWrite(): EndpointState {
    return { ...this.state, inFlight: this.inFlight, concurrencyLimit: this.limit };
  }
}
