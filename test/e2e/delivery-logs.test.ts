/**
 * End to end, on both stores: every log line about a delivery carries event_id, delivery_id and endpoint_id, so one
 * grep follows an event through its attempts. The logs are captured from a real run through a pino stream.
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../src/app.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { answer, Receiver } from "../support/receiver.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { Api, eventually, hookdConfig, type Json } from "./harness.ts";

describe.each(STORE_KINDS)("delivery log lines (%s)", (kind) => {
  const lines: Json[] = [];
  let db: TestDatabase;
  let app: App;
  let api: Api;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    db = await createTestDatabase(kind);
    app = await createApp(hookdConfig(db.url, { logLevel: "debug" }), { role: "all", log: createLogger("debug", sink) });
    api = new Api(app.url!);
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await app?.close();
    await db?.destroy();
  });

  it("names the event, delivery and endpoint on every delivery line, success and failure alike", async () => {
    const tenant = (await api.createTenant({ name: "logs" })).id as string;
    const ok = await new Receiver().start();
    const gone = await new Receiver().start();
    gone.handler = answer(410);
    receivers.push(ok, gone);
    const okEp = await api.createEndpoint(tenant, { url: ok.url, event_types: ["ok"] });
    const goneEp = await api.createEndpoint(tenant, { url: gone.url, event_types: ["gone"] });
    const e1 = await api.publish(tenant, { type: "ok", data: {} });
    const e2 = await api.publish(tenant, { type: "gone", data: {} });

    const delivered = await eventually(() => {
      const line = lines.find((l) => l.msg === "delivered" && l.event_id === e1.id);
      if (!line) throw new Error("no delivered line yet");
      return line;
    });
    expect(delivered).toMatchObject({ endpoint_id: okEp.id, tenant_id: tenant, attempt: 1, status_code: 204 });
    expect(delivered.delivery_id).toMatch(/^dlv_/);
    const failed = await eventually(() => {
      const line = lines.find((l) => l.msg === "attempt failed" && l.event_id === e2.id);
      if (!line) throw new Error("no failure line yet");
      return line;
    });
    expect(failed).toMatchObject({ endpoint_id: goneEp.id, status_code: 410, next_status: "dead", level: 30 });

    const deliveryLines = lines.filter((l) => "delivery_id" in l);
    expect(deliveryLines.length).toBeGreaterThanOrEqual(2);
    for (const l of deliveryLines) {
      expect(l.event_id, JSON.stringify(l)).toEqual(expect.any(String));
      expect(l.endpoint_id, JSON.stringify(l)).toEqual(expect.any(String));
    }
    // Secrets never reach the log.
    expect(JSON.stringify(lines)).not.toContain("whsec_");
  });
});
