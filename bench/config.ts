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

export type Part = "raw" | "sqlite" | "postgres" | "postgres_scaleout" | "bullmq" | "pgqueue" | "backlog" | "fleet";
export const ALL_PARTS: readonly Part[] = [
  "raw",
  "sqlite",
  "postgres",
  "postgres_scaleout",
  "bullmq",
  "pgqueue",
  "backlog",
  "fleet",
];

/** The PostgreSQL job queues the `pgqueue` baseline can run. */
export type PgQueueLib = "graphile-worker" | "pg-boss";
const PGQUEUE_LIBS: readonly PgQueueLib[] = ["graphile-worker", "pg-boss"];

function choiceFromEnv<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new Error(`${name}: unknown value ${JSON.stringify(raw)}; choose from ${choices.join(", ")}`);
  }
  return raw as T;
}

function listFromEnv<T extends string>(name: string, choices: readonly T[], fallback: readonly T[]): T[] {
  const raw = process.env[name];
  if (!raw) return [...fallback];
  const items = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!(choices as readonly string[]).includes(item)) {
      throw new Error(`${name}: unknown value ${JSON.stringify(item)}; choose from ${choices.join(", ")}`);
    }
  }
  return items as T[];
}

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
  /**
   * A measured run is sized to take about this long at the rate the warm-up delivered (N is the upper bound), and a
   * backlog run measures at most this long: a slow system (hookd today delivers ~33/s to one endpoint with default
   * settings) is measured on fewer events instead of for hours.
   */
  runMaxS: number;
  /** Which PostgreSQL queue the `pgqueue` baseline runs, and how its consumer fetches (see pgqueue-*.ts). */
  pgQueue: PgQueueLib;
  graphileLocalQueue: number;
  pgbossLoops: number;
  pgbossBatch: number;
  /** The runs whose PostgreSQL cost is measured (each costs one ~11 s settle of the statistics). */
  costRuns: ("single" | "batch")[];
  fleet: FleetConfig;
  pgAdminUrl: string;
  redisHost: string;
  redisPort: number;
  parts: ReadonlySet<Part>;
}

/** The fleet run's shape: many endpoints that must cost nothing, and a few healthy ones whose latency is measured. */
export interface FleetConfig {
  stores: ("sqlite" | "postgres")[];
  /** Tenants holding the endpoints whose only work is a retry an hour out, and endpoints per tenant. */
  notDueTenants: number;
  notDuePerTenant: number;
  /** Endpoints whose breaker is open, and the due deliveries each holds behind it. */
  breakerEndpoints: number;
  breakerBacklog: number;
  /** Endpoints on a receiver that never answers, and the deliveries each is given (more than max_in_flight). */
  hangingEndpoints: number;
  hangingBacklog: number;
  /** Healthy endpoints on the sink and the paced load they share. */
  healthyEndpoints: number;
  healthyRate: number;
  healthySeconds: number;
  /** After the load ends, how long to wait for the last healthy delivery before the run is VOID. */
  waitSeconds: number;
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
    runMaxS: intFromEnv("BENCH_RUN_MAX_S", 30),
    pgQueue: choiceFromEnv("BENCH_PGQUEUE", PGQUEUE_LIBS, "graphile-worker"),
    graphileLocalQueue: intFromEnv("BENCH_GRAPHILE_LOCAL_QUEUE", 500, 0),
    pgbossLoops: intFromEnv("BENCH_PGBOSS_LOOPS", 2),
    pgbossBatch: intFromEnv("BENCH_PGBOSS_BATCH", 1000),
    costRuns: listFromEnv("BENCH_COST_RUNS", ["single", "batch"] as const, ["single", "batch"]),
    fleet: {
      stores: listFromEnv("BENCH_FLEET_STORES", ["sqlite", "postgres"] as const, ["sqlite", "postgres"]),
      notDueTenants: intFromEnv("BENCH_FLEET_TENANTS", 100),
      notDuePerTenant: intFromEnv("BENCH_FLEET_ENDPOINTS_PER_TENANT", 100),
      breakerEndpoints: intFromEnv("BENCH_FLEET_BREAKER", 100, 0),
      breakerBacklog: intFromEnv("BENCH_FLEET_BREAKER_BACKLOG", 5),
      hangingEndpoints: intFromEnv("BENCH_FLEET_HANGING", 100, 0),
      hangingBacklog: intFromEnv("BENCH_FLEET_HANGING_BACKLOG", 20),
      healthyEndpoints: intFromEnv("BENCH_FLEET_HEALTHY", 10),
      healthyRate: intFromEnv("BENCH_FLEET_RATE", 200),
      healthySeconds: intFromEnv("BENCH_FLEET_SECONDS", 20),
      waitSeconds: intFromEnv("BENCH_FLEET_WAIT_S", 10),
    },
    pgAdminUrl: process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    redisHost: process.env.BENCH_REDIS_HOST ?? "127.0.0.1",
    redisPort: intFromEnv("BENCH_REDIS_PORT", 6379),
    parts: partsFromEnv(),
  };
}
