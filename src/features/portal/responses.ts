/**
 * The success answers of the portal, console, stats-series and secret routes, for the OpenAPI table
 * (src/http/response-schemas.ts).
 */
import { type TSchema, Type } from "typebox";
import { SystemHealthSchema, TenantHeatmapSchema } from "../console/schemas.ts";
import { RevealedSecretSchema } from "../endpoints/reveal-secret.ts";
import { StatsSeriesSchema } from "../stats/series.ts";
import {
  CreatedPortalSessionSchema,
  ExchangedSchema,
  PortalSelfSchema,
  PortalSessionSchema,
  PortalSettingsSchema,
} from "./schemas.ts";

const t = "/v1/tenants/:tenant_id";
const Empty = Type.Null({ description: "No content." });
const page = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });

export const PORTAL_RESPONSES: Record<string, Record<number, TSchema>> = {
  [`POST ${t}/portal-sessions`]: { 201: CreatedPortalSessionSchema },
  [`GET ${t}/portal-sessions`]: { 200: page(PortalSessionSchema) },
  [`DELETE ${t}/portal-sessions`]: {
    200: Type.Object({ revoked: Type.Integer({ description: "Sessions revoked by this call." }) }),
  },
  [`GET ${t}/portal-sessions/:session_id`]: { 200: PortalSessionSchema },
  [`POST ${t}/portal-sessions/:session_id/refresh`]: { 200: PortalSessionSchema },
  [`DELETE ${t}/portal-sessions/:session_id`]: { 204: Empty },
  [`GET ${t}/portal-settings`]: { 200: PortalSettingsSchema },
  [`PUT ${t}/portal-settings`]: { 200: PortalSettingsSchema },
  "POST /v1/portal/exchange": { 200: ExchangedSchema },
  "GET /v1/portal/session": { 200: PortalSelfSchema },
  "DELETE /v1/portal/session": { 204: Empty },
  "GET /v1/console/health": { 200: SystemHealthSchema },
  "GET /v1/console/tenants": { 200: TenantHeatmapSchema },
  [`GET ${t}/endpoints/:endpoint_id/stats/series`]: { 200: StatsSeriesSchema },
  [`GET ${t}/endpoints/:endpoint_id/secret`]: { 200: RevealedSecretSchema },
};
