/**
 * The core verifier against real hookd deliveries through a plain node:http server: through a secret rotation hookd
 * signs with both secrets, so a receiver holding either verifies; a rotation without overlap stops the old one at once.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVerifier, type Verifier, WebhookVerificationError } from "../src/index.js";
import { type Json, useHookd } from "./support/hookd.js";

describe("real hookd deliveries through a secret rotation", () => {
  const h = useHookd("sqlite");
  let server: Server;
  let url = "";
  /** The receiver's verifier, swapped by the test as an operator would change its configuration. */
  let verifier: Verifier;
  const outcomes: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        try {
          const webhook = verifier.verify(Buffer.concat(chunks), req.headers);
          outcomes.push(`ok ${webhook.id}`);
          res.writeHead(204).end();
        } catch (err) {
          const e = err as WebhookVerificationError;
          outcomes.push(e.code);
          res.writeHead(e.status).end(e.code);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function publish(tenant: string): Promise<Json> {
    const event = await h.api.publish(tenant, { type: "invoice.paid", data: { n: outcomes.length } });
    const d = await h.api.onlyDeliveryOf(tenant, event.id);
    return h.api.waitForDelivery(tenant, d.id, (x) => x.status === "succeeded" || x.status === "dead");
  }

  it("verifies under the old or the new secret while both sign, and refuses a secret once it stops signing", async () => {
    const tenant = await h.tenant();
    const ep = await h.api.createEndpoint(tenant, { url });
    const oldSecret = ep.secret as string;
    verifier = createVerifier({ secret: oldSecret });
    expect((await publish(tenant)).status).toBe("succeeded");

    const rotated = await h.api.expectPost(`/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, { expire_old_after_s: 3600 }, 200);
    const newSecret = rotated.secret as string;
    expect(newSecret).not.toBe(oldSecret);
    // Both signatures are in the header during the overlap: a receiver not yet updated keeps working...
    expect((await publish(tenant)).status).toBe("succeeded");
    // ...and one updated early works too.
    verifier = createVerifier({ secret: newSecret });
    expect((await publish(tenant)).status).toBe("succeeded");

    // A rotation with no overlap: the secret it replaces stops signing at once.
    const third = await h.api.expectPost(`/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, { expire_old_after_s: 0 }, 200);
    const refused = await publish(tenant);
    expect(refused.status).toBe("dead");
    expect(refused.attempts[0].response_body).toBe("INVALID_SIGNATURE");
    verifier = createVerifier({ secret: [newSecret, third.secret as string] });
    expect((await publish(tenant)).status).toBe("succeeded");
    expect(outcomes.filter((o) => o.startsWith("ok "))).toHaveLength(4);
  });
});
