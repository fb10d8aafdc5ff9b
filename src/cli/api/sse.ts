/**
 * A reader of server-sent events (the `text/event-stream` format) for `hookd listen`: turns the stream's chunks into
 * events as they complete. Only what hookd sends is needed (`event`, `data`, `id`, comment lines), but the format's
 * rules are kept: CRLF, CR or LF line ends, several `data` lines joined by newlines, one optional space after the
 * colon, and an event that arrives split across chunks.
 */

export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | null;
}

/**
 * @example for await (const e of readServerSentEvents(response.body)) console.log(e.event, JSON.parse(e.data))
 */
export async function* readServerSentEvents(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | null = null;
  for await (const chunk of chunks) {
    buffer += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/);
      // A lone CR at the end may be half of a CRLF still in flight: wait for the next chunk.
      if (end === -1 || (buffer[end] === "\r" && end === buffer.length - 1)) break;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
      if (line === "") {
        if (data.length > 0) yield { event: event || "message", data: data.join("\n"), id };
        event = "";
        data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
    }
  }
}
