/**
 * The stats query (one window name) and the answer's shape, shared by the endpoint and the tenant route.
 */
import { type TSchema, Type } from "typebox";
import { DEFAULT_STATS_WINDOW, OUTCOME_CLASSES, STATS_WINDOWS, type StatsWindow } from "../../domain/attempt-stats.ts";

export const StatsQuery = Type.Object(
  {
    // A plain enum: an unknown window is a 400 VALIDATION_FAILED that says "must be equal to one of the allowed values".
    window: Type.Optional(
      Type.Unsafe<StatsWindow>({
        type: "string",
        enum: Object.keys(STATS_WINDOWS),
        default: DEFAULT_STATS_WINDOW,
        description: "How far back: the last hour, day or week, in whole minutes (the current one included).",
      }),
    ),
  },
  { additionalProperties: false },
);

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const LatencyMs = Nullable(Type.Number({ description: "Interpolated within its latency bucket (see docs/api.md#delivery-stats)." }));

export const StatsSchema = Type.Object({
  window: Type.Union(Object.keys(STATS_WINDOWS).map((w) => Type.Literal(w))),
  from: Type.String({ format: "date-time", description: "Start of the first minute counted." }),
  to: Type.String({ format: "date-time", description: "End (exclusive) of the current minute." }),
  attempts: Type.Integer({ description: "HTTP attempts started in the window." }),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  success_rate: Nullable(Type.Number({ description: "succeeded / attempts, 0-1; null without attempts." })),
  by_outcome: Type.Object(
    Object.fromEntries(OUTCOME_CLASSES.map((c) => [c, Type.Integer()])),
    { description: "Attempts per outcome class; the classes add up to `attempts`." },
  ),
  latency_ms: Type.Union([
    Type.Object({ p50: LatencyMs, p95: LatencyMs, p99: LatencyMs }),
    Type.Null(),
  ]),
  backlog: Type.Object(
    { pending: Type.Integer(), failed: Type.Integer() },
    { description: "Deliveries waiting right now: not attempted yet, or failed with a retry scheduled." },
  ),
});
