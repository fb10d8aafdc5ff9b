/**
 * W3C Trace Context in and out: the producer's `traceparent` (and `tracestate`) on a publish request become the
 * parent of hookd's ingest span, and a span's own context is kept with the event as one traceparent string, from
 * which a worker in another thread or process continues the trace.
 */
import { type Context, ROOT_CONTEXT, type SpanContext } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

/** The trace headers of a request, as a producer sent them. */
export interface TraceCarrier {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}

const propagator = new W3CTraceContextPropagator();

const getter = {
  keys: (c: TraceCarrier) => Object.keys(c),
  get: (c: TraceCarrier, key: string) => (key === "traceparent" ? c.traceparent : key === "tracestate" ? c.tracestate : undefined),
};

/** The parent context a producer's headers name; the root context when they name none (or a malformed one). */
export function contextFromCarrier(carrier: TraceCarrier | undefined): Context {
  if (!carrier?.traceparent) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, carrier, getter);
}

/** A stored traceparent as a parent context; the root context when it cannot be read. */
export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  return contextFromCarrier(traceparent ? { traceparent } : undefined);
}

/** The traceparent string of a span context, as stored with an event. */
export function traceparentOf(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

