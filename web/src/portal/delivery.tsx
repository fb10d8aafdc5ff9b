/**
 * One delivery: the request as sent (the signature is stored redacted), every attempt with the receiver's answer
 * (status, headers, body excerpt, error class, timing), and Replay. Everything from the event or the receiver is
 * shown as text.
 */
import { useContext, useState } from "preact/hooks";
import type { Json } from "../shared/api.ts";
import { dateTime, ms, pretty } from "../shared/format.ts";
import { useLoad } from "../shared/hooks.ts";
import { Code, ErrorNote, Headers, Notice, Section } from "../shared/ui.tsx";
import { statusBadge } from "./deliveries.tsx";
import { Portal } from "./session.ts";

export function DeliveryDetail({ deliveryId }: { deliveryId: string }) {
  const { client, session } = useContext(Portal);
  const path = `/v1/tenants/${encodeURIComponent(session.tenant.id)}/deliveries/${deliveryId}`;
  const d = useLoad(() => client.get(path), [deliveryId], 3_000);
  const [error, setError] = useState<Error | null>(null);
  const [replayed, setReplayed] = useState(false);
  if (d.error && !d.data) return <ErrorNote error={d.error} />;
  if (!d.data) return <Notice>Loading…</Notice>;
  const v = d.data;
  const replay = async () => {
    setError(null);
    try {
      await client.send("POST", `${path}/replay`, {});
      setReplayed(true);
      await d.reload();
    } catch (err) {
      setError(err as Error);
    }
  };
  const attempts = [...(v.attempts as Json[])].reverse();
  return (
    <>
      <p>
        <a href="#/deliveries">← Deliveries</a>
      </p>
      <h1>Delivery {v.id}</h1>
      <Section
        title="Summary"
        actions={
          session.readOnly ? null : (
            <button type="button" class="primary" onClick={() => void replay()}>
              Replay
            </button>
          )
        }
      >
        <ErrorNote error={error} />
        {replayed ? <p role="status">Replay queued: a new attempt is made now.</p> : null}
        <div class="grid">
          <div>Status: {statusBadge(v.status)}</div>
          <div>Event type: {v.event_type}</div>
          <div>Attempts: {(v.attempts as Json[]).length}</div>
          <div>Next attempt: {dateTime(v.next_attempt_at)}</div>
          <div>Created: {dateTime(v.created_at)}</div>
          <div>
            Endpoint: <a href={`#/endpoints/${v.endpoint_id}`}>{v.endpoint_id}</a>
          </div>
        </div>
      </Section>
      <Section title="Request as sent">
        <p class="url">
          POST {v.request.url ?? "(not attempted yet)"}
        </p>
        <h3>Headers</h3>
        <Headers headers={v.request.headers} label="Request headers" />
        <h3>Body</h3>
        <Code label="Request body">{v.request.body === null ? "(payload expunged)" : pretty(v.request.body)}</Code>
      </Section>
      <Section title={`Attempts (${attempts.length})`}>
        {attempts.length === 0 ? <p>No attempt yet.</p> : null}
        {attempts.map((a) => (
          <article class="attempt" key={a.id} aria-label={`Attempt ${a.attempt}`}>
            <h3>
              Attempt {a.attempt}: {a.outcome === "success" ? "succeeded" : "failed"}
              {a.status_code !== null ? ` with HTTP ${a.status_code}` : ""}
            </h3>
            <div class="grid">
              <div>Started: {dateTime(a.started_at)}</div>
              <div>Took: {ms(a.duration_ms)} (timeout {ms(a.timeout_ms)})</div>
              <div>Error class: {a.error_class ?? "–"}</div>
            </div>
            {a.error ? <p>Error: {a.error}</p> : null}
            <h3>Response headers</h3>
            <Headers headers={a.response_headers} label={`Attempt ${a.attempt} response headers`} />
            <h3>Response body</h3>
            <Code label={`Attempt ${a.attempt} response body`}>{a.response_body === null ? "(none kept)" : a.response_body}</Code>
          </article>
        ))}
      </Section>
    </>
  );
}
