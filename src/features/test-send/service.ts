/**
 * Test sends: a real event, written by the store's ingest path in its ingest transaction (so it is durable before
 * the 202), whose only delivery goes to the one endpoint named, whatever it subscribes to. From there it is an
 * ordinary delivery: claimed, signed, retried and logged like any other.
 */
import { newId } from "../../domain/ids.ts";
import { AppError } from "../../errors/app-error.ts";
import type { Store } from "../../store/store.ts";
import type { IngestCheck } from "../event-types/ingest-check.ts";
import { MAX_EVENT_BYTES } from "../events/schemas.ts";
import { TEST_EVENT_TYPE } from "./schemas.ts";

export interface TestSendInput {
  event_type?: string | undefined;
  data?: Record<string, unknown> | undefined;
}

export class TestSendService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    /**
     * The event-type catalogue's check, as publishing applies it, for a type the caller names (strict mode, schema).
     * The default `hookd.test` is hookd's own type and never needs declaring.
     */
    private readonly typeCheck?: IngestCheck,
  ) {}

  /** @returns the new event's id and its one delivery's id. */
  async send(tenantId: string, endpointId: string, input: TestSendInput): Promise<{ eventId: string; deliveryId: string }> {
    const type = input.event_type ?? TEST_EVENT_TYPE;
    const data = input.data ?? { test: true };
    if (type !== TEST_EVENT_TYPE) await this.typeCheck?.check(tenantId, [{ type, data }], false);
    const dataJson = JSON.stringify(data);
    if (Buffer.byteLength(dataJson) > MAX_EVENT_BYTES) {
      throw new AppError("PAYLOAD_TOO_LARGE", `event data is larger than ${MAX_EVENT_BYTES} bytes`);
    }
    const eventId = newId("evt");
    const deliveryId = newId("dlv");
    const result = await this.store.ingest({
      tenantId,
      events: [{ id: eventId, generatedId: true, type, dataJson, createdAt: this.now() }],
      idempotency: null,
      renderResponse: () => "",
      target: { endpointId, deliveryId },
    });
    switch (result.kind) {
      case "created":
        return { eventId, deliveryId };
      case "tenant_not_found":
        throw new AppError("TENANT_NOT_FOUND", `tenant ${tenantId} not found`);
      case "target_not_found":
        throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${endpointId} not found`);
      case "target_disabled":
        throw new AppError("ENDPOINT_DISABLED", `endpoint ${endpointId} is disabled; enable it to send a test`);
      default:
        // Idempotency and caller-chosen ids are what produce the other answers; a test send uses neither.
        throw new Error(`test send: ingest answered ${result.kind}`);
    }
  }
}
