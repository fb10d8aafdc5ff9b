/**
 * The SDK wiring against a real OTLP/HTTP receiver on port 0: both protocols arrive at the URL, with the headers,
 * content type and resource the settings give.
 */
import { afterEach, describe, expect, it } from "vitest";
import { otlpSpans } from "../../../test/support/otlp-spans.ts";
import { Receiver } from "../../../test/support/receiver.ts";
import { startTracing } from "./provider.ts";

describe("startTracing", () => {
  let collector: Receiver | null = null;
  afterEach(async () => {
    await collector?.close();
    collector = null;
  });

  it("exports JSON with the resource and headers configured", async () => {
    collector = await new Receiver().start();
    const tracing = startTracing(
      { url: `${collector.url}/custom/traces`, protocol: "http/json", headers: { "x-api-key": "k1" }, serviceName: "svc" },
      "api",
    );
    tracing.tracer.startSpan("hookd.test").end();
    await tracing.shutdown();
    const [request] = collector.received;
    expect(request?.path).toBe("/custom/traces");
    expect(request?.headers["content-type"]).toMatch(/^application\/json/);
    expect(request?.headers["x-api-key"]).toBe("k1");
    const spans = otlpSpans(collector.received.map((r) => ({ ...r, path: "/v1/traces" })));
    expect(spans.map((s) => s.name)).toEqual(["hookd.test"]);
    expect(spans[0]?.resource).toMatchObject({ "service.name": "svc", "hookd.thread": "api" });
  });

  it("exports protobuf by default", async () => {
    collector = await new Receiver().start();
    const tracing = startTracing(
      { url: `${collector.url}/v1/traces`, protocol: "http/protobuf", headers: {}, serviceName: "hookd" },
      "delivery",
    );
    tracing.tracer.startSpan("hookd.protobuf_span").end();
    await tracing.flush();
    await tracing.shutdown();
    const [request] = collector.received;
    expect(request?.headers["content-type"]).toBe("application/x-protobuf");
    // Protobuf keeps strings as UTF-8 bytes: the span's name is in the body as written.
    expect(request?.body).toContain("hookd.protobuf_span");
  });
});
