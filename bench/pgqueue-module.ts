/**
 * Owns loading the PostgreSQL queues of the `pgqueue` baseline, graphile-worker and pg-boss. Like BullMQ they are
 * dependencies of the bench only (bench/package.json, installed by `npm run bench`), imported at run time and
 * described here by the few types the bench uses, so `tsc --noEmit` over the repository passes on a clean clone
 * without them.
 */
import type { PgQueueLib } from "./config.ts";

// graphile-worker ---------------------------------------------------------------------------------------------------

export interface GraphileJobSpec {
  identifier: string;
  payload: unknown;
  maxAttempts?: number;
}

export interface GraphileWorkerUtils {
  addJob(identifier: string, payload: unknown, spec?: { maxAttempts?: number }): Promise<unknown>;
  addJobs(specs: GraphileJobSpec[]): Promise<unknown[]>;
  migrate(): Promise<void>;
  release(): Promise<void>;
}

export interface GraphileHelpers {
  job: { attempts: number };
}

export interface GraphileRunner {
  stop(): Promise<void>;
  promise: Promise<void>;
}

export type GraphileLogFunction = (level: string, message: string, meta?: unknown) => void;

export interface GraphileModule {
  makeWorkerUtils(opts: { connectionString: string }): Promise<GraphileWorkerUtils>;
  run(opts: {
    connectionString: string;
    concurrency: number;
    noHandleSignals: boolean;
    taskList: Record<string, (payload: unknown, helpers: GraphileHelpers) => Promise<void>>;
    logger?: unknown;
    preset?: { worker?: Record<string, unknown> };
  }): Promise<GraphileRunner>;
  Logger: new (factory: (scope: unknown) => GraphileLogFunction) => unknown;
}

// pg-boss -----------------------------------------------------------------------------------------------------------

export interface PgBossRetry {
  retryLimit: number;
  retryDelay: number;
  retryBackoff: boolean;
}

export interface PgBossJob<T> {
  id: string;
  data: T;
  retryCount?: number;
}

export interface PgBoss {
  start(): Promise<unknown>;
  stop(opts?: { graceful?: boolean; wait?: boolean; timeout?: number }): Promise<void>;
  on(event: "error", listener: (err: unknown) => void): unknown;
  createQueue(name: string, opts?: Partial<PgBossRetry>): Promise<void>;
  send(name: string, data: object, opts?: Partial<PgBossRetry>): Promise<string | null>;
  insert(jobs: ({ name: string; data: object } & Partial<PgBossRetry>)[]): Promise<void>;
  work<T>(
    name: string,
    opts: { batchSize: number; pollingIntervalSeconds: number; includeMetadata?: boolean },
    handler: (jobs: PgBossJob<T>[]) => Promise<void>,
  ): Promise<string>;
  fail(name: string, ids: string[], data?: object): Promise<void>;
}

export interface PgBossModule {
  default: new (opts: Record<string, unknown>) => PgBoss;
}

// loading -----------------------------------------------------------------------------------------------------------

async function load<T>(specifier: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (err) {
    throw new Error(
      `${specifier} is not installed for the bench (${(err as Error).message}). ` +
        "Run `npm run bench` (it installs bench/package.json first) or `npm install --prefix bench`.",
    );
  }
}

export function loadGraphileWorker(): Promise<GraphileModule> {
  const specifier: string = "graphile-worker";
  return load<GraphileModule>(specifier);
}

export function loadPgBoss(): Promise<PgBossModule> {
  const specifier: string = "pg-boss";
  return load<PgBossModule>(specifier);
}

/** Resolves when the chosen library can be imported; rejects with how to install it. */
export async function checkPgQueue(lib: PgQueueLib): Promise<void> {
  if (lib === "graphile-worker") await loadGraphileWorker();
  else await loadPgBoss();
}
