/**
 * Real Redis clients for the dedupe tests: ioredis and node-redis against 127.0.0.1:6379 (override with
 * HOOKD_TEST_REDIS_URL). An unreachable server fails the tests with instructions; nothing is skipped.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { createClient } from "redis";

export const REDIS_URL = process.env.HOOKD_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

const unreachable = (err: unknown) =>
  new Error(
    `Redis is not reachable at ${REDIS_URL} (${(err as Error).message}). Start it with ` +
      '`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no` or set HOOKD_TEST_REDIS_URL.',
  );

export async function ioredisClient(): Promise<Redis> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  await client.connect().catch((err: unknown) => {
    throw unreachable(err);
  });
  return client;
}

export async function nodeRedisClient() {
  const client = createClient({ url: REDIS_URL, socket: { reconnectStrategy: false } });
  client.on("error", () => undefined);
  await client.connect().catch((err: unknown) => {
    throw unreachable(err);
  });
  return client;
}

/** A key prefix of its own for each test, so parallel runs never see each other's ids. */
export const testPrefix = () => `hookd-receiver-test:${randomUUID()}:`;
