/**
 * Builds the operator console and the tenant portal (two pages sharing one set of chunks) from web/ into web/dist/,
 * which hookd serves (src/features/web/pages.ts). Run through scripts/build-web.ts; the output is not committed.
 * No inline script or style is emitted (the pages' Content-Security-Policy forbids both), and nothing is loaded
 * from another origin at run time.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here("."),
  base: "/",
  logLevel: "warn",
  publicDir: false,
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: here("./dist"),
    emptyOutDir: true,
    assetsDir: "assets",
    // Vite would inline small assets as data: URLs and the preload polyfill as a script; keep every byte a file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
    sourcemap: false,
    rolldownOptions: {
      input: { console: here("./console/index.html"), portal: here("./portal/index.html") },
    },
  },
});
