/**
 * Which delivery rows retention may delete, shared by both adapters. A delivery goes only when nothing can still
 * need it: it is finished (succeeded or dead; a replay makes it pending again under the same row lock, so a finished
 * delivery has no job waiting), and its endpoint's stream has moved past it (seq <= acked_seq), so the owner never
 * reads it again. `retry_queued` stays set once a delivery was retried, so it says nothing here; a stale job a refill
 * found earlier is dropped by the next cycle whether its delivery still exists or not. Sequence numbers are handed out from the scheduler row's
 * next_seq, never from the log, so deleting old rows leaves an endpoint's numbering and its acked_seq as they were.
 * A delivery whose endpoint has no stream row any more belongs to a deleted endpoint, and may go too.
 */
import { encodeTime } from "ulid";

export interface RetentionCandidate {
  id: string;
  seq: number | string;
  status: string;
  created_at: number | string;
  acked_seq: number | string | null;
}

export function retainedDeliveryMayGo(d: RetentionCandidate, before: number): boolean {
  if (d.status !== "succeeded" && d.status !== "dead") return false;
  if (Number(d.created_at) >= before) return false;
  return d.acked_seq === null || Number(d.seq) <= Number(d.acked_seq);
}

/**
 * Delivery ids are ULIDs of their event's creation time, so every delivery created before `before` has an id below
 * this bound: the tenant's old deliveries are a range of its primary key.
 */
export function deliveryIdBefore(before: number): string {
  return `dlv_${encodeTime(Math.min(Math.max(0, before), 281474976710655), 10)}`;
}
