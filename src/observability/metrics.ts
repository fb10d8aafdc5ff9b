/**
 * Prometheus metrics. Each app instance owns its own Registry (never prom-client's global one), so several apps can
 * run in one process, as the tests do, without sharing or double-registering counters.
 *
 * Two kinds of numbers:
 * - Counters and histograms of what this process did (events it ingested, attempts its worker made). In scale-out,
 *   sum them across processes in PromQL.
 * - Queue gauges (depth, oldest due age, dead-letter depth, drain estimate) that describe the whole cluster. They are
 *   computed at scrape time from one cheap indexed store query (QueueStats), so every API process reports the same
 *   values and nothing runs in the background; a scrape every 15 s costs a few index lookups.
 *
 * Tenant ids are not labels by default: a label per tenant multiplies every series by the tenant count, which
 * overwhelms Prometheus on a multi-tenant install. HOOKD_METRICS_TENANT_LABELS=true opts in.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AttemptOutcome, DeliveryStatus, ErrorClass } from "../domain/types.ts";
import type { QueueStats } from "../store/store.ts";

/** What the worker reports after each attempt (observability subscribes; delivery code knows nothing of Prometheus). */
export interface AttemptObservation {
  tenantId: string;
  endpointId: string;
  eventId: string;
  deliveryId: string;
  /** The attempt's number (1 for the first). */
  attempt: number;
  startedAt: number;
  /** The receiver's status code; null when no answer came (a timeout, a refused connection). */
  statusCode: number | null;
  errorClass: ErrorClass | null;
  outcome: AttemptOutcome;
  /** The delivery's state after the attempt. */
  status: DeliveryStatus;
  durationMs: number;
  /** When the event was created, for the end-to-end latency of a success. */
  eventCreatedAt: number;
  finishedAt: number;
}

export interface DeliveryObserver {
  attempted(o: AttemptObservation): void;
}

export interface MetricsOptions {
  tenantLabels: boolean;
  /** Reads the cluster-wide queue gauges; null in processes without a store to ask. */
  queueStats: ((now: number) => Promise<QueueStats>) | null;
  now?: () => number;
}

/** Endpoints per breaker state across all tenants, read from the store at scrape time (app.ts wires it). */
export type BreakerStateSource = () => Promise<{ state: "closed" | "open" | "half_open"; count: number }[]>;

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const E2E_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400];

export class Metrics implements DeliveryObserver {
  readonly registry = new Registry();
  private readonly tenantLabel: boolean;
  private readonly eventsIngested: Counter<string>;
  private readonly attempts: Counter<string>;
  private readonly deliveries: Counter<string>;
  private readonly attemptDuration: Histogram<string>;
  private readonly endToEnd: Histogram<string>;
  private readonly ingestAck: Histogram<string>;
  private breakerSource: BreakerStateSource | null = null;

