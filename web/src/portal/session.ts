/**
 * The portal's session: the URL fragment carries a one-time link token (`#token=hkpl_...`), which never reaches a
 * server log or a Referer; the page exchanges it at POST /v1/portal/exchange for a session token, removes it from the
 * address bar and history, and keeps the session token in sessionStorage (this tab only; gone when it closes).
 */
import { createContext } from "preact";
import type { Client, Json } from "../shared/api.ts";

const STORAGE_KEY = "hookd.portal.session";

export interface PortalSession {
  token: string;
  tenant: { id: string; name: string };
  readOnly: boolean;
  endpointIds: string[] | null;
  expiresAt: string;
}

export function storedToken(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function forgetSession(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

function fromApi(token: string, body: Json): PortalSession {
  return {
    token,
    tenant: body.tenant,
    readOnly: body.session.read_only,
    endpointIds: body.session.endpoint_ids,
    expiresAt: body.session.expires_at,
  };
}

/** The link token in the fragment, if the page was opened from a portal link. */
export function linkToken(): string | null {
  const m = /^#token=([A-Za-z0-9_-]+)/.exec(location.hash);
  return m?.[1] ?? null;
}

/** Opens the session: from a link (exchanged once) or from this tab's storage (checked with the server). */
export async function openSession(client: Client): Promise<PortalSession | null> {
  const link = linkToken();
  if (link) {
    // Off the address bar and out of history before anything else can read or share it.
    history.replaceState(null, "", `${location.pathname}#/endpoints`);
    const body = await client.send("POST", "/v1/portal/exchange", { token: link });
    sessionStorage.setItem(STORAGE_KEY, body.session_token);
    return fromApi(body.session_token, body);
  }
  const token = storedToken();
  if (!token) return null;
  return fromApi(token, await client.get("/v1/portal/session"));
}

export const Portal = createContext<{ client: Client; session: PortalSession }>(null as never);
