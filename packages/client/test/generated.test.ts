/**
 * The typed client must describe the API hookd serves: src/openapi.ts is exactly what openapi-typescript makes of
 * the repository's openapi.json today (which the root suite in turn checks against the routes). Fails when either
 * changed without the other; `npm run openapi` at the root regenerates both.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PACKAGE = fileURLToPath(new URL("../", import.meta.url));
// The package's exports map `*.js` to `*.mjs`, so its bin is found beside its package.json.
const CLI = fileURLToPath(new URL("bin/cli.js", import.meta.resolve("openapi-typescript/package.json")));

describe("src/openapi.ts", () => {
  it("is what openapi-typescript generates from openapi.json now (run `npm run openapi` at the root to refresh it)", () => {
    const generated = execFileSync(process.execPath, [CLI, "../../openapi.json"], { cwd: PACKAGE, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const committed = readFileSync(new URL("../src/openapi.ts", import.meta.url), "utf8");
    expect(generated.length).toBeGreaterThan(10_000);
    expect(generated === committed, "packages/client/src/openapi.ts is stale: run `npm run openapi` at the root and commit the result").toBe(true);
  });

  it("covers every path of openapi.json", () => {
    const doc = JSON.parse(readFileSync(new URL("../../../openapi.json", import.meta.url), "utf8")) as { paths: Record<string, unknown> };
    const committed = readFileSync(new URL("../src/openapi.ts", import.meta.url), "utf8");
    const missing = Object.keys(doc.paths).filter((p) => !committed.includes(`"${p}": {`));
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});
