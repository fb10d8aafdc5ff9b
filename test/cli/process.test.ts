/**
 * The `hookd` command as people run it: a real process through bin/hookd.js (the package's bin, `npx hookd`). Every
 * command's --help shows the environment it reads with the defaults; a reader closing the pipe early ends hookd
 * quietly (the EPIPE bug); a refusal is one line and a status, not a stack; migrate and rotate-encryption-key show
 * progress; and recover draws its progress bar on a terminal (a pseudo-terminal from script(1)) to 100%.
 */
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.ts";
import { ADMIN_KEY, eventually, useHookd } from "../e2e/harness.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";
import { answer } from "../support/receiver.ts";
import { createTestDatabase, STORE_KINDS } from "../support/stores.ts";
import { runCli } from "./run-cli.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin/hookd.js");
const folder = mkdtempSync(join(tmpdir(), "hookd-cli-process-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Runs a command to its end without blocking this process (a test's hookd answers from here). */
function run(command: string, args: string[], env: Record<string, string> = {}, cwd = folder) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
const hookd = (args: string[], env: Record<string, string> = {}) => run(process.execPath, [BIN, ...args], env);

/** Every command's path: ["serve"], ["endpoints", "list"], ... */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    return [path, ...commandPaths(c, path)];
  });
}

describe("--help", () => {
  const program = buildProgram({ env: {}, stdout: () => undefined, stderr: () => undefined, progress: process.stderr }).program;
  const paths = commandPaths(program);
  const SERVER = new Set(["serve", "migrate", "rotate-encryption-key", "admin-key", "admin-key create"]);
  const TENANTLESS = new Set(["tenants", "tenants list", "tenants create", "tenants show"]);
  const PRODUCER = new Set(["outbox", "outbox install"]);

  it("covers every command", () => {
    expect(paths.map((p) => p.join(" "))).toEqual(
      expect.arrayContaining(["serve", "migrate", "admin-key create", "tenants list", "endpoints rotate-secret", "endpoints disable", "events publish", "deliveries show", "replay", "recover"]),
    );
  });

  it.each(paths.map((p) => [p.join(" ")]))("hookd %s --help shows the environment it reads, with the defaults", async (path) => {
    const r = await runCli([...path.split(" "), "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: hookd ${path} `));
    if (PRODUCER.has(path)) {
      // Acts on the producer's database given on the command line, so it says it reads no hookd settings.
      expect(r.stdout).toMatch(/Environment:\n {2}none: the producer's database is given with --database-url/);
      expect(r.stdout).not.toContain("HOOKD_DATABASE_URL");
    } else if (SERVER.has(path)) {
      expect(r.stdout).toContain("HOOKD_DATABASE_URL");
      expect(r.stdout).toContain("[default: sqlite:./data/hookd.db]");
      expect(r.stdout).toContain("HOOKD_PORT");
    } else {
      expect(r.stdout).toMatch(/HOOKD_URL +address of the hookd API \[default: http:\/\/127\.0\.0\.1:8080\]/);
      expect(r.stdout).toContain("HOOKD_API_KEY");
      expect(r.stdout.includes("HOOKD_TENANT")).toBe(!TENANTLESS.has(path));
    }
  });

  it("hookd --help lists the commands and both kinds of settings", async () => {
    const r = await runCli(["--help"]);
    for (const name of ["serve", "migrate", "tenants", "endpoints", "events", "deliveries", "replay", "recover", "admin-key"]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
    }
    expect(r.stdout).toContain("HOOKD_DATABASE_URL");
    expect(r.stdout).toContain("HOOKD_TENANT");
  });
});

describe("the hookd process", () => {
  it("runs from the bin in any folder, and through npx in the repository", async () => {
    const r = await hookd(["--version"]);
    expect(r).toMatchObject({ status: 0, stderr: "" });
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const npx = await run("npx", ["--no-install", "hookd", "--help"], {}, ROOT);
    expect(npx.status, npx.stderr).toBe(0);
    expect(npx.stdout.split("\n")[0]).toBe("Usage: hookd [options] [command]");
  });

  it("exits quietly when the reader closes the pipe early (`npm run -s hookd -- --help | head -1`)", async () => {
    for (const pipeline of [`npm run -s hookd -- --help | head -1`, `node ${BIN} --help | head -1`, `node ${BIN} tenants --help | head -c 10`]) {
      const r = await run("bash", ["-c", `set -o pipefail; ${pipeline}`], {}, ROOT);
      expect(r.stderr, pipeline).toBe("");
      expect(r.status, pipeline).toBe(0);
      expect(r.stdout.length, pipeline).toBeGreaterThan(0);
    }
  });

  it("migrate shows its progress and ends on both stores", async () => {
    for (const kind of STORE_KINDS) {
      const db = await createTestDatabase(kind);
      try {
        const r = await hookd(["migrate"], { HOOKD_DATABASE_URL: db.url, HOOKD_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, HOOKD_LOG_LEVEL: "warn" });
        expect(r.status, r.stderr).toBe(0);
        // Off a terminal the spinner prints its start and end as lines.
        expect(r.stderr).toContain("applying database migrations");
        expect(r.stderr).toMatch(/database migrations applied\n$/);
      } finally {
        await db.destroy();
      }
    }
  });
});

describe("against a running hookd", () => {
  const h = useHookd("postgres");
  const env = (tenant: string) => ({ HOOKD_URL: h.app.url!, HOOKD_API_KEY: ADMIN_KEY, HOOKD_TENANT: tenant });

  it("prints a refusal as one line with its code and exits 1, never a stack", async () => {
    const tenant = await h.tenant();
    const r = await hookd(["deliveries", "show", "dlv_missing"], env(tenant));
    expect(r).toEqual({ status: 1, stdout: "", stderr: "hookd: DELIVERY_NOT_FOUND: delivery dlv_missing not found\n" });
    const usage = await hookd(["deliveries", "list", "--status", "gone"], env(tenant));
    expect(usage.status).toBe(2);
    expect(usage.stderr).not.toMatch(/\n\s+at /);
  });

  it("recover draws its progress bar on a terminal to 100% and prints the result", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(422));
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url });
    const events = Array.from({ length: 30 }, (_, i) => ({ type: "invoice.paid", data: { i } }));
    await h.api.expectPost(`/v1/tenants/${tenant}/events/batch`, { events }, 202);
    await eventually(async () => expect(await h.api.deliveriesOf(tenant, { status: "dead" })).toHaveLength(30), 20_000);
    receiver.handler = answer(204);

    // script(1) gives the command a pseudo-terminal, so stderr is a TTY and the bar is drawn as on a laptop.
    const command = `${process.execPath} ${BIN} recover ${ep.id} --since 1h --interval 20`;
    const r = await run("script", ["-qec", command, "/dev/null"], { ...env(tenant), TERM: "xterm", COLUMNS: "120" });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/recover task_\w+ \[[\u2588\u2591]+\] 100% 30\/30 requeued 30, skipped 0/);
    expect(r.stdout).toMatch(/status\s+succeeded/);
    expect(r.stdout).toMatch(/requeued\s+30/);
  });

  it("rotate-encryption-key shows progress and re-encrypts every endpoint secret", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    for (let i = 0; i < 3; i++) await h.api.createEndpoint(tenant, { url: `${receiver.url}/${i}` });
    const newKey = randomBytes(32).toString("base64");
    const r = await hookd(["rotate-encryption-key"], {
      HOOKD_DATABASE_URL: h.db.url,
      HOOKD_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      HOOKD_NEW_ENCRYPTION_KEY: newKey,
      HOOKD_LOG_LEVEL: "warn",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("re-encrypting endpoint secrets and header values");
    expect(r.stdout).toMatch(/^hookd: re-encrypted \d+ endpoint secret\(s\); all \d+ now use key /);
  });
});
