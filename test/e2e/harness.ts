/**
 * Shared setup for the end-to-end suites: a real hookd (createApp, listening on 127.0.0.1 port 0) on a fresh test
 * database of either store kind, real HTTP receivers on port 0, a small JSON client for the API and an `eventually`
 * poller for waiting on asynchronous delivery without sleeping.
 */
import type { ServerResponse } from "node:http";
import { afterAll, afterEach, beforeAll } from "vitest";
import { request } from "undici";
import { type App, type AppOptions, createApp } from "../../src/app.ts";
import { type Config, loadConfig } from "../../src/config/config.ts";
import { parsePortList } from "../../src/outbound/port-list.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";
import { Receiver, type ReceiverHandler } from "../support/receiver.ts";
import { createTestDatabase, type StoreKind, type TestDatabase } from "../support/stores.ts";

export const ADMIN_KEY = "test-admin-key-0123456789";

// Answers are read as loose JSON on purpose: each test states the shape it expects.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export interface ApiResponse<T = Json> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

export interface RequestOptions {
  /** JSON-encoded unless it is already a string (sent verbatim, for malformed input). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Authorization key; null sends no Authorization header. */
  key?: string | null;
}

/** A thin API client: never throws on an HTTP status, always reads the whole body. */
export class Api {
  constructor(readonly baseUrl: string) {}

  async call<T = Json>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    const key = opts.key === undefined ? ADMIN_KEY : opts.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
      headers["content-type"] = "application/json";
    }
    Object.assign(headers, opts.headers);
    const res = await request(`${this.baseUrl}${path}`, { method: method as "GET", headers, body });
    const text = await res.body.text();
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { status: res.statusCode, headers: res.headers, body: parsed as T, text };
  }

  get<T = Json>(path: string, opts?: RequestOptions) {
    return this.call<T>("GET", path, opts);
  }
  post<T = Json>(path: string, body?: unknown, opts: RequestOptions = {}) {
    return this.call<T>("POST", path, { ...opts, body });
  }
  patch<T = Json>(path: string, body?: unknown, opts: RequestOptions = {}) {
    return this.call<T>("PATCH", path, { ...opts, body });
  }
  delete<T = Json>(path: string, opts?: RequestOptions) {
    return this.call<T>("DELETE", path, opts);
  }

  /** POST that must answer `status`; returns the body. */
  async expectPost<T = Json>(path: string, body: unknown, status: number, opts: RequestOptions = {}): Promise<T> {
    const res = await this.post<T>(path, body, opts);
    if (res.status !== status) {
      throw new Error(`POST ${path} answered ${res.status} (wanted ${status}): ${res.text}`);
    }
    return res.body;
  }

  async expectGet<T = Json>(path: string, status = 200): Promise<T> {
    const res = await this.get<T>(path);
    if (res.status !== status) throw new Error(`GET ${path} answered ${res.status} (wanted ${status}): ${res.text}`);
    return res.body;
  }

  // Shortcuts for the resources most tests set up.

  async createTenant(body: Json = { name: "Test tenant" }): Promise<Json> {
    return this.expectPost("/v1/tenants", body, 201);
  }

  async createEndpoint(tenantId: string, body: Json): Promise<Json> {
    return this.expectPost(`/v1/tenants/${tenantId}/endpoints`, body, 201);
  }

  async publish(tenantId: string, event: Json, headers?: Record<string, string>): Promise<Json> {
    return this.expectPost(`/v1/tenants/${tenantId}/events`, event, 202, headers ? { headers } : {});
  }

  getDelivery(tenantId: string, deliveryId: string): Promise<Json> {
    return this.expectGet(`/v1/tenants/${tenantId}/deliveries/${deliveryId}`);
  }

  async deliveriesOf(tenantId: string, query: Record<string, string> = {}): Promise<Json[]> {
    const qs = new URLSearchParams({ limit: "250", ...query }).toString();
    const page = await this.expectGet(`/v1/tenants/${tenantId}/deliveries?${qs}`);
    return page.data as Json[];
  }

  /** The one delivery of an event (fails unless there is exactly one). */
  async onlyDeliveryOf(tenantId: string, eventId: string): Promise<Json> {
    const list = await this.deliveriesOf(tenantId, { event_id: eventId });
    if (list.length !== 1) throw new Error(`event ${eventId} has ${list.length} deliveries, wanted 1`);
    return list[0]!;
  }

  /** Polls one delivery (with its attempts) until `until` accepts it. */
  waitForDelivery(tenantId: string, deliveryId: string, until: (d: Json) => boolean, timeoutMs = 10_000) {
    return eventually(async () => {
      const d = await this.getDelivery(tenantId, deliveryId);
      if (!until(d)) throw new Error(`delivery ${deliveryId} is still ${JSON.stringify(d)}`);
      return d;
    }, timeoutMs);
  }
}

