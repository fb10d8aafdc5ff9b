/**
 * @hookd/receiver: verify webhooks sent by hookd, or by any Standard Webhooks sender. The core works on the raw body
 * and headers; framework adapters live under `@hookd/receiver/express`, `/fastify`, `/hono` and `/next`.
 *
 * @example
 * import { createVerifier } from "@hookd/receiver";
 * const verifier = createVerifier({ secret: process.env.WEBHOOK_SECRET });
 * const webhook = verifier.verify(rawBody, req.headers); // throws WebhookVerificationError unless genuine and fresh
 */
export { createVerifier, DEFAULT_TOLERANCE_S, type RawBody, type VerifiedWebhook, type Verifier, type VerifyOptions, verifyWebhook } from "./verify.js";
export { RawBodyError, type WebhookErrorCode, WebhookVerificationError } from "./errors.js";
export { type HeaderSource, readWebhookHeaders } from "./headers.js";
export { parsePublicKey, parseSecret } from "./keys.js";
export { createDeduper, type DedupeOutcome, type Deduper, type DeduperOptions } from "./dedupe/deduper.js";
export type { ClaimResult, DedupeStore } from "./dedupe/store.js";
export { MemoryDedupeStore, type MemoryDedupeStoreOptions } from "./dedupe/memory-store.js";
export { RedisDedupeStore, type RedisClientLike, type RedisDedupeStoreOptions } from "./dedupe/redis-store.js";
export type { WebhookRouteOptions } from "./adapters/answers.js";
