/**
 * Whether hookd traces, and where to: read from the standard OpenTelemetry variables (config/config.ts holds them
 * with the other settings). Tracing is off, and costs nothing, unless an OTLP endpoint is set.
 */
import type { Config, OtlpProtocol } from "../../config/config.ts";

export interface TracingSettings {
  /** Where spans are POSTed: the traces endpoint as given, or the base endpoint with /v1/traces. */
  url: string;
  protocol: OtlpProtocol;
  headers: Readonly<Record<string, string>>;
  serviceName: string;
}

type TracingConfig = Pick<
  Config,
  | "otlpEndpoint"
  | "otlpTracesEndpoint"
  | "otlpProtocol"
  | "otlpTracesProtocol"
  | "otlpHeaders"
  | "otlpTracesHeaders"
  | "otelServiceName"
  | "otelSdkDisabled"
>;

/**
 * @example tracingSettings({ ...config, otlpEndpoint: "http://collector:4318" })?.url // "http://collector:4318/v1/traces"
 */
export function tracingSettings(config: TracingConfig): TracingSettings | null {
  if (config.otelSdkDisabled) return null;
  const url =
    config.otlpTracesEndpoint ?? (config.otlpEndpoint === null ? null : `${config.otlpEndpoint.replace(/\/+$/, "")}/v1/traces`);
  if (url === null) return null;
  return {
    url,
    protocol: config.otlpTracesProtocol ?? config.otlpProtocol,
    headers: { ...config.otlpHeaders, ...config.otlpTracesHeaders },
    serviceName: config.otelServiceName,
  };
}
