/**
 * A real hookd for the client's tests: the repository's end-to-end harness (an in-process hookd on SQLite, port 0).
 * The package's source never imports hookd; only its tests do.
 */
export { ADMIN_KEY, eventually, type Json, useHookd } from "../../../../test/e2e/harness.ts";
