/**
 * The producer: publishes events steadily, mostly one at a time and sometimes in batches of 10, each to a random
 * one of the 20 endpoints (event type `chaos.<index>`). Only a 202 counts as accepted; refused connections and
 * 503s while processes or the database restart are expected and simply not counted.
 */
import { ENDPOINTS } from "./receivers.ts";

export interface Accepted {
  id: string;
  endpoint: number;
}

export class LoadGenerator {
  readonly accepted: Accepted[] = [];
  refused = 0;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly apiUrl: string,
    private readonly adminKey: string,
    private readonly concurrency = 4,
  ) {}

  start(): void {
    this.running = true;
    for (let i = 0; i < this.concurrency; i++) this.loops.push(this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const batch = Math.random() < 0.2;
      const events = Array.from({ length: batch ? 10 : 1 }, () => {
        const endpoint = Math.floor(Math.random() * ENDPOINTS);
        return { endpoint, body: { type: `chaos.${endpoint}`, data: { at: Date.now(), endpoint } } };
      });
      try {
        const res = await fetch(`${this.apiUrl}/v1/tenants/chaos/events${batch ? "/batch" : ""}`, {
          method: "POST",
          headers: { authorization: `Bearer ${this.adminKey}`, "content-type": "application/json" },
          body: JSON.stringify(batch ? { events: events.map((e) => e.body) } : events[0]?.body),
          signal: AbortSignal.timeout(5_000),
        });
        const body = (await res.json()) as { id?: string; data?: { id: string }[] };
        if (res.status === 202) {
          const ids = batch ? (body.data ?? []).map((e) => e.id) : [body.id ?? ""];
          ids.forEach((id, i) => this.accepted.push({ id, endpoint: events[i]?.endpoint ?? -1 }));
        } else {
          this.refused++;
        }
      } catch {
        this.refused++;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
