/**
 * The master key test hookd instances use (HOOKD_ENCRYPTION_KEY is required with PostgreSQL). Random per run: no
 * test may depend on its value, only on hookd holding the same key across restarts within the run.
 */
import { randomBytes } from "node:crypto";

export const TEST_ENCRYPTION_KEY = randomBytes(32).toString("base64");
