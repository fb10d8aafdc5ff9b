/**
 * The package as its users get it: packed with `npm pack`, installed from the tarball (with openapi-fetch as its one
 * dependency) into an empty project, imported by plain Node to talk to a real hookd, and type-checked as a strict
 * TypeScript consumer whose mistakes in paths and bodies the generated types catch.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PackedInstall, packAndInstall, typeCheck } from "../../../test/support/packed-package.ts";
import { ADMIN_KEY, useHookd } from "./support/hookd.js";
import { runNode } from "./support/run-node.js";

describe("@hookd/client from its npm pack tarball", () => {
  const h = useHookd("sqlite");
  let install: PackedInstall;
  beforeAll(() => {
    install = packAndInstall("packages/client");
  }, 120_000);
  afterAll(() => install?.remove());

  it("ships the build with its types and the README, not the sources", () => {
    for (const f of ["dist/index.js", "dist/index.d.ts", "dist/openapi.d.ts", "README.md", "package.json"]) expect(install.files).toContain(f);
    expect(install.files.filter((f) => f.startsWith("src/") || f.startsWith("test/"))).toEqual([]);
  });

  it("is imported by plain Node and talks to a real hookd", async () => {
    writeFileSync(
      join(install.dir, "check.mjs"),
      `import { createHookdClient, HookdApiError, unwrap } from "@hookd/client";
const hookd = createHookdClient({ baseUrl: process.env.HOOKD_URL, apiKey: process.env.HOOKD_API_KEY });
const tenant = await unwrap(hookd.POST("/v1/tenants", { body: { name: "packed" } }));
let refused;
try { await unwrap(hookd.GET("/v1/tenants/{tenant_id}", { params: { path: { tenant_id: "absent" } } })); }
catch (e) { refused = e instanceof HookdApiError ? e.code : String(e); }
console.log(JSON.stringify({ name: tenant.name, refused }));
`,
    );
    const out = await runNode(["check.mjs"], { HOOKD_URL: h.app.url!, HOOKD_API_KEY: ADMIN_KEY }, install.dir);
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ name: "packed", refused: "TENANT_NOT_FOUND" });
  });

  it("carries the outbox helper for plain Node without pg installed (an optional peer)", async () => {
    writeFileSync(
      join(install.dir, "outbox.mjs"),
      `import { outbox, OutboxEventError } from "@hookd/client";
let pgMissing = false;
try { await import("pg"); } catch { pgMissing = true; }
const sent = [];
const client = { query: async (text, values) => { sent.push({ text, values }); } };
const { id } = await outbox.publish(client, { tenant_id: "acme", type: "invoice.paid", data: { n: 1 } });
let refused = "";
try { await outbox.publish(client, { tenant_id: "acme", type: "bad type", data: {} }); } catch (e) { refused = e instanceof OutboxEventError ? e.name : String(e); }
console.log(JSON.stringify({ pgMissing, id, sent, refused }));
`,
    );
    const out = await runNode(["outbox.mjs"], {}, install.dir);
    expect(out.status, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout) as { pgMissing: boolean; id: string; sent: { text: string; values: unknown[] }[]; refused: string };
    expect(result.pgMissing).toBe(true);
    expect(result.id).toMatch(/^evt_[0-9A-Z]{26}$/);
    expect(result.sent).toHaveLength(1);
    expect(result.sent[0]!.text).toMatch(/^INSERT INTO hookd_outbox /);
    expect(result.sent[0]!.values).toEqual([result.id, "acme", "invoice.paid", '{"n":1}', null]);
    expect(result.refused).toBe("OutboxEventError");
  });

  it("type-checks a strict TypeScript consumer, and the generated types catch wrong paths and bodies", () => {
    writeFileSync(
      join(install.dir, "consumer.ts"),
      `import { createHookdClient, createOutbox, type Delivery, type Endpoint, outbox, type Queryable, unwrap } from "@hookd/client";
const hookd = createHookdClient({ baseUrl: "http://127.0.0.1:8080", apiKey: "hk_x" });
export async function main(): Promise<void> {
  const page = await unwrap(hookd.GET("/v1/tenants/{tenant_id}/deliveries", { params: { path: { tenant_id: "acme" }, query: { status: "dead" } } }));
  const first: Delivery | undefined = page.data[0];
  const status: "pending" | "failed" | "succeeded" | "dead" | undefined = first?.status;
  const ep: Endpoint = await unwrap(hookd.GET("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", { params: { path: { tenant_id: "a", endpoint_id: "e" } } }));
  console.log(status, ep.url);
  // @ts-expect-error no such route
  await hookd.GET("/v1/nothing-here");
  // @ts-expect-error an event needs a type
  await hookd.POST("/v1/tenants/{tenant_id}/events", { params: { path: { tenant_id: "a" } }, body: { data: {} } });
}
export async function publishInTransaction(tx: Queryable): Promise<string> {
  const { id } = await outbox.publish(tx, { tenant_id: "acme", type: "invoice.paid", data: { invoice: 1 }, idempotency_key: "k" });
  // @ts-expect-error an outbox without a bound tenant needs tenant_id
  await outbox.publish(tx, { type: "invoice.paid", data: {} });
  await createOutbox({ tenant_id: "acme" }).publish(tx, { type: "invoice.paid", data: {} });
  return id;
}
`,
    );
    expect(typeCheck(install, "consumer.ts")).toBe("");
    // A whole tsc run over the consumer and the package's types: tens of seconds on a busy machine.
  }, 120_000);
});
