/**
 * An unhandled promise rejection ends the process (issue 13, finding 15): it is logged at fatal and hookd exits
 * non-zero, so its supervisor restarts it; carrying on would leave it in a state nobody planned for. The other crash
 * tests show that a restart loses nothing. The rejection comes from a preloaded module on SIGUSR2, inside a real
 * `hookd serve` on each store.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type HookdProcess, startHookd } from "../support/hookd-process.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";

const PRELOAD = new URL("../fixtures/reject-on-sigusr2.mjs", import.meta.url).href;

describe.each(STORE_KINDS)("unhandled rejection (%s)", (kind) => {
  let db: TestDatabase;
  let proc: HookdProcess | null = null;

  afterEach(async () => {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) await proc.kill9();
    await db?.destroy();
  });

  it("is logged at fatal and exits the process with a non-zero status", async () => {
    db = await createTestDatabase(kind);
    proc = await startHookd(
      {
        HOOKD_DATABASE_URL: db.url,
        HOOKD_HOST: "127.0.0.1",
        HOOKD_PORT: "0",
        HOOKD_ADMIN_KEY: "crash-test-admin-key-0123456789",
        HOOKD_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      },
      ["serve"],
      { preload: [PRELOAD] },
    );
    expect((await fetch(`${proc.url}/healthz`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => proc!.child.on("exit", (code) => resolve(code)));
    proc.child.kill("SIGUSR2");
    // A bound, not a sleep: a process that carries on never exits, and the test must say so rather than time out.
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("still running"), 10_000))]);
    expect(code).not.toBe("still running");
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    const fatal = proc
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } })
      .find((l) => l.level === 60);
    expect(fatal?.err?.message).toBe("a rejection nobody handles");
    expect(fatal?.msg).toMatch(/unhandled promise rejection/);
  });
});