  constructor(private readonly opts: MetricsOptions) {
    this.tenantLabel = opts.tenantLabels;
    const registers = [this.registry];
    const t = this.tenantLabel ? ["tenant_id"] : [];
    this.eventsIngested = new Counter({
      name: "hookd_events_ingested_total",
      help: "Events accepted (committed and answered 202) by this process.",
      labelNames: t,
      registers,
    });
    this.attempts = new Counter({
      name: "hookd_attempts_total",
      help: "HTTP delivery attempts made by this process, by outcome (success, retry, permanent).",
      labelNames: ["outcome", ...t],
      registers,
    });
    this.deliveries = new Counter({
      name: "hookd_deliveries_total",
      help: "Delivery state after each attempt by this process: succeeded, failed (retry scheduled) or dead.",
      labelNames: ["status", ...t],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: "hookd_attempt_duration_seconds",
      help: "Duration of one HTTP attempt, by outcome.",
      labelNames: ["outcome"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.endToEnd = new Histogram({
      name: "hookd_delivery_latency_seconds",
      help: "From the event's creation to its successful delivery, retries included.",
      buckets: E2E_BUCKETS,
      registers,
    });
    this.ingestAck = new Histogram({
      name: "hookd_ingest_ack_seconds",
      help: "Time to answer a publish request (202 after the commit).",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.registerQueueGauges();
  }

  private labels(tenantId: string, extra: Record<string, string> = {}): Record<string, string> {
    return this.tenantLabel ? { ...extra, tenant_id: tenantId } : extra;
  }

  eventsAccepted(tenantId: string, count: number): void {
    if (count > 0) this.eventsIngested.inc(this.labels(tenantId), count);
  }

  ingestAnswered(seconds: number): void {
    this.ingestAck.observe(seconds);
  }

  attempted(o: AttemptObservation): void {
    this.attempts.inc(this.labels(o.tenantId, { outcome: o.outcome }));
    this.deliveries.inc(this.labels(o.tenantId, { status: o.status }));
    this.attemptDuration.observe({ outcome: o.outcome }, o.durationMs / 1000);
    if (o.outcome === "success") this.endToEnd.observe(Math.max(0, o.finishedAt - o.eventCreatedAt) / 1000);
  }

  /** Feeds hookd_breaker_endpoints; without a source (a process with no store) the gauge reports nothing. */
  setBreakerSource(source: BreakerStateSource): void {
    this.breakerSource = source;
  }

  /** The text exposition of every metric. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private registerQueueGauges(): void {
    const registers = [this.registry];
    const now = this.opts.now ?? Date.now;
    // One store query per scrape feeds every queue gauge: the first gauge's collect fetches, the rest reuse it.
    let pending: Promise<QueueStats> | null = null;
    const stats = (): Promise<QueueStats> | null => {
      const read = this.opts.queueStats;
      if (!read) return null;
      pending ??= read(now()).finally(() => setImmediate(() => (pending = null)));
      return pending;
    };
    // The gauge's own `this` is the gauge inside collect(); the source is read from this Metrics instance.
    const breakerSource = () => this.breakerSource;
    new Gauge({
      name: "hookd_queue_depth",
      help: "Deliveries waiting: due (ready now), scheduled (a retry later) and in_flight (leased by a worker).",
      labelNames: ["state"],
      registers,
      async collect() {
        const s = await stats();
        if (!s) return;
        this.set({ state: "due" }, s.due);
        this.set({ state: "scheduled" }, s.scheduled);
        this.set({ state: "in_flight" }, s.inFlight);
      },
    });
    new Gauge({
      name: "hookd_oldest_due_age_seconds",
      help: "How long the longest-waiting due delivery has been due (0 when none is).",
      registers,
      async collect() {
        const s = await stats();
        if (!s) return;
        this.set(s.oldestDueAt === null ? 0 : Math.max(0, now() - s.oldestDueAt) / 1000);
      },
    });
    new Gauge({
      name: "hookd_dead_deliveries",
      help: "Deliveries in the dead-letter state (replayable).",
      registers,
      async collect() {
        const s = await stats();
        if (s) this.set(s.dead);
      },
    });
    new Gauge({
      name: "hookd_attempt_rate_per_second",
      help: "Attempts per second over the last minute, across every worker.",
      registers,
      async collect() {
        const s = await stats();
        if (s) this.set(s.attemptsLastMinute / 60);
      },
    });
    new Gauge({
      name: "hookd_estimated_drain_seconds",
      help: "Due and in-flight deliveries divided by the last minute's attempt rate; +Inf when work waits and nothing moves.",
      registers,
      async collect() {
        const s = await stats();
        if (!s) return;
        this.set(estimatedDrainSeconds(s));
      },
    });
    new Gauge({
      name: "hookd_breaker_endpoints",
      help: "Endpoints per circuit-breaker state (closed, open, half_open), across all tenants.",
      labelNames: ["state"],
      registers,
      async collect() {
        this.reset();
        const source = breakerSource();
        if (!source) return;
        for (const { state, count } of await source()) this.set({ state }, count);
      },
    });
  }
}

/**
 * @example estimatedDrainSeconds({ due: 120, inFlight: 0, attemptsLastMinute: 60, ... }) // 120
 */
export function estimatedDrainSeconds(s: Pick<QueueStats, "due" | "inFlight" | "attemptsLastMinute">): number {
  const depth = s.due + s.inFlight;
  if (depth === 0) return 0;
  if (s.attemptsLastMinute === 0) return Number.POSITIVE_INFINITY;
  return depth / (s.attemptsLastMinute / 60);
}
