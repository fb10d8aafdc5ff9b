/**
 * GET /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/stats/series: the endpoint's attempts, success rate and latency
 * percentiles per bucket over a window (1h in 5-minute buckets, 24h in hours, 7d in 6-hour buckets), for charts.
 * Read from the per-minute stats rows in one grouped range scan (store/ports/console.ts attemptSeries).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import {
  DEFAULT_STATS_WINDOW,
  latencyPercentile,
  MINUTE_MS,
  STATS_WINDOWS,
  type StatsWindow,
} from "../../domain/attempt-stats.ts";
import { AppError } from "../../errors/app-error.ts";
import { requireTenantAccess } from "../../http/auth.ts";
import { iso } from "../../http/common-schemas.ts";
import type { ApiContext } from "../../http/context.ts";
import type { Store } from "../../store/store.ts";
import { EndpointParams } from "../endpoints/schemas.ts";
import { StatsQuery } from "./schemas.ts";

const BUCKET_MS: Record<StatsWindow, number> = { "1h": 5 * MINUTE_MS, "24h": 60 * MINUTE_MS, "7d": 360 * MINUTE_MS };

const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);

export const StatsSeriesSchema = Type.Object({
  window: Type.Union(Object.keys(STATS_WINDOWS).map((w) => Type.Literal(w))),
  bucket_s: Type.Integer(),
  points: Type.Array(
    Type.Object({
      at: Type.String({ format: "date-time", description: "Start of the bucket." }),
      attempts: Type.Integer(),
      succeeded: Type.Integer(),
      success_rate: Nullable(Type.Number()),
      p50_ms: Nullable(Type.Number()),
      p95_ms: Nullable(Type.Number()),
      p99_ms: Nullable(Type.Number()),
    }),
  ),
});

export class StatsSeriesService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async endpoint(tenantId: string, endpointId: string, window: StatsWindow) {
    if (!(await this.store.getEndpoint(tenantId, endpointId))) {
      throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${endpointId} not found`);
    }
    const bucketMs = BUCKET_MS[window];
    const buckets = STATS_WINDOWS[window] / bucketMs;
    // The last bucket holds the current minute; buckets start on multiples of their size.
    const to = Math.ceil((Math.floor(this.now() / MINUTE_MS) * MINUTE_MS + MINUTE_MS) / bucketMs) * bucketMs;
    const from = to - buckets * bucketMs;
    const series = await this.store.consoleStats.attemptSeries(tenantId, endpointId, from, bucketMs, buckets);
    return {
      window,
      bucket_s: bucketMs / 1000,
      points: series.map((t, i) => {
        const pct = (q: number) => (t.attempts === 0 ? null : latencyPercentile(t.latencyBuckets, q));
        return {
          at: iso(from + i * bucketMs) as string,
          attempts: t.attempts,
          succeeded: t.byClass.success,
          success_rate: t.attempts === 0 ? null : Math.round((t.byClass.success / t.attempts) * 10_000) / 10_000,
          p50_ms: pct(0.5),
          p95_ms: pct(0.95),
          p99_ms: pct(0.99),
        };
      }),
    };
  }
}

export function statsSeriesRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/v1/tenants/:tenant_id/endpoints/:endpoint_id/stats/series",
      { schema: { params: EndpointParams, querystring: StatsQuery } },
      async (req) => {
        requireTenantAccess(await ctx.auth.authenticate(req), req.params.tenant_id);
        await ctx.tenants.assertExists(req.params.tenant_id);
        return ctx.statsSeries.endpoint(req.params.tenant_id, req.params.endpoint_id, req.query.window ?? DEFAULT_STATS_WINDOW);
      },
    );
  };
}
