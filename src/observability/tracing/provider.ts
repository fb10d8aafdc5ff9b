/**
 * The OpenTelemetry SDK for one thread: a tracer provider exporting in batches over OTLP/HTTP (protobuf or JSON).
 * The API thread and the embedded shape's delivery thread each start one, since a provider cannot cross threads.
 * Nothing is registered globally: hookd passes its tracer and contexts explicitly, so a host application's own
 * OpenTelemetry setup (hookd embedded as a library in tests, for instance) is left alone.
 */
import type { Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-node";
import { VERSION } from "../../version.ts";
import type { TracingSettings } from "./settings.ts";

export interface Tracing {
  readonly tracer: Tracer;
  /** Exports every span ended so far. */
  flush(): Promise<void>;
  /** Exports what is left and stops exporting. */
  shutdown(): Promise<void>;
}

/** Spans are exported at least this often, so a trace shows up within seconds of its attempt. */
const EXPORT_EVERY_MS = 1_000;

export function startTracing(settings: TracingSettings, thread: "api" | "delivery"): Tracing {
  const exporter: SpanExporter =
    settings.protocol === "http/json"
      ? new JsonExporter({ url: settings.url, headers: { ...settings.headers } })
      : new ProtobufExporter({ url: settings.url, headers: { ...settings.headers } });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      "service.name": settings.serviceName,
      "service.version": VERSION,
      "hookd.thread": thread,
    }),
    // A producer that sampled its trace out keeps it out; traces hookd starts itself are all kept.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: EXPORT_EVERY_MS })],
  });
  return {
    tracer: provider.getTracer("hookd", VERSION),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
