/**
 * The operator console's answers: system health and the tenant heatmap (admin only).
 */
import { type TSchema, Type } from "typebox";

export const HEATMAP_WINDOWS = { "1h": { bucketMs: 300_000, buckets: 12 }, "24h": { bucketMs: 3_600_000, buckets: 24 } } as const;
export type HeatmapWindow = keyof typeof HEATMAP_WINDOWS;

export const TenantHeatmapQuery = Type.Object(
  {
    window: Type.Optional(
      Type.Unsafe<HeatmapWindow>({
        type: "string",
        enum: Object.keys(HEATMAP_WINDOWS),
        default: "1h",
        description: "1h: twelve 5-minute cells per tenant; 24h: twenty-four hourly cells.",
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Count = Type.Object(
  { value: Type.Integer(), capped: Type.Boolean({ description: "true: at least `value` (counting stopped there)." }) },
);

export const SystemHealthSchema = Type.Object({
  generated_at: Type.String({ format: "date-time" }),
  queue: Type.Object({
    queued: Count,
    due: Count,
    in_flight: Count,
    dead: Count,
    oldest_due_at: Nullable(Type.String({ format: "date-time" })),
    oldest_due_age_s: Nullable(Type.Number()),
    attempts_per_s: Type.Number({ description: "Over the last five minutes, every worker's." }),
    drain_estimate_s: Nullable(
      Type.Number({ description: "(due + in flight) / attempts_per_s; null when work waits and nothing was attempted." }),
    ),
  }),
  breakers: Type.Object({ closed: Type.Integer(), open: Type.Integer(), half_open: Type.Integer() }),
  open_breakers: Type.Array(
    Type.Object({
      tenant_id: Type.String(),
      endpoint_id: Type.String(),
      url: Type.String(),
      breaker: Type.String(),
      open_until: Nullable(Type.String({ format: "date-time" })),
    }),
  ),
});

export const TenantHeatmapSchema = Type.Object({
  window: Type.String(),
  from: Type.String({ format: "date-time" }),
  bucket_s: Type.Integer(),
  data: Type.Array(
    Type.Object({
      tenant_id: Type.String(),
      name: Type.String(),
      cells: Type.Array(
        Type.Object({ attempts: Type.Integer(), succeeded: Type.Integer(), success_rate: Nullable(Type.Number()) }),
      ),
      attempts: Type.Integer(),
      success_rate: Nullable(Type.Number()),
      backlog: Count,
      dead: Count,
      endpoints: Type.Integer(),
      open_breakers: Type.Integer(),
    }),
  ),
  next_cursor: Nullable(Type.String()),
});
