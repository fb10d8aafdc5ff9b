import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, SETTINGS, loadConfig, storeKind } from "./config.ts";

const CONFIGURATION_DOC = fileURLToPath(new URL("../../docs/configuration.md", import.meta.url));

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected loadConfig to throw");
}

describe("loadConfig", () => {
  it("uses the defaults when the environment sets nothing", () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBe("sqlite:./data/hookd.db");
    expect(config.port).toBe(8080);
    expect(config.host).toBe("127.0.0.1");
    expect(config.adminKey).toBeNull();
    expect(config.retryScheduleS).toHaveLength(8);
    expect(config.retryScheduleS[0]).toBe(0);
    expect(config.retryScheduleS[1]).toBe(300);
    expect(config.allowedNetworks).toEqual([]);
    expect(config.allowedPorts).toEqual([
      { from: 80, to: 80 },
      { from: 443, to: 443 },
      { from: 1024, to: 65535 },
    ]);
    expect(config.requireHttps).toBe(false);
    expect(config.logLevel).toBe("info");
    expect(config.workerConcurrency).toBe(64);
    expect(storeKind(config)).toBe("sqlite");
  });

  it("treats empty values as unset", () => {
    const config = loadConfig({ HOOKD_PORT: "", HOOKD_DATABASE_URL: "", HOOKD_ADMIN_KEY: "" });
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBe("sqlite:./data/hookd.db");
    expect(config.adminKey).toBeNull();
  });

  it("ignores environment variables it does not know", () => {
    expect(() => loadConfig({ PATH: "/usr/bin", HOOKD_UNKNOWN: "x" })).not.toThrow();
  });

  it("parses valid overrides", () => {
    const config = loadConfig({
      HOOKD_DATABASE_URL: "postgres://user:pw@db:5432/hookd",
      HOOKD_HOST: "127.0.0.1",
      HOOKD_PORT: "9000",
      HOOKD_ADMIN_KEY: "0123456789abcdef",
      HOOKD_RETRY_SCHEDULE: "0, 5, 30",
      HOOKD_ALLOWED_NETWORKS: "127.0.0.0/8, 10.1.2.3",
      HOOKD_ALLOWED_PORTS: "443, 8000-8999",
      HOOKD_REQUIRE_HTTPS: "true",
      HOOKD_LOG_LEVEL: "debug",
      HOOKD_WORKER_CONCURRENCY: "8",
      HOOKD_WORKER_MAX_ENDPOINTS: "20",
      HOOKD_LEASE_MARGIN_MS: "1000",
      HOOKD_POLL_INTERVAL_MS: "50",
      HOOKD_SHUTDOWN_GRACE_MS: "0",
      HOOKD_PG_POOL_SIZE: "3",
      HOOKD_OPERATOR_WEBHOOK_URL: "https://ops.example.com/hookd",
      HOOKD_OPERATOR_WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      HOOKD_METRICS_AUTH: "admin",
      HOOKD_METRICS_TENANT_LABELS: "true",
      HOOKD_RETENTION_DAYS: "7",
      HOOKD_EVENT_RETENTION_DAYS: "0",
      HOOKD_ATTEMPT_BODY_RETENTION_DAYS: "2",
      HOOKD_RETENTION_INTERVAL_MS: "60000",
      HOOKD_STRICT_EVENT_TYPES: "true",
      HOOKD_SCHEMA_VALIDATION_TIMEOUT_MS: "750",
      HOOKD_DELIVERY_THREAD: "false",
      HOOKD_PUBLIC_URL: "https://hooks.example.com/",
      HOOKD_MAX_EVENT_BYTES: "1048576",
      HOOKD_MAX_THIN_EVENT_BYTES: "8388608",
      HOOKD_PAYLOAD_URL_TTL_S: "60",
      HOOKD_OUTBOX_URLS: "postgres://app@db/app, postgresql://app@db2/app",
      HOOKD_OUTBOX_POLL_INTERVAL_MS: "250",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example/v1/traces",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=a%3Db",
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-team=core",
      OTEL_SERVICE_NAME: "webhooks",
      OTEL_SDK_DISABLED: "true",
      HOOKD_RELAY_URL: "http://10.0.3.7:8080/",
      HOOKD_QUOTA_MAX_ENDPOINTS: "50",
      HOOKD_QUOTA_MAX_DELIVERIES_PER_REQUEST: "0",
      HOOKD_QUOTA_DELIVERIES_PER_SECOND: "100",
      HOOKD_QUOTA_INGEST_REQUESTS_PER_SECOND: "10",
      HOOKD_QUOTA_INGEST_BYTES_PER_SECOND: "1048576",
      HOOKD_QUOTA_MAX_STORED_BYTES: "1073741824",
    });
    expect(config).toEqual({
      databaseUrl: "postgres://user:pw@db:5432/hookd",
      host: "127.0.0.1",
      port: 9000,
      adminKey: "0123456789abcdef",
      retryScheduleS: [0, 5, 30],
      allowedNetworks: ["127.0.0.0/8", "10.1.2.3/32"],
      allowedPorts: [
        { from: 443, to: 443 },
        { from: 8000, to: 8999 },
      ],
      requireHttps: true,
      logLevel: "debug",
      workerConcurrency: 8,
      workerMaxEndpoints: 20,
      leaseMarginMs: 1000,
      pollIntervalMs: 50,
      shutdownGraceMs: 0,
      pgPoolSize: 3,
      encryptionKey: null,
      previousEncryptionKeys: [],
      newEncryptionKey: null,
      breakerFailurePercent: 50,
      breakerMinAttempts: 10,
      breakerWindowMs: 60_000,
      breakerConsecutiveTimeouts: 5,
      breakerCooldownMs: 30_000,
      breakerMaxCooldownMs: 600_000,
      recoveryRampMs: 300_000,
      autoDisableAfterMs: 432_000_000,
      operatorWebhookUrl: "https://ops.example.com/hookd",
      operatorWebhookSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      metricsAuth: "admin",
      metricsTenantLabels: true,
      retentionDays: 7,
      eventRetentionDays: 0,
      attemptBodyRetentionDays: 2,
      retentionIntervalMs: 60_000,
      strictEventTypes: true,
      schemaValidationTimeoutMs: 750,
      deliveryThread: false,
      publicUrl: "https://hooks.example.com",
      relayUrl: "http://10.0.3.7:8080",
      maxEventBytes: 1_048_576,
      maxThinEventBytes: 8_388_608,
      payloadUrlTtlS: 60,
      outboxUrls: ["postgres://app@db/app", "postgresql://app@db2/app"],
      outboxPollIntervalMs: 250,
      otlpEndpoint: "http://collector:4318",
      otlpTracesEndpoint: "https://traces.example/v1/traces",
      otlpProtocol: "http/json",
      otlpTracesProtocol: "http/protobuf",
      otlpHeaders: { "api-key": "a=b" },
      otlpTracesHeaders: { "x-team": "core" },
      otelServiceName: "webhooks",
      otelSdkDisabled: true,
      quotaMaxEndpoints: 50,
      quotaMaxDeliveriesPerRequest: 0,
      quotaDeliveriesPerSecond: 100,
      quotaIngestRequestsPerSecond: 10,
      quotaIngestBytesPerSecond: 1_048_576,
      quotaMaxStoredBytes: 1_073_741_824,
    });
    expect(storeKind(config)).toBe("postgres");
  });

  it("accepts the bounds of integer settings", () => {
    expect(loadConfig({ HOOKD_PORT: "0" }).port).toBe(0);
    expect(loadConfig({ HOOKD_PORT: "65535" }).port).toBe(65535);
  });

  it("parses HOOKD_REQUIRE_HTTPS as true or false", () => {
    expect(loadConfig({ HOOKD_REQUIRE_HTTPS: "true" }).requireHttps).toBe(true);
    expect(loadConfig({ HOOKD_REQUIRE_HTTPS: "false" }).requireHttps).toBe(false);
  });

  it("parses HOOKD_ALLOWED_PORTS ranges", () => {
    expect(loadConfig({ HOOKD_ALLOWED_PORTS: "443" }).allowedPorts).toEqual([{ from: 443, to: 443 }]);
    expect(loadConfig({ HOOKD_ALLOWED_PORTS: "1-65535" }).allowedPorts).toEqual([{ from: 1, to: 65535 }]);
  });

  it("applies explicit overrides over the environment", () => {
    expect(loadConfig({ HOOKD_PORT: "9000" }, { port: 0 }).port).toBe(0);
  });

  it.each([
    ["HOOKD_PORT", "65536"],
    ["HOOKD_PORT", "http"],
    ["HOOKD_PORT", "80.5"],
    ["HOOKD_DATABASE_URL", "mysql://db/hookd"],
    ["HOOKD_ADMIN_KEY", "short"],
    ["HOOKD_RETRY_SCHEDULE", "0,-1"],
    ["HOOKD_ALLOWED_NETWORKS", "10.0.0.0/33"],
    ["HOOKD_ALLOWED_PORTS", "22-"],
    ["HOOKD_ALLOWED_PORTS", "80,70000"],
    ["HOOKD_ALLOWED_PORTS", "443-80"],
    ["HOOKD_ALLOWED_PORTS", ","],
    ["HOOKD_REQUIRE_HTTPS", "yes"],
    ["HOOKD_REQUIRE_HTTPS", "TRUE"],
    ["HOOKD_LOG_LEVEL", "verbose"],
    ["HOOKD_WORKER_CONCURRENCY", "0"],
    ["HOOKD_LEASE_MARGIN_MS", "100"],
    ["HOOKD_OPERATOR_WEBHOOK_URL", "ftp://ops.example.com"],
    ["HOOKD_OPERATOR_WEBHOOK_URL", "not a url"],
    ["HOOKD_OPERATOR_WEBHOOK_SECRET", "plain-secret"],
    ["HOOKD_METRICS_AUTH", "open"],
    ["HOOKD_METRICS_TENANT_LABELS", "yes"],
    ["HOOKD_RETENTION_DAYS", "-1"],
    ["HOOKD_EVENT_RETENTION_DAYS", "-1"],
    ["HOOKD_ATTEMPT_BODY_RETENTION_DAYS", "0"],
    ["HOOKD_MAX_EVENT_BYTES", "100"],
    ["HOOKD_PAYLOAD_URL_TTL_S", "0"],
  ])("rejects %s=%j, naming the variable", (name, value) => {
    const err = configError({ [name]: value });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain(name);
    expect(err.problems[0]).toContain(JSON.stringify(value));
  });

  it("accepts encryption keys that are base64 of exactly 32 bytes", () => {
    const a = randomBytes(32).toString("base64");
    const b = randomBytes(32).toString("base64");
    const config = loadConfig({
      HOOKD_ENCRYPTION_KEY: a,
      HOOKD_PREVIOUS_ENCRYPTION_KEYS: ` ${b} , ${a}`,
      HOOKD_NEW_ENCRYPTION_KEY: b,
    });
    expect(config.encryptionKey).toBe(a);
    expect(config.previousEncryptionKeys).toEqual([b, a]);
    expect(config.newEncryptionKey).toBe(b);
  });

  it.each([
    ["HOOKD_ENCRYPTION_KEY", randomBytes(16).toString("base64"), "exactly 32 bytes"],
    ["HOOKD_ENCRYPTION_KEY", randomBytes(32).toString("hex"), "exactly 32 bytes"],
    ["HOOKD_ENCRYPTION_KEY", randomBytes(32).toString("base64url"), "standard base64"],
    ["HOOKD_NEW_ENCRYPTION_KEY", "not a key", "standard base64"],
    ["HOOKD_PREVIOUS_ENCRYPTION_KEYS", `${randomBytes(32).toString("base64")},short`, "standard base64"],
  ])("rejects %s that is not a 32-byte key, without echoing the value", (name, value, why) => {
    const err = configError({ [name]: value });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain(name);
    expect(err.problems[0]).toContain(why);
    expect(err.message).not.toContain(value.split(",").pop());
  });

  it("reports every bad value together in one ConfigError", () => {
    const bad = {
      HOOKD_PORT: "-1",
      HOOKD_DATABASE_URL: "redis://x",
      HOOKD_LOG_LEVEL: "loud",
      HOOKD_RETRY_SCHEDULE: "soon",
      HOOKD_PG_POOL_SIZE: "1000",
    };
    const err = configError({ ...bad, HOOKD_HOST: "127.0.0.1", HOOKD_WORKER_MAX_ENDPOINTS: "10" });
    expect(err.name).toBe("ConfigError");
    expect(err.problems).toHaveLength(Object.keys(bad).length);
    for (const name of Object.keys(bad)) {
      expect(err.problems.filter((p) => p.startsWith(`${name}=`))).toHaveLength(1);
      expect(err.message).toContain(name);
    }
  });

  it("returns a frozen object", () => {
    const config = loadConfig({ HOOKD_PORT: "9000" });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(config.port).toBe(9000);
  });
});

