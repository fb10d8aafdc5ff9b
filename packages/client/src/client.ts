/**
 * Builds the openapi-fetch client with what every hookd request needs: the base URL and the API key as a bearer
 * token. Nothing here knows a route; the routes and their types are all in the generated openapi.ts.
 */
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { paths } from "./openapi.js";

export type HookdClient = Client<paths>;

export interface HookdClientOptions extends Omit<ClientOptions, "baseUrl"> {
  /** Where hookd listens, e.g. `http://127.0.0.1:8080` (a trailing slash is fine). */
  baseUrl: string;
  /** An admin key or a tenant key (`hk_...`), sent as `Authorization: Bearer <key>`. */
  apiKey: string;
}

/**
 * @example
 * const hookd = createHookdClient({ baseUrl: "http://127.0.0.1:8080", apiKey });
 * const { data, error } = await hookd.GET("/v1/tenants/{tenant_id}/deliveries", {
 *   params: { path: { tenant_id: "acme" }, query: { status: "dead", limit: 10 } },
 * });
 */
export function createHookdClient(options: HookdClientOptions): HookdClient {
  const { baseUrl, apiKey, headers, ...rest } = options;
  if (typeof apiKey !== "string" || apiKey.length === 0) throw new TypeError("createHookdClient: apiKey is required");
  // hookd's routes all start with /v1 (or /healthz); a base URL ending in "/" would double the slash.
  return createClient<paths>({
    ...rest,
    baseUrl: baseUrl.replace(/\/+$/, ""),
    headers: { ...headersToRecord(headers), authorization: `Bearer ${apiKey}` },
  });
}

function headersToRecord(headers: ClientOptions["headers"]): Record<string, string> {
  if (headers === undefined) return {};
  if (headers instanceof Headers || Array.isArray(headers)) return Object.fromEntries(new Headers(headers).entries());
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== null && value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}
