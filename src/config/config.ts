/**
 * Every setting hookd reads, with its default and a line of documentation. This is the only module that looks at
 * environment variables: `loadConfig(process.env)` validates all keys at once, reports every problem together and
 * returns a frozen object. docs/configuration.md lists the same keys and defaults (a test keeps them in step).
 */
import { parseRetrySchedule } from "../delivery/retry-schedule.ts";
import { parseCidrList } from "../outbound/network-policy.ts";
import { parseMasterKey } from "../secrets/master-key.ts";
import { DEFAULT_ALLOWED_PORTS, type PortRange, parsePortList } from "../outbound/port-list.ts";
import { parseSecret } from "../signing/secret.ts";

export type Role = "all" | "api" | "worker";

export interface Config {
  databaseUrl: string;
  host: string;
  port: number;
  adminKey: string | null;
  retryScheduleS: readonly number[];
  allowedNetworks: readonly string[];
  allowedPorts: readonly PortRange[];
  requireHttps: boolean;
  logLevel: string;
  workerConcurrency: number;
  workerMaxEndpoints: number;
  leaseMarginMs: number;
  pollIntervalMs: number;
  shutdownGraceMs: number;
  pgPoolSize: number;
  encryptionKey: string | null;
  previousEncryptionKeys: readonly string[];
  newEncryptionKey: string | null;
  breakerFailurePercent: number;
  breakerMinAttempts: number;
  breakerWindowMs: number;
  breakerConsecutiveTimeouts: number;
  breakerCooldownMs: number;
  breakerMaxCooldownMs: number;
  recoveryRampMs: number;
  autoDisableAfterMs: number;
  operatorWebhookUrl: string | null;
  operatorWebhookSecret: string | null;
  metricsAuth: "none" | "admin";
  metricsTenantLabels: boolean;
  retentionDays: number;
  eventRetentionDays: number;
  attemptBodyRetentionDays: number | null;
  retentionIntervalMs: number;
  strictEventTypes: boolean;
  schemaValidationTimeoutMs: number;
  deliveryThread: boolean;
  publicUrl: string | null;
  relayUrl: string | null;
  maxEventBytes: number;
  maxThinEventBytes: number;
  payloadUrlTtlS: number;
  outboxUrls: readonly string[];
  outboxPollIntervalMs: number;
  otlpEndpoint: string | null;
  otlpTracesEndpoint: string | null;
  otlpProtocol: OtlpProtocol;
  otlpTracesProtocol: OtlpProtocol | null;
  otlpHeaders: Readonly<Record<string, string>>;
  otlpTracesHeaders: Readonly<Record<string, string>>;
  otelServiceName: string;
  otelSdkDisabled: boolean;
  quotaMaxEndpoints: number;
  quotaMaxDeliveriesPerRequest: number;
  quotaDeliveriesPerSecond: number;
  quotaIngestRequestsPerSecond: number;
  quotaIngestBytesPerSecond: number;
  quotaMaxStoredBytes: number;
}

/** The OTLP transports hookd exports traces with (OTEL_EXPORTER_OTLP_PROTOCOL). */
export type OtlpProtocol = "http/protobuf" | "http/json";

interface Setting<K extends keyof Config> {
  env: string;
  key: K;
  doc: string;
  default: Config[K];
  /** The default as it would be written in the environment, when that is not simply `String(default)`. */
  defaultText?: string;
  parse: (raw: string) => Config[K];
  /** Never echo the value in an error message (keys). */
  sensitive?: boolean;
}

