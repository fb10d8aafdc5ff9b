/**
 * Builds the web console (web/ -> web/dist/) with Vite when it is missing or older than its sources, so `npm ci`
 * (prepare), `npm start` (prestart) and the test run (vitest globalSetup) always serve what the sources say, and a
 * second run costs a directory walk. `--force` rebuilds regardless.
 *
 * @example node --import tsx scripts/build-web.ts
 */
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const WEB = join(ROOT, "web");
const STAMP = join(WEB, "dist", ".built");
/** Besides web/ itself, what changes the output: the locked dependency versions. */
const EXTRA_INPUTS = [join(ROOT, "package-lock.json")];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "dist" || entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function webIsStale(): boolean {
  if (!existsSync(STAMP)) return true;
  const built = statSync(STAMP).mtimeMs;
  const inputs = Math.max(newestMtime(WEB), ...EXTRA_INPUTS.filter(existsSync).map((p) => statSync(p).mtimeMs));
  return inputs > built;
}

export async function buildWeb(force = false): Promise<boolean> {
  if (!force && !webIsStale()) return false;
  const { build } = await import("vite");
  await build({ configFile: join(WEB, "vite.config.ts") });
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  buildWeb(process.argv.includes("--force")).then(
    (built) => console.log(built ? `web console built in ${Date.now() - started} ms` : "web console is up to date"),
    (err: unknown) => {
      console.error("building the web console failed:", err);
      process.exit(1);
    },
  );
}
