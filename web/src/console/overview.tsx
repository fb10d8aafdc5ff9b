/**
 * System health at a glance (queue depth, due now, in flight, oldest due age, estimated drain time, delivery rate,
 * breakers, dead letters), the endpoints whose breakers are open, and the operational-events feed. Refreshed every
 * ten seconds; every figure comes from bounded reads (counts stop at 100,000 and say so with a +).
 */
import { useContext } from "preact/hooks";
import type { Json } from "../shared/api.ts";
import { ago, count, dateTime, duration } from "../shared/format.ts";
import { useLoad } from "../shared/hooks.ts";
import { Badge, ErrorNote, Notice, Section, Table } from "../shared/ui.tsx";
import { Console, openPortal } from "./context.ts";

const REFRESH_MS = 10_000;

function Stat({ label, value, tone }: { label: string; value: string; tone?: "bad" | "warn" }) {
  return (
    <div class="stat">
      <div class="label">{label}</div>
      <div class="value">{tone ? <Badge tone={tone}>{value}</Badge> : value}</div>
    </div>
  );
}

export function Overview() {
  const { client } = useContext(Console);
  const health = useLoad(() => client.get("/v1/console/health"), [], REFRESH_MS);
  const events = useLoad(() => client.get("/v1/operational-events?limit=25"), [], REFRESH_MS);
  const h = health.data;
  return (
    <>
      <h1>Overview</h1>
      <Section title="System health">
        <ErrorNote error={health.error} />
        {!h ? <Notice>Loading…</Notice> : null}
        {h ? (
          <>
            <div class="grid">
              <Stat label="Queued" value={count(h.queue.queued)} />
              <Stat label="Due now" value={count(h.queue.due)} />
              <Stat label="In flight" value={count(h.queue.in_flight)} />
              <Stat
                label="Oldest due"
                value={h.queue.oldest_due_age_s === null ? "none" : duration(h.queue.oldest_due_age_s)}
                {...(h.queue.oldest_due_age_s > 60 ? { tone: "warn" as const } : {})}
              />
              <Stat label="Estimated drain" value={h.queue.drain_estimate_s === null ? "stalled" : duration(h.queue.drain_estimate_s)} {...(h.queue.drain_estimate_s === null ? { tone: "bad" as const } : {})} />
              <Stat label="Attempts per second" value={String(h.queue.attempts_per_s)} />
              <Stat label="Open breakers" value={String(h.breakers.open + h.breakers.half_open)} {...(h.breakers.open > 0 ? { tone: "bad" as const } : {})} />
              <Stat label="Dead letters" value={count(h.queue.dead)} />
            </div>
            <p class="muted">As of {dateTime(h.generated_at)}; refreshes every 10 seconds.</p>
          </>
        ) : null}
      </Section>
      {h && h.open_breakers.length > 0 ? (
        <Section title="Open breakers">
          <Table label="Open breakers">
            <thead>
              <tr>
                <th>Tenant</th>
                <th>Endpoint</th>
                <th>State</th>
                <th>Next probe</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(h.open_breakers as Json[]).map((b) => (
                <tr key={b.endpoint_id}>
                  <td>{b.tenant_id}</td>
                  <td class="url">{b.url}</td>
                  <td>
                    <Badge tone={b.breaker === "open" ? "bad" : "warn"}>{b.breaker}</Badge>
                  </td>
                  <td>{ago(b.open_until)}</td>
                  <td>
                    <button type="button" onClick={() => void openPortal(client, b.tenant_id)}>
                      Open portal for {b.tenant_id}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        </Section>
      ) : null}
      <Section title="Operational events">
        <ErrorNote error={events.error} />
        {events.data && events.data.data.length === 0 ? <p>Nothing has happened yet.</p> : null}
        {events.data && events.data.data.length > 0 ? (
          <Table label="Operational events">
            <thead>
              <tr>
                <th>When</th>
                <th>Event</th>
                <th>Tenant</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {(events.data.data as Json[]).map((e) => (
                <tr key={e.id}>
                  <td title={e.created_at}>{ago(e.created_at)}</td>
                  <td>{e.type}</td>
                  <td>{e.tenant_id ?? "–"}</td>
                  <td class="url">{JSON.stringify(e.data)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        ) : null}
      </Section>
    </>
  );
}