function int(min: number, max: number): (raw: string) => number {
  return (raw) => {
    if (!/^\d+$/.test(raw.trim())) throw new Error(`must be an integer from ${min} to ${max}`);
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

const text = (raw: string): string => raw;

/** A master key: validated here so a bad one is reported with the other settings, kept as its text. */
const masterKey = (raw: string): string => parseMasterKey(raw).bytes.toString("base64");

function bool(raw: string): boolean {
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new Error("must be true or false");
}

function httpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error("must be an http:// or https:// URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("must be an http:// or https:// URL");
  return raw;
}

function otlpProtocol(raw: string): OtlpProtocol {
  if (raw === "http/protobuf" || raw === "http/json") return raw;
  if (raw === "grpc") throw new Error("grpc is not supported: use http/protobuf or http/json (a collector's port 4318)");
  throw new Error("must be http/protobuf or http/json");
}

/** `k1=v1,k2=v2` with URL-encoded values, as the OpenTelemetry specification writes OTLP headers. */
function otlpHeaders(raw: string): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(",")) {
    if (pair.trim() === "") continue;
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    if (eq < 1 || name === "") throw new Error("must be name=value pairs, comma-separated");
    try {
      out[name.toLowerCase()] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw new Error(`the value of ${name} is not URL-encoded correctly`);
    }
  }
  return Object.freeze(out);
}

