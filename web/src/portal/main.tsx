/**
 * The tenant portal: a tenant's developers see their endpoints, deliveries and event catalogue and act on them,
 * through hookd's public API with the portal session's token and nothing more (docs/portal.md).
 */
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, createClient } from "../shared/api.ts";
import { useHashRoute } from "../shared/hooks.ts";
import "../shared/styles.css";
import { ErrorNote, Notice } from "../shared/ui.tsx";
import { Catalogue } from "./catalogue.tsx";
import { DeliveryDetail } from "./delivery.tsx";
import { DeliveryLog } from "./deliveries.tsx";
import { EndpointDetail } from "./endpoint-detail.tsx";
import { EndpointForm } from "./endpoint-form.tsx";
import { EndpointList } from "./endpoints.tsx";
import { forgetSession, openSession, Portal, type PortalSession, storedToken } from "./session.ts";

const NAV = [
  { href: "#/endpoints", label: "Endpoints", match: "/endpoints" },
  { href: "#/deliveries", label: "Deliveries", match: "/deliveries" },
  { href: "#/catalogue", label: "Event catalogue", match: "/catalogue" },
];

function Routes() {
  const { path, params } = useHashRoute();
  useEffect(() => {
    document.querySelector("main")?.focus();
  }, [path]);
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "endpoints" && parts[1] === "new") return <EndpointForm endpointId={null} />;
  if (parts[0] === "endpoints" && parts[1] && parts[2] === "edit") return <EndpointForm endpointId={parts[1]} />;
  if (parts[0] === "endpoints" && parts[1]) return <EndpointDetail endpointId={parts[1]} />;
  if (parts[0] === "deliveries" && parts[1]) return <DeliveryDetail deliveryId={parts[1]} />;
  if (parts[0] === "deliveries") return <DeliveryLog params={params} />;
  if (parts[0] === "catalogue") return <Catalogue />;
  return <EndpointList />;
}

function App() {
  const [session, setSession] = useState<PortalSession | null>(null);
  const [ended, setEnded] = useState<string | null>(null);
  const [starting, setStarting] = useState(true);
  const { path } = useHashRoute();
  const client = useMemo(
    () =>
      createClient(
        () => storedToken(),
        (err) => {
          forgetSession();
          setSession(null);
          setEnded(err.message);
        },
      ),
    [],
  );
  useEffect(() => {
    openSession(client)
      .then((s) => setSession(s))
      .catch((err: unknown) => setEnded(err instanceof ApiError ? err.message : String(err)))
      .finally(() => setStarting(false));
  }, [client]);

  if (starting) return <main><Notice>Opening the portal…</Notice></main>;
  if (!session) {
    return (
      <main>
        <h1>Webhooks portal</h1>
        {ended ? <ErrorNote error={new Error(ended)} /> : null}
        <p>Open the portal from your application: it gives you a link that signs you in for a while.</p>
      </main>
    );
  }
  const signOut = async () => {
    await client.send("DELETE", "/v1/portal/session").catch(() => undefined);
    forgetSession();
    setSession(null);
    setEnded("You signed out.");
  };
  return (
    <Portal.Provider value={{ client, session }}>
      <header class="top">
        <span class="brand">{session.tenant.name} · Webhooks</span>
        <nav aria-label="Portal">
          <ul>
            {NAV.map((n) => (
              <li key={n.href}>
                <a href={n.href} aria-current={path.startsWith(n.match) || (path === "/" && n.match === "/endpoints") ? "page" : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          {session.readOnly ? <span>Read-only</span> : null}
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main tabIndex={-1}>
        <Routes />
      </main>
    </Portal.Provider>
  );
}

render(<App />, document.getElementById("app")!);
