/**
 * docs/delivery.md shows the outbox table's SQL for producers who apply it with their own migration tool; it must be
 * exactly what `hookd outbox install` runs.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OUTBOX_DDL } from "../../src/outbox/ddl.ts";

describe("docs/delivery.md", () => {
  it("shows the outbox DDL exactly as hookd outbox install applies it", () => {
    const doc = readFileSync(new URL("../../docs/delivery.md", import.meta.url), "utf8");
    const blocks = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toContain(OUTBOX_DDL);
  });
});
