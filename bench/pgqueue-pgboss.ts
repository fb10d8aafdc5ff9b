/**
 * Owns pg-boss (v10, the last release for Node 20) as the PostgreSQL-queue baseline: the producer (`send` per event,
 * `insert` per batch: one multi-row INSERT) and the consumer run in the worker child. pg-boss polls (no LISTEN), at
 * most every 0.5 s per `work` loop, and a loop fetches its next batch only after the whole previous one is handled,
 * so its fast path is large batches on more than one loop: `BENCH_PGBOSS_LOOPS` loops (v10's replacement for
 * teamSize) of `BENCH_PGBOSS_BATCH` jobs, polling every 0.5 s, the jobs of all loops sharing 64 requests in flight
 * like the other systems. A batch's failed jobs are failed by id (so pg-boss retries just those); the rest complete
 * when the handler returns. Jobs get 8 attempts (retryLimit 7) with pg-boss's exponential backoff.
 */
import type { IngestTarget, Published } from "./load.ts";
import { EVENT_TYPE, eventDataJson } from "./payload.ts";
import { loadPgBoss, type PgBoss, type PgBossRetry } from "./pgqueue-module.ts";
import type { WebhookSender } from "./webhook-post.ts";

const QUEUE = "webhook";
const RETRY: PgBossRetry = { retryLimit: 7, retryDelay: 1, retryBackoff: true };

interface Payload {
  id: string;
  type: string;
  data: string;
  created: number;
}

async function openBoss(connectionString: string, producerOnly: boolean): Promise<PgBoss> {
  const { default: PgBossClass } = await loadPgBoss();
  // Housekeeping (supervision, cron) runs in the consumer, as in a typical deployment with one worker service.
  const boss = new PgBossClass(producerOnly ? { connectionString, supervise: false, schedule: false } : { connectionString });
  boss.on("error", (err) => process.stderr.write(`pg-boss: ${err instanceof Error ? err.message : String(err)}\n`));
  await boss.start();
  return boss;
}

export class PgBossProducer implements IngestTarget {
  private constructor(
    private readonly boss: PgBoss,
    private readonly tag: string,
  ) {}

  /** Connects, installs pg-boss's schema (pgboss.*) and creates the queue. */
  static async open(connectionString: string, tag: string): Promise<PgBossProducer> {
    const boss = await openBoss(connectionString, true);
    await boss.createQueue(QUEUE, RETRY);
    return new PgBossProducer(boss, tag);
  }

  private payload(seq: number): Payload {
    return { id: `evt_${this.tag}_${seq}`, type: EVENT_TYPE, data: eventDataJson(seq), created: Date.now() };
  }

  async publishOne(seq: number): Promise<Published> {
    const p = this.payload(seq);
    await this.boss.send(QUEUE, p, RETRY);
    return { id: p.id, createdAt: p.created };
  }

  async publishBatch(seqs: number[]): Promise<Published[]> {
    const payloads = seqs.map((seq) => this.payload(seq));
    await this.boss.insert(payloads.map((data) => ({ name: QUEUE, data, ...RETRY })));
    return payloads.map((p) => ({ id: p.id, createdAt: p.created }));
  }

  close(): Promise<void> {
    return this.boss.stop({ graceful: false, wait: true });
  }
}

/** A counting semaphore: at most `limit` holders at once. */
function limiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active >= limit) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

export async function startPgBossConsumer(
  connectionString: string,
  concurrency: number,
  loops: number,
  batchSize: number,
  sender: WebhookSender,
  onFailure: () => void,
): Promise<() => Promise<void>> {
  const boss = await openBoss(connectionString, false);
  const slot = limiter(concurrency);
  for (let i = 0; i < loops; i++) {
    await boss.work<Payload>(
      QUEUE,
      { batchSize, pollingIntervalSeconds: 0.5, includeMetadata: true },
      async (jobs) => {
        const failed: string[] = [];
        await Promise.all(
          jobs.map((job) =>
            slot(() => sender.send(job.data, job.data.created, (job.retryCount ?? 0) + 1)).catch(() => {
              onFailure();
              failed.push(job.id);
            }),
          ),
        );
        if (failed.length > 0) await boss.fail(QUEUE, failed, { message: "endpoint did not answer 2xx" });
      },
    );
  }
  return () => boss.stop({ graceful: true, wait: true, timeout: 10_000 });
}
