/**
 * Reads the spans out of OTLP/HTTP JSON exports (OTEL_EXPORTER_OTLP_PROTOCOL=http/json) that a test Receiver
 * collected, so tests can assert on what a collector would store: names, ids, parents, attributes, resource.
 */
import type { ReceivedRequest } from "./receiver.ts";

export interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, string | number | boolean | unknown[]>;
  /** The exporting resource's attributes (service.name, hookd.thread). */
  resource: Record<string, string | number | boolean | unknown[]>;
  statusCode: number;
}

interface KeyValue {
  key: string;
  value: AnyValue;
}
interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
}

function valueOf(v: AnyValue): string | number | boolean | unknown[] {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(valueOf);
  throw new Error(`unexpected OTLP value ${JSON.stringify(v)}`);
}

function attributes(list: KeyValue[] | undefined): Record<string, string | number | boolean | unknown[]> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));
}

interface Export {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: {
      spans?: {
        name: string;
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        kind: number;
        startTimeUnixNano: string | number;
        endTimeUnixNano: string | number;
        attributes?: KeyValue[];
        status?: { code?: number };
      }[];
    }[];
  }[];
}

/** Every span in the JSON exports posted to /v1/traces, in the order they arrived. */
export function otlpSpans(received: readonly ReceivedRequest[]): OtlpSpan[] {
  const out: OtlpSpan[] = [];
  for (const r of received) {
    if (r.path !== "/v1/traces" || r.method !== "POST") continue;
    const body = JSON.parse(r.body) as Export;
    for (const rs of body.resourceSpans ?? []) {
      const resource = attributes(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          out.push({
            name: s.name,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? "",
            kind: s.kind,
            startNs: BigInt(s.startTimeUnixNano),
            endNs: BigInt(s.endTimeUnixNano),
            attributes: attributes(s.attributes),
            resource,
            statusCode: s.status?.code ?? 0,
          });
        }
      }
    }
  }
  return out;
}
