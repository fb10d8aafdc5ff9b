/**
 * Schema validation off the API's event loop, with a time limit per request, so that a hostile schema or event
 * costs its sender and nobody else (issue 13: one 256 KB event could block every request, `/healthz` included, for
 * seconds; with `allOf` of ten patterns, for most of a minute).
 *
 * Work goes to a small pool of threads (piscina). A task's time limit starts when a thread begins it (the thread
 * says so through a MessagePort), not when it is queued, so time spent waiting behind others never counts against a
 * request. When the limit runs out the thread is stopped (piscina terminates it and starts another), and the request
 * is refused with 422 SCHEMA_TOO_COSTLY; a thread that runs out of memory is refused the same way.
 *
 * Tenants take turns: each has its own queue, and a free thread takes the next task from the next tenant in round
 * robin. So a tenant flooding the pool with costly requests waits behind itself; another tenant's request waits for
 * at most one of its tasks per thread, each bounded by the time limit.
 *
 * Compiling a schema when it is saved goes through the pool too, under the same limit: a large schema can take tens
 * of milliseconds to compile.
 */
import { availableParallelism } from "node:os";
import { MessageChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import { AppError } from "../../errors/app-error.ts";
import type { EventToCheck, TaskInput, ValidationAnswer } from "./validation-thread.ts";

/** Threads idle this long are stopped; the next request starts one again (which takes a few hundred ms). */
const IDLE_TIMEOUT_MS = 5 * 60_000;
/** Heap of one validation thread: compiled validators (a 16 MiB source budget) and one request's work. */
const THREAD_HEAP_MB = 256;


interface Job {
  task: TaskInput;
  resolve: (answer: ValidationAnswer) => void;
  reject: (err: unknown) => void;
}

export interface ValidationPoolOptions {
  /** HOOKD_SCHEMA_VALIDATION_TIMEOUT_MS */
  timeLimitMs: number;
  /** Default: up to 2, never more than the machine's cores. */
  threads?: number;
}

export class SchemaValidationPool {
  private readonly pool: Piscina;
  private readonly threads: number;
  private readonly queues = new Map<string, Job[]>();
  /** Tenants with queued jobs, in the order they get a thread. */
  private readonly turns: string[] = [];
  private running = 0;

  constructor(private readonly opts: ValidationPoolOptions) {
    this.threads = opts.threads ?? Math.max(1, Math.min(2, availableParallelism()));
    this.pool = new Piscina({
      filename: new URL("./validation-thread-boot.mjs", import.meta.url).href,
      minThreads: 0,
      maxThreads: this.threads,
      idleTimeout: IDLE_TIMEOUT_MS,
      resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB, maxYoungGenerationSizeMb: 16 },
    });
  }

  /**
   * Checks the events against their types' schemas (by key, in `schemas`).
   * @throws AppError SCHEMA_TOO_COSTLY past the time limit
   */
  async validate(tenantId: string, schemas: Record<string, string>, events: EventToCheck[]) {
    const answer = await this.submit(tenantId, { kind: "validate", schemas, events });
    if (answer.kind !== "validate") throw new Error("validation thread answered the wrong kind of task");
    return answer;
  }

  /**
   * Compiles a schema being saved.
   * @returns why it is refused (an INVALID_SCHEMA message), or null
   * @throws AppError SCHEMA_TOO_COSTLY past the time limit
   */
  async check(tenantId: string, schema: Record<string, unknown>): Promise<string | null> {
    const answer = await this.submit(tenantId, { kind: "check", schema: JSON.stringify(schema) });
    if (answer.kind !== "check") throw new Error("validation thread answered the wrong kind of task");
    return answer.refused;
  }

  /** Stops the threads; queued and running work is refused. */
  async close(): Promise<void> {
    for (const [, jobs] of this.queues) for (const job of jobs.splice(0)) job.reject(new Error("validation pool closed"));
    await this.pool.destroy();
  }

  private submit(tenantId: string, task: TaskInput): Promise<ValidationAnswer> {
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(tenantId);
      if (!queue) {
        queue = [];
        this.queues.set(tenantId, queue);
        this.turns.push(tenantId);
      }
      queue.push({ task, resolve, reject });
      this.pump();
    });
  }

  /** Starts queued jobs while threads are free, one tenant at a time in turn. */
  private pump(): void {
    while (this.running < this.threads && this.turns.length > 0) {
      const tenantId = this.turns.shift()!;
      const queue = this.queues.get(tenantId)!;
      const job = queue.shift()!;
      if (queue.length > 0) this.turns.push(tenantId);
      else this.queues.delete(tenantId);
      this.running++;
      void this.run(job).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(job: Job): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    port1.once("message", () => {
      timer = setTimeout(() => controller.abort(), this.opts.timeLimitMs);
    });
    try {
      const answer = (await this.pool.run({ ...job.task, started: port2 }, {
        transferList: [port2],
        signal: controller.signal,
      })) as ValidationAnswer;
      job.resolve(answer);
    } catch (err) {
      job.reject(controller.signal.aborted || isOutOfMemory(err) ? tooCostly(this.opts.timeLimitMs) : err);
    } finally {
      clearTimeout(timer);
      port1.close();
    }
  }
}

function isOutOfMemory(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY";
}

function tooCostly(limitMs: number): AppError {
  return new AppError(
    "SCHEMA_TOO_COSTLY",
    `checking the event data against its type's schema took more than ${limitMs} ms (HOOKD_SCHEMA_VALIDATION_TIMEOUT_MS) ` +
      "or more memory than allowed; nothing was written: simplify the schema or send smaller events",
  );
}
