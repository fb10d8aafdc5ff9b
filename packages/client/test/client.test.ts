/**
 * The generated client against a real hookd: typed calls for the day-to-day routes give hookd's real answers, query
 * lists and headers are sent the way hookd reads them, refusals become HookdApiError with hookd's code, and the
 * package's example runs as written.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createHookdClient, HookdApiError, unwrap } from "../src/index.js";
import { ADMIN_KEY, eventually, useHookd } from "./support/hookd.js";
import { runNode } from "./support/run-node.js";

async function refusal(promise: Promise<unknown>): Promise<HookdApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof HookdApiError) return err;
    throw err;
  }
  throw new Error("the call was not refused");
}

describe("@hookd/client against a real hookd", () => {
  const h = useHookd("sqlite");
  const client = () => createHookdClient({ baseUrl: `${h.app.url}/`, apiKey: ADMIN_KEY });

  it("creates and reads tenants and endpoints, publishes, and searches deliveries with typed calls", async () => {
    const hookd = client();
    const tenant = await unwrap(hookd.POST("/v1/tenants", { body: { id: "acme-client", name: "Acme", metadata: { plan: "pro" } } }));
    expect(tenant).toMatchObject({ id: "acme-client", name: "Acme", metadata: { plan: "pro" } });
    const tenant_id = tenant.id;
    expect(await unwrap(hookd.GET("/v1/tenants/{tenant_id}", { params: { path: { tenant_id } } }))).toEqual(tenant);

    const receiver = await h.receiver();
    const ep = await unwrap(
      hookd.POST("/v1/tenants/{tenant_id}/endpoints", {
        params: { path: { tenant_id } },
        body: { url: receiver.url, event_types: ["invoice.*"], retry_schedule_s: [0] },
      }),
    );
    expect(ep.secret).toMatch(/^whsec_/);
    const listed = await unwrap(hookd.GET("/v1/tenants/{tenant_id}/endpoints", { params: { path: { tenant_id } } }));
    expect(listed.data.map((e) => e.id)).toEqual([ep.id]);

    // The idempotency key travels as a header: the second publish is the same event.
    const publish = () =>
      unwrap(
        hookd.POST("/v1/tenants/{tenant_id}/events", {
          params: { path: { tenant_id }, header: { "idempotency-key": "order-1" } },
          body: { type: "invoice.paid", data: { n: 1 } },
        }),
      );
    const event = await publish();
    expect((await publish()).id).toBe(event.id);
    expect(event.matched_endpoints).toBe(1);

    const delivered = await eventually(async () => {
      const page = await unwrap(
        hookd.GET("/v1/tenants/{tenant_id}/deliveries", {
          // A list is sent as repeated parameters (status=succeeded&status=dead), as hookd reads it.
          params: { path: { tenant_id }, query: { status: ["succeeded", "dead"], event_id: event.id } },
        }),
      );
      expect(page.data).toHaveLength(1);
      return page.data[0]!;
    });
    expect(delivered).toMatchObject({ event_id: event.id, endpoint_id: ep.id, status: "succeeded" });
    const detail = await unwrap(
      hookd.GET("/v1/tenants/{tenant_id}/deliveries/{delivery_id}", { params: { path: { tenant_id, delivery_id: delivered.id } } }),
    );
    expect(detail.attempts.map((a) => a.status_code)).toEqual([204]);
    expect(JSON.parse(detail.request.body!)).toMatchObject({ id: event.id, data: { n: 1 } });

    // A 204 answer unwraps to undefined.
    expect(
      await unwrap(hookd.DELETE("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", { params: { path: { tenant_id, endpoint_id: ep.id } } })),
    ).toBeUndefined();
  });

  it("turns refusals into HookdApiError with hookd's status, code and message", async () => {
    const hookd = client();
    const missing = await refusal(unwrap(hookd.GET("/v1/tenants/{tenant_id}", { params: { path: { tenant_id: "nobody" } } })));
    expect(missing).toMatchObject({ status: 404, code: "TENANT_NOT_FOUND", name: "HookdApiError" });
    expect(missing.message).toContain("nobody");

    const invalid = await refusal(unwrap(hookd.POST("/v1/tenants", { body: { name: "" } })));
    expect(invalid).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
    expect(invalid.details?.length).toBeGreaterThan(0);

    const wrongKey = createHookdClient({ baseUrl: h.app.url!, apiKey: "hk_not_a_real_key_0123456789" });
    expect(await refusal(unwrap(wrongKey.GET("/v1/tenants")))).toMatchObject({ status: 401, code: "UNAUTHORIZED" });

    // A tenant key reaches its own tenant only; another tenant looks as if it did not exist.
    const own = await unwrap(hookd.POST("/v1/tenants", { body: { name: "own" } }));
    const other = await unwrap(hookd.POST("/v1/tenants", { body: { name: "other" } }));
    const key = await unwrap(hookd.POST("/v1/tenants/{tenant_id}/api-keys", { params: { path: { tenant_id: own.id } }, body: {} }));
    const tenantClient = createHookdClient({ baseUrl: h.app.url!, apiKey: key.key });
    expect((await unwrap(tenantClient.GET("/v1/tenants/{tenant_id}", { params: { path: { tenant_id: own.id } } }))).id).toBe(own.id);
    expect(await refusal(unwrap(tenantClient.GET("/v1/tenants/{tenant_id}", { params: { path: { tenant_id: other.id } } })))).toMatchObject({
      status: 404,
      code: "TENANT_NOT_FOUND",
    });
    expect(await refusal(unwrap(tenantClient.GET("/v1/tenants")))).toMatchObject({ status: 403, code: "FORBIDDEN" });
  });

  it("refuses to be built without a key", () => {
    expect(() => createHookdClient({ baseUrl: "http://127.0.0.1:1", apiKey: "" })).toThrow("apiKey is required");
  });

  it("runs the example: publishes and prints the deliveries", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    await h.api.createEndpoint(tenant, { url: receiver.url });
    const example = fileURLToPath(new URL("../examples/publish.ts", import.meta.url));
    // Run asynchronously: hookd answers from this very process.
    const run = (tenantId: string) =>
      runNode(["--import", import.meta.resolve("tsx"), example], {
        HOOKD_URL: h.app.url!,
        HOOKD_API_KEY: ADMIN_KEY,
        HOOKD_TENANT: tenantId,
      });
    const out = await run(tenant);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^published evt_\w+ \(invoice\.paid\) to 1 endpoint\(s\)\ndlv_\w+ -> ep_\w+: (pending|succeeded)\n$/);
    const refused = await run("no-such-tenant");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe("hookd refused: TENANT_NOT_FOUND (404): tenant no-such-tenant not found\n");
  });
});
