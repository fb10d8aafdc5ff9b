/**
 * Publishing events. The 202 is only ever sent after the store has committed the events, their deliveries and the
 * idempotency record in one transaction; the store wakes the workers at that commit.
 */
import { createHash } from "node:crypto";
import { newId } from "../../domain/ids.ts";
import type { Delivery, StoredEvent } from "../../domain/types.ts";
import { AppError } from "../../errors/app-error.ts";
import type { IngestedEvent, NewEvent, Store } from "../../store/store.ts";
import type { IngestCheck } from "../event-types/ingest-check.ts";
import { MAX_EVENT_BYTES } from "./schemas.ts";

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

export interface EventInput {
  id?: string | undefined;
  type: string;
  data: Record<string, unknown>;
}

export type PublishResult = { replayed: false; events: IngestedEvent[] } | { replayed: true; responseJson: string };

export class EventService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    /** Declared types and their schemas (strict mode, validation); without it every type is accepted as is. */
    private readonly typeCheck?: IngestCheck,
  ) {}

  /**
   * @param shape which route the events came from: part of the idempotency hash, so one key reused across the
   *   single and batch routes is refused instead of replaying the other route's answer shape.
   * @param render serialises the 202 body; it is stored with the idempotency key so a repeat gets the same bytes.
   */
  async publish(
    tenantId: string,
    shape: "single" | "batch",
    inputs: EventInput[],
    idempotencyKey: string | undefined,
    render: (events: IngestedEvent[]) => string,
  ): Promise<PublishResult> {
    assertUniqueIds(inputs);
    await this.typeCheck?.check(tenantId, inputs, shape === "batch");
    const at = this.now();
    const events: NewEvent[] = inputs.map((input, index) => {
      const dataJson = JSON.stringify(input.data);
      if (Buffer.byteLength(dataJson) > MAX_EVENT_BYTES) {
        throw new AppError("PAYLOAD_TOO_LARGE", `event data is larger than ${MAX_EVENT_BYTES} bytes`, [
          { index, message: "too large" },
        ]);
      }
      return { id: input.id ?? newId("evt"), generatedId: input.id === undefined, type: input.type, dataJson, createdAt: at };
    });
    const idempotency = idempotencyKey
      ? {
          key: idempotencyKey,
          requestHash: createHash("sha256").update(JSON.stringify([shape, inputs])).digest("hex"),
          notBefore: at - IDEMPOTENCY_WINDOW_MS,
        }
      : null;
    const result = await this.store.ingest({ tenantId, events, idempotency, renderResponse: render });
    switch (result.kind) {
      case "created":
        return { replayed: false, events: result.events };
      case "replayed":
        return { replayed: true, responseJson: result.responseJson };
      case "idempotency_mismatch":
        throw new AppError("IDEMPOTENCY_KEY_MISMATCH", "this Idempotency-Key was used with a different body");
      case "tenant_not_found":
        throw new AppError("TENANT_NOT_FOUND", `tenant ${tenantId} not found`);
      case "event_conflict":
        throw new AppError("EVENT_ID_CONFLICT", `event ${result.eventId} exists with a different type or data`);
      case "target_not_found":
      case "target_disabled":
        // Only a test send names a target (features/test-send); publishing never does.
        throw new Error(`ingest answered ${result.kind} to a publish`);
    }
  }

  async get(tenantId: string, id: string): Promise<{ event: StoredEvent; deliveries: Delivery[] }> {
    const event = await this.store.getEvent(tenantId, id);
    if (!event) throw new AppError("EVENT_NOT_FOUND", `event ${id} not found`);
    const page = await this.store.listDeliveries(tenantId, { eventId: id }, { limit: 1000, after: null });
    return { event, deliveries: page.data };
  }
}

/**
 * One batch naming the same event id twice is refused whole: the stores would otherwise treat the second copy as an
 * existing event (or, on PostgreSQL, drop it silently) while the 202 listed both.
 */
function assertUniqueIds(inputs: EventInput[]): void {
  const seen = new Set<string>();
  const repeated: { index: number; message: string }[] = [];
  inputs.forEach((input, index) => {
    if (input.id === undefined) return;
    if (seen.has(input.id)) repeated.push({ index, message: `event id ${input.id} appears earlier in this batch` });
    seen.add(input.id);
  });
  if (repeated.length > 0) {
    throw new AppError("VALIDATION_FAILED", "event ids must be unique within a batch", repeated);
  }
}
