import { Type } from "typebox";
import { CALLER_ID_PATTERN } from "../../domain/ids.ts";
import { isRecoverParams, type Task } from "../../domain/tasks.ts";
import { iso } from "../../http/common-schemas.ts";

export const RecoverBody = Type.Object(
  {
    since: Type.String({ format: "date-time", description: "Deliveries created at or after this time." }),
    until: Type.Optional(Type.String({ format: "date-time", description: "Deliveries created before this time." })),
  },
  { additionalProperties: false },
);

export const TaskParams = Type.Object({
  tenant_id: Type.String({ pattern: CALLER_ID_PATTERN }),
  task_id: Type.String({ pattern: CALLER_ID_PATTERN }),
});

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ format: "date-time" });

export const TaskSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal("endpoint.recover"), Type.Literal("endpoint.delete"), Type.Literal("tenant.delete")], {
    description: "endpoint.delete and tenant.delete remove a deleted endpoint's or tenant's rows in small batches.",
  }),
  status: Type.Union([
    Type.Literal("queued"),
    Type.Literal("running"),
    Type.Literal("succeeded"),
    Type.Literal("failed"),
  ]),
  endpoint_id: Type.String(),
  params: Type.Object(
    { since: Type.Optional(Time), until: Type.Optional(Nullable(Time)) },
    { description: "A recover's window; empty for a deletion." },
  ),
  done: Type.Integer({ description: "Deliveries dealt with so far: requeued + skipped (recover), deleted (deletion)." }),
  total: Type.Union([Type.Integer(), Type.Null()], {
    description: "Deliveries found to recover or delete when the task started; null while queued.",
  }),
  requeued: Type.Integer({ description: "Deliveries put back in the queue." }),
  skipped: Type.Integer({ description: "Deliveries in flight at that moment, or whose payload was expunged." }),
  error: Nullable(Type.String()),
  created_at: Time,
  updated_at: Time,
  finished_at: Nullable(Time),
});

export const TaskPage = Type.Object({
  data: Type.Array(TaskSchema),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export function taskToApi(t: Task) {
  return {
    id: t.id,
    kind: t.kind,
    status: t.status,
    endpoint_id: t.endpointId,
    params: isRecoverParams(t.params) ? { since: iso(t.params.since), until: iso(t.params.until) } : {},
    done: t.done,
    total: t.total,
    requeued: t.requeued,
    skipped: t.skipped,
    error: t.error,
    created_at: iso(t.createdAt),
    updated_at: iso(t.updatedAt),
    finished_at: iso(t.finishedAt),
  };
}
