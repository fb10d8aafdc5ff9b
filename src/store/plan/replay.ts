/**
 * Whether a delivery can be replayed and how, shared by both adapters (single replays, bulk replays and recover
 * tasks all decide the same way). Settled deliveries get a new job due now; a failed one waiting for its retry has
 * the retry moved to now; anything whose attempt may be under way right now is left alone.
 */
import type { DeliveryStatus } from "../../domain/types.ts";
import type { ReplayResult } from "../ports/delivery-log.ts";

/**
 * A retry due within this margin (or already due) may be in a worker's hands at this moment: moving it could let
 * the worker's outcome and the replay race, so it is reported as in flight instead.
 */
export const IN_FLIGHT_MARGIN_MS = 1_000;

export type ReplayDecision =
  | { kind: "refuse"; result: Exclude<ReplayResult, "replayed"> }
  /** Settled: a new job due now, retry schedule restarted. */
  | { kind: "new_job" }
  /** Failed and waiting: its job runs now instead, retry schedule restarted. */
  | { kind: "move_job" };

export function decideReplay(
  delivery: { status: DeliveryStatus; payloadExpunged: boolean },
  job: { runAt: number } | null,
  now: number,
): ReplayDecision {
  if (delivery.payloadExpunged) return { kind: "refuse", result: "payload_expunged" };
  if (delivery.status === "pending") return { kind: "refuse", result: "already_pending" };
  if (delivery.status === "failed") {
    if (!job || job.runAt <= now + IN_FLIGHT_MARGIN_MS) return { kind: "refuse", result: "in_flight" };
    return { kind: "move_job" };
  }
  return { kind: "new_job" };
}
