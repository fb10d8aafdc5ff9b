/**
 * Property-based fuzzing of the whole API over real HTTP, on both stores. fast-check picks a registered route (the
 * list comes from the server, so new routes are fuzzed without editing this file), sometimes the wrong method, path
 * parameters that are valid, another tenant's, or hostile (encoded garbage, NUL, dot segments, over-long), random
 * query strings, Authorization headers (admin, tenant, another tenant, none, garbage), content types and bodies
 * (random JSON with hostile strings, plausible bodies with random values, text, raw bytes, deep nesting, oversize).
 *
 * The property, for every request: no 5xx; an error is JSON with a registry code and no stack trace; and when the
 * request was refused, no row appeared or vanished in any table requests can write. After the run the server still
 * answers. FUZZ_RUNS cases per store (10k together).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pool } from "undici";
import { ERROR_CODES } from "../../src/errors/codes.ts";
import { registeredRoutes } from "../../src/http/route-registry.ts";
import { ADMIN_KEY, eventually, type Json, useHookd } from "../e2e/harness.ts";
import { rawCount } from "../support/raw-query.ts";
import { openRowCounter, type RowCounter, type RowCounts } from "../support/row-counts.ts";
import { STORE_KINDS } from "../support/stores.ts";

/** 10k cases in all; SQLite answers faster, so it takes the larger share and each store stays near 30 s. */
const FUZZ_RUNS: Record<string, number> = { sqlite: 6_000, postgres: 4_000 };
const KNOWN_CODES = new Set(Object.keys(ERROR_CODES));
const STACK_TRACE = /\bat .+:\d+:\d+|node_modules|\.ts:\d+/;

/** Ids the fuzzer may put in paths: resolved when the request is sent, because a fuzzed DELETE may remove them. */
interface Fixtures {
  tenantId: string;
  otherTenantId: string;
  tenantKey: string;
  otherKey: string;
  endpointId: string;
  eventId: string;
  deliveryId: string;
  spareKeyId: string;
}

type Symbolic = { fixture: keyof Fixtures } | { raw: string };

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"];

const hostileSegment = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom(
    "%",
    "%zz",
    "%00",
    "a%00b",
    "..",
    ".",
    "%2e%2e",
    "a%2Fb",
    "%C0%AE",
    "%ff%fe",
    "*",
    "~",
    "%E0%A4%A",
    "ghost-tenant",
    "_hookd_operator",
    "a".repeat(65),
    "a".repeat(2000),
    "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV",
  ),
);

function paramArb(name: string): fc.Arbitrary<Symbolic> {
  const own: Record<string, (keyof Fixtures)[]> = {
    tenant_id: ["tenantId", "otherTenantId"],
    endpoint_id: ["endpointId"],
    event_id: ["eventId"],
    delivery_id: ["deliveryId"],
    key_id: ["spareKeyId"],
  };
  const fixtures = (own[name] ?? []).map((f) => fc.constant<Symbolic>({ fixture: f }));
  const hostile = hostileSegment.map((raw): Symbolic => ({ raw }));
  return fixtures.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.oneof(...fixtures) }, { weight: 1, arbitrary: hostile }) : hostile;
}

const hostileString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom("", "\u0000", "\r\n", "\ud800", "a".repeat(300), "*", "urn:x", "../../etc/passwd", "<script>"),
);

const FIELDS = [
  "id",
  "name",
  "metadata",
  "url",
  "description",
  "event_types",
  "secret",
  "headers",
  "timeout_ms",
  "retry_schedule_s",
  "disabled",
  "type",
  "data",
  "events",
  "status",
  "since",
];

const fieldValue = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 4 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 4 }),
  fc.constantFrom("http://127.0.0.1:1/x", "https://example.com/h", "whsec_AAAA", "invoice.paid", "dead", "2020-01-01T00:00:00Z"),
  fc.constant([{ type: "a.b", data: {} }]),
);

/** A body shaped like the API's, with random values: it gets past JSON parsing into the schemas and services. */
const plausibleBody = fc
  .dictionary(fc.constantFrom(...FIELDS), fieldValue, { maxKeys: 5 })
  .map((o) => JSON.stringify(o));

