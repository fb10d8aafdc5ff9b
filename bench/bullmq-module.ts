/**
 * Owns loading BullMQ. It is a dependency of the benchmark's baseline only and lives in bench/package.json (installed
 * into bench/node_modules by `npm run bench`), not in hookd's own tree, so it is imported at run time and described
 * here by the few types the bench uses: `tsc --noEmit` over the repository passes on a clean clone without it.
 */

export type { WebhookJob } from "./webhook-post.ts";

export interface BullJobOptions {
  attempts?: number;
  backoff?: { type: "exponential" | "fixed"; delay: number };
  removeOnComplete?: boolean | number;
  removeOnFail?: boolean | number;
}

export interface BullJob<T> {
  data: T;
  /** When the job was created (epoch ms), set by the producer. */
  timestamp: number;
  attemptsMade: number;
}

export interface BullQueue<T> {
  add(name: string, data: T, opts?: BullJobOptions): Promise<BullJob<T>>;
  addBulk(jobs: { name: string; data: T; opts?: BullJobOptions }[]): Promise<BullJob<T>[]>;
  obliterate(opts?: { force?: boolean }): Promise<void>;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export interface BullWorker {
  on(event: "failed" | "error", listener: (...args: unknown[]) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}

export interface RedisConnection {
  host: string;
  port: number;
  maxRetriesPerRequest?: null;
}

export interface BullmqModule {
  Queue: new <T>(name: string, opts: { connection: RedisConnection }) => BullQueue<T>;
  Worker: new <T>(
    name: string,
    processor: (job: BullJob<T>) => Promise<void>,
    opts: { connection: RedisConnection; concurrency: number },
  ) => BullWorker;
}

export async function loadBullmq(): Promise<BullmqModule> {
  const specifier: string = "bullmq";
  try {
    return (await import(specifier)) as BullmqModule;
  } catch (err) {
    throw new Error(
      `BullMQ is not installed for the bench (${(err as Error).message}). ` +
        "Run `npm run bench` (it installs bench/package.json first) or `npm install --prefix bench`.",
    );
  }
}
