/**
 * Credentials do not follow a redirect to another origin (issue 13, finding 10). Two real receivers on different
 * ports of 127.0.0.1 are two origins: the endpoint's custom headers (Authorization, X-Api-Key, Cookie and any other)
 * reach the first one, which redirects; the second gets the signed request without them. A redirect within the same
 * origin keeps them.
 */
import { describe, expect, it } from "vitest";
import { answer } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { useHookd } from "./harness.ts";

const CUSTOM = {
  Authorization: "Bearer receiver-credential-1",
  "X-Api-Key": "receiver-credential-2",
  Cookie: "session=receiver-credential-3",
  "X-Partner-Token": "receiver-credential-4",
  "X-Region": "eu-west",
};

describe.each(STORE_KINDS)("custom headers on redirects (%s)", (kind) => {
  const h = useHookd(kind);

  it("drops every custom header on a cross-origin redirect and keeps the signed protocol headers", async () => {
    const tenant = await h.tenant();
    const other = await h.receiver(answer(200));
    const first = await h.receiver(answer(307, { location: `${other.url}/elsewhere` }));
    expect(new URL(first.url).origin).not.toBe(new URL(other.url).origin);
    await h.api.createEndpoint(tenant, { url: `${first.url}/hook`, headers: CUSTOM });
    const ev = await h.api.publish(tenant, { type: "a.b", data: { n: 1 } });
    await other.waitFor(1);

    const sent = first.received[0]!;
    expect(sent.headers.authorization).toBe(CUSTOM.Authorization);
    expect(sent.headers["x-api-key"]).toBe(CUSTOM["X-Api-Key"]);
    const redirected = other.received[0]!;
    for (const name of Object.keys(CUSTOM)) expect(redirected.headers[name.toLowerCase()], name).toBeUndefined();
    expect(redirected.headers["webhook-id"]).toBe(ev.id);
    expect(redirected.headers["webhook-signature"]).toBe(sent.headers["webhook-signature"]);
    expect(redirected.body).toBe(sent.body);
    const dlv = await h.api.onlyDeliveryOf(tenant, ev.id as string);
    await h.api.waitForDelivery(tenant, dlv.id, (d) => d.status === "succeeded");
  });

  it("keeps every custom header on a redirect within the same origin", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver((req, res) => {
      if (req.path === "/hook") res.writeHead(308, { location: "/moved" });
      else res.writeHead(200);
      res.end();
    });
    await h.api.createEndpoint(tenant, { url: `${receiver.url}/hook`, headers: CUSTOM });
    await h.api.publish(tenant, { type: "a.b", data: { n: 2 } });
    await receiver.waitFor(2);
    const moved = receiver.received[1]!;
    expect(moved.path).toBe("/moved");
    for (const [name, value] of Object.entries(CUSTOM)) expect(moved.headers[name.toLowerCase()], name).toBe(value);
  });
});
