/**
 * A level-triggered wake-up: notify() before wait() is not lost, so a notification that arrives while the worker is
 * busy claiming makes the next wait return at once.
 */
export class WakeSignal {
  private pending = false;
  private resolve: (() => void) | null = null;

  notify(): void {
    if (this.resolve) {
      const r = this.resolve;
      this.resolve = null;
      r();
    } else {
      this.pending = true;
    }
  }

  /** Forgets a notification that nobody waited for yet. */
  clear(): void {
    this.pending = false;
  }

  /** Resolves on notify() or after `timeoutMs`, whichever comes first. */
  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.resolve = null;
        resolve();
      }, timeoutMs);
      this.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
