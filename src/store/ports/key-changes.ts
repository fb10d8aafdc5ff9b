/**
 * Tells every hookd process that API keys changed in a way its key cache must not outlive: a key revoked, a tenant
 * deleted (its keys with it) or created (so no key of an earlier tenant of the same id can survive in a cache). On
 * PostgreSQL it is a NOTIFY on its own channel, heard by every process's LISTEN connection; SQLite is one process,
 * so it stays in memory.
 *
 * A change is `key:<id>`, `tenant:<id>`, or `*` (drop everything: sent to the listener when its connection was
 * (re)made, since changes sent while it was away are lost).
 */
export type KeyChange = `key:${string}` | `tenant:${string}` | "*";

export interface KeyChangeBus {
  /** Tells every process (this one included) about the change. */
  announceKeyChange(change: KeyChange): Promise<void>;
  /** Calls `listener` for every change announced by any process; returns the unsubscribe function. */
  onKeyChange(listener: (change: KeyChange) => void): () => void;
}
