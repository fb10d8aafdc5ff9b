import { describe, expect, it } from "vitest";
import { readServerSentEvents, type ServerSentEvent } from "./sse.ts";

async function read(chunks: string[]): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const e of readServerSentEvents((async function* () { yield* chunks; })())) events.push(e);
  return events;
}

describe("readServerSentEvents", () => {
  it("reads named events with ids and skips comments", async () => {
    const events = await read([": keep-alive\n\n", "event: delivery\nid: r1\ndata: {\"a\":1}\n\n"]);
    expect(events).toEqual([{ event: "delivery", data: '{"a":1}', id: "r1" }]);
  });

  it("joins an event split across chunks, with CRLF line ends and several data lines", async () => {
    const events = await read(["event: rea", "dy\r", "\ndata: one\r\ndata:two\r\n", "\r\n", "data: plain\n\n"]);
    expect(events).toEqual([
      { event: "ready", data: "one\ntwo", id: null },
      { event: "message", data: "plain", id: null },
    ]);
  });

  it("yields nothing for an event the stream cut off before its blank line", async () => {
    expect(await read(["event: delivery\ndata: {}\n"])).toEqual([]);
  });
});
