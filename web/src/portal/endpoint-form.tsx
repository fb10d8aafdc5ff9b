/**
 * Create or edit an endpoint: URL, description, event types from the tenant's catalogue (or any pattern), custom
 * headers, a payload filter, full or thin payloads, ordering (FIFO per key, and whether a dead delivery halts its
 * key), rate limit, timeout, concurrency and retry schedule. Validation is
 * the API's: its message (for a filter, the bad clause's pointer) is shown as is.
 */
import { useContext, useState } from "preact/hooks";
import type { Json } from "../shared/api.ts";
import { navigate, useLoad } from "../shared/hooks.ts";
import { ErrorNote, Field, Notice, Section, valueOf } from "../shared/ui.tsx";
import { Portal } from "./session.ts";

interface Draft {
  url: string;
  description: string;
  eventTypes: string[];
  extraTypes: string;
  headers: { name: string; value: string }[];
  rateLimit: string;
  timeoutMs: string;
  maxInFlight: string;
  retrySchedule: string;
  /** The payload filter as JSON text; empty: none. */
  filter: string;
  payloadMode: "full" | "thin";
  ordering: "none" | "fifo";
  fifoOnDead: "continue" | "halt";
}

function draftOf(ep: Json | null, known: Set<string>): Draft {
  // A new endpoint starts with nothing picked, which saves as every type ("*").
  const types = (ep?.event_types as string[] | undefined) ?? [];
  return {
    url: ep?.url ?? "",
    description: ep?.description ?? "",
    eventTypes: types.filter((t) => known.has(t)),
    extraTypes: types.filter((t) => !known.has(t)).join(", "),
    headers: Object.entries((ep?.headers as Record<string, string> | undefined) ?? {}).map(([name, value]) => ({ name, value })),
    rateLimit: ep?.rate_limit_per_s == null ? "" : String(ep.rate_limit_per_s),
    timeoutMs: ep ? String(ep.timeout_ms) : "",
    maxInFlight: ep ? String(ep.max_in_flight) : "",
    retrySchedule: ep?.retry_schedule_s ? (ep.retry_schedule_s as number[]).join(", ") : "",
    filter: ep?.filter ? JSON.stringify(ep.filter, null, 2) : "",
    payloadMode: ep?.payload_mode === "thin" ? "thin" : "full",
    ordering: ep?.ordering === "fifo" ? "fifo" : "none",
    fifoOnDead: ep?.fifo_on_dead === "halt" ? "halt" : "continue",
  };
}

/** Thrown for a filter that is not JSON at all; the API checks everything else and names the bad clause. */
class FilterSyntaxError extends Error {}

function parseFilter(text: string): Json | null {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new FilterSyntaxError("The payload filter is not valid JSON.");
  }
}

function bodyOf(d: Draft, editing: boolean): Json {
  const types = [...d.eventTypes, ...d.extraTypes.split(",").map((t) => t.trim()).filter(Boolean)];
  const num = (s: string) => (s.trim() === "" ? undefined : Number(s));
  const body: Json = {
    url: d.url.trim(),
    description: d.description,
    event_types: types.length > 0 ? types : ["*"],
    headers: Object.fromEntries(d.headers.filter((h) => h.name.trim()).map((h) => [h.name.trim(), h.value])),
  };
  const rate = num(d.rateLimit);
  if (rate !== undefined || editing) body.rate_limit_per_s = rate ?? null;
  if (num(d.timeoutMs) !== undefined) body.timeout_ms = num(d.timeoutMs);
  if (num(d.maxInFlight) !== undefined) body.max_in_flight = num(d.maxInFlight);
  const schedule = d.retrySchedule.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  if (schedule.length > 0 || editing) body.retry_schedule_s = schedule.length > 0 ? schedule : null;
  const filter = parseFilter(d.filter);
  if (filter !== null || editing) body.filter = filter;
  body.payload_mode = d.payloadMode;
  body.ordering = d.ordering;
  body.fifo_on_dead = d.fifoOnDead;
  return body;
}

export function EndpointForm({ endpointId }: { endpointId: string | null }) {
  const { client, session } = useContext(Portal);
  const base = `/v1/tenants/${encodeURIComponent(session.tenant.id)}`;
  const loaded = useLoad(async () => {
    const [catalogue, ep] = await Promise.all([
      client.get(`${base}/event-types?limit=250`),
      endpointId ? client.get(`${base}/endpoints/${endpointId}`) : Promise.resolve(null),
    ]);
    const names = (catalogue.data as Json[]).map((t) => t.name as string);
    return { names, draft: draftOf(ep, new Set(names)) };
  }, [endpointId]);
  if (loaded.error) return <ErrorNote error={loaded.error} />;
  if (!loaded.data) return <Notice>Loading…</Notice>;
  return <Form key={endpointId ?? "new"} endpointId={endpointId} names={loaded.data.names} initial={loaded.data.draft} base={base} />;
}

