/**
 * Owns talking to hookd's HTTP API as a producer and an operator: creating the tenant and the one endpoint that
 * points at the sink (with hookd's default settings: no max_in_flight, rate or timeout override, so the figures are
 * the ones a user gets), and publishing events (single and batch) as an IngestTarget for the load shapes. Only a 202
 * counts; the event id and created_at of the answer are what deliveries are matched against.
 */
import { Pool } from "undici";
import { EVENT_TYPE, eventData } from "./payload.ts";
import type { IngestTarget, Published } from "./load.ts";

interface Ingested {
  id: string;
  created_at: string;
}

export class HookdApi implements IngestTarget {
  private readonly pool: Pool;
  private readonly auth: string;

  constructor(
    readonly url: string,
    adminKey: string,
    readonly tenantId: string,
    connections: number,
  ) {
    this.pool = new Pool(url, { connections, keepAliveTimeout: 30_000 });
    this.auth = `Bearer ${adminKey}`;
  }

  /** One API call; the JSON answer and its status, whatever the status. */
  async call<T>(method: "POST" | "GET", path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const res = await this.pool.request({
      method,
      path,
      headers: { authorization: this.auth, "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: (text ? JSON.parse(text) : null) as T };
  }

  async createTenant(name: string): Promise<void> {
    const { status, json } = await this.call("POST", "/v1/tenants", { id: this.tenantId, name });
    if (status !== 201 && status !== 200) throw new Error(`creating the tenant: ${status} ${JSON.stringify(json)}`);
  }

  async createEndpoint(url: string, secret: string): Promise<string> {
    const { status, json } = await this.call<{ id: string }>("POST", `/v1/tenants/${this.tenantId}/endpoints`, {
      url,
      secret,
      event_types: ["invoice.*"],
      description: "benchmark sink",
    });
    if (status !== 201 && status !== 200) throw new Error(`creating the endpoint: ${status} ${JSON.stringify(json)}`);
    return json.id;
  }

  async publishOne(seq: number): Promise<Published> {
    const { status, json } = await this.call<Ingested>("POST", `/v1/tenants/${this.tenantId}/events`, {
      type: EVENT_TYPE,
      data: eventData(seq),
    });
    if (status !== 202) throw new Error(`publish: ${status} ${JSON.stringify(json).slice(0, 200)}`);
    return { id: json.id, createdAt: Date.parse(json.created_at) };
  }

  async publishBatch(seqs: number[]): Promise<Published[]> {
    const { status, json } = await this.call<{ data: Ingested[] }>(
      "POST",
      `/v1/tenants/${this.tenantId}/events/batch`,
      { events: seqs.map((seq) => ({ type: EVENT_TYPE, data: eventData(seq) })) },
    );
    if (status !== 202) throw new Error(`batch publish: ${status} ${JSON.stringify(json).slice(0, 200)}`);
    return json.data.map((e) => ({ id: e.id, createdAt: Date.parse(e.created_at) }));
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
