/**
 * Owns the bench's settings: every environment variable the bench reads, with its default, in one place. Nothing
 * else in bench/ reads process.env for a setting.
 */

function intFromEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw.replaceAll("_", ""));
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be a whole number >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export type Part = "raw" | "sqlite" | "postgres" | "postgres_scaleout" | "bullmq" | "backlog";
export const ALL_PARTS: readonly Part[] = ["raw", "sqlite", "postgres", "postgres_scaleout", "bullmq", "backlog"];

function partsFromEnv(): ReadonlySet<Part> {
  const raw = process.env.BENCH_ONLY;
  if (!raw) return new Set(ALL_PARTS);
  const parts = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const p of parts) {
    if (!(ALL_PARTS as readonly string[]).includes(p)) {
      throw new Error(`BENCH_ONLY: unknown part ${JSON.stringify(p)}; choose from ${ALL_PARTS.join(",")}`);
    }
  }
  return new Set(parts as Part[]);
}

export interface BenchConfig {
  /** Events per measured run (single-event run and batch run each). */
  n: number;
  /** Pending deliveries preloaded for the large backlog run. */
  backlog: number;
  /** The small backlog the large one is compared with. */
  backlogSmall: number;
  /** Deliveries the backlog rate is measured over (capped by the backlog size). */
  backlogWindow: number;
  /** In-flight requests for the raw ceiling, single-event ingest and the BullMQ worker. */
  concurrency: number;
  /** Events per batch POST (and per BullMQ addBulk chunk). */
  batchSize: number;
  /** Batch POSTs in flight at once. */
  batchConcurrency: number;
  /** Length of the paced run at half the peak deliver rate. */
  pacedSeconds: number;
  /** Events sent (and delivered) before each system's measured runs, to warm up JIT and connections. */
  warmup: number;
  /** A run stops waiting for deliveries when none arrived for this long. */
  stallMs: number;
  pgAdminUrl: string;
  redisHost: string;
  redisPort: number;
  parts: ReadonlySet<Part>;
}

export function loadConfig(): BenchConfig {
  const n = intFromEnv("BENCH_N", 50_000, 100);
  return {
    n,
    backlog: intFromEnv("BENCH_BACKLOG", 1_000_000, 1000),
    backlogSmall: intFromEnv("BENCH_BACKLOG_SMALL", 10_000, 100),
    backlogWindow: intFromEnv("BENCH_BACKLOG_WINDOW", 50_000, 100),
    concurrency: intFromEnv("BENCH_CONCURRENCY", 64),
    batchSize: intFromEnv("BENCH_BATCH_SIZE", 100),
    batchConcurrency: intFromEnv("BENCH_BATCH_CONCURRENCY", 4),
    pacedSeconds: intFromEnv("BENCH_PACED_SECONDS", 10),
    warmup: intFromEnv("BENCH_WARMUP", Math.min(2000, Math.ceil(n / 10)), 0),
    stallMs: intFromEnv("BENCH_STALL_MS", 20_000, 1000),
    pgAdminUrl: process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    redisHost: process.env.BENCH_REDIS_HOST ?? "127.0.0.1",
    redisPort: intFromEnv("BENCH_REDIS_PORT", 6379),
    parts: partsFromEnv(),
  };
}
