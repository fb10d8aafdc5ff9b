/**
 * What route modules receive from the composition root: services and the authenticator, never a store adapter.
 */
import type { ApiKeyService } from "../features/api-keys/service.ts";
import type { AuditService } from "../features/audit/service.ts";
import type { DeliveryService } from "../features/deliveries/service.ts";
import type { EndpointService } from "../features/endpoints/service.ts";
import type { EventService } from "../features/events/service.ts";
import type { EventTypeService } from "../features/event-types/service.ts";
import type { OperationalEventService } from "../features/operational-events/service.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { RetentionService } from "../features/retention/service.ts";
import type { StatsService } from "../features/stats/service.ts";
import type { TaskService } from "../features/tasks/service.ts";
import type { TestSendService } from "../features/test-send/service.ts";
import type { TenantService } from "../features/tenants/service.ts";
import type { ConsoleService } from "../features/console/service.ts";
import type { SecretReveal } from "../features/endpoints/reveal-secret.ts";
import type { PortalService } from "../features/portal/service.ts";
import type { StatsSeriesService } from "../features/stats/series.ts";
import type { PayloadService } from "../features/payloads/service.ts";
import type { RelayHub } from "../features/relay/hub.ts";
import type { RelayService } from "../features/relay/service.ts";
import type { QuotaService } from "../features/quotas/service.ts";
import type { Authenticator } from "./auth.ts";

export interface ApiContext {
  auth: Authenticator;
  tenants: TenantService;
  endpoints: EndpointService;
  events: EventService;
  eventTypes: EventTypeService;
  deliveries: DeliveryService;
  apiKeys: ApiKeyService;
  audit: AuditService;
  operationalEvents: OperationalEventService;
  metrics: Metrics;
  retention: RetentionService;
  stats: StatsService;
  tasks: TaskService;
  testSend: TestSendService;
  portal: PortalService;
  console: ConsoleService;
  statsSeries: StatsSeriesService;
  secretReveal: SecretReveal;
  /** Per-tenant quotas (features/quotas). */
  quotas: QuotaService;
  /** Thin deliveries' payload fetches (GET /v1/events/{id}/payload). */
  payloads: PayloadService;
  /** Relay endpoints (`hookd listen`) and the listen sessions this process holds. */
  relay: RelayService;
  relayHub: RelayHub;
  /** HOOKD_PUBLIC_URL: the base of links hookd hands out (portal URLs); null: the request's own scheme and host. */
  publicUrl: string | null;
  /** "none": GET /metrics needs no key; "admin": it needs the admin key. */
  metricsAuth: "none" | "admin";
  ready: () => Promise<void>;
}
