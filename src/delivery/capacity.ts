/**
 * The worker's shared capacity for open requests. A request counts against the worker's concurrency only while it is
 * young (open for less than ACTIVE_MS): that is when it costs CPU (connect, TLS, sign, write, read). A request still
 * open after that is waiting on a slow or hung receiver and costs only a socket, so it stops counting; otherwise a
 * few receivers that hang, or a tenant whose receivers take 29 s to answer, would hold every slot and every other
 * tenant would wait. Open requests still have hard ceilings: in all, and per tenant, so that one tenant's hung
 * receivers cannot pile up without bound (the endpoint's own limit, max_in_flight or less, comes first).
 *
 * The last quarter of the young slots is a reserve for tenants that hold only a few of them. Turns at the pump are
 * fair per request, not per slot-second: a tenant whose receivers take 29 s keeps each slot it gets for the whole
 * ACTIVE_MS, while a healthy tenant's requests give theirs back in milliseconds, so without a reserve the slow tenant
 * ends up holding every young slot and the healthy one waits up to ACTIVE_MS for each (the isolation bench's
 * slow-tenant scenario: healthy p99 2.6 s on both stores). A tenant that needs many slots at once still gets the
 * other three quarters when it is alone.
 */

export const ACTIVE_MS = 1_000;

/** Young slots kept back for tenants holding few (none below 8 slots: a tiny worker has nothing to spare). */
export function reserveOf(active: number): { slots: number; smallHolding: number } {
  const slots = active >= 8 ? Math.floor(active / 4) : 0;
  return { slots, smallHolding: Math.max(1, Math.floor(slots / 4)) };
}

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
  /** Young requests per tenant. */
  private readonly youngOf = new Map<string, number>();
  private readonly reserve: { slots: number; smallHolding: number };

  constructor(readonly limits: CapacityLimits) {
    this.reserve = reserveOf(limits.active);
  }

  private unyoung(entry: Open): void {
    entry.young = false;
    this.young--;
    const n = (this.youngOf.get(entry.tenantId) ?? 1) - 1;
    if (n === 0) this.youngOf.delete(entry.tenantId);
    else this.youngOf.set(entry.tenantId, n);
  }

  /** Ages requests that have been open longer than ACTIVE_MS out of the young count. */
  private age(now: number): void {
    while (this.fifo.length > 0) {
      const head = this.fifo[0]!;
      if (!head.done && now - head.startedAt < ACTIVE_MS) break;
      this.fifo.shift();
      if (!head.done && head.young) this.unyoung(head);
    }
  }

  canStart(tenantId: string, now: number): boolean {
    this.age(now);
    if (this.young >= this.limits.active || this.open >= this.limits.open) return false;
    if ((this.perTenant.get(tenantId) ?? 0) >= this.limits.perTenant) return false;
    // In the reserve only a tenant holding few young slots may start.
    return this.young < this.limits.active - this.reserve.slots || (this.youngOf.get(tenantId) ?? 0) < this.reserve.smallHolding;
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
    this.youngOf.set(tenantId, (this.youngOf.get(tenantId) ?? 0) + 1);
    this.open++;
    this.perTenant.set(tenantId, (this.perTenant.get(tenantId) ?? 0) + 1);
    return () => {
      if (entry.done) return;
      entry.done = true;
      if (entry.young) this.unyoung(entry);
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
