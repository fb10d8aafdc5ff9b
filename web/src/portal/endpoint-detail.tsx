/**
 * One endpoint: its charts (success rate and latency over 1 h, 24 h or 7 d), a FIFO endpoint's halted keys, its
 * signing secret (revealed on demand, rotated with a chosen overlap), a test send with the catalogue's example, recover with live progress, and
 * enable, disable, edit and delete.
 */
import { useContext, useEffect, useMemo, useState } from "preact/hooks";
import type { Json } from "../shared/api.ts";
import { LineChart } from "../shared/chart.tsx";
import { dateTime, ms, percent } from "../shared/format.ts";
import { navigate, useLoad } from "../shared/hooks.ts";
import { Badge, ConfirmDialog, ErrorNote, Field, Notice, Section, valueOf } from "../shared/ui.tsx";
import { endpointState } from "./endpoints.tsx";
import { HaltedKeys } from "./halted-keys.tsx";
import { Portal } from "./session.ts";

const WINDOWS = [
  { value: "1h", label: "1 hour" },
  { value: "24h", label: "24 hours" },
  { value: "7d", label: "7 days" },
];

export function EndpointDetail({ endpointId }: { endpointId: string }) {
  const { client, session } = useContext(Portal);
  const base = `/v1/tenants/${encodeURIComponent(session.tenant.id)}/endpoints/${endpointId}`;
  const ep = useLoad(() => client.get(base), [endpointId], 10_000);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      await ep.reload();
    } catch (err) {
      setError(err as Error);
    }
  };
  if (ep.error && !ep.data) return <ErrorNote error={ep.error} />;
  if (!ep.data) return <Notice>Loading…</Notice>;
  const e = ep.data;
  const state = endpointState(e);
  const canChange = !session.readOnly;
  return (
    <>
      <p>
        <a href="#/endpoints">← Endpoints</a>
      </p>
      <h1>{e.url}</h1>
      <Section
        title="Endpoint"
        actions={
          canChange ? (
            <>
              <a class="button" href={`#/endpoints/${endpointId}/edit`}>
                Edit
              </a>
              {e.disabled ? (
                <button type="button" onClick={() => void act(() => client.send("POST", `${base}/enable`, {}))}>
                  Enable
                </button>
              ) : (
                <button type="button" onClick={() => void act(() => client.send("PATCH", base, { disabled: true }))}>
                  Disable
                </button>
              )}
              <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
                Delete
              </button>
            </>
          ) : null
        }
      >
        <ErrorNote error={error} />
        <div class="grid">
          <div>
            <Badge tone={state.tone}>{state.label}</Badge> {e.disabled_reason ? <span class="muted">{e.disabled_reason}</span> : null}
          </div>
          <div>
            <span class="muted">Event types:</span> {(e.event_types as string[]).join(", ")}
          </div>
          <div>
            <span class="muted">Last success:</span> {dateTime(e.health?.last_success_at)}
          </div>
          <div>
            <span class="muted">In flight:</span> {e.health?.in_flight ?? 0} of {e.max_in_flight}
          </div>
        </div>
        {e.description ? <p>{e.description}</p> : null}
        <p>
          <a href={`#/deliveries?endpoint_id=${endpointId}`}>Deliveries to this endpoint</a>
        </p>
      </Section>
      <Charts base={base} />
      {e.ordering === "fifo" && e.fifo_on_dead === "halt" ? <HaltedKeys base={base} canChange={canChange} /> : null}
      {canChange ? <SecretPanel base={base} scheme={e.signature_scheme} /> : null}
      {canChange ? <TestSend base={base} tenantBase={`/v1/tenants/${encodeURIComponent(session.tenant.id)}`} disabled={e.disabled} /> : null}
      {canChange ? <Recover base={base} tenantBase={`/v1/tenants/${encodeURIComponent(session.tenant.id)}`} disabled={e.disabled} /> : null}
      <ConfirmDialog
        open={confirmDelete}
        title="Delete endpoint"
        confirmLabel="Delete endpoint"
        onCancel={() => setConfirmDelete(false)}
        onConfirm={() => {
          setConfirmDelete(false);
          void client.send("DELETE", base).then(() => navigate("/endpoints"), (err: Error) => setError(err));
        }}
      >
        <p>
          Deliveries to <strong>{e.url}</strong> stop at once, and its delivery log is deleted with it. This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}

