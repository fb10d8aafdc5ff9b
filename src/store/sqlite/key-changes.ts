/**
 * KeyChangeBus for the embedded store (ports/key-changes.ts): one process serves the API, so the changes are passed
 * in memory, synchronously.
 */
import { EventEmitter } from "node:events";
import type { KeyChange, KeyChangeBus } from "../ports/key-changes.ts";

export class InMemoryKeyChanges implements KeyChangeBus {
  private readonly bus = new EventEmitter().setMaxListeners(0);

  async announceKeyChange(change: KeyChange): Promise<void> {
    this.bus.emit("change", change);
  }

  onKeyChange(listener: (change: KeyChange) => void): () => void {
    this.bus.on("change", listener);
    return () => this.bus.off("change", listener);
  }
}
