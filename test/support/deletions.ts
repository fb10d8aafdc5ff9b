/**
 * Deleting an endpoint or a tenant only queues a deletion task (the store removes the rest in batches); tests that
 * need everything gone at once delete and then run every queued deletion task to its end, as a runner would.
 */
import type { AuditNote, Store } from "../../src/store/store.ts";
import type { Endpoint, Tenant } from "../../src/domain/types.ts";

let ids = 0;
const taskId = () => `task_test${String(++ids).padStart(8, "0")}`;

/** Runs every queued deletion task to its end; returns how many steps it took. */
export async function finishDeletions(store: Store, now = Date.now()): Promise<number> {
  let steps = 0;
  for (;;) {
    const task = await store.claimTask({ kinds: ["endpoint.delete", "tenant.delete"], leaseToken: "drain", leaseMs: 60_000, now });
    if (!task) return steps;
    for (;;) {
      steps++;
      const step = await store.runDeletionStep({ taskId: task.id, leaseToken: "drain", limit: 500, leaseMs: 60_000, now });
      if (step.kind !== "progress") break;
    }
  }
}

export async function deleteTenantNow(store: Store, id: string, audit?: AuditNote<Tenant>): Promise<boolean> {
  const task = await store.deleteTenant(id, taskId(), Date.now(), audit);
  await finishDeletions(store);
  return task !== null;
}

export async function deleteEndpointNow(store: Store, tenantId: string, id: string, audit?: AuditNote<Endpoint>): Promise<boolean> {
  const task = await store.deleteEndpoint(tenantId, id, taskId(), Date.now(), audit);
  await finishDeletions(store);
  return task !== null;
}