function Charts({ base }: { base: string }) {
  const { client } = useContext(Portal);
  const [win, setWin] = useState("24h");
  const [stats, series] = [
    useLoad(() => client.get(`${base}/stats?window=${win}`), [base, win], 30_000),
    useLoad(() => client.get(`${base}/stats/series?window=${win}`), [base, win], 30_000),
  ];
  const chart = useMemo(() => {
    const points = (series.data?.points ?? []) as Json[];
    return {
      times: points.map((p) => Date.parse(p.at) / 1000),
      rate: [{ label: "Success rate", color: "#1c7c3a", values: points.map((p) => (p.success_rate === null ? null : p.success_rate * 100)) }],
      latency: [
        { label: "p50", color: "#1f5fd1", values: points.map((p) => p.p50_ms) },
        { label: "p95", color: "#a35a00", values: points.map((p) => p.p95_ms) },
        { label: "p99", color: "#b42318", values: points.map((p) => p.p99_ms) },
      ],
    };
  }, [series.data]);
  const s = stats.data;
  return (
    <Section
      title="Performance"
      actions={
        <div role="group" aria-label="Time window" class="actions">
          {WINDOWS.map((w) => (
            <button key={w.value} type="button" aria-pressed={win === w.value} class={win === w.value ? "primary" : ""} onClick={() => setWin(w.value)}>
              {w.label}
            </button>
          ))}
        </div>
      }
    >
      <ErrorNote error={stats.error ?? series.error} />
      {s ? (
        <div class="grid">
          <div class="stat"><div class="label">Attempts</div><div class="value">{s.attempts}</div></div>
          <div class="stat"><div class="label">Success rate</div><div class="value">{percent(s.success_rate)}</div></div>
          <div class="stat"><div class="label">p50 / p95 / p99</div><div class="value">{ms(s.latency_ms?.p50)} / {ms(s.latency_ms?.p95)} / {ms(s.latency_ms?.p99)}</div></div>
          <div class="stat"><div class="label">Waiting</div><div class="value">{s.backlog.pending + s.backlog.failed}</div></div>
        </div>
      ) : null}
      {series.data ? (
        <div class="charts">
          <LineChart title="Success rate" times={chart.times} series={chart.rate} yFormat={(v) => `${v.toFixed(0)}%`} yRange={[0, 100]} />
          <LineChart title="Latency" times={chart.times} series={chart.latency} yFormat={(v) => ms(v)} />
        </div>
      ) : null}
    </Section>
  );
}

const OVERLAPS = [
  { value: "0", label: "No overlap: the old secret stops at once" },
  { value: "3600", label: "1 hour" },
  { value: "86400", label: "24 hours" },
  { value: "604800", label: "7 days" },
];