/**
 * Retries `fn` every `intervalMs` until it returns without throwing, then returns its value; after `timeoutMs`
 * rethrows the last failure so the test shows what was still wrong.
 */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function hookdConfig(databaseUrl: string, overrides: Partial<Config> = {}): Readonly<Config> {
  return loadConfig(
    {},
    {
      databaseUrl,
      host: "127.0.0.1",
      port: 0,
      adminKey: ADMIN_KEY,
      encryptionKey: TEST_ENCRYPTION_KEY,
      // Tests deliver to receivers on loopback and name unused low ports (`:9`) for endpoints that never receive;
      // the egress suite sets both back to the production defaults.
      allowedNetworks: ["127.0.0.0/8"],
      allowedPorts: parsePortList("1-65535"),
      retryScheduleS: [0, 1, 1],
      pollIntervalMs: 50,
      logLevel: "silent",
      shutdownGraceMs: 2_000,
      ...overrides,
    },
  );
}

/** Options for createApp beyond the config (a test resolver, a clock, a logger to read, for instance). */
export type TestAppOptions = Omit<AppOptions, "role" | "log"> & Partial<Pick<AppOptions, "log">>;

export async function startHookd(
  databaseUrl: string,
  overrides: Partial<Config> = {},
  appOptions: TestAppOptions = {},
): Promise<App> {
  const app = await createApp(hookdConfig(databaseUrl, overrides), {
    role: "all",
    log: createLogger("silent"),
    ...appOptions,
  });
  if (!app.url) throw new Error("hookd started without an API url");
  return app;
}

export interface E2eContext {
  kind: StoreKind;
  db: TestDatabase;
  app: App;
  api: Api;
  /** A started receiver, closed after the current test. */
  receiver(handler?: ReceiverHandler): Promise<Receiver>;
  /** A fresh tenant with a generated id. */
  tenant(): Promise<string>;
}

/**
 * Registers beforeAll/afterAll/afterEach hooks for one store kind, inside the caller's describe: one database and one
 * running hookd for the block, receivers closed after each test. Fields are filled in by beforeAll.
 */
export function useHookd(
  kind: StoreKind,
  overrides: Partial<Config> = {},
  appOptions: TestAppOptions = {},
): E2eContext {
  const receivers: Receiver[] = [];
  const ctx = { kind } as E2eContext;
  ctx.receiver = async (handler) => {
    const r = await new Receiver().start();
    if (handler) r.handler = handler;
    receivers.push(r);
    return r;
  };
  ctx.tenant = async () => (await ctx.api.createTenant({ name: "e2e" })).id as string;

  beforeAll(async () => {
    ctx.db = await createTestDatabase(kind);
    ctx.app = await startHookd(ctx.db.url, overrides, appOptions);
    ctx.api = new Api(ctx.app.url!);
  });
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
  });
  afterAll(async () => {
    for (const r of receivers.splice(0)) await r.close();
    await ctx.app?.close();
    await ctx.db?.destroy();
  });
  return ctx;
}

/** A receiver handler that never answers (the request stays open until the receiver closes). */
export const hang: ReceiverHandler = () => undefined;

/** Holds every request open until release() answers them all with `status`; later requests are answered at once. */
export function parked(status = 200): { handler: ReceiverHandler; release: () => void; waiting: () => number } {
  const open: ServerResponse[] = [];
  let released = false;
  const reply = (res: ServerResponse) => {
    if (res.destroyed) return;
    res.writeHead(status);
    res.end();
  };
  return {
    handler: (_req, res) => (released ? reply(res) : open.push(res)),
    release: () => {
      released = true;
      for (const res of open.splice(0)) reply(res);
    },
    waiting: () => open.length,
  };
}

/** Answers with each status in turn, repeating the last one. */
export function sequence(...statuses: number[]): ReceiverHandler {
  let i = 0;
  return (_req, res) => {
    const status = statuses[Math.min(i++, statuses.length - 1)]!;
    res.writeHead(status);
    res.end();
  };
}

/** The headers a Standard Webhooks verifier needs, as strings. */
export function webhookHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
    const v = headers[name];
    if (typeof v === "string") out[name] = v;
  }
  return out;
}
