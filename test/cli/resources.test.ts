/**
 * The resource commands against a real hookd on both stores, run in-process through the same program main.ts runs:
 * each command's table and its --json (which must be hookd's own answer) on real tenants, endpoints, events and
 * deliveries; every delivery filter; replay one and in bulk; recover followed to its end; and refusals printed as
 * `hookd: CODE: message` with a non-zero status.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, eventually, type Json, useHookd } from "../e2e/harness.ts";
import { answer } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { runCli, tableRows } from "./run-cli.ts";

const folder = mkdtempSync(join(tmpdir(), "hookd-cli-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe.each(STORE_KINDS)("hookd resource commands (%s)", (kind) => {
  const h = useHookd(kind);
  const env = (tenant?: string) => ({ HOOKD_URL: h.app.url!, HOOKD_API_KEY: ADMIN_KEY, ...(tenant ? { HOOKD_TENANT: tenant } : {}) });
  const ok = async (args: string[], tenant?: string) => {
    const r = await runCli(args, env(tenant));
    expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    expect(r.stderr).toBe("");
    return r.stdout;
  };
  const json = async (args: string[], tenant?: string) => JSON.parse(await ok([...args, "--json"], tenant)) as Json;
  /** The `field  value` lines of a record, as a map. */
  const record = (text: string) => new Map(tableRows(text).map((cells) => [cells[0]!, cells.slice(1).join("  ")]));

  it("tenants: create, list (paged) and show, as tables and as hookd's JSON", async () => {
    const id = `acme-cli-${kind}`;
    const created = record(await ok(["tenants", "create", "--id", id, "--name", "Acme Inc", "--metadata", '{"plan":"pro"}']));
    expect(created.get("id")).toBe(id);
    expect(created.get("name")).toBe("Acme Inc");
    expect(created.get("metadata")).toBe('{"plan":"pro"}');
    expect(created.get("created")).toMatch(/^\d{4}-\d\d-\d\dT/);

    const second = await json(["tenants", "create", "--name", "Second"]);
    expect(second).toEqual(await h.api.expectGet(`/v1/tenants/${second.id}`));

    const list = tableRows(await ok(["tenants", "list", "--limit", "250"]));
    expect(list[0]).toEqual(["ID", "NAME", "CREATED"]);
    expect(list.slice(1).map((r) => r.slice(0, 2))).toEqual(expect.arrayContaining([[id, "Acme Inc"], [second.id, "Second"]]));
    expect(await json(["tenants", "list", "--limit", "250"])).toEqual(await h.api.expectGet("/v1/tenants?limit=250"));

    // One page at a time: the hint under the table is the way to the next.
    const firstPage = await ok(["tenants", "list", "--limit", "1"]);
    const cursor = /more: repeat with --cursor (\S+)/.exec(firstPage)?.[1];
    expect(cursor).toBeDefined();
    const next = await json(["tenants", "list", "--limit", "1", "--cursor", cursor!]);
    expect(next).toEqual(await h.api.expectGet(`/v1/tenants?limit=1&cursor=${encodeURIComponent(cursor!)}`));

    expect(record(await ok(["tenants", "show", id])).get("name")).toBe("Acme Inc");
    expect(await json(["tenants", "show", id])).toEqual(await h.api.expectGet(`/v1/tenants/${id}`));
  });

  it("endpoints: create shows the secret once; list, show, rotate-secret, disable and enable", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    const out = await ok(
      ["endpoints", "create", `${receiver.url}/hooks`, "--event-type", "invoice.*", "--event-type", "order.created", "--retry-schedule", "0,2,5", "--description", "billing", "--header", "x-team=billing"],
      tenant,
    );
    const created = record(out);
    const id = created.get("id")!;
    expect(id).toMatch(/^ep_/);
    expect(created.get("url")).toBe(`${receiver.url}/hooks`);
    expect(created.get("event types")).toBe("invoice.*,order.created");
    expect(created.get("retry schedule")).toBe("0,2,5 s");
    expect(created.get("status")).toBe("enabled");
    expect(created.get("secret")).toMatch(/^whsec_/);
    expect(out).toContain("The secret is shown only this once");

    const ed = await json(["endpoints", "create", `${receiver.url}/ed`, "--signature", "ed25519"], tenant);
    expect(ed).toMatchObject({ signature_scheme: "ed25519", public_key: expect.stringMatching(/^whpk_/), secret: expect.stringMatching(/^whsk_/) });

    const rows = tableRows(await ok(["endpoints", "list"], tenant));
    expect(rows[0]).toEqual(["ID", "URL", "EVENT TYPES", "STATUS", "BREAKER", "FAILURE RATE"]);
    expect(rows.slice(1).find((r) => r[0] === id)).toEqual([id, `${receiver.url}/hooks`, "invoice.*,order.created", "enabled", "closed", "-"]);
    const listed = await json(["endpoints", "list"], tenant);
    expect(listed.data.map((e: Json) => e.id).sort()).toEqual([id, ed.id].sort());
    expect(listed.data.every((e: Json) => e.secret === undefined)).toBe(true);

    const shown = record(await ok(["endpoints", "show", id], tenant));
    expect(shown.get("description")).toBe("billing");
    expect(shown.get("breaker")).toBe("closed");
    expect(shown.has("secret")).toBe(false);
    expect((await json(["endpoints", "show", ed.id], tenant)).public_key).toBe(ed.public_key);

    const rotated = record(await ok(["endpoints", "rotate-secret", id, "--expire-old-after", "60"], tenant));
    expect(rotated.get("secret")).toMatch(/^whsec_/);
    expect(rotated.get("secret")).not.toBe(created.get("secret"));
    const overlapEnd = Date.parse(rotated.get("old secret signs until")!);
    expect(overlapEnd - Date.now()).toBeGreaterThan(50_000);
    expect(overlapEnd - Date.now()).toBeLessThanOrEqual(60_000);

    expect(await ok(["endpoints", "disable", id], tenant)).toBe(`${id} disabled\n`);
    expect((await h.api.expectGet(`/v1/tenants/${tenant}/endpoints/${id}`)).disabled).toBe(true);
    expect(record(await ok(["endpoints", "show", id], tenant)).get("status")).toMatch(/^disabled/);
    expect((await json(["endpoints", "enable", id], tenant)).disabled).toBe(false);
    expect(await ok(["endpoints", "enable", id], tenant)).toBe(`${id} enabled\n`);
  });

  it("events publish and deliveries list with each filter, and show with its attempts", async () => {
    const tenant = await h.tenant();
    const good = await h.receiver();
    const bad = await h.receiver(answer(500, { "content-type": "text/plain" }, "down for maintenance"));
    const goodEp = await h.api.createEndpoint(tenant, { url: good.url, event_types: ["invoice.*", "order.*"] });
    const badEp = await h.api.createEndpoint(tenant, { url: bad.url, event_types: ["invoice.*"], retry_schedule_s: [0] });

    const paid = record(await ok(["events", "publish", "invoice.paid", "--data", '{"invoice":"in_1","amount":4200}', "--idempotency-key", "k-1"], tenant));
    expect(paid.get("type")).toBe("invoice.paid");
    expect(paid.get("endpoints")).toBe("2");
    // The same idempotency key gives back the same event.
    expect((await json(["events", "publish", "invoice.paid", "--data", '{"invoice":"in_1","amount":4200}', "--idempotency-key", "k-1"], tenant)).id).toBe(paid.get("id"));
    const dataFile = join(folder, `order-${kind}.json`);
    writeFileSync(dataFile, '{"order":"o_1"}');
    const order = await json(["events", "publish", "order.created", "--data-file", dataFile], tenant);
    expect(order).toMatchObject({ type: "order.created", matched_endpoints: 1 });
    expect((await h.api.expectGet(`/v1/tenants/${tenant}/events/${order.id}`)).data).toEqual({ order: "o_1" });

    await eventually(async () => {
      const all = await h.api.deliveriesOf(tenant);
      expect(all.map((d) => d.status).sort()).toEqual(["dead", "succeeded", "succeeded"]);
    });

    const table = tableRows(await ok(["deliveries", "list"], tenant));
    expect(table[0]).toEqual(["ID", "EVENT TYPE", "ENDPOINT", "STATUS", "ATTEMPTS", "LAST", "CREATED"]);
    expect(table).toHaveLength(4);
    const deadRow = table.find((r) => r[3] === "dead")!;
    expect(deadRow.slice(1, 6)).toEqual(["invoice.paid", badEp.id, "dead", "1", "500"]);

    const ids = async (args: string[]) => ((await json(["deliveries", "list", ...args], tenant)).data as Json[]).map((d) => d.id).sort();
    const api = async (query: string) => (await h.api.deliveriesOf(tenant, Object.fromEntries(new URLSearchParams(query)))).map((d) => d.id).sort();
    expect(await ids(["--status", "dead"])).toEqual(await api("status=dead"));
    expect(await ids(["--status", "dead"])).toHaveLength(1);
    expect(await ids(["--status", "succeeded,dead"])).toHaveLength(3);
    expect(await ids(["--endpoint", goodEp.id])).toEqual(await api(`endpoint_id=${goodEp.id}`));
    expect(await ids(["--endpoint", goodEp.id])).toHaveLength(2);
    expect(await ids(["--event", order.id])).toHaveLength(1);
    expect(await ids(["--type", "invoice.*"])).toHaveLength(2);
    expect(await ids(["--type", "order.created"])).toEqual(await ids(["--event", order.id]));
    expect(await ids(["--since", "1h"])).toHaveLength(3);
    expect(await ids(["--since", new Date(Date.now() + 60_000).toISOString()])).toEqual([]);
    expect(await ids(["--until", "2000-01-01T00:00:00Z"])).toEqual([]);
    expect(await ids(["--min-attempts", "2"])).toEqual([]);
    expect(await json(["deliveries", "list", "--status", "dead"], tenant)).toEqual(await h.api.expectGet(`/v1/tenants/${tenant}/deliveries?status=dead`));

    const deadId = deadRow[0]!;
    const shown = await ok(["deliveries", "show", deadId], tenant);
    const [head, attempts] = shown.split("\nAttempts:\n");
    const fields = record(head!);
    expect(fields.get("status")).toBe("dead");
    expect(fields.get("endpoint")).toBe(badEp.id);
    expect(fields.get("event")).toBe(`${paid.get("id")} (invoice.paid)`);
    expect(fields.get("url")).toBe(bad.url);
    const attemptRows = tableRows(attempts!);
    expect(attemptRows[0]).toEqual(["#", "STARTED", "DURATION", "STATUS", "OUTCOME", "ERROR", "RESPONSE"]);
    expect(attemptRows).toHaveLength(2);
    expect(attemptRows[1]!.filter((_, i) => i !== 1 && i !== 2)).toEqual(["1", "500", "retry", "HTTP 500", "down for maintenance"]);
    const detail = await json(["deliveries", "show", deadId], tenant);
    expect(detail).toEqual(await h.api.getDelivery(tenant, deadId));
    expect(detail.attempts[0].response_body).toBe("down for maintenance");
  });

  it("replay: one delivery, then an endpoint's dead deliveries in bulk", async () => {
    const tenant = await h.tenant();
    let healthy = false;
    const receiver = await h.receiver((_req, res) => {
      res.writeHead(healthy ? 204 : 500);
      res.end();
    });
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url, retry_schedule_s: [0] });
    for (let i = 0; i < 3; i++) await h.api.publish(tenant, { type: "invoice.paid", data: { i } });
    const dead = await eventually(async () => {
      const list = await h.api.deliveriesOf(tenant, { status: "dead" });
      expect(list).toHaveLength(3);
      return list;
    });
    healthy = true;

    const one = record(await ok(["replay", dead[0]!.id], tenant));
    expect(one.get("id")).toBe(dead[0]!.id);
    expect(one.get("status")).toBe("pending");
    expect(one.get("attempts so far")).toBe("1");
    await h.api.waitForDelivery(tenant, dead[0]!.id, (d) => d.status === "succeeded");

    expect(await ok(["replay", "--endpoint", ep.id], tenant)).toBe(`queued 2 dead deliveries of ${ep.id} again\n`);
    await eventually(async () => expect(await h.api.deliveriesOf(tenant, { status: "succeeded" })).toHaveLength(3));
    expect(await json(["replay", "--endpoint", ep.id, "--status", "dead"], tenant)).toEqual({ count: 0 });

    const both = await runCli(["replay", dead[0]!.id, "--endpoint", ep.id], env(tenant));
    expect(both).toMatchObject({ status: 2, stdout: "", stderr: "hookd: give a delivery id, or --endpoint <endpoint_id> to replay in bulk (not both)\n" });
    const pending = await runCli(["replay", "dlv_nope"], env(tenant));
    expect(pending).toMatchObject({ status: 1, stderr: "hookd: DELIVERY_NOT_FOUND: delivery dlv_nope not found\n" });
  });

  it("recover follows the task with its progress to the end and prints what it did", async () => {
    const tenant = await h.tenant();
    let healthy = false;
    // 422 is final at once and does not open the breaker, so all 40 go dead quickly.
    const receiver = await h.receiver((_req, res) => {
      res.writeHead(healthy ? 204 : 422);
      res.end();
    });
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url });
    const events = Array.from({ length: 40 }, (_, i) => ({ type: "invoice.paid", data: { i } }));
    await h.api.expectPost(`/v1/tenants/${tenant}/events/batch`, { events }, 202);
    await eventually(async () => expect(await h.api.deliveriesOf(tenant, { status: "dead" })).toHaveLength(40), 20_000);
    healthy = true;

    const r = await runCli(["recover", ep.id, "--since", "1h", "--interval", "20"], env(tenant));
    expect(r.status, r.stderr).toBe(0);
    const lines = r.progress.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^recover task_\w+: \d+\/40 requeued \d+, skipped \d+$/);
    expect(lines.at(-1)).toMatch(/: 40\/40 requeued 40, skipped 0$/);
    const summary = record(r.stdout);
    expect(summary.get("status")).toBe("succeeded");
    expect(summary.get("endpoint")).toBe(ep.id);
    expect(summary.get("requeued")).toBe("40");
    expect(summary.get("skipped")).toBe("0");
    const task = await h.api.expectGet(`/v1/tenants/${tenant}/tasks/${summary.get("task")}`);
    expect(task).toMatchObject({ status: "succeeded", requeued: 40, done: 40, total: 40 });
    await eventually(async () => expect(await h.api.deliveriesOf(tenant, { status: "succeeded" })).toHaveLength(40), 20_000);

    // --json prints the finished task as hookd answers it.
    const again = await runCli(["recover", ep.id, "--since", "1h", "--interval", "20", "--json"], env(tenant));
    expect(again.status, again.stderr).toBe(0);
    const finished = JSON.parse(again.stdout);
    expect(finished).toEqual(await h.api.expectGet(`/v1/tenants/${tenant}/tasks/${finished.id}`));
    expect(finished).toMatchObject({ status: "succeeded", total: 0, requeued: 0 });
  });

  it("prints hookd's refusals as `hookd: CODE: message` with status 1, and usage mistakes with status 2, never a stack", async () => {
    const tenant = await h.tenant();
    const cases: Array<[string[], Record<string, string>, number, string]> = [
      [["tenants", "show", "nobody"], {}, 1, "hookd: TENANT_NOT_FOUND: tenant nobody not found\n"],
      [["endpoints", "show", "ep_missing"], { HOOKD_TENANT: tenant }, 1, "hookd: ENDPOINT_NOT_FOUND: endpoint ep_missing not found\n"],
      [["tenants", "list"], { HOOKD_API_KEY: "hk_wrong_key_0123456789abcdef" }, 1, "hookd: UNAUTHORIZED: "],
      [["endpoints", "create", "not a url"], { HOOKD_TENANT: tenant }, 1, "hookd: INVALID_ENDPOINT_URL: url must be an absolute http or https URL\n"],
      [["tenants", "create", "--name", ""], {}, 1, "hookd: VALIDATION_FAILED: "],
      [["events", "publish", "invoice.paid", "--data", "[1]"], { HOOKD_TENANT: tenant }, 2, "hookd: --data must be a JSON object\n"],
      [["deliveries", "list", "--status", "lost"], { HOOKD_TENANT: tenant }, 2, "hookd: --status takes pending, failed, succeeded, dead (comma-separated), not lost\n"],
      [["deliveries", "list", "--since", "yesterday"], { HOOKD_TENANT: tenant }, 2, "hookd: --since must be a date-time"],
      [["endpoints", "list"], {}, 2, "hookd: no tenant: pass --tenant or set HOOKD_TENANT\n"],
      [["tenants", "list"], { HOOKD_API_KEY: "" }, 2, "hookd: no API key: pass --key or set HOOKD_API_KEY"],
    ];
    for (const [args, extra, status, message] of cases) {
      const r = await runCli(args, { ...env(), ...extra });
      expect(r.status, args.join(" ")).toBe(status);
      expect(r.stdout, args.join(" ")).toBe("");
      expect(r.stderr.startsWith(message), `${args.join(" ")}: ${r.stderr}`).toBe(true);
      expect(r.stderr.split("\n").filter(Boolean), args.join(" ")).toHaveLength(1);
    }
    // Flags win over the environment.
    const viaFlags = await runCli(["tenants", "show", tenant, "--url", h.app.url!, "--key", ADMIN_KEY], { HOOKD_URL: "http://127.0.0.1:9", HOOKD_API_KEY: "hk_wrong" });
    expect(viaFlags.status, viaFlags.stderr).toBe(0);
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const unreachable = await runCli(["tenants", "list"], { HOOKD_URL: `http://127.0.0.1:${port}`, HOOKD_API_KEY: ADMIN_KEY });
    expect(unreachable).toMatchObject({ status: 1, stdout: "" });
    expect(unreachable.stderr).toBe(`hookd: cannot reach hookd at http://127.0.0.1:${port} (ECONNREFUSED); is it running? Set --url or HOOKD_URL\n`);
  });
});
