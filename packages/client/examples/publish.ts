/**
 * Publishes an event and prints the deliveries it made: the smallest useful program with @hookd/client.
 *
 *   HOOKD_URL=http://127.0.0.1:8080 HOOKD_API_KEY=hk_... HOOKD_TENANT=acme node --import tsx examples/publish.ts
 */
import { createHookdClient, HookdApiError, unwrap } from "@hookd/client";

const hookd = createHookdClient({
  baseUrl: process.env.HOOKD_URL ?? "http://127.0.0.1:8080",
  apiKey: process.env.HOOKD_API_KEY ?? "",
});
const tenant_id = process.env.HOOKD_TENANT ?? "acme";

try {
  // Paths, parameters and bodies are checked against hookd's OpenAPI document at compile time.
  const event = await unwrap(
    hookd.POST("/v1/tenants/{tenant_id}/events", {
      params: { path: { tenant_id }, header: { "idempotency-key": "example-order-1001-paid" } },
      body: { type: "invoice.paid", data: { invoice: "in_1001", amount: 4200 } },
    }),
  );
  console.log(`published ${event.id} (${event.type}) to ${event.matched_endpoints} endpoint(s)`);

  const deliveries = await unwrap(
    hookd.GET("/v1/tenants/{tenant_id}/deliveries", { params: { path: { tenant_id }, query: { event_id: event.id } } }),
  );
  for (const d of deliveries.data) console.log(`${d.id} -> ${d.endpoint_id}: ${d.status}`);
} catch (err) {
  // hookd's refusals carry a stable code: match on it, not on the message.
  if (!(err instanceof HookdApiError)) throw err;
  console.error(`hookd refused: ${err.code} (${err.status}): ${err.message}`);
  process.exitCode = 1;
}