describe("SETTINGS", () => {
  it("names each environment variable and config key once", () => {
    const envs = SETTINGS.map((s) => s.env);
    const keys = SETTINGS.map((s) => s.key);
    expect(new Set(envs).size).toBe(envs.length);
    expect(new Set(keys).size).toBe(keys.length);
    for (const env of envs) expect(env).toMatch(/^(HOOKD|OTEL)_[A-Z_]+$/);
  });

  it("gives every setting a default its own parser would accept", () => {
    for (const s of SETTINGS) {
      if (s.default === null) continue;
      const raw =
        "defaultText" in s ? s.defaultText : Array.isArray(s.default) ? s.default.join(",") : String(s.default);
      if (raw === "") continue;
      expect(loadConfig({ [s.env]: raw })[s.key], s.env).toEqual(s.default);
    }
  });

  describe("docs/configuration.md's table", () => {
    /** The `| variable | default | meaning |` rows: variable name and default cell, in order. */
    function documentedRows(): { env: string; defaultCell: string }[] {
      const lines = readFileSync(CONFIGURATION_DOC, "utf8").split("\n");
      const header = lines.findIndex((l) => /^\|\s*variable\s*\|\s*default\s*\|\s*meaning\s*\|/.test(l));
      expect(header, "docs/configuration.md has no | variable | default | meaning | table").toBeGreaterThan(-1);
      const rows: { env: string; defaultCell: string }[] = [];
      for (const line of lines.slice(header + 2)) {
        if (!line.startsWith("|")) break;
        const cells = line.split(" | ");
        const env = /^\| `((?:HOOKD|OTEL)_[A-Z0-9_]+)`$/.exec(cells[0] ?? "")?.[1];
        expect(env, `a row that does not start with a backticked setting: ${line}`).toBeDefined();
        rows.push({ env: env!, defaultCell: (cells[1] ?? "").trim() });
      }
      return rows;
    }

    it("lists every setting exactly once, and nothing that is not one", () => {
      const documented = documentedRows().map((r) => r.env);
      expect([...documented].sort()).toEqual(SETTINGS.map((s) => s.env).sort());
    });

    it("shows each setting's default as the environment would spell it", () => {
      const cells = new Map(documentedRows().map((r) => [r.env, r.defaultCell]));
      for (const s of SETTINGS) {
        const cell = cells.get(s.env);
        const text =
          "defaultText" in s && s.defaultText !== undefined
            ? s.defaultText
            : s.default === null
              ? null
              : Array.isArray(s.default)
                ? s.default.join(",")
                : typeof s.default === "object"
                  ? JSON.stringify(s.default)
                  : String(s.default);
        // No default (null, or an empty list) is written in words, e.g. "(unset)" or "(none)"; never as a value.
        if (text === null || text === "") expect(cell, s.env).toMatch(/^\([a-z ]+\)$/);
        else expect(cell, s.env).toBe(`\`${text}\``);
      }
    });
  });
});
