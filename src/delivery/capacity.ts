/**
 * The worker's shared capacity for open requests. A request counts against the worker's concurrency only while it is
 * young (open for less than ACTIVE_MS): that is when it costs CPU (connect, TLS, sign, write, read). A request still
 * open after that is waiting on a slow or hung receiver and costs only a socket, so it stops counting; otherwise a
 * few receivers that hang, or a tenant whose receivers take 29 s to answer, would hold every slot and every other
 * tenant would wait. Open requests still have hard ceilings: in all, and per tenant, so that one tenant's hung
 * receivers cannot pile up without bound (the endpoint's own limit, max_in_flight or less, comes first).
 */

export const ACTIVE_MS = 1_000;

export interface CapacityLimits {
  /** Young requests at once (HOOKD_WORKER_CONCURRENCY). */
  active: number;
  /** Open requests at once, young or not. */
  open: number;
  /** Open requests at once for one tenant. */
  perTenant: number;
}

interface Open {
  tenantId: string;
  startedAt: number;
  young: boolean;
  done: boolean;
}

export class Capacity {
  /** Requests in the order they started; young ones are at the back. */
  private readonly fifo: Open[] = [];
  private young = 0;
  private open = 0;
  private readonly perTenant = new Map<string, number>();

  constructor(readonly limits: CapacityLimits) {}

  /** Ages requests that have been open longer than ACTIVE_MS out of the young count. */
  private age(now: number): void {
    while (this.fifo.length > 0) {
      const head = this.fifo[0]!;
      if (!head.done && now - head.startedAt < ACTIVE_MS) break;
      this.fifo.shift();
      if (!head.done && head.young) {
        head.young = false;
        this.young--;
      }
    }
  }

  canStart(tenantId: string, now: number): boolean {
    this.age(now);
    return this.young < this.limits.active && this.open < this.limits.open && (this.perTenant.get(tenantId) ?? 0) < this.limits.perTenant;
  }

  /** Whether anything at all may start (some tenant under its own ceiling may still be refused). */
  hasRoom(now: number): boolean {
    this.age(now);
    return this.young < this.limits.active && this.open < this.limits.open;
  }

  start(tenantId: string, now: number): () => void {
    const entry: Open = { tenantId, startedAt: now, young: true, done: false };
    this.fifo.push(entry);
    this.young++;
    this.open++;
    this.perTenant.set(tenantId, (this.perTenant.get(tenantId) ?? 0) + 1);
    return () => {
      if (entry.done) return;
      entry.done = true;
      if (entry.young) {
        entry.young = false;
        this.young--;
      }
      this.open--;
      const n = (this.perTenant.get(tenantId) ?? 1) - 1;
      if (n === 0) this.perTenant.delete(tenantId);
      else this.perTenant.set(tenantId, n);
    };
  }

  /** How many requests could start now (for any tenant under its own ceiling). */
  room(now: number): number {
    this.age(now);
    return Math.max(0, Math.min(this.limits.active - this.young, this.limits.open - this.open));
  }

  /** When the oldest young request stops counting (the next moment room can appear without a request finishing). */
  nextAgeAt(): number | null {
    const head = this.fifo.find((e) => e.young && !e.done);
    return head ? head.startedAt + ACTIVE_MS : null;
  }

  get stats(): { young: number; open: number } {
    return { young: this.young, open: this.open };
  }
}
