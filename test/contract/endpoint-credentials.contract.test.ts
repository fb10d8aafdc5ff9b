/**
 * Endpoints' OAuth2 and mTLS settings in the store, the same checks on SQLite and PostgreSQL: they round-trip through
 * insert, update and read and reach the owner's config in a delivery cycle; the re-encryption port lists only
 * endpoints that have them, by id, and writes only where the row still holds what was read (compare and set).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EndpointMtls, EndpointOAuth2 } from "../../src/domain/endpoint-auth.ts";
import { mtlsToStore, oauth2ToStore } from "../../src/domain/endpoint-auth.ts";
import type { Store } from "../../src/store/store.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { endpoint, event, ingestRequest, T0, tenant } from "./fixtures.ts";
import { QueueDriver } from "./queue-driver.ts";

const oauth2: EndpointOAuth2 = {
  tokenUrl: "https://auth.example/token",
  clientId: "hookd",
  sealedClientSecret: "hkenc1:0011223344556677:c2VjcmV0",
  scopes: ["webhooks:write", "a"],
  audience: "https://api.example",
  clientAuth: "body",
};
const mtls: EndpointMtls = {
  cert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  sealedKey: "hkenc1:0011223344556677:a2V5",
  ca: null,
};

describe.each(STORE_KINDS)("endpoint credentials (%s)", (kind) => {
  let db: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    store = await db.open();
    await store.insertTenant(tenant("cred"));
  });
  afterAll(async () => {
    await store?.close();
    await db?.destroy();
  });

  it("round-trips oauth2 and mtls through insert, update and read", async () => {
    const ep = endpoint("cred", { oauth2, mtls });
    await store.insertEndpoint(ep);
    expect(await store.getEndpoint("cred", ep.id)).toMatchObject({ oauth2, mtls });
    const plain = endpoint("cred");
    await store.insertEndpoint(plain);
    expect(await store.getEndpoint("cred", plain.id)).toMatchObject({ oauth2: null, mtls: null });

    const changed = { ...oauth2, scopes: [], audience: null, clientAuth: "basic" as const };
    await store.updateEndpoint("cred", ep.id, { oauth2: changed, mtls: { cert: null, sealedKey: null, ca: "CA" } }, T0 + 1);
    expect(await store.getEndpoint("cred", ep.id)).toMatchObject({ oauth2: changed, mtls: { cert: null, sealedKey: null, ca: "CA" } });
    await store.updateEndpoint("cred", ep.id, { oauth2: null, mtls: null }, T0 + 2);
    expect(await store.getEndpoint("cred", ep.id)).toMatchObject({ oauth2: null, mtls: null });
    // A patch without them leaves them alone.
    await store.updateEndpoint("cred", plain.id, { oauth2 }, T0 + 3);
    await store.updateEndpoint("cred", plain.id, { description: "x" }, T0 + 4);
    expect((await store.getEndpoint("cred", plain.id))?.oauth2).toEqual(oauth2);
  });

  it("hands them to the endpoint's owner with its config, and the changed ones after an update", async () => {
    await store.insertTenant(tenant("cred-q"));
    const ep = endpoint("cred-q", { oauth2, mtls });
    await store.insertEndpoint(ep);
    await store.ingest(ingestRequest("cred-q", [event()]));
    const driver = new QueueDriver(store);
    expect(await driver.take(T0)).toHaveLength(1);
    expect(driver.held.get(ep.id)?.config).toMatchObject({ oauth2, mtls });

    await store.updateEndpoint("cred-q", ep.id, { oauth2: null }, T0 + 10);
    await driver.take(T0 + 20);
    expect(driver.held.get(ep.id)?.config).toMatchObject({ oauth2: null, mtls });
  });

  it("lists endpoints with credentials by id and replaces them only where unchanged", async () => {
    await store.insertTenant(tenant("cred-r"));
    const a = endpoint("cred-r", { id: "ep_zz1", oauth2 });
    const b = endpoint("cred-r", { id: "ep_zz2", mtls });
    const none = endpoint("cred-r", { id: "ep_zz3" });
    for (const e of [a, b, none]) await store.insertEndpoint(e);

    const listed = (await store.endpointCredentials.listEndpointCredentials("ep_zz0", 10)).filter((r) => r.id.startsWith("ep_zz"));
    expect(listed).toEqual([
      { id: a.id, oauth2: oauth2ToStore(oauth2), mtls: null },
      { id: b.id, oauth2: null, mtls: mtlsToStore(mtls) },
    ]);
    expect(await store.endpointCredentials.listEndpointCredentials("ep_zz0", 1)).toHaveLength(1);

    const resealed = { ...oauth2, sealedClientSecret: "hkenc1:8899aabbccddeeff:bmV3" };
    // b changed through the API after the read: its write is skipped.
    await store.updateEndpoint("cred-r", b.id, { mtls: { ...mtls, ca: "changed" } }, T0 + 1);
    const applied = await store.endpointCredentials.replaceEndpointCredentials([
      { expected: listed[0]!, nextOAuth2: oauth2ToStore(resealed), nextMtls: null },
      { expected: listed[1]!, nextOAuth2: null, nextMtls: mtlsToStore({ ...mtls, sealedKey: "hkenc1:8899aabbccddeeff:eA==" }) },
    ]);
    expect(applied).toBe(1);
    expect((await store.getEndpoint("cred-r", a.id))?.oauth2).toEqual(resealed);
    expect((await store.getEndpoint("cred-r", b.id))?.mtls).toEqual({ ...mtls, ca: "changed" });
    expect(await store.endpointCredentials.replaceEndpointCredentials([])).toBe(0);
  });
});

