/**
 * Installs a workspace package the way its users get it: `npm pack` (which builds it through its `prepack` script)
 * and `npm install <tarball>` into an empty project in a temp folder, so a test can import it with plain Node and
 * type-check a consumer against its published types. Dependencies come from npm's cache when it has them.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface PackedInstall {
  /** The consumer project's folder, with the package in node_modules. */
  dir: string;
  /** Paths inside the tarball. */
  files: string[];
  /** Runs a command in the consumer project; throws with its output when it fails. */
  run(command: string, args: string[]): string;
  remove(): void;
}

/** npm's own variables from an outer `npm test` (workspace, prefix...) would steer the inner npm: leave them out. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
  return env;
}

export function packAndInstall(packageDir: string): PackedInstall {
  const dir = mkdtempSync(join(tmpdir(), "hookd-packed-"));
  const run = (command: string, args: string[], cwd = dir) => {
    try {
      return execFileSync(command, args, { cwd, env: cleanEnv(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${command} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
    }
  };
  const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dir], join(ROOT, packageDir))) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  const tarball = join(dir, packed[0]!.filename);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  run("npm", ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]);
  return {
    dir,
    files: packed[0]!.files.map((f) => f.path).sort(),
    run: (command, args) => run(command, args),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Type-checks `file` in the consumer project as a strict NodeNext TypeScript user would, with the repo's tsc. */
export function typeCheck(install: PackedInstall, file: string): string {
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  return install.run(process.execPath, [
    tsc,
    "--noEmit",
    "--strict",
    "--module",
    "nodenext",
    "--moduleResolution",
    "nodenext",
    "--target",
    "es2022",
    "--types",
    "node",
    "--typeRoots",
    join(ROOT, "node_modules/@types"),
    file,
  ]);
}
