/**
 * Owns graphile-worker as the PostgreSQL-queue baseline: the producer (WorkerUtils `addJob` per event, `addJobs` per
 * batch; one shared pool, not `quickAddJob`, which opens a pool per call) and the consumer run in the worker child
 * (`run` with a task list, concurrency 64 like the other systems). Jobs get 8 attempts; graphile-worker's own
 * exponential backoff spaces them. The consumer uses the library's documented fast path for many short jobs
 * (worker.graphile.org/docs/performance#batching): a local queue that locks a batch of jobs per fetch (500 by
 * default, `BENCH_GRAPHILE_LOCAL_QUEUE`: the docs start at concurrency + 1 and advise far more for high throughput of
 * very short tasks; 500 delivered about a third more than 65 here), and batched completion and failure
 * (`completeJobBatchDelay`/`failJobBatchDelay` 0: batch whatever finished in the same tick).
 * `BENCH_GRAPHILE_LOCAL_QUEUE=0` turns both off (one fetch and one completion per job, the defaults).
 */
import type { IngestTarget, Published } from "./load.ts";
import { EVENT_TYPE, eventDataJson } from "./payload.ts";
import { type GraphileWorkerUtils, loadGraphileWorker } from "./pgqueue-module.ts";
import type { WebhookSender } from "./webhook-post.ts";

const TASK = "webhook";
export const ATTEMPTS = 8;

/** The job payload: the webhook job plus the producer's clock at enqueue (the e2e start, like BullMQ's timestamp). */
interface Payload {
  id: string;
  type: string;
  data: string;
  created: number;
}

export class GraphileProducer implements IngestTarget {
  private constructor(
    private readonly utils: GraphileWorkerUtils,
    private readonly tag: string,
  ) {}

  /** Connects and installs graphile-worker's schema (graphile_worker.*) in the database. */
  static async open(connectionString: string, tag: string): Promise<GraphileProducer> {
    const lib = await loadGraphileWorker();
    const utils = await lib.makeWorkerUtils({ connectionString });
    await utils.migrate();
    return new GraphileProducer(utils, tag);
  }

  private payload(seq: number): Payload {
    return { id: `evt_${this.tag}_${seq}`, type: EVENT_TYPE, data: eventDataJson(seq), created: Date.now() };
  }

  async publishOne(seq: number): Promise<Published> {
    const p = this.payload(seq);
    await this.utils.addJob(TASK, p, { maxAttempts: ATTEMPTS });
    return { id: p.id, createdAt: p.created };
  }

  async publishBatch(seqs: number[]): Promise<Published[]> {
    const payloads = seqs.map((seq) => this.payload(seq));
    await this.utils.addJobs(payloads.map((payload) => ({ identifier: TASK, payload, maxAttempts: ATTEMPTS })));
    return payloads.map((p) => ({ id: p.id, createdAt: p.created }));
  }

  close(): Promise<void> {
    return this.utils.release();
  }
}

/** Starts consuming; resolves once the runner is up. Returns how to stop it. */
export async function startGraphileConsumer(
  connectionString: string,
  concurrency: number,
  localQueueSize: number,
  sender: WebhookSender,
  onFailure: () => void,
): Promise<() => Promise<void>> {
  const lib = await loadGraphileWorker();
  // graphile-worker logs every job failure at error level; the bench counts them instead of printing each.
  const logger = new lib.Logger(() => (level, message) => {
    if (level === "error" && !message.includes("failed with error")) process.stderr.write(`graphile-worker: ${message}\n`);
  });
  const batching = localQueueSize > 0 ? { localQueue: { size: localQueueSize }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } : {};
  const runner = await lib.run({
    connectionString,
    concurrency,
    noHandleSignals: true,
    logger,
    preset: { worker: { ...batching } },
    taskList: {
      [TASK]: async (payload, helpers) => {
        const p = payload as Payload;
        try {
          await sender.send(p, p.created, helpers.job.attempts);
        } catch (err) {
          onFailure();
          throw err;
        }
      },
    },
  });
  return () => runner.stop();
}
