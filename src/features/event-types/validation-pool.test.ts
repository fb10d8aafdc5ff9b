/**
 * The validation pool on real threads: answers, refusals of a schema being saved, stored schemas that no longer
 * compile, the time limit (the thread is stopped and the next task still runs), and tenants taking turns.
 */
import { afterEach, describe, expect, it } from "vitest";
import { AppError } from "../../errors/app-error.ts";
import { SchemaValidationPool } from "./validation-pool.ts";

/** A schema with no pattern that costs minutes on 60,000 items: references expanding to 4,096 checks of 40 each. */
function slowSchema(): string {
  const defs: Record<string, unknown> = { d0: { enum: [...Array.from({ length: 40 }, (_, i) => `value-${i}`), "a"] } };
  for (let i = 1; i <= 4; i++) defs[`d${i}`] = { allOf: Array.from({ length: 8 }, () => ({ $ref: `#/$defs/d${i - 1}` })) };
  return JSON.stringify({ $defs: defs, type: "object", properties: { list: { items: { $ref: "#/$defs/d4" } } } });
}
const SLOW_DATA = { list: Array.from({ length: 60_000 }, () => "a") };
const REQUIRED_A = JSON.stringify({ type: "object", required: ["a"] });

describe("SchemaValidationPool", () => {
  let pool: SchemaValidationPool;
  afterEach(async () => {
    await pool?.close();
  });

  it("checks events on a thread and reports problems with their positions", async () => {
    pool = new SchemaValidationPool({ timeLimitMs: 5_000, threads: 1 });
    const answer = await pool.validate("t1", { k1: REQUIRED_A }, [
      { key: "k1", data: { a: 1 } },
      { key: "k1", data: {} },
    ]);
    expect(answer).toEqual({
      kind: "validate",
      problems: [{ index: 1, instance_path: "", message: "must have required property 'a'" }],
      broken: {},
    });
    expect(await pool.check("t1", { type: "object" })).toBeNull();
    expect(await pool.check("t1", { type: "object", requried: ["a"] })).toMatch(/unknown keyword: "requried"/);
    const broken = await pool.validate("t1", { k2: JSON.stringify({ properties: { x: { $ref: "#" } } }) }, [{ key: "k2", data: {} }]);
    expect(broken.problems).toEqual([]);
    expect(broken.broken.k2).toMatch(/recursive/);
  });

  it("stops a task past the time limit with SCHEMA_TOO_COSTLY, and the next task runs on a fresh thread", async () => {
    pool = new SchemaValidationPool({ timeLimitMs: 300, threads: 1 });
    await pool.validate("warm", { k: REQUIRED_A }, [{ key: "k", data: { a: 1 } }]);
    const started = performance.now();
    const err = await pool.validate("evil", { slow: slowSchema() }, [{ key: "slow", data: SLOW_DATA }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("SCHEMA_TOO_COSTLY");
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((await pool.validate("good", { k: REQUIRED_A }, [{ key: "k", data: {} }])).problems).toHaveLength(1);
  });

  it("lets tenants take turns: a tenant's queue of slow tasks does not hold another tenant's task behind it", async () => {
    pool = new SchemaValidationPool({ timeLimitMs: 300, threads: 1 });
    await pool.validate("warm", { k: REQUIRED_A }, [{ key: "k", data: { a: 1 } }]);
    const order: string[] = [];
    const evil = Array.from({ length: 4 }, (_, i) =>
      pool.validate("evil", { slow: slowSchema() }, [{ key: "slow", data: SLOW_DATA }]).then(
        () => order.push(`evil${i}`),
        () => order.push(`evil${i}`),
      ),
    );
    const good = pool.validate("good", { k: REQUIRED_A }, [{ key: "k", data: { a: 1 } }]).then(() => order.push("good"));
    await Promise.all([...evil, good]);
    // Round robin: the good task waits for the evil task running and at most the one evil turn queued before it
    // arrived, never for the whole evil queue.
    expect(order.indexOf("good")).toBeLessThanOrEqual(2);
    expect(order.at(-1)).toBe("evil3");
  });
});
