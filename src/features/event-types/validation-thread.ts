/**
 * The work a validation thread does (validation-pool.ts sends it): compile a tenant's schema, or check a request's
 * events against their types' schemas. It runs off the API's event loop so that a costly schema or event can only
 * ever hold this thread, which the pool stops when the request's time limit runs out.
 *
 * Compiled validators are cached per thread by the type's key (tenant, name, revision), within a byte budget for the
 * schema source behind them: compiled code is roughly the schema's size and more, and schemas may be 64 KiB each.
 */
import type { MessagePort } from "node:worker_threads";
import { LRUCache } from "lru-cache";
import { AppError } from "../../errors/app-error.ts";
import { compileEventSchema, type EventValidator, MAX_REPORTED_ERRORS } from "./schema-compiler.ts";

const MAX_CACHED_VALIDATORS = 2_000;
const MAX_CACHED_SCHEMA_BYTES = 16 * 1024 * 1024;

export interface EventToCheck {
  /** The key of its type's schema in ValidateTask.schemas. */
  key: string;
  data: unknown;
}

/** What the pool asks a thread to do. */
export type TaskInput =
  | { kind: "check"; schema: string }
  | { kind: "validate"; schemas: Record<string, string>; events: EventToCheck[] };

/** A task as the thread receives it: `started` tells the pool that the task's time limit starts now. */
export type ValidationTask = TaskInput & { started: MessagePort };

export interface EventProblem {
  /** The event's position in the request. */
  index: number;
  instance_path: string;
  message: string;
}

export type ValidationAnswer =
  | { kind: "check"; refused: string | null }
  | {
      kind: "validate";
      /** At most MAX_REPORTED_ERRORS, in event order. */
      problems: EventProblem[];
      /** Stored schemas that no longer compile, by key, with the reason: they are not enforced. */
      broken: Record<string, string>;
    };

type Compiled = { validate: EventValidator } | { refused: string };

const cache = new LRUCache<string, { compiled: Compiled; bytes: number }>({
  max: MAX_CACHED_VALIDATORS,
  maxSize: MAX_CACHED_SCHEMA_BYTES,
  sizeCalculation: (entry) => Math.max(1, entry.bytes),
});

function compile(source: string): Compiled {
  try {
    return { validate: compileEventSchema(JSON.parse(source) as Record<string, unknown>) };
  } catch (err) {
    if (err instanceof AppError) return { refused: err.message };
    throw err;
  }
}

function compiled(key: string, source: string): Compiled {
  let entry = cache.get(key);
  if (!entry) {
    entry = { compiled: compile(source), bytes: source.length };
    cache.set(key, entry);
  }
  return entry.compiled;
}

/** Piscina calls this for each task; the `started` port tells the pool the time limit starts now. */
export function validateTask(task: ValidationTask): ValidationAnswer {
  task.started.postMessage("started");
  task.started.close();
  if (task.kind === "check") {
    const result = compile(task.schema);
    return { kind: "check", refused: "refused" in result ? result.refused : null };
  }
  const problems: EventProblem[] = [];
  const broken: Record<string, string> = {};
  for (let index = 0; index < task.events.length && problems.length < MAX_REPORTED_ERRORS; index++) {
    const event = task.events[index]!;
    const source = task.schemas[event.key];
    if (source === undefined) continue;
    const result = compiled(event.key, source);
    if ("refused" in result) {
      broken[event.key] = result.refused;
      continue;
    }
    for (const p of result.validate(event.data)) {
      if (problems.length >= MAX_REPORTED_ERRORS) break;
      problems.push({ index, ...p });
    }
  }
  return { kind: "validate", problems, broken };
}
