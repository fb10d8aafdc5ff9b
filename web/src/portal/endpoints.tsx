/**
 * Endpoints at a glance: state (enabled, disabled, paused, breaker), success rate and p95 latency over 24 hours.
 */
import { useContext } from "preact/hooks";
import type { Json } from "../shared/api.ts";
import { ms, percent } from "../shared/format.ts";
import { useLoad } from "../shared/hooks.ts";
import { Badge, ErrorNote, Notice, Section, Table } from "../shared/ui.tsx";
import { Portal } from "./session.ts";

export function endpointState(ep: Json): { tone: "ok" | "warn" | "bad" | "muted"; label: string } {
  if (ep.disabled) return { tone: "muted", label: "Disabled" };
  const h = ep.health;
  if (h?.breaker === "open") return { tone: "bad", label: "Breaker open" };
  if (h?.breaker === "half_open") return { tone: "warn", label: "Probing" };
  if (h?.paused_until && Date.parse(h.paused_until) > Date.now()) return { tone: "warn", label: "Paused (429)" };
  return { tone: "ok", label: "Enabled" };
}

export function EndpointList() {
  const { client, session } = useContext(Portal);
  const base = `/v1/tenants/${encodeURIComponent(session.tenant.id)}`;
  const list = useLoad(async () => {
    const page = await client.get(`${base}/endpoints?limit=250`);
    const stats = await Promise.all(
      (page.data as Json[]).map((ep) => client.get(`${base}/endpoints/${ep.id}/stats?window=24h`).catch(() => null)),
    );
    return (page.data as Json[]).map((ep, i) => ({ ep, stats: stats[i] }));
  }, [session.tenant.id]);
  const canCreate = !session.readOnly && session.endpointIds === null;
  return (
    <>
      <h1>Endpoints</h1>
      <Section
        title="Your endpoints"
        actions={
          canCreate ? (
            <a class="button primary" href="#/endpoints/new">
              Create endpoint
            </a>
          ) : null
        }
      >
        <ErrorNote error={list.error} />
        {list.loading && !list.data ? <Notice>Loading…</Notice> : null}
        {list.data && list.data.length === 0 ? <p>No endpoints yet. Create one to start receiving webhooks.</p> : null}
        {list.data && list.data.length > 0 ? (
          <Table label="Endpoints">
            <thead>
              <tr>
                <th>URL</th>
                <th>State</th>
                <th>Success (24 h)</th>
                <th>p95 (24 h)</th>
                <th>Backlog</th>
                <th>Event types</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map(({ ep, stats }) => {
                const state = endpointState(ep);
                return (
                  <tr key={ep.id}>
                    <td class="url">
                      <a href={`#/endpoints/${ep.id}`}>{ep.url}</a>
                      {ep.description ? <div class="muted">{ep.description}</div> : null}
                    </td>
                    <td>
                      <Badge tone={state.tone}>{state.label}</Badge>
                    </td>
                    <td>{percent(stats?.success_rate)}</td>
                    <td>{ms(stats?.latency_ms?.p95)}</td>
                    <td>{stats ? stats.backlog.pending + stats.backlog.failed : "–"}</td>
                    <td>{(ep.event_types as string[]).join(", ")}</td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        ) : null}
      </Section>
    </>
  );
}