export const SETTINGS = [
  {
    env: "HOOKD_DATABASE_URL",
    key: "databaseUrl",
    doc: "sqlite:<path> (embedded, the default) or postgres://... (scale-out).",
    default: "sqlite:./data/hookd.db",
    parse: (raw: string) => {
      if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(raw)) throw new Error("must start with sqlite: or postgres://");
      return raw;
    },
  },
  {
    env: "HOOKD_HOST",
    key: "host",
    doc: "Address the HTTP API listens on: loopback by default; 0.0.0.0 (all interfaces) in a container or behind a proxy.",
    default: "127.0.0.1",
    parse: text,
  },
  { env: "HOOKD_PORT", key: "port", doc: "Port the HTTP API listens on (0 picks a free one).", default: 8080, parse: int(0, 65535) },
  {
    env: "HOOKD_ADMIN_KEY",
    key: "adminKey",
    doc: "Admin API key. Unset with an empty store: one is generated and printed once; only its hash is kept.",
    default: null,
    parse: (raw: string) => {
      if (raw.length < 16) throw new Error("must be at least 16 characters");
      return raw;
    },
  },
  {
    env: "HOOKD_RETRY_SCHEDULE",
    key: "retryScheduleS",
    doc: "Comma-separated seconds before each attempt; the default is Stripe-like, 8 attempts over about 2 days.",
    default: Object.freeze([0, 300, 1800, 7200, 18000, 36000, 43200, 43200]),
    parse: parseRetrySchedule,
  },
  {
    env: "HOOKD_ALLOWED_NETWORKS",
    key: "allowedNetworks",
    doc: "Comma-separated CIDRs that endpoints may target despite being loopback or private (local development).",
    default: Object.freeze([] as string[]),
    parse: parseCidrList,
  },
  {
    env: "HOOKD_ALLOWED_PORTS",
    key: "allowedPorts",
    doc: "Ports endpoint URLs may use: comma-separated ports and ranges. Others (22, 25, 6379 ...) are refused.",
    default: Object.freeze(parsePortList(DEFAULT_ALLOWED_PORTS)),
    defaultText: DEFAULT_ALLOWED_PORTS,
    parse: parsePortList,
  },
  {
    env: "HOOKD_REQUIRE_HTTPS",
    key: "requireHttps",
    doc: "true refuses plain http endpoint URLs when saved, and at delivery for endpoints saved before it was set.",
    default: false,
    parse: bool,
  },
  { env: "HOOKD_LOG_LEVEL", key: "logLevel", doc: "pino level: fatal, error, warn, info, debug, trace or silent.", default: "info", parse: (raw: string) => {
      if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(raw)) throw new Error("unknown level");
      return raw;
    } },
  { env: "HOOKD_WORKER_CONCURRENCY", key: "workerConcurrency", doc: "Requests a worker process has under way at once; one open over a second (a slow receiver) stops counting, up to 16x this open in all.", default: 64, parse: int(1, 10_000) },
  {
    env: "HOOKD_WORKER_MAX_ENDPOINTS",
    key: "workerMaxEndpoints",
    doc: "Endpoints one worker process sends to at once; other workers take the rest.",
    default: 1_024,
    parse: int(1, 100_000),
  },
  {
    env: "HOOKD_LEASE_MARGIN_MS",
    key: "leaseMarginMs",
    doc: "A worker holds an endpoint for its timeout plus this, renewed while it sends; a crashed worker's endpoints move on after.",
    default: 5_000,
    parse: int(500, 600_000),
  },
  { env: "HOOKD_POLL_INTERVAL_MS", key: "pollIntervalMs", doc: "Idle poll for scheduled retries (new events wake workers at once).", default: 500, parse: int(10, 60_000) },
  { env: "HOOKD_SHUTDOWN_GRACE_MS", key: "shutdownGraceMs", doc: "On SIGTERM, how long in-flight requests may finish before the rest are aborted and their endpoints handed back.", default: 10_000, parse: int(0, 300_000) },
  { env: "HOOKD_PG_POOL_SIZE", key: "pgPoolSize", doc: "PostgreSQL connections per process.", default: 10, parse: int(1, 200) },
  {
    env: "HOOKD_ENCRYPTION_KEY",
    key: "encryptionKey",
    doc: "Base64 of 32 random bytes (openssl rand -base64 32): encrypts endpoint secrets. Required with PostgreSQL; embedded, a key file beside the database is generated when unset.",
    default: null,
    parse: masterKey,
    sensitive: true,
  },
  {
    env: "HOOKD_PREVIOUS_ENCRYPTION_KEYS",
    key: "previousEncryptionKeys",
    doc: "Comma-separated older encryption keys that still decrypt (never encrypt), while a key rotation is rolled out.",
    default: Object.freeze([] as string[]),
    parse: (raw: string) => Object.freeze(raw.split(",").map((k) => masterKey(k.trim()))),
    sensitive: true,
  },
  {
    env: "HOOKD_NEW_ENCRYPTION_KEY",
    key: "newEncryptionKey",
    doc: "Read only by `hookd rotate-encryption-key`: the key to re-encrypt every endpoint secret under.",
    default: null,
    parse: masterKey,
    sensitive: true,
  },
  {
    env: "HOOKD_BREAKER_FAILURE_PERCENT",
    key: "breakerFailurePercent",
    doc: "An endpoint's breaker opens when this share (percent) of the attempts in its window failed...",
    default: 50,
    parse: int(1, 100),
  },
  { env: "HOOKD_BREAKER_MIN_ATTEMPTS", key: "breakerMinAttempts", doc: "...and the window holds at least this many attempts.", default: 10, parse: int(1, 100_000) },
  { env: "HOOKD_BREAKER_WINDOW_MS", key: "breakerWindowMs", doc: "Length of the breaker's sliding window.", default: 60_000, parse: int(1_000, 3_600_000) },
  {
    env: "HOOKD_BREAKER_TIMEOUTS",
    key: "breakerConsecutiveTimeouts",
    doc: "The breaker also opens after this many timeouts in a row.",
    default: 5,
    parse: int(1, 1_000),
  },
  {
    env: "HOOKD_BREAKER_COOLDOWN_MS",
    key: "breakerCooldownMs",
    doc: "How long an open breaker waits before one probe; doubles on each re-open.",
    default: 30_000,
    parse: int(100, 86_400_000),
  },
  {
    env: "HOOKD_BREAKER_MAX_COOLDOWN_MS",
    key: "breakerMaxCooldownMs",
    doc: "The cool-down never doubles beyond this.",
    default: 600_000,
    parse: int(100, 86_400_000),
  },
  {
    env: "HOOKD_RECOVERY_RAMP_MS",
    key: "recoveryRampMs",
    doc: "After a breaker closes, the endpoint's rate climbs back to its old throughput over this long (0: no ramp).",
    default: 300_000,
    parse: int(0, 86_400_000),
  },
  {
    env: "HOOKD_AUTO_DISABLE_AFTER_MS",
    key: "autoDisableAfterMs",
    doc: "An endpoint whose attempts have all failed for this long, with no success, is disabled (default 5 days).",
    default: 432_000_000,
    parse: int(60_000, 365 * 86_400_000),
  },
  {
    env: "HOOKD_OPERATOR_WEBHOOK_URL",
    key: "operatorWebhookUrl",
    doc: "When set, operational events (endpoint disabled/enabled, delivery dead/recovered) are delivered here, signed.",
    default: null,
    parse: (raw: string) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new Error("must be an absolute http or https URL");
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("must be an absolute http or https URL");
      return raw;
    },
  },
  {
    env: "HOOKD_PUBLIC_URL",
    key: "publicUrl",
    doc: "The address people reach hookd at (e.g. https://hooks.example.com), for the portal links hookd hands out; unset: the scheme and host of the request that asked for the link.",
    default: null,
    parse: (raw: string) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new Error("must be an absolute http or https URL without a path");
      }
      if ((url.protocol !== "http:" && url.protocol !== "https:") || url.pathname !== "/" || url.search || url.hash) {
        throw new Error("must be an absolute http or https URL without a path");
      }
      return url.origin;
    },
  },
  {
    env: "HOOKD_RELAY_URL",
    key: "relayUrl",
    doc: "The address other hookd processes reach this API process at (e.g. http://10.0.3.7:8080), where workers send relay endpoints' deliveries for the hookd listen sessions it holds; unset: the address it listens on, right for one machine.",
    default: null,
    parse: (raw: string) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new Error("must be an absolute http or https URL without a path");
      }
      if ((url.protocol !== "http:" && url.protocol !== "https:") || url.pathname !== "/" || url.search || url.hash) {
        throw new Error("must be an absolute http or https URL without a path");
      }
      return url.origin;
    },
  },
  {
    env: "HOOKD_OPERATOR_WEBHOOK_SECRET",
    key: "operatorWebhookSecret",
    doc: "whsec_ signing secret for the operator webhook; unset: one is generated when the webhook is first set up and printed once.",
    default: null,
    parse: (raw: string) => {
      parseSecret(raw);
      return raw;
    },
  },
  {
    env: "HOOKD_METRICS_AUTH",
    key: "metricsAuth",
    doc: "Who may read GET /metrics: none (no key, the usual for a scraper on a private network) or admin (the admin key).",
    default: "none" as const,
    parse: (raw: string): "none" | "admin" => {
      if (raw !== "none" && raw !== "admin") throw new Error("must be none or admin");
      return raw;
    },
  },
  {
    env: "HOOKD_METRICS_TENANT_LABELS",
    key: "metricsTenantLabels",
    doc: "Add a tenant_id label to per-tenant metrics (one series per tenant: only with few tenants).",
    default: false,
    parse: bool,
  },
  {
    env: "HOOKD_RETENTION_DAYS",
    key: "retentionDays",
    doc: "Expunge event payloads and delete attempt rows older than this many days (delivery summaries stay); 0 keeps all.",
    default: 30,
    parse: int(0, 36_500),
  },
  {
    env: "HOOKD_EVENT_RETENTION_DAYS",
    key: "eventRetentionDays",
    doc:
      "Delete finished deliveries (succeeded or dead) with their attempts, then events with no delivery left, older than " +
      "this many days; a tenant's event_retention_days overrides it; 0 keeps all.",
    default: 30,
    parse: int(0, 36_500),
  },
  {
    env: "HOOKD_ATTEMPT_BODY_RETENTION_DAYS",
    key: "attemptBodyRetentionDays",
    doc: "Clear attempt response bodies older than this many days (shorter than HOOKD_RETENTION_DAYS); unset: the same.",
    default: null,
    parse: int(1, 36_500),
  },
  {
    env: "HOOKD_RETENTION_INTERVAL_MS",
    key: "retentionIntervalMs",
    doc: "How often each worker process runs the retention job (payloads, attempts, bodies, idempotency keys, stats).",
    default: 600_000,
    parse: int(1_000, 86_400_000),
  },
  {
    env: "HOOKD_STRICT_EVENT_TYPES",
    key: "strictEventTypes",
    doc: "true: events must have a type the tenant declared, and endpoints may subscribe only to declared, unarchived types.",
    default: false,
    parse: bool,
  },
  {
    env: "HOOKD_SCHEMA_VALIDATION_TIMEOUT_MS",
    key: "schemaValidationTimeoutMs",
    doc: "Most time one request's schema validation may run (on a validation thread); beyond it the request is refused with 422 SCHEMA_TOO_COSTLY.",
    default: 2_000,
    parse: int(100, 60_000),
  },
  {
    env: "HOOKD_DELIVERY_THREAD",
    key: "deliveryThread",
    doc: "Embedded (SQLite) serve only: deliver from a worker thread with its own connection, so ingest and delivery use two cores.",
    default: true,
    parse: bool,
  },
  {
    env: "HOOKD_MAX_EVENT_BYTES",
    key: "maxEventBytes",
    doc: "Largest event data (JSON bytes) hookd delivers in full; a larger one is refused (413) unless its tenant has oversized_events: thin.",
    default: 256 * 1024,
    parse: int(1_024, 16 * 1024 * 1024),
  },
  {
    env: "HOOKD_MAX_THIN_EVENT_BYTES",
    key: "maxThinEventBytes",
    doc: "Largest event data accepted for a tenant with oversized_events: thin; such events are delivered thin to every endpoint.",
    default: 4 * 1024 * 1024,
    parse: int(1_024, 32 * 1024 * 1024),
  },
  {
    env: "HOOKD_PAYLOAD_URL_TTL_S",
    key: "payloadUrlTtlS",
    doc: "How long the signed payload_url of a thin delivery works; each attempt gets a fresh one.",
    default: 900,
    parse: int(10, 86_400),
  },
  {
    env: "HOOKD_OUTBOX_URLS",
    key: "outboxUrls",
    doc: "Comma-separated postgres:// URLs of producer databases whose hookd_outbox table this process relays (serve --outbox adds more).",
    default: [] as readonly string[],
    sensitive: true,
    parse: (raw: string): readonly string[] => {
      const urls = raw.split(",").map((u) => u.trim()).filter((u) => u.length > 0);
      for (const u of urls) {
        if (!/^postgres(ql)?:\/\//.test(u)) throw new Error("must be postgres:// URLs, comma-separated");
      }
      return urls;
    },
  },
  {
    env: "HOOKD_OUTBOX_POLL_INTERVAL_MS",
    key: "outboxPollIntervalMs",
    doc: "How often an outbox relay looks for rows without being notified (a missed notification, a relay that stopped).",
    default: 1_000,
    parse: int(10, 60_000),
  },
  // OpenTelemetry's own variables (observability/tracing/), so collectors and platforms configure hookd as they do
  // every other service. Tracing is on when an endpoint is set and the SDK is not disabled.
  {
    env: "OTEL_EXPORTER_OTLP_ENDPOINT",
    key: "otlpEndpoint",
    doc: "OTLP/HTTP base URL of a collector (traces go to <url>/v1/traces). Unset: no tracing, at no cost.",
    default: null,
    parse: httpUrl,
  },
  {
    env: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    key: "otlpTracesEndpoint",
    doc: "Full URL traces are sent to; wins over OTEL_EXPORTER_OTLP_ENDPOINT, and turns tracing on alone.",
    default: null,
    parse: httpUrl,
  },
  {
    env: "OTEL_EXPORTER_OTLP_PROTOCOL",
    key: "otlpProtocol",
    doc: "http/protobuf or http/json (grpc is not supported).",
    default: "http/protobuf",
    parse: otlpProtocol,
  },
  {
    env: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    key: "otlpTracesProtocol",
    doc: "The protocol for traces; wins over OTEL_EXPORTER_OTLP_PROTOCOL.",
    default: null,
    parse: otlpProtocol,
  },
  {
    env: "OTEL_EXPORTER_OTLP_HEADERS",
    key: "otlpHeaders",
    doc: "Headers sent with every export, as key=value pairs, comma-separated, values URL-encoded (e.g. an API key).",
    default: Object.freeze({}),
    defaultText: "",
    sensitive: true,
    parse: otlpHeaders,
  },
  {
    env: "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    key: "otlpTracesHeaders",
    doc: "Headers for trace exports, added to OTEL_EXPORTER_OTLP_HEADERS (a name in both takes this value).",
    default: Object.freeze({}),
    defaultText: "",
    sensitive: true,
    parse: otlpHeaders,
  },
  {
    env: "OTEL_SERVICE_NAME",
    key: "otelServiceName",
    doc: "The service.name of hookd's spans.",
    default: "hookd",
    parse: text,
  },
  {
    env: "OTEL_SDK_DISABLED",
    key: "otelSdkDisabled",
    doc: "true turns tracing off even with an endpoint set.",
    default: false,
    parse: bool,
  },
  // Per-tenant quotas (docs/security.md#quotas): defaults for every tenant, each overridable per tenant through
  // PATCH /v1/tenants/{id} {"quotas": {...}}. 0 turns a quota off.
  {
    env: "HOOKD_QUOTA_MAX_ENDPOINTS",
    key: "quotaMaxEndpoints",
    doc: "Endpoints one tenant may have; creating one more is refused with 422 ENDPOINT_LIMIT_REACHED (0: no limit).",
    default: 500,
    parse: int(0, 10_000_000),
  },
  {
    env: "HOOKD_QUOTA_MAX_DELIVERIES_PER_REQUEST",
    key: "quotaMaxDeliveriesPerRequest",
    doc: "Deliveries one publish request may create (its events times their matching endpoints); more is refused whole with 422 FAN_OUT_LIMIT_EXCEEDED (0: no limit).",
    default: 10_000,
    parse: int(0, 100_000_000),
  },
  {
    env: "HOOKD_QUOTA_DELIVERIES_PER_SECOND",
    key: "quotaDeliveriesPerSecond",
    doc: "Deliveries a tenant's publishing may create per second, per API process; beyond it 429 RATE_LIMITED with Retry-After (0: no limit).",
    default: 5_000,
    parse: int(0, 100_000_000),
  },
  {
    env: "HOOKD_QUOTA_INGEST_REQUESTS_PER_SECOND",
    key: "quotaIngestRequestsPerSecond",
    doc: "Publish requests a tenant may make per second, per API process; beyond it 429 RATE_LIMITED with Retry-After (0: no limit).",
    default: 200,
    parse: int(0, 100_000_000),
  },
  {
    env: "HOOKD_QUOTA_INGEST_BYTES_PER_SECOND",
    key: "quotaIngestBytesPerSecond",
    doc: "Publish request bytes a tenant may send per second, per API process (default 8 MiB); beyond it 429 RATE_LIMITED with Retry-After (0: no limit).",
    default: 8 * 1024 * 1024,
    parse: int(0, 2 ** 40),
  },
  {
    env: "HOOKD_QUOTA_MAX_STORED_BYTES",
    key: "quotaMaxStoredBytes",
    doc: "Event payload bytes a tenant may keep stored (until retention expunges them; default 10 GiB); beyond it publishing answers 429 STORAGE_QUOTA_EXCEEDED (0: no limit).",
    default: 10 * 1024 ** 3,
    parse: int(0, 2 ** 50),
  },
] as const satisfies readonly Setting<keyof Config>[];

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/**
 * @example loadConfig({ HOOKD_PORT: "9000" }).port // 9000
 */
export function loadConfig(env: Record<string, string | undefined>, overrides: Partial<Config> = {}): Readonly<Config> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const raw = env[setting.env];
    if (raw === undefined || raw === "") {
      out[setting.key] = setting.default;
      continue;
    }
    try {
      out[setting.key] = setting.parse(raw);
    } catch (err) {
      const shown = "sensitive" in setting && setting.sensitive ? "(value not shown)" : JSON.stringify(raw);
      problems.push(`${setting.env}=${shown}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ ...(out as unknown as Config), ...overrides });
}

export function storeKind(config: Pick<Config, "databaseUrl">): "sqlite" | "postgres" {
  return config.databaseUrl.startsWith("sqlite:") ? "sqlite" : "postgres";
}
