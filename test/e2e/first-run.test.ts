/**
 * The README's first command, as a newcomer runs it: hookd started in an empty folder with no settings but a free
 * port. It must create its data folder, print an admin key once, listen on loopback only, stop on SIGTERM, and on
 * the next start say how to get a key instead of printing nothing. `.ci/run` repeats the start with no settings at
 * all from a clean clone.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { type HookdProcess, startHookd } from "../support/hookd-process.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const running: HookdProcess[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const p of running.splice(0)) await p.kill9();
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

function emptyFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "hookd-first-run-"));
  folders.push(dir);
  return dir;
}

async function start(cwd: string): Promise<HookdProcess> {
  const p = await startHookd({ HOOKD_PORT: "0" }, ["serve"], { cwd });
  running.push(p);
  return p;
}

const ADMIN_KEY = /\n {2}(hk_admin_[A-Za-z0-9_-]{43})\n/;

describe("first run in an empty folder, no settings", () => {
  it("starts, prints an admin key that works, listens on loopback only, and stops on SIGTERM", async () => {
    const cwd = emptyFolder();
    const hookd = await start(cwd);
    expect(new URL(hookd.url).hostname).toBe("127.0.0.1");
    const key = ADMIN_KEY.exec(hookd.output())?.[1];
    expect(key).toBeDefined();
    // The data folder and the generated encryption key were made, the key readable by its owner only.
    expect(statSync(join(cwd, "data", "hookd.db")).isFile()).toBe(true);
    expect(statSync(join(cwd, "data", "hookd.db.key")).mode & 0o077).toBe(0);
    const authorised = await fetch(`${hookd.url}/v1/tenants`, { headers: { authorization: `Bearer ${key}` } });
    expect(authorised.status).toBe(200);

    running.splice(running.indexOf(hookd), 1);
    expect(await hookd.stop()).toBe(0);
    expect(hookd.output()).toContain("hookd stopped");
  });

  it("on a second start prints no key but says how to get one, and admin-key create mints a working one", async () => {
    const cwd = emptyFolder();
    const first = await start(cwd);
    running.splice(running.indexOf(first), 1);
    expect(await first.stop()).toBe(0);

    const second = await start(cwd);
    expect(ADMIN_KEY.test(second.output())).toBe(false);
    expect(second.output()).toContain("admin-key create");

    const minted = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), `${ROOT}src/main.ts`, "admin-key", "create"], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOOKD_LOG_LEVEL: "warn" },
      encoding: "utf8",
    });
    expect(minted.status, minted.stderr).toBe(0);
    const key = ADMIN_KEY.exec(minted.stdout)?.[1];
    expect(key).toBeDefined();
    const res = await fetch(`${second.url}/v1/tenants`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
  });

  it("hookd --version prints the package version", () => {
    const out = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), `${ROOT}src/main.ts`, "--version"], {
      encoding: "utf8",
    });
    expect(out.status).toBe(0);
    expect(out.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(out.stdout.trim()).toBe(JSON.parse(spawnSync("cat", [`${ROOT}package.json`], { encoding: "utf8" }).stdout).version);
  });
});
