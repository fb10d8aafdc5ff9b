import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../../../test/support/stores.ts";
import { OPERATOR_TENANT_ID } from "../../domain/operational-events.ts";
import { generateMasterKey } from "../../secrets/master-key.ts";
import { isSealed, SecretBox } from "../../secrets/secret-box.ts";
import type { Store } from "../../store/store.ts";
import { ensureOperatorSink, OPERATOR_ENDPOINT_ID } from "./operator-sink.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const box = new SecretBox(generateMasterKey());

describe.each(STORE_KINDS)("operator webhook set-up (%s)", (kind) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    store = await db.open();
  });
  afterEach(async () => {
    await store.close();
    await db.destroy();
  });

  const sink = () => store.getEndpoint(OPERATOR_TENANT_ID, OPERATOR_ENDPOINT_ID);
  /** The sink's secret as stored (encrypted) and opened. */
  const sinkSecret = async () => {
    const sealed = (await sink())!.sealedSecret;
    expect(isSealed(sealed)).toBe(true);
    return box.open(sealed, OPERATOR_ENDPOINT_ID);
  };

  it("does nothing while no URL was ever configured", async () => {
    expect(await ensureOperatorSink(store, box, { url: null, secret: null }, 1)).toBeNull();
    expect(await store.getTenant(OPERATOR_TENANT_ID)).toBeNull();
  });

  it("creates the tenant and endpoint, generating a secret once and keeping it across starts", async () => {
    const generated = await ensureOperatorSink(store, box, { url: "https://ops.example.com/a", secret: null }, 1);
    expect(generated).toMatch(/^whsec_/);
    expect(await sink()).toMatchObject({ url: "https://ops.example.com/a", disabled: false });
    expect(await sinkSecret()).toBe(generated);
    // Restart with another URL: updated in place, same secret, nothing generated.
    expect(await ensureOperatorSink(store, box, { url: "https://ops.example.com/b", secret: null }, 2)).toBeNull();
    expect(await sink()).toMatchObject({ url: "https://ops.example.com/b" });
    expect(await sinkSecret()).toBe(generated);
    // A configured secret replaces it.
    await ensureOperatorSink(store, box, { url: "https://ops.example.com/b", secret: SECRET }, 3);
    expect(await sinkSecret()).toBe(SECRET);
  });

  it("disables the endpoint when the URL is unset again, and re-enables it when it comes back", async () => {
    await ensureOperatorSink(store, box, { url: "https://ops.example.com/a", secret: SECRET }, 1);
    await ensureOperatorSink(store, box, { url: null, secret: null }, 2);
    expect(await sink()).toMatchObject({ disabled: true, disabledReason: "HOOKD_OPERATOR_WEBHOOK_URL is not set" });
    await ensureOperatorSink(store, box, { url: "https://ops.example.com/a", secret: SECRET }, 3);
    expect((await sink())?.disabled).toBe(false);
  });

  it("is safe when several processes set it up at once", async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => ensureOperatorSink(store, box, { url: "https://ops.example.com/a", secret: SECRET }, 1)),
    );
    expect(results).toEqual([null, null, null, null]);
    const page = await store.listEndpoints(OPERATOR_TENANT_ID, { limit: 10, after: null });
    expect(page.data.map((e) => e.id)).toEqual([OPERATOR_ENDPOINT_ID]);
  });
});
