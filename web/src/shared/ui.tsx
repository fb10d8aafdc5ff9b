/**
 * Small building blocks shared by the portal and the console. Everything user-provided is rendered as text through
 * Preact (which escapes it); nothing here ever sets innerHTML, so hostile event data or receiver answers stay text.
 */
import { type ComponentChildren, cloneElement, type VNode } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";
import type { ApiError } from "./api.ts";

export function ErrorNote({ error }: { error: ApiError | Error | null | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error.message}
    </p>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

export function Badge({ tone, children }: { tone: "ok" | "warn" | "bad" | "muted"; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

export function Section({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="card" aria-label={title}>
      <div class="card-head">
        <h2>{title}</h2>
        {actions ? <div class="actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

/**
 * A labelled control. The label points at the control by id (rather than wrapping it), so the control's accessible
 * name is exactly the label's text, not the label plus the text inside the control.
 */
export function Field({ label, hint, children }: { label: string; hint?: string; children: VNode }) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div class="field">
      <label class="field-label" for={id}>
        {label}
      </label>
      {cloneElement(children, { id, ...(hint ? { "aria-describedby": hintId } : {}) })}
      {hint ? (
        <span class="hint" id={hintId}>
          {hint}
        </span>
      ) : null}
    </div>
  );
}

/** A table that scrolls sideways on narrow screens instead of overflowing the page. */
export function Table({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table>{children}</table>
    </div>
  );
}

/** A modal confirmation on the native <dialog>: focus moves into it, Escape closes it. */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={ref} aria-label={props.title} onCancel={props.onCancel} onClose={props.onCancel}>
      <h2>{props.title}</h2>
      <div>{props.children}</div>
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/** A block of machine text (JSON, headers, bodies), selectable and scrollable, never interpreted. */
export function Code({ children, label }: { children: string; label?: string }) {
  return (
    <pre class="code" tabIndex={0} aria-label={label}>
      {children}
    </pre>
  );
}

export function Headers({ headers, label }: { headers: Record<string, string> | null | undefined; label: string }) {
  if (!headers || Object.keys(headers).length === 0) return <p class="muted">No headers recorded.</p>;
  return (
    <dl class="headers" aria-label={label}>
      {Object.entries(headers).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The value of the input, select or textarea an event came from. */
export const valueOf = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement).value;
