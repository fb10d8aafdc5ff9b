/**
 * The delivery log: newest first, filtered by status, event type, endpoint and time, paged with the API's cursor,
 * and a live tail that polls the first page every two seconds while it is switched on (docs/portal.md).
 */
import { useContext, useEffect, useState } from "preact/hooks";
import { type Json, query } from "../shared/api.ts";
import { ago } from "../shared/format.ts";
import { navigate, useLoad } from "../shared/hooks.ts";
import { Badge, ErrorNote, Field, Notice, Section, Table, valueOf } from "../shared/ui.tsx";
import { Portal } from "./session.ts";

const STATUSES = ["pending", "failed", "succeeded", "dead"];
const TAIL_MS = 2_000;

export function statusBadge(status: string) {
  const tone = status === "succeeded" ? "ok" : status === "dead" ? "bad" : status === "failed" ? "warn" : "muted";
  return <Badge tone={tone}>{status}</Badge>;
}

/** datetime-local value <-> ISO time. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : "");
const toLocal = (iso: string | null) => {
  if (!iso) return "";
  const ms = Date.parse(iso);
  return new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

export function DeliveryLog({ params }: { params: URLSearchParams }) {
  const { client, session } = useContext(Portal);
  const base = `/v1/tenants/${encodeURIComponent(session.tenant.id)}`;
  const limited = session.endpointIds;
  const filters = {
    status: params.get("status") ?? "",
    event_type: params.get("event_type") ?? "",
    endpoint_id: params.get("endpoint_id") ?? limited?.[0] ?? "",
    since: params.get("since") ?? "",
    until: params.get("until") ?? "",
  };
  const [draft, setDraft] = useState(filters);
  const [tail, setTail] = useState(false);
  const [more, setMore] = useState<{ rows: Json[]; cursor: string | null } | null>(null);
  const key = JSON.stringify(filters);
  useEffect(() => {
    setDraft(filters);
    setMore(null);
  }, [key]);
  const endpoints = useLoad(() => client.get(`${base}/endpoints?limit=250`), [base]);
  const first = useLoad(() => client.get(`${base}/deliveries${query({ ...filters, limit: 50 })}`), [key], tail ? TAIL_MS : undefined);
  const [updated, setUpdated] = useState<number | null>(null);
  useEffect(() => {
    if (first.data) setUpdated(Date.now());
  }, [first.data]);
  const rows = [...((first.data?.data ?? []) as Json[]), ...(more?.rows ?? [])];
  const cursor = more ? more.cursor : (first.data?.next_cursor ?? null);
  const urlOf = new Map(((endpoints.data?.data ?? []) as Json[]).map((e) => [e.id as string, e.url as string]));
  const loadMore = async () => {
    if (!cursor) return;
    const page = await client.get(`${base}/deliveries${query({ ...filters, limit: 50, cursor })}`);
    setMore({ rows: [...(more?.rows ?? []), ...(page.data as Json[])], cursor: page.next_cursor });
  };
  const apply = (e: Event) => {
    e.preventDefault();
    navigate(`/deliveries${query(draft)}`);
  };
  return (
    <>
      <h1>Deliveries</h1>
      <Section title="Filter">
        <form class="filters" onSubmit={apply} aria-label="Filter deliveries">
          <Field label="Status">
            <select value={draft.status} onChange={(e) => setDraft({ ...draft, status: valueOf(e) })}>
              <option value="">Any status</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Event type">
            <input value={draft.event_type} placeholder="invoice.* or invoice.paid" onInput={(e) => setDraft({ ...draft, event_type: valueOf(e) })} />
          </Field>
          <Field label="Endpoint">
            <select value={draft.endpoint_id} onChange={(e) => setDraft({ ...draft, endpoint_id: valueOf(e) })}>
              {limited ? null : <option value="">Any endpoint</option>}
              {((endpoints.data?.data ?? []) as Json[]).map((ep) => (
                <option key={ep.id} value={ep.id}>
                  {ep.url}
                </option>
              ))}
            </select>
          </Field>
          <Field label="From">
            <input type="datetime-local" value={toLocal(draft.since || null)} onInput={(e) => setDraft({ ...draft, since: toIso(valueOf(e)) })} />
          </Field>
          <Field label="Until">
            <input type="datetime-local" value={toLocal(draft.until || null)} onInput={(e) => setDraft({ ...draft, until: toIso(valueOf(e)) })} />
          </Field>
          <div class="field">
            <button type="submit" class="primary">
              Apply filters
            </button>
          </div>
        </form>
      </Section>
      <Section
        title="Log"
        actions={
          <label class="check">
            <input type="checkbox" checked={tail} onChange={(e) => setTail(e.currentTarget.checked)} />
            Live tail
          </label>
        }
      >
        {tail ? <p class="muted" role="status">Live: checking every two seconds{updated ? `, last at ${new Date(updated).toLocaleTimeString("en-GB")}` : ""}.</p> : null}
        <ErrorNote error={first.error} />
        {first.loading && !first.data ? <Notice>Loading…</Notice> : null}
        {first.data && rows.length === 0 ? <p>No deliveries match.</p> : null}
        {rows.length > 0 ? (
          <Table label="Deliveries">
            <thead>
              <tr>
                <th>Delivery</th>
                <th>Event type</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>Last answer</th>
                <th>Endpoint</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id}>
                  <td>
                    <a href={`#/deliveries/${d.id}`}>{d.id}</a>
                  </td>
                  <td>{d.event_type}</td>
                  <td>{statusBadge(d.status)}</td>
                  <td>{d.attempts}</td>
                  <td>{d.last_status_code ?? d.last_error ?? "–"}</td>
                  <td class="url">{urlOf.get(d.endpoint_id) ?? d.endpoint_id}</td>
                  <td title={d.created_at}>{ago(d.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        ) : null}
        {cursor ? (
          <div class="actions">
            <button type="button" onClick={() => void loadMore()}>
              Load more
            </button>
          </div>
        ) : null}
      </Section>
    </>
  );
}
