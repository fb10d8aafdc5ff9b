/**
 * A DedupeStore in Redis, shared by every receiver process. One key per id (`<prefix><id>`) whose value is
 * `<state>:<token>` and whose expiry Redis enforces. The claim is one `SET ... NX PX`, so two processes racing for the
 * same id never both get it; complete and release are small scripts that act only while the caller's token still
 * holds the key.
 *
 * Bring your own client: ioredis (anything with `call(command, ...args)`) or node-redis v4+ (anything with
 * `sendCommand(args)`). The package itself depends on neither.
 */
import { randomUUID } from "node:crypto";
import type { ClaimResult, DedupeStore } from "./store.js";

/** An ioredis client (`call`) or a node-redis client (`sendCommand`). */
export type RedisClientLike =
  | { call(command: string, ...args: string[]): Promise<unknown> }
  | { sendCommand(args: string[]): Promise<unknown> };

export interface RedisDedupeStoreOptions {
  client: RedisClientLike;
  /** Key prefix (default `webhook-dedupe:`). */
  prefix?: string;
}

// Replace the value with done:<token> and a new expiry, only while the key still holds processing:<token>.
const COMPLETE = `if redis.call("GET", KEYS[1]) == "processing:" .. ARGV[1] then
  return redis.call("SET", KEYS[1], "done:" .. ARGV[1], "PX", ARGV[2])
end
return nil`;
// Delete the key only while it still holds processing:<token>.
const RELEASE = `if redis.call("GET", KEYS[1]) == "processing:" .. ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`;

export class RedisDedupeStore implements DedupeStore {
  private readonly command: (args: string[]) => Promise<unknown>;
  private readonly prefix: string;

  constructor(options: RedisDedupeStoreOptions) {
    const client = options.client as Partial<{ call: (c: string, ...a: string[]) => Promise<unknown>; sendCommand: (a: string[]) => Promise<unknown> }>;
    // ioredis has a sendCommand too, with another signature: look for its `call` first.
    if (typeof client.call === "function") this.command = (args) => client.call!(args[0]!, ...args.slice(1));
    else if (typeof client.sendCommand === "function") this.command = (args) => client.sendCommand!(args);
    else throw new TypeError("RedisDedupeStore: client must be an ioredis or node-redis client");
    this.prefix = options.prefix ?? "webhook-dedupe:";
  }

  async claim(id: string, processingTtlMs: number): Promise<ClaimResult> {
    const key = this.prefix + id;
    // Two tries: the key may expire between a refused SET and the GET that reads it.
    for (let i = 0; i < 2; i++) {
      const token = randomUUID();
      const set = await this.command(["SET", key, `processing:${token}`, "PX", String(ms(processingTtlMs)), "NX"]);
      if (set === "OK") return { state: "claimed", token };
      const value = await this.command(["GET", key]);
      if (typeof value === "string") return { state: value.startsWith("done:") ? "done" : "processing" };
    }
    return { state: "processing" };
  }

  async complete(id: string, token: string, ttlMs: number): Promise<void> {
    await this.command(["EVAL", COMPLETE, "1", this.prefix + id, token, String(ms(ttlMs))]);
  }

  async release(id: string, token: string): Promise<void> {
    await this.command(["EVAL", RELEASE, "1", this.prefix + id, token]);
  }
}

/** Redis takes whole, positive milliseconds. */
function ms(value: number): number {
  return Math.max(1, Math.ceil(value));
}
