/**
 * New work for an endpoint a worker already owns wakes nobody (only endpoints without an owner are signalled), so
 * the owner must look for it: by its own poll, not only when one of its requests ends. Here one endpoint's first
 * request is held open by its receiver while a second event for it is published, and another endpoint of the same
 * worker is kept busy the whole time (its fetches are constant, which once kept a worker-wide poll from ever falling
 * due). The second event must arrive while the first is still held.
 */
import { describe, expect, it } from "vitest";
import { STORE_KINDS } from "../support/stores.ts";
import { eventually, useHookd } from "./harness.ts";

describe.each(STORE_KINDS)("new work for an owned endpoint (%s)", (kind) => {
  const h = useHookd(kind);

  it("is sent while the endpoint's earlier request is still open, next to a busy endpoint", async () => {
    const tenant = await h.tenant();
    const held: import("node:http").ServerResponse[] = [];
    const slow = await h.receiver((req, res) => {
      if (JSON.parse(req.body).data.n === 0) held.push(res);
      else {
        res.writeHead(204);
        res.end();
      }
    });
    const busy = await h.receiver();
    await h.api.createEndpoint(tenant, { url: `${slow.url}/slow`, event_types: ["slow.*"], timeout_ms: 30_000 });
    await h.api.createEndpoint(tenant, { url: `${busy.url}/busy`, event_types: ["busy.*"] });

    let publishing = true;
    const background = (async () => {
      for (let n = 0; publishing; n++) {
        await h.api.publish(tenant, { type: "busy.tick", data: { n } });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      await h.api.publish(tenant, { type: "slow.one", data: { n: 0 } });
      await eventually(() => expect(held).toHaveLength(1), 10_000);
      // Long enough for the owner to find nothing more for the slow endpoint (its lane drained).
      await new Promise((r) => setTimeout(r, 500));
      const busyBefore = busy.received.length;
      await h.api.publish(tenant, { type: "slow.two", data: { n: 1 } });
      await eventually(() => expect(slow.received.map((r) => JSON.parse(r.body).data.n)).toEqual([0, 1]), 5_000);
      expect(held).toHaveLength(1);
      expect(busy.received.length).toBeGreaterThan(busyBefore);
    } finally {
      publishing = false;
      await background;
      for (const res of held.splice(0)) {
        res.writeHead(204);
        res.end();
      }
    }
  }, 30_000);
});
