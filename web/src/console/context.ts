/** The console's API client, shared by its pages. */
import { createContext } from "preact";
import type { Client } from "../shared/api.ts";

export const Console = createContext<{ client: Client }>(null as never);

/** Mints a portal session for the tenant with the admin key and opens the portal in a new tab. */
export async function openPortal(client: Client, tenantId: string): Promise<void> {
  const created = await client.send("POST", `/v1/tenants/${encodeURIComponent(tenantId)}/portal-sessions`, {});
  window.open(created.url, "_blank", "noopener");
}
