/**
 * The HTTP agents of endpoints with a TLS client certificate or a pinned CA (mTLS). TLS settings belong to a
 * connection, and the shared agent's connections are pooled by origin across endpoints, so each such endpoint gets an
 * agent of its own: the same guarded connector as the shared one (outbound/agent.ts: every address judged by the
 * egress policy at connect), with the certificate, the opened key and the CA added. Two endpoints of one receiver
 * with different certificates therefore never share a connection.
 *
 * Agents are kept per endpoint while its stored TLS settings stay the same (a change is a new stored text and a new
 * agent; the old one is closed once its requests finish). At most LRU_LIMIT are kept; the least recently used is
 * closed when another is needed, and all of them when the worker stops.
 */
import { LRUCache } from "lru-cache";
import type { Agent } from "undici";
import { createOutboundAgent } from "../outbound/agent.ts";
import type { EgressPolicy } from "../outbound/egress-policy.ts";

const LRU_LIMIT = 1_000;
/** Connections per origin of one endpoint's agent: its max_in_flight is at most 1000, usually 16. */
const CONNECTIONS = 64;

export interface ClientTls {
  cert?: string;
  key?: string;
  ca?: string;
}

interface Entry {
  settings: string;
  agent: Agent;
  /** The last TLS error a connection of this agent saw, and when (see refusal()). */
  seen: { tlsError: { err: Error; at: number } | null };
}

const TLS_ERROR = /^(ERR_SSL|ERR_TLS)/;

export class MtlsAgents {
  private readonly agents = new LRUCache<string, Entry>({
    max: LRU_LIMIT,
    dispose: (entry) => void entry.agent.close().catch(() => undefined),
  });

  constructor(
    private readonly policy: EgressPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The endpoint's agent for these settings, made on first use.
   * @param settings the endpoint's stored TLS settings (the cache key: a change makes a new agent)
   * @param open the TLS options with the key opened; called only when an agent is made
   */
  agentFor(endpointId: string, settings: string, open: () => ClientTls): Agent {
    const cached = this.agents.get(endpointId);
    if (cached !== undefined && cached.settings === settings) return cached.agent;
    const seen: Entry["seen"] = { tlsError: null };
    const agent = createOutboundAgent({
      policy: this.policy.network,
      connections: CONNECTIONS,
      tls: open(),
      ...(this.policy.resolver ? { resolver: this.policy.resolver } : {}),
      onSocketError: (err) => {
        const code = (err as { code?: unknown }).code;
        if (typeof code === "string" && TLS_ERROR.test(code)) seen.tlsError = { err, at: this.now() };
      },
    });
    // Replacing an entry disposes (closes) the agent of the old settings.
    this.agents.set(endpointId, { settings, agent, seen });
    return agent;
  }

  /**
   * The TLS error (an alert from the receiver, typically "certificate required" or "unknown CA") that a connection
   * of the endpoint's agent saw at or after `since`, if any: the reason behind a request that failed with the
   * connection closed.
   */
  refusal(endpointId: string, since: number): Error | null {
    const e = this.agents.peek(endpointId)?.seen.tlsError;
    return e != null && e.at >= since ? e.err : null;
  }

  async close(): Promise<void> {
    const agents = [...this.agents.values()].map((e) => e.agent);
    this.agents.clear();
    await Promise.allSettled(agents.map((a) => a.close()));
  }
}
