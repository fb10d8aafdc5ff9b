/**
 * The tenant's event catalogue: each declared type with its description, JSON Schema and examples.
 */
import { useContext } from "preact/hooks";
import type { Json } from "../shared/api.ts";
import { useLoad } from "../shared/hooks.ts";
import { Badge, Code, ErrorNote, Notice, Section } from "../shared/ui.tsx";
import { Portal } from "./session.ts";

export function Catalogue() {
  const { client, session } = useContext(Portal);
  const list = useLoad(
    () => client.get(`/v1/tenants/${encodeURIComponent(session.tenant.id)}/event-types?limit=250&include_archived=true`),
    [session.tenant.id],
  );
  const types = (list.data?.data ?? []) as Json[];
  return (
    <>
      <h1>Event catalogue</h1>
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? <Notice>Loading…</Notice> : null}
      {list.data && types.length === 0 ? <p>No event types are declared yet.</p> : null}
      {types.map((t) => {
        const examples = Array.isArray(t.schema?.examples) ? (t.schema.examples as unknown[]) : [];
        return (
          <Section key={t.name} title={t.name} actions={t.archived ? <Badge tone="muted">archived</Badge> : null}>
            {t.description ? <p>{t.description}</p> : null}
            {t.schema ? (
              <>
                <h3>Schema</h3>
                <Code label={`${t.name} schema`}>{JSON.stringify(t.schema, null, 2)}</Code>
              </>
            ) : (
              <p class="muted">No schema: any JSON object is accepted.</p>
            )}
            {examples.map((ex, i) => (
              <div key={i}>
                <h3>Example {examples.length > 1 ? i + 1 : ""}</h3>
                <Code label={`${t.name} example`}>{JSON.stringify(ex, null, 2)}</Code>
              </div>
            ))}
          </Section>
        );
      })}
    </>
  );
}
