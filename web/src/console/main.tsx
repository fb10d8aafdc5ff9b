/**
 * The operator console: system health, the tenant heatmap, the operational-events feed and a way into any tenant's
 * portal. It signs in with the admin key, which stays in this tab's sessionStorage (gone when the tab closes) and
 * is sent only to hookd's own API (docs/portal.md).
 */
import { render } from "preact";
import { useMemo, useState } from "preact/hooks";
import { createClient } from "../shared/api.ts";
import { useHashRoute } from "../shared/hooks.ts";
import "../shared/styles.css";
import { ErrorNote, Field, valueOf } from "../shared/ui.tsx";
import { Overview } from "./overview.tsx";
import { Console } from "./context.ts";
import { Tenants } from "./tenants.tsx";

const KEY = "hookd.console.key";

function SignIn({ onKey }: { onKey: (key: string) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const client = createClient(() => key.trim(), () => undefined);
    try {
      await client.get("/v1/console/health");
      onKey(key.trim());
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <main>
      <h1>hookd console</h1>
      <section class="card" aria-label="Sign in">
        <form onSubmit={(e) => void submit(e)}>
          <Field label="Admin key" hint="The key hookd printed at its first start (or HOOKD_ADMIN_KEY). Kept in this tab only.">
            <input type="password" autocomplete="off" required value={key} onInput={(e) => setKey(valueOf(e))} />
          </Field>
          <ErrorNote error={error} />
          <button type="submit" class="primary">
            Sign in
          </button>
        </form>
      </section>
      <p class="muted">
        API reference: <a href="/docs">/docs</a>
      </p>
    </main>
  );
}

function App() {
  const [key, setKey] = useState<string | null>(() => sessionStorage.getItem(KEY));
  const { path } = useHashRoute();
  const client = useMemo(
    () =>
      createClient(
        () => key,
        () => {
          sessionStorage.removeItem(KEY);
          setKey(null);
        },
      ),
    [key],
  );
  if (!key) {
    return (
      <SignIn
        onKey={(k) => {
          sessionStorage.setItem(KEY, k);
          setKey(k);
        }}
      />
    );
  }
  const page = path.startsWith("/tenants") ? "tenants" : "overview";
  return (
    <Console.Provider value={{ client }}>
      <header class="top">
        <span class="brand">hookd console</span>
        <nav aria-label="Console">
          <ul>
            <li>
              <a href="#/" aria-current={page === "overview" ? "page" : undefined}>
                Overview
              </a>
            </li>
            <li>
              <a href="#/tenants" aria-current={page === "tenants" ? "page" : undefined}>
                Tenants
              </a>
            </li>
            <li>
              <a href="/docs">API docs</a>
            </li>
          </ul>
        </nav>
        <div class="who">
          <button
            type="button"
            onClick={() => {
              sessionStorage.removeItem(KEY);
              setKey(null);
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main tabIndex={-1}>{page === "tenants" ? <Tenants /> : <Overview />}</main>
    </Console.Provider>
  );
}

render(<App />, document.getElementById("app")!);
