#!/usr/bin/env node
// The `hookd` command (package.json "bin", so `npx hookd ...` in this repository). hookd runs from its TypeScript
// source, with no build step: this registers tsx's loader with the repository's tsconfig (whatever the working
// directory, so `paths` resolve the same as under `npm run hookd`) and then runs the command line in src/main.ts.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
await import("../src/main.ts");
