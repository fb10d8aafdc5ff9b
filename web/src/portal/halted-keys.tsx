/**
 * A FIFO endpoint's halted keys (fifo_on_dead = halt): each key whose delivery died, with that delivery, and the two
 * ways to let the key's line go on: skip the dead delivery (it stays dead, the next one goes) or replay it first.
 * Skipping gives up an event for good, so it asks first.
 */
import { useContext, useState } from "preact/hooks";
import type { Json } from "../shared/api.ts";
import { dateTime } from "../shared/format.ts";
import { useLoad } from "../shared/hooks.ts";
import { ConfirmDialog, ErrorNote, Notice, Section, Table } from "../shared/ui.tsx";
import { Portal } from "./session.ts";

/** Events without an ordering key form one line for the whole endpoint; its key is "". */
const keyLabel = (key: string) => (key === "" ? "(events without a key)" : key);

export function HaltedKeys({ base, canChange }: { base: string; canChange: boolean }) {
  const { client } = useContext(Portal);
  const keys = useLoad(() => client.get(`${base}/halted-keys`), [base], 10_000);
  const [skipping, setSkipping] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const release = async (key: string, action: "skip" | "replay") => {
    setError(null);
    setDone(null);
    try {
      await client.send("POST", `${base}/halted-keys/release`, { ordering_key: key, action });
      setDone(action === "skip" ? `${keyLabel(key)}: skipped the dead delivery; the next one goes.` : `${keyLabel(key)}: replaying the dead delivery first.`);
      await keys.reload();
    } catch (err) {
      setError(err as Error);
    }
  };
  const list = (keys.data?.data ?? []) as Json[];
  return (
    <Section title="Halted keys">
      <p class="muted">
        This endpoint sends each ordering key's events in order and halts a key when one of its deliveries fails for
        good. Nothing more of that key is sent until you skip the dead delivery or replay it.
      </p>
      <ErrorNote error={keys.error ?? error} />
      {done ? <p role="status">{done}</p> : null}
      {keys.data && list.length === 0 ? <Notice>No key is halted.</Notice> : null}
      {list.length > 0 ? (
        <Table label="Halted keys">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Dead delivery</th>
              <th scope="col">Halted</th>
              {canChange ? <th scope="col">Let it go on</th> : null}
            </tr>
          </thead>
          <tbody>
            {list.map((k) => (
              <tr key={k.ordering_key}>
                <td>{keyLabel(k.ordering_key)}</td>
                <td>
                  <a href={`#/deliveries/${k.delivery_id}`}>{k.delivery_id}</a>
                </td>
                <td>{dateTime(k.halted_at)}</td>
                {canChange ? (
                  <td class="actions">
                    <button type="button" onClick={() => void release(k.ordering_key, "replay")} aria-label={`Replay the dead delivery of ${keyLabel(k.ordering_key)}`}>
                      Replay
                    </button>
                    <button type="button" class="danger" onClick={() => setSkipping(k.ordering_key)} aria-label={`Skip the dead delivery of ${keyLabel(k.ordering_key)}`}>
                      Skip
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
      <ConfirmDialog
        open={skipping !== null}
        title="Skip the dead delivery"
        confirmLabel="Skip it"
        onCancel={() => setSkipping(null)}
        onConfirm={() => {
          const key = skipping;
          setSkipping(null);
          if (key !== null) void release(key, "skip");
        }}
      >
        <p>
          The dead delivery of <strong>{skipping === null ? "" : keyLabel(skipping)}</strong> stays dead and is not sent in
          order; the key's next event goes now. You can still replay it on its own later.
        </p>
      </ConfirmDialog>
    </Section>
  );
}
