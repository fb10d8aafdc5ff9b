/**
 * The tenant heatmap: one row a tenant, one cell per 5 minutes (last hour) or hour (last day), coloured by success
 * rate, beside its queue depth, dead letters and open breakers. Red in one row is that tenant's receivers; red down a
 * column, across many tenants at once, points at hookd or the network. Paged: 50 tenants at a time.
 */
import { useContext, useState } from "preact/hooks";
import { type Json, query } from "../shared/api.ts";
import { count, percent } from "../shared/format.ts";
import { useLoad } from "../shared/hooks.ts";
import { Badge, ErrorNote, Notice, Section, Table } from "../shared/ui.tsx";
import { Console, openPortal } from "./context.ts";

function heatClass(rate: number | null): string {
  if (rate === null) return "heat-none";
  if (rate >= 0.99) return "heat-good";
  if (rate >= 0.95) return "heat-fair";
  if (rate >= 0.8) return "heat-poor";
  return "heat-bad";
}

export function Tenants() {
  const { client } = useContext(Console);
  const [win, setWin] = useState<"1h" | "24h">("1h");
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(() => client.get(`/v1/console/tenants${query({ window: win, limit: 50, cursor })}`), [win, cursor], 15_000);
  const [error, setError] = useState<Error | null>(null);
  const bucketS = page.data?.bucket_s ?? 300;
  const from = page.data ? Date.parse(page.data.from) : 0;
  return (
    <>
      <h1>Tenants</h1>
      <Section
        title="Heatmap"
        actions={
          <div role="group" aria-label="Time window" class="actions">
            {(["1h", "24h"] as const).map((w) => (
              <button
                key={w}
                type="button"
                aria-pressed={win === w}
                class={win === w ? "primary" : ""}
                onClick={() => {
                  setWin(w);
                  setCursors([]);
                }}
              >
                {w === "1h" ? "Last hour" : "Last 24 hours"}
              </button>
            ))}
          </div>
        }
      >
        <div class="legend" aria-label="Legend">
          <span><span class="heat"><span class="heat-good" /></span> ≥ 99%</span>
          <span><span class="heat"><span class="heat-fair" /></span> ≥ 95%</span>
          <span><span class="heat"><span class="heat-poor" /></span> ≥ 80%</span>
          <span><span class="heat"><span class="heat-bad" /></span> below 80%</span>
          <span><span class="heat"><span class="heat-none" /></span> no attempts</span>
        </div>
        <p class="muted">
          Red along one row: that tenant's receivers are failing. Red down a column, across many tenants at once: look at hookd
          and its network first.
        </p>
        <ErrorNote error={page.error ?? error} />
        {!page.data ? <Notice>Loading…</Notice> : null}
        {page.data && page.data.data.length === 0 ? <p>No tenants yet.</p> : null}
        {page.data && page.data.data.length > 0 ? (
          <Table label="Tenant heatmap">
            <thead>
              <tr>
                <th>Tenant</th>
                <th>Success rate by {bucketS >= 3600 ? "hour" : "5 minutes"}</th>
                <th>Overall</th>
                <th>Queue depth</th>
                <th>Dead</th>
                <th>Open breakers</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(page.data.data as Json[]).map((t) => (
                <tr key={t.tenant_id}>
                  <td>
                    <strong>{t.name}</strong>
                    <div class="muted">{t.tenant_id}</div>
                  </td>
                  <td>
                    <div class="heat" role="img" aria-label={`${t.name}: ${percent(t.success_rate)} of ${t.attempts} attempts succeeded`}>
                      {(t.cells as Json[]).map((c, i) => (
                        <span
                          key={i}
                          class={heatClass(c.success_rate)}
                          title={`${new Date(from + i * bucketS * 1000).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" })}: ${percent(c.success_rate)} of ${c.attempts}`}
                        />
                      ))}
                    </div>
                  </td>
                  <td>{percent(t.success_rate)}</td>
                  <td>{t.backlog.value > 0 ? <Badge tone={t.backlog.value >= 1000 ? "bad" : "warn"}>{count(t.backlog)}</Badge> : "0"}</td>
                  <td>{count(t.dead)}</td>
                  <td>{t.open_breakers > 0 ? <Badge tone="bad">{t.open_breakers}</Badge> : "0"}</td>
                  <td>
                    <button type="button" onClick={() => void openPortal(client, t.tenant_id).catch((err: Error) => setError(err))}>
                      Open portal for {t.name}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        ) : null}
        <div class="actions">
          {cursors.length > 0 ? (
            <button type="button" onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous tenants
            </button>
          ) : null}
          {page.data?.next_cursor ? (
            <button type="button" onClick={() => setCursors([...cursors, page.data!.next_cursor])}>
              Next tenants
            </button>
          ) : null}
        </div>
      </Section>
    </>
  );
}
