/**
 * One endpoint this worker owns (store/ports/queue.ts): its work waiting to be sent, its requests in flight, its
 * isolation state and concurrency limit, and the bookkeeping that tells the store how far its stream is done.
 *
 * Stream positions: the lane has seen every position up to `streamEnd` (fetched in order, so nothing below it can
 * appear later). A position is outstanding from the moment it is fetched until the cycle that records its outcome
 * commits; skipped positions were never outstanding. The store's acked position may therefore move to just before
 * the lowest outstanding one, or to `streamEnd` when none is: a new owner starts there and sends again only what was
 * in flight, which at-least-once allows.
 *
 * FIFO endpoints (docs/architecture.md, "Ordering"): each delivery belongs to its key's line, and a line sends one
 * request at a time, in stream order. A line is blocked while its delivery waits for a retry or halted it: what
 * arrives for it then is parked by the store (a never-due job) instead of held here, so the stream cursor moves on.
 * The store says which fetched positions are blocked; `blockedKeys` covers the gap until the cycle that records a
 * blocking outcome has committed (a refill running meanwhile cannot see it yet).
 */
import type { EndpointState } from "../domain/endpoint-state.ts";
import { startingLimit } from "../isolation/concurrency-limit.ts";
import { lineKey } from "../domain/ordering.ts";
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
  /** When work was last fetched for this lane (taken over, or refilled). */
  lastRefillAt: number;
  /** Dropped: the store said another worker owns the endpoint now (or it is gone). Outcomes are discarded. */
  lost = false;
  /**
   * Counts changes to the endpoint announced since the lane was taken (QueuePort.subscribeEndpointChanges), and the
   * count its config is known to be current for: while they differ, nothing is sent (the endpoint may be disabled).
   */
  configWanted = 0;
  configHave = 0;
  /** FIFO: lines with a request in flight (or finished and not yet known to be done). */
  readonly activeKeys = new Set<string>();
  /** FIFO: lines blocked by outcomes (a retry, a halt) that no cycle has recorded yet, with how many. */
  readonly blockedKeys = new Map<string, number>();

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
    this.lastRefillAt = args.now;
  }

  get owner(): Ownership {
    return { endpointId: this.endpointId, epoch: this.epoch };
  }

  /** The endpoint changed and the next cycle must bring its config before anything more is sent. */
  get configStale(): boolean {
    return this.configWanted !== this.configHave;
  }

  get fifo(): boolean {
    return this.config.ordering === "fifo";
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

  /**
   * Takes fetched work in. Returns "park" for a FIFO stream position whose line is blocked: it stays outstanding
   * until the cycle that parks it (the worker's job) has recorded that.
   */
  add(item: WorkItem): "queued" | "park" | "known" {
    if (item.source.kind === "stream") {
      if (item.source.seq <= this.streamEnd && this.outstanding.has(item.source.seq)) return "known";
      this.outstanding.add(item.source.seq);
      if (this.fifo && (item.blocked || this.blockedKeys.has(lineKey(item.orderingKey)))) return "park";
      this.stream.push(item);
    } else {
      if (this.heldJobs.has(item.deliveryId)) return "known";
      this.heldJobs.add(item.deliveryId);
      this.jobs.push(item);
    }
    const size = itemSize(item);
    this.queuedBytes += size;
    this.itemBytes = Math.max(size, Math.round(0.95 * this.itemBytes + 0.05 * size));
    return "queued";
  }

  /** The stream has been read up to `seq` (what a fetch looked at, skipped positions included). */
  seen(seq: number): void {
    if (seq > this.streamEnd) this.streamEnd = seq;
  }

  take(): WorkItem | undefined {
    if (this.fifo) return this.takeInLine();
    const fromJobs = this.jobs.length > 0 && (this.nextFromJobs || this.stream.length === 0);
    this.nextFromJobs = !fromJobs;
    const item = fromJobs ? this.jobs.shift() : this.stream.shift();
    if (item) this.queuedBytes -= itemSize(item);
    return item;
  }

  /**
   * FIFO: the first waiting item whose line is free, jobs first (a line's job is its head: a retry, or the parked
   * delivery its predecessor released), then the stream in order. Its line is busy until finished() frees it.
   */
  private takeInLine(): WorkItem | undefined {
    for (const list of [this.jobs, this.stream]) {
      const i = list.findIndex((w) => this.lineFree(lineKey(w.orderingKey)));
      if (i < 0) continue;
      const [item] = list.splice(i, 1);
      this.activeKeys.add(lineKey(item!.orderingKey));
      this.queuedBytes -= itemSize(item!);
      return item;
    }
    return undefined;
  }

  private lineFree(key: string): boolean {
    return !this.activeKeys.has(key) && !this.blockedKeys.has(key);
  }

  /**
   * FIFO: a request of the line ended. `blocks` (a retry is due later, or the key halted): the line stays shut
   * until the cycle recording it commits, and its waiting stream items are handed back for parking.
   */
  lineFinished(key: string, blocks: boolean): WorkItem[] {
    this.activeKeys.delete(key);
    if (!blocks) return [];
    this.blockedKeys.set(key, (this.blockedKeys.get(key) ?? 0) + 1);
    const parked = this.stream.filter((w) => lineKey(w.orderingKey) === key);
    if (parked.length === 0) return parked;
    for (const w of parked) this.queuedBytes -= itemSize(w);
    const rest = this.stream.filter((w) => lineKey(w.orderingKey) !== key);
    this.stream.length = 0;
    this.stream.push(...rest);
    return parked;
  }

  /** FIFO: a cycle recorded a blocking outcome of the line: from now on the store's fetches see the block. */
  lineRecorded(key: string): void {
    const n = (this.blockedKeys.get(key) ?? 0) - 1;
    if (n > 0) this.blockedKeys.set(key, n);
    else this.blockedKeys.delete(key);
  }

  /** Puts back an item that was taken but not sent (shutdown, a lost lane): it stays outstanding or held. */
  giveBack(item: WorkItem): void {
    if (this.fifo) this.activeKeys.delete(lineKey(item.orderingKey));
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