const bodyArb: fc.Arbitrary<string | Uint8Array | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: plausibleBody },
  { weight: 3, arbitrary: fc.jsonValue({ stringUnit: "binary", maxDepth: 4 }).map((v) => JSON.stringify(v) ?? "null") },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`) },
  { weight: 1, arbitrary: fc.constantFrom('{"name":"x"', "{}{}", '{"__proto__":{"a":1}}', '{"constructor":{"prototype":{}}}', "\ufeff{}") },
);

const contentTypeArb = fc.oneof(
  fc.constant<string | undefined>(undefined),
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin1",
    "APPLICATION/JSON",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "application/xml",
    "*/*",
    "application/json, text/plain",
    "x",
  ),
);

type AuthChoice = "admin" | "tenant" | "other" | "none" | { raw: string };
const authArb: fc.Arbitrary<AuthChoice> = fc.oneof(
  fc.constantFrom<AuthChoice>("admin", "tenant", "tenant", "other", "none"),
  fc
    .oneof(fc.string({ unit: "binary-ascii", maxLength: 80 }), fc.constantFrom("Bearer ", "Bearer hk_", "Basic Og=="))
    .map((s) => ({ raw: s.replace(/[^\t\x20-\x7e]/g, "") })),
);

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((n) => !["authorization", "content-type", "content-length", "host", "transfer-encoding", "connection", "expect", "upgrade", "keep-alive", "te", "trailer"].includes(n));
const extraHeadersArb = fc.dictionary(
  fc.oneof(headerName, fc.constantFrom("idempotency-key", "x-forwarded-for", "accept", "accept-encoding")),
  fc.string({ unit: "binary-ascii", maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, "")),
  { maxKeys: 4 },
);

const queryArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant("") },
  {
    weight: 2,
    arbitrary: fc
      .dictionary(fc.constantFrom("limit", "cursor", "status", "endpoint_id", "event_id", "type", "tenant_id", "x"), hostileString, {
        maxKeys: 3,
      })
      .map((q) => `?${new URLSearchParams(q).toString()}`),
  },
  { weight: 1, arbitrary: fc.constantFrom("?limit=-1", "?limit=1e309", "?cursor=%ff", "?limit=1&limit=2", "?&&=", "?%") },
);

describe.each(STORE_KINDS)("fuzzing every route (%s)", (kind) => {
  const h = useHookd(kind);
  let fixtures: Fixtures;
  let counter: RowCounter;
  let pool: Pool;

  async function newTenantKey(tenantId: string): Promise<Json> {
    return h.api.expectPost(`/v1/tenants/${tenantId}/api-keys`, {}, 201);
  }

  /** Creates whatever a fuzzed request removed, so later cases still reach real objects. */
  async function ensureFixtures(): Promise<void> {
    // A deleted tenant or endpoint loses its rows in a background task: wait for it, so a re-created tenant can take
    // its id again and the row counts stand still while the next cases compare them.
    await eventually(async () => {
      const sql = "SELECT count(*) AS n FROM tasks WHERE status IN ('queued', 'running') AND kind IN ('endpoint.delete', 'tenant.delete')";
      expect(await rawCount(h.db.url, sql)).toBe(0);
    }, 30_000);
    const receiver = await receiverUrl();
    for (const [field, name] of [
      ["tenantId", "fuzz-tenant"],
      ["otherTenantId", "fuzz-other"],
    ] as const) {
      if ((await h.api.get(`/v1/tenants/${name}`)).status === 404) {
        await h.api.createTenant({ id: name, name });
        const key = (await newTenantKey(name)).key as string;
        if (field === "tenantId") {
          fixtures.tenantKey = key;
          fixtures.spareKeyId = (await newTenantKey(name)).id as string;
          fixtures.endpointId = "";
        } else {
          fixtures.otherKey = key;
        }
      }
    }
    const t = fixtures.tenantId;
    if (!fixtures.endpointId || (await h.api.get(`/v1/tenants/${t}/endpoints/${fixtures.endpointId}`)).status === 404) {
      fixtures.endpointId = (await h.api.createEndpoint(t, { url: receiver })).id as string;
      const ev = await h.api.publish(t, { type: "fuzz.setup", data: {} });
      fixtures.eventId = ev.id as string;
      fixtures.deliveryId = (await h.api.onlyDeliveryOf(t, ev.id)).id as string;
    }
  }

  let receiverUrlValue: string | null = null;
  async function receiverUrl(): Promise<string> {
    receiverUrlValue ??= (await h.receiver()).url;
    return receiverUrlValue;
  }

  beforeAll(async () => {
    fixtures = {
      tenantId: "fuzz-tenant",
      otherTenantId: "fuzz-other",
      tenantKey: "",
      otherKey: "",
      endpointId: "",
      eventId: "",
      deliveryId: "",
      spareKeyId: "",
    };
    await ensureFixtures();
    counter = await openRowCounter(h.db.url);
    pool = new Pool(h.app.url!, { connections: 4, pipelining: 1 });
  });

  afterAll(async () => {
    await pool?.close();
    await counter?.close();
  });

  const runs = FUZZ_RUNS[kind]!;

  it(`holds for ${runs} random requests: no 5xx, no stack trace, no stray rows`, async () => {
    const routes = registeredRoutes(h.app.server!);
    expect(routes.length).toBeGreaterThan(10);
    const routeArb = fc.constantFrom(...routes).chain((route) => {
      const names = [...route.url.matchAll(/:([a-z_]+)/g)].map((m) => m[1]!);
      return fc.record({
        route: fc.constant(route),
        method: fc.oneof({ weight: 4, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
        params: fc.tuple(...names.map(paramArb)),
        names: fc.constant(names),
        query: queryArb,
        auth: authArb,
        contentType: contentTypeArb,
        headers: extraHeadersArb,
        body: bodyArb,
        oversize: fc.oneof({ weight: 60, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      });
    });

    let before: RowCounts = await counter.counts();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(routeArb, async (c) => {
        let path = c.route.url;
        c.names.forEach((name, i) => {
          const p = c.params[i]!;
          const value = "raw" in p ? p.raw : encodeURIComponent(fixtures[p.fixture]);
          path = path.replace(`:${name}`, value);
        });
        path += c.query;
        const headers: Record<string, string> = { ...c.headers };
        const auth =
          c.auth === "admin"
            ? `Bearer ${ADMIN_KEY}`
            : c.auth === "tenant"
              ? `Bearer ${fixtures.tenantKey}`
              : c.auth === "other"
                ? `Bearer ${fixtures.otherKey}`
                : c.auth === "none"
                  ? null
                  : c.auth.raw;
        if (auth !== null) headers.authorization = auth;
        if (c.contentType !== undefined) headers["content-type"] = c.contentType;
        const sendsBody = c.method !== "GET" && c.method !== "HEAD";
        const body = !sendsBody ? undefined : c.oversize ? `{"name":"${"x".repeat(300 * 1024)}"}` : c.body;

        const res = await pool.request({ method: c.method, path, headers, body });
        const text = await res.body.text();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        const where = `${c.method} ${path} (${c.route.method} ${c.route.url}) -> ${res.statusCode} ${text.slice(0, 300)}`;
        expect(res.statusCode, where).toBeLessThan(500);
        expect(text, where).not.toMatch(STACK_TRACE);
        if (res.statusCode >= 400 && c.method !== "HEAD") {
          const parsed = JSON.parse(text) as { code?: unknown };
          expect(KNOWN_CODES.has(String(parsed.code)), where).toBe(true);
        }
        const after = await counter.counts();
        if (res.statusCode >= 400) expect(after, where).toEqual(before);
        before = after;
        if (res.statusCode < 300 && c.method !== "GET") {
          await ensureFixtures();
          before = await counter.counts();
        }
      }),
      { numRuns: runs, endOnFailure: true },
    );

    // Still up and still right.
    expect((await h.api.get("/healthz")).status).toBe(200);
    expect((await h.api.get(`/v1/tenants/${fixtures.tenantId}`)).status).toBe(200);
    // The run reached the handlers, not only the front door.
    const ok = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
    expect(ok).toBeGreaterThan(runs / 50);
  }, 300_000);
});
