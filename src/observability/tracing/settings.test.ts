import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../config/config.ts";
import { tracingSettings } from "./settings.ts";

describe("tracingSettings", () => {
  it("is off without an OTLP endpoint, whatever else is set", () => {
    expect(tracingSettings(loadConfig({}))).toBeNull();
    expect(tracingSettings(loadConfig({ OTEL_SERVICE_NAME: "x", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }))).toBeNull();
  });

  it("sends to <endpoint>/v1/traces by protobuf, as the OpenTelemetry defaults say", () => {
    expect(tracingSettings(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }))).toEqual({
      url: "http://collector:4318/v1/traces",
      protocol: "http/protobuf",
      headers: {},
      serviceName: "hookd",
    });
  });

  it("lets the traces-specific variables win, and turn tracing on alone", () => {
    const s = tracingSettings(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example/api/spans",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=a%20b,X-Team=core",
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-api-key=traces",
        OTEL_SERVICE_NAME: "webhooks",
      }),
    );
    expect(s).toEqual({
      url: "https://traces.example/api/spans",
      protocol: "http/json",
      headers: { "x-api-key": "traces", "x-team": "core" },
      serviceName: "webhooks",
    });
    expect(tracingSettings(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c/v1/traces" }))?.url).toBe("http://c/v1/traces");
  });

  it("is off when the SDK is disabled", () => {
    expect(tracingSettings(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" }))).toBeNull();
  });

  it("refuses grpc, a URL that is not http(s) and malformed headers, without echoing header values", () => {
    let problems: string[] = [];
    try {
      loadConfig({
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
        OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317",
        OTEL_EXPORTER_OTLP_HEADERS: "secret-token-without-a-name",
      });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      problems = (err as ConfigError).problems;
    }
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL="grpc": grpc is not supported/);
    expect(problems.join("\n")).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT="collector:4317": must be an http/);
    expect(problems.join("\n")).not.toContain("secret-token");
  });
});