function Form(props: { endpointId: string | null; names: string[]; initial: Draft; base: string }) {
  const { client } = useContext(Portal);
  const [d, setD] = useState(props.initial);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<Draft>) => setD({ ...d, ...patch });
  const editing = props.endpointId !== null;
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const saved = editing
        ? await client.send("PATCH", `${props.base}/endpoints/${props.endpointId}`, bodyOf(d, true))
        : await client.send("POST", `${props.base}/endpoints`, bodyOf(d, false));
      navigate(`/endpoints/${saved.id}`);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  const toggleType = (name: string, on: boolean) =>
    set({ eventTypes: on ? [...d.eventTypes, name] : d.eventTypes.filter((t) => t !== name) });
  return (
    <>
      <h1>{editing ? "Edit endpoint" : "Create endpoint"}</h1>
      <form onSubmit={(e) => void submit(e)}>
        <Section title="Where to deliver">
          <Field label="URL" hint="https://… where your server receives webhooks.">
            <input type="url" required value={d.url} onInput={(e) => set({ url: valueOf(e) })} />
          </Field>
          <Field label="Description">
            <input value={d.description} onInput={(e) => set({ description: valueOf(e) })} />
          </Field>
        </Section>
        <Section title="Event types">
          {props.names.length > 0 ? (
            <fieldset class="types">
              <legend class="sr-only">Event types from the catalogue</legend>
              {props.names.map((name) => (
                <label key={name}>
                  <input type="checkbox" checked={d.eventTypes.includes(name)} onChange={(e) => toggleType(name, e.currentTarget.checked)} />
                  {name}
                </label>
              ))}
            </fieldset>
          ) : null}
          <Field label="Other event types" hint="Comma-separated; `invoice.*` matches a prefix, `*` every type. Nothing picked: every type.">
            <input value={d.extraTypes} onInput={(e) => set({ extraTypes: valueOf(e) })} />
          </Field>
        </Section>
        <Section title="Payload filter">
          <Field label="Payload filter (JSON)" hint='Only events that match are delivered, e.g. {"data": {"amount": {"$gte": 1000}}}. Empty: every event of the types above.'>
            <textarea rows={4} spellcheck={false} value={d.filter} onInput={(e) => set({ filter: valueOf(e) })} />
          </Field>
          <Field label="Payload" hint="Thin: a small signed notice with a short-lived link your server fetches the event from.">
            <select value={d.payloadMode} onChange={(e) => set({ payloadMode: valueOf(e) === "thin" ? "thin" : "full" })}>
              <option value="full">Full event in every request</option>
              <option value="thin">Thin: fetch the event by link</option>
            </select>
          </Field>
        </Section>
        <Section title="Ordering">
          <div class="row">
            <Field label="Order" hint="In order: one request at a time per ordering key, in the order events were published; different keys go in parallel.">
              <select value={d.ordering} onChange={(e) => set({ ordering: valueOf(e) === "fifo" ? "fifo" : "none" })}>
                <option value="none">Any order (fastest)</option>
                <option value="fifo">In order per ordering key</option>
              </select>
            </Field>
            <Field label="When a delivery fails for good" hint="Halt: nothing more of its key is sent until you skip or replay it on the endpoint's page.">
              <select value={d.fifoOnDead} disabled={d.ordering !== "fifo"} onChange={(e) => set({ fifoOnDead: valueOf(e) === "halt" ? "halt" : "continue" })}>
                <option value="continue">Go on with the key's next event</option>
                <option value="halt">Halt the key</option>
              </select>
            </Field>
          </div>
        </Section>
        <Section title="Headers">
          {d.headers.map((h, i) => (
            <div class="pair" key={i}>
              <input aria-label={`Header ${i + 1} name`} placeholder="name" value={h.name} onInput={(e) => set({ headers: d.headers.map((x, j) => (j === i ? { ...x, name: valueOf(e) } : x)) })} />
              <input aria-label={`Header ${i + 1} value`} placeholder="value" value={h.value} onInput={(e) => set({ headers: d.headers.map((x, j) => (j === i ? { ...x, value: valueOf(e) } : x)) })} />
              <button type="button" onClick={() => set({ headers: d.headers.filter((_, j) => j !== i) })}>
                Remove header {i + 1}
              </button>
            </div>
          ))}
          <button type="button" onClick={() => set({ headers: [...d.headers, { name: "", value: "" }] })}>
            Add header
          </button>
        </Section>
        <Section title="Delivery">
          <div class="row">
            <Field label="Rate limit (per second)" hint="Empty: no limit.">
              <input type="number" min="0" step="any" value={d.rateLimit} onInput={(e) => set({ rateLimit: valueOf(e) })} />
            </Field>
            <Field label="Timeout (ms)">
              <input type="number" min="1" value={d.timeoutMs} placeholder="default" onInput={(e) => set({ timeoutMs: valueOf(e) })} />
            </Field>
            <Field label="Requests in flight at most">
              <input type="number" min="1" value={d.maxInFlight} placeholder="default" onInput={(e) => set({ maxInFlight: valueOf(e) })} />
            </Field>
          </div>
          <Field label="Retry schedule (seconds)" hint="Seconds before each attempt, comma-separated, e.g. 0, 60, 600. Empty: hookd's default.">
            <input value={d.retrySchedule} onInput={(e) => set({ retrySchedule: valueOf(e) })} />
          </Field>
        </Section>
        <ErrorNote error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {editing ? "Save endpoint" : "Create endpoint"}
          </button>
          <a class="button" href={editing ? `#/endpoints/${props.endpointId}` : "#/endpoints"}>
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}
