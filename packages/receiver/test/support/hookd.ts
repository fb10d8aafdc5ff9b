/**
 * A real hookd for the receiver's tests: the repository's end-to-end harness (an in-process hookd on SQLite, port
 * 0). The package's source never imports hookd; only its tests do, to check it against real deliveries.
 */
export { type E2eContext, eventually, type Json, useHookd } from "../../../../test/e2e/harness.ts";
