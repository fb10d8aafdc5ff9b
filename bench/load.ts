/**
 * Owns the load shapes, for any system that takes events (hookd's HTTP API, a BullMQ queue): a closed loop of
 * single-event publishes at fixed concurrency, a closed loop of batch publishes, and an open-loop paced run at a
 * fixed offered rate. It measures ack latency per request and keeps what each accepted event was assigned (id and
 * created time) so deliveries can be matched by id. A refused publish is counted, never retried.
 */

export interface Published {
  id: string;
  /** When the system says the event was created (epoch ms). */
  createdAt: number;
}

export interface IngestTarget {
  publishOne(seq: number): Promise<Published>;
  publishBatch(seqs: number[]): Promise<Published[]>;
}

export interface LoadResult {
  published: Published[];
  /** Ack latency of every successful request (ms). */
  ackMs: number[];
  startMs: number;
  endMs: number;
  errors: number;
  errorSamples: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Recorder {
  readonly published: Published[] = [];
  readonly ackMs: number[] = [];
  readonly errorSamples: string[] = [];
  errors = 0;
  readonly startMs = Date.now();

  async time(fn: () => Promise<Published[]>): Promise<void> {
    const t0 = performance.now();
    try {
      const out = await fn();
      this.ackMs.push(performance.now() - t0);
      for (const p of out) this.published.push(p);
    } catch (err) {
      this.errors++;
      if (this.errorSamples.length < 5) this.errorSamples.push(err instanceof Error ? err.message : String(err));
    }
  }

  finish(): LoadResult {
    return {
      published: this.published,
      ackMs: this.ackMs,
      startMs: this.startMs,
      endMs: Date.now(),
      errors: this.errors,
      errorSamples: this.errorSamples,
    };
  }
}

/** `n` single-event publishes, `concurrency` in flight at once. */
export async function singleLoad(target: IngestTarget, n: number, concurrency: number, seq0: number): Promise<LoadResult> {
  const rec = new Recorder();
  let next = 0;
  const loop = async () => {
    for (let i = next++; i < n; i = next++) {
      const seq = seq0 + i;
      await rec.time(async () => [await target.publishOne(seq)]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return rec.finish();
}

/** `n` events in batches of `batchSize`, `concurrency` batches in flight at once. */
export async function batchLoad(
  target: IngestTarget,
  n: number,
  batchSize: number,
  concurrency: number,
  seq0: number,
): Promise<LoadResult> {
  const rec = new Recorder();
  let next = 0;
  const loop = async () => {
    while (next < n) {
      const from = next;
      const to = Math.min(n, from + batchSize);
      next = to;
      const seqs = Array.from({ length: to - from }, (_, i) => seq0 + from + i);
      await rec.time(() => target.publishBatch(seqs));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return rec.finish();
}

export interface PacedResult extends LoadResult {
  /** The rate actually offered (events over the time the last one was sent). */
  offeredRps: number;
  mode: "single" | "batch";
}

/**
 * Open loop: every `tickMs` it publishes whatever is due at `rate` events/s, as single publishes (each its own
 * request) or as one batch per tick. It never waits for acks before sending more, up to `maxInFlight` requests; when
 * that many are outstanding the system is not keeping up and the offered rate drops, which the result shows.
 */
export async function pacedLoad(
  target: IngestTarget,
  rate: number,
  seconds: number,
  mode: "single" | "batch",
  seq0: number,
  maxInFlight = 512,
  tickMs = 10,
): Promise<PacedResult> {
  const rec = new Recorder();
  const total = Math.max(1, Math.round(rate * seconds));
  const inFlight = new Set<Promise<void>>();
  const t0 = performance.now();
  let sent = 0;
  let lastSendAt = t0;
  const launch = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    while (sent < due && inFlight.size < maxInFlight) {
      if (mode === "single") {
        const seq = seq0 + sent;
        sent++;
        launch(rec.time(async () => [await target.publishOne(seq)]));
      } else {
        const k = Math.min(due - sent, 1000);
        const seqs = Array.from({ length: k }, (_, i) => seq0 + sent + i);
        sent += k;
        launch(rec.time(() => target.publishBatch(seqs)));
      }
      lastSendAt = performance.now();
    }
    if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    else await sleep(tickMs);
  }
  await Promise.all(inFlight);
  const spanS = Math.max(lastSendAt - t0, tickMs) / 1000;
  return { ...rec.finish(), offeredRps: total / spanS, mode };
}
