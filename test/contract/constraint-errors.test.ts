/**
 * A write whose tenant was deleted after the route checked it fails the foreign key. Both drivers' real errors must
 * be recognised and answered as 404 TENANT_NOT_FOUND, never a 500.
 */
import type { FastifyError } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { toAppError } from "../../src/http/error-handler.ts";
import { isForeignKeyViolation } from "../../src/store/constraint-errors.ts";
import type { Store } from "../../src/store/store.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { endpoint, tenant } from "./fixtures.ts";
import { deleteTenantNow } from "../support/deletions.ts";

describe.each(STORE_KINDS)("foreign-key violations (%s)", (kind) => {
  let db: TestDatabase;
  let store: Store;

  afterEach(async () => {
    await store.close();
    await db.destroy();
  });

  it("an insert for a deleted tenant is recognised and mapped to 404 TENANT_NOT_FOUND", async () => {
    db = await createTestDatabase(kind);
    store = await db.open();
    await store.insertTenant(tenant("gone"));
    await deleteTenantNow(store, "gone");
    const err = await store.insertEndpoint(endpoint("gone")).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).not.toBeNull();
    expect(isForeignKeyViolation(err)).toBe(true);
    const mapped = toAppError(err as FastifyError);
    expect(mapped?.code).toBe("TENANT_NOT_FOUND");
    expect(mapped?.status).toBe(404);
  });

  it("does not take other constraint errors for one", async () => {
    db = await createTestDatabase(kind);
    store = await db.open();
    await store.insertTenant(tenant("acme"));
    const ep = endpoint("acme");
    await store.insertEndpoint(ep);
    const duplicate = await store.insertEndpoint(ep).then(
      () => null,
      (e: unknown) => e,
    );
    expect(duplicate).not.toBeNull();
    expect(isForeignKeyViolation(duplicate)).toBe(false);
  });
});