function SecretPanel({ base, scheme }: { base: string; scheme: string }) {
  const { client } = useContext(Portal);
  const [secret, setSecret] = useState<Json | null>(null);
  const [overlap, setOverlap] = useState("86400");
  const [rotated, setRotated] = useState<Json | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const reveal = async () => {
    setError(null);
    try {
      setSecret(await client.get(`${base}/secret`));
    } catch (err) {
      setError(err as Error);
    }
  };
  const rotate = async () => {
    setError(null);
    try {
      const r = await client.send("POST", `${base}/rotate-secret`, { expire_old_after_s: Number(overlap) });
      setRotated(r);
      setSecret(null);
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <Section title="Signing secret">
      <p class="muted">
        Requests are signed ({scheme === "ed25519" ? "Ed25519" : "HMAC-SHA256"}, Standard Webhooks). Verify them with this secret.
      </p>
      <ErrorNote error={error} />
      <div class="actions">
        {secret ? (
          <button type="button" onClick={() => setSecret(null)}>
            Hide secret
          </button>
        ) : (
          <button type="button" onClick={() => void reveal()}>
            Reveal secret
          </button>
        )}
      </div>
      {secret ? (
        <p>
          <span class="secret" aria-label="Current signing secret">{secret.secret}</span>
        </p>
      ) : null}
      <h3>Rotate</h3>
      <div class="row">
        <Field label="Keep signing with the old secret for">
          <select value={overlap} onChange={(e) => setOverlap(valueOf(e))}>
            {OVERLAPS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </Field>
        <div class="field field-action">
          <button type="button" onClick={() => void rotate()}>
            Rotate secret
          </button>
        </div>
      </div>
      {rotated ? (
        <div role="status">
          <p>
            New secret: <span class="secret" aria-label="New signing secret">{rotated.secret}</span>
          </p>
          <p class="muted">
            {rotated.previous_secret_expires_at
              ? `The old secret also signs until ${dateTime(rotated.previous_secret_expires_at)}.`
              : "The old secret no longer signs."}
          </p>
        </div>
      ) : null}
    </Section>
  );
}

const FINAL = new Set(["succeeded", "dead"]);

function deliveryLabel(d: Json): string {
  if (d.status === "succeeded") return `Delivered (${d.last_status_code ?? "ok"})`;
  if (d.status === "dead") return `Failed for good (${d.last_status_code ?? d.last_error ?? "error"})`;
  if (d.status === "failed") return `Failed (${d.last_status_code ?? d.last_error ?? "error"}); retry scheduled`;
  return "Waiting to be sent";
}

function TestSend({ base, tenantBase, disabled }: { base: string; tenantBase: string; disabled: boolean }) {
  const { client } = useContext(Portal);
  const catalogue = useLoad(() => client.get(`${tenantBase}/event-types?limit=250`), [tenantBase]);
  const [type, setType] = useState("hookd.test");
  const [data, setData] = useState('{\n  "test": true\n}');
  const [sent, setSent] = useState<Json | null>(null);
  const [delivery, setDelivery] = useState<Json | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const types = (catalogue.data?.data ?? []) as Json[];
  const pick = (name: string) => {
    setType(name);
    const schema = types.find((t) => t.name === name)?.schema as Json | null | undefined;
    const example = Array.isArray(schema?.examples) ? schema.examples[0] : name === "hookd.test" ? { test: true } : {};
    setData(JSON.stringify(example ?? {}, null, 2));
  };
  useEffect(() => {
    if (!sent || (delivery && FINAL.has(delivery.status))) return;
    const timer = setInterval(() => {
      client.get(`${tenantBase}/deliveries/${sent.delivery_id}`).then(setDelivery, () => undefined);
    }, 1000);
    return () => clearInterval(timer);
  }, [sent, delivery?.status]);
  const send = async () => {
    setError(null);
    setDelivery(null);
    try {
      const body = { event_type: type, data: JSON.parse(data) as Json };
      setSent(await client.send("POST", `${base}/test`, body));
    } catch (err) {
      setError(err instanceof SyntaxError ? new Error("The data is not valid JSON.") : (err as Error));
    }
  };
  return (
    <Section title="Send a test event">
      <div class="row">
        <Field label="Event type">
          <select value={type} onChange={(e) => pick(valueOf(e))}>
            <option value="hookd.test">hookd.test</option>
            {types.filter((t) => !t.archived).map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field label="Data (JSON)" hint="Prefilled with the event type's example from the catalogue.">
        <textarea value={data} onInput={(e) => setData(valueOf(e))} />
      </Field>
      <ErrorNote error={error} />
      <div class="actions">
        <button type="button" class="primary" disabled={disabled} onClick={() => void send()}>
          Send test event
        </button>
        {disabled ? <span class="muted">Enable the endpoint to send to it.</span> : null}
      </div>
      {sent ? (
        <p role="status">
          Test event sent: <a href={`#/deliveries/${sent.delivery_id}`}>{sent.delivery_id}</a> –{" "}
          <strong>{delivery ? deliveryLabel(delivery) : "Waiting to be sent"}</strong>
        </p>
      ) : null}
    </Section>
  );
}

function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function Recover({ base, tenantBase, disabled }: { base: string; tenantBase: string; disabled: boolean }) {
  const { client } = useContext(Portal);
  const [since, setSince] = useState(localInput(Date.now() - 86_400_000));
  const [task, setTask] = useState<Json | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const running = task !== null && (task.status === "queued" || task.status === "running");
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      client.get(`${tenantBase}/tasks/${task.id}`).then(setTask, (err: Error) => setError(err));
    }, 1000);
    return () => clearInterval(timer);
  }, [running, task?.id]);
  const start = async () => {
    setError(null);
    try {
      setTask(await client.send("POST", `${base}/recover`, { since: new Date(since).toISOString() }));
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <Section title="Recover failed deliveries">
      <p class="muted">Sends every failed and dead delivery to this endpoint since a time again, in the background.</p>
      <div class="row">
        <Field label="Since">
          <input type="datetime-local" value={since} onInput={(e) => setSince(valueOf(e))} />
        </Field>
        <div class="field field-action">
          <button type="button" disabled={disabled || running} onClick={() => void start()}>
            Recover
          </button>
        </div>
      </div>
      <ErrorNote error={error} />
      {task ? (
        <p role="status">
          Recover {task.status === "succeeded" ? "finished" : task.status === "failed" ? "failed" : "running"}:{" "}
          {task.done} of {task.total ?? "?"} looked at, {task.requeued} requeued, {task.skipped} skipped
          {task.error ? ` (${task.error})` : ""}.
        </p>
      ) : null}
    </Section>
  );
}
