/**
 * The listen sessions this API process holds (`hookd listen`), one per relay endpoint, in memory: a session is a
 * connection from a developer's machine, so it lives exactly as long as that connection, in the process that
 * accepted it. The relay route hands each delivery to the endpoint's session and waits for the developer's local
 * answer, which the session posts back by request id.
 *
 * A second session for the same endpoint replaces the first (the older connection is ended), so a reconnecting
 * laptop never has to wait for its dead connection to time out. Requests still waiting when their session ends are
 * answered "not connected" and retried by the worker like any failed attempt.
 */
import { randomUUID } from "node:crypto";

/** One delivery as the session receives it: the exact headers and body hookd signed. */
export interface RelayRequest {
  id: string;
  headers: Record<string, string>;
  body: string;
}

/** The developer's local answer, or why the command could not get one. */
export type RelayAnswer =
  | { kind: "response"; status: number; headers: Record<string, string>; body: string; durationMs: number }
  | { kind: "error"; message: string; durationMs: number };

/** What forward resolves to: the answer, or that no session holds the endpoint (or it ended meanwhile). */
export type ForwardResult = RelayAnswer | { kind: "not-connected" };

export interface RelaySink {
  /** Sends one delivery down the session's connection. */
  deliver(request: RelayRequest): void;
  /** Ends the connection (replaced by a newer session, or the server is closing). */
  end(): void;
}

interface Session {
  tenantId: string;
  endpointId: string;
  sink: RelaySink;
  waiting: Map<string, (result: ForwardResult) => void>;
}

export class RelayHub {
  private readonly sessions = new Map<string, Session>();

  /** Makes `sink` the endpoint's session; returns the function that detaches it (call it when its connection closes). */
  attach(tenantId: string, endpointId: string, sink: RelaySink): () => void {
    const older = this.sessions.get(endpointId);
    if (older) this.end(older);
    const session: Session = { tenantId, endpointId, sink, waiting: new Map() };
    this.sessions.set(endpointId, session);
    return () => {
      if (this.sessions.get(endpointId) === session) this.end(session);
    };
  }

  /** True while a session of this tenant holds the endpoint. */
  isConnected(tenantId: string, endpointId: string): boolean {
    return this.sessions.get(endpointId)?.tenantId === tenantId;
  }

  /**
   * Hands one delivery to the endpoint's session and resolves with the developer's answer; resolves "not-connected"
   * at once when no session of this tenant holds the endpoint, and when the session ends or `signal` aborts (the
   * worker gave up: its own timeout) before an answer came.
   */
  forward(tenantId: string, endpointId: string, request: Omit<RelayRequest, "id">, signal: AbortSignal): Promise<ForwardResult> {
    const session = this.sessions.get(endpointId);
    if (!session || session.tenantId !== tenantId || signal.aborted) return Promise.resolve({ kind: "not-connected" });
    const id = randomUUID();
    return new Promise<ForwardResult>((resolve) => {
      const onAbort = () => settle({ kind: "not-connected" });
      const settle = (result: ForwardResult) => {
        if (!session.waiting.delete(id)) return;
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      };
      session.waiting.set(id, settle);
      signal.addEventListener("abort", onAbort, { once: true });
      session.sink.deliver({ id, ...request });
    });
  }

  /** Settles a waiting delivery with the session's answer; false when none of this session waits under that id. */
  answer(tenantId: string, endpointId: string, requestId: string, answer: RelayAnswer): boolean {
    const session = this.sessions.get(endpointId);
    if (!session || session.tenantId !== tenantId) return false;
    const settle = session.waiting.get(requestId);
    if (!settle) return false;
    settle(answer);
    return true;
  }

  /** Ends every session (the server is closing): their connections end and waiting deliveries are retried later. */
  closeAll(): void {
    for (const session of [...this.sessions.values()]) this.end(session);
  }

  private end(session: Session): void {
    this.sessions.delete(session.endpointId);
    for (const settle of [...session.waiting.values()]) settle({ kind: "not-connected" });
    session.sink.end();
  }
}
