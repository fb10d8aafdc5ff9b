/**
 * Owns the output: the tables for people (one row per system with ratios to the raw ceiling and to both baselines, the
 * runs behind them, the cost per delivery on PostgreSQL (report-cost.ts), the backlog comparison, the fleet runs
 * (report-fleet.ts), anything that looked wrong, the time each part took) and the single machine-readable
 * `BENCH_RESULT {json}` line, printed last. A system with any missing delivery, or whose runs failed, is VOID.
 */
import { cpus } from "node:os";
import type { BacklogRun } from "./backlog.ts";
import type { BullmqResult } from "./bullmq-baseline.ts";
import type { BenchConfig } from "./config.ts";
import type { FleetResult } from "./fleet.ts";
import { SHAPE_LABELS, type Shape, type ShapeResult } from "./hookd-runner.ts";
import type { RunMetrics } from "./measure.ts";
import { PGQUEUE_LABELS, type PgQueueResult } from "./pgqueue-baseline.ts";
import type { RawResult } from "./raw-ceiling.ts";
import { COST_HEADERS, type CostedSystem, costJson, costRows, PROJECTED_RPS, projectionLines } from "./report-cost.ts";
import { FLEET_HEADERS, fleetJson, fleetNotes, fleetRows } from "./report-fleet.ts";
import { num } from "./stats.ts";

export interface BacklogPair {
  small?: BacklogRun;
  big?: BacklogRun;
}

export interface BenchResults {
  cfg: BenchConfig;
  raw?: RawResult;
  shapes: Partial<Record<Shape, ShapeResult>>;
  bullmq?: BullmqResult;
  pgqueue?: PgQueueResult;
  backlog: Partial<Record<"sqlite" | "postgres", BacklogPair>>;
  fleet: Partial<Record<"sqlite" | "postgres", FleetResult>>;
  /** Wall time of each part, seconds. */
  partSeconds: Record<string, number>;
  wallS: number;
}

type SystemResult = ShapeResult | BullmqResult | PgQueueResult;

function voidReason(s: SystemResult | undefined): string | null {
  if (!s) return "not run";
  if (s.error) return `failed: ${s.error}`;
  if (s.missing > 0) return `${s.missing} missing`;
  return null;
}

function fmt(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(a: number | undefined, b: number | undefined): number {
  return a !== undefined && b !== undefined && b > 0 ? a / b : Number.NaN;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const sep = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : `${"-".repeat(Math.max(1, w - 1))}:`)).join(" | ")} |`;
  return [line(headers), sep, ...rows.map(line)].join("\n");
}

function backlogRatio(pair: BacklogPair | undefined): number {
  return ratio(pair?.big?.rate, pair?.small?.rate);
}

/** Like for like: both runs measured over the small backlog's size, so start-up weighs the same in both. */
function backlogSameWindowRatio(pair: BacklogPair | undefined): number {
  return ratio(pair?.big?.rateSameWindow, pair?.small?.rateSameWindow);
}

export function printTables(r: BenchResults, out: (s: string) => void): void {
  const rawRps = r.raw?.rps;
  const bullRps = r.bullmq?.deliverRps;
  const pgqRps = r.pgqueue?.deliverRps;
  const systems: [string, SystemResult | undefined][] = [
    ...(["sqlite", "postgres", "postgres_scaleout"] as Shape[])
      .filter((s) => r.cfg.parts.has(s))
      .map((s): [string, SystemResult | undefined] => [SHAPE_LABELS[s], r.shapes[s]]),
  ];
  if (r.cfg.parts.has("bullmq")) systems.push(["bullmq + undici worker", r.bullmq]);
  if (r.cfg.parts.has("pgqueue")) systems.push([PGQUEUE_LABELS[r.cfg.pgQueue], r.pgqueue]);

  const rows: string[][] = [];
  if (r.raw) {
    rows.push([
      "raw ceiling (undici, no storage)",
      "-",
      "-",
      "-",
      fmt(r.raw.rps),
      "1.00",
      fmt(ratio(r.raw.rps, bullRps), 2),
      fmt(ratio(r.raw.rps, pgqRps), 2),
      "-",
      "-",
      String(r.raw.missing),
      String(r.raw.duplicates),
      r.raw.missing > 0 ? "VOID" : "ok",
    ]);
  }
  for (const [label, s] of systems) {
    const reason = voidReason(s);
    rows.push([
      label,
      fmt(s?.single?.ingestRps),
      `${fmt(s?.single?.ackP50Ms, 1)} / ${fmt(s?.single?.ackP99Ms, 1)}`,
      fmt(s?.batch?.ingestRps),
      fmt(s?.deliverRps),
      fmt(ratio(s?.deliverRps, rawRps), 2),
      fmt(ratio(s?.deliverRps, bullRps), 2),
      fmt(ratio(s?.deliverRps, pgqRps), 2),
      `${fmt(s?.paced?.e2eP50Ms)} / ${fmt(s?.paced?.e2eP99Ms)} @ ${fmt(s?.paced?.offeredRps)}/s`,
      s && Number.isFinite(s.rssProcessMb) && s.rssMb - s.rssProcessMb > 1
        ? `${fmt(s.rssMb)} (max ${fmt(s.rssProcessMb)}/process)`
        : fmt(s?.rssMb),
      String(s?.missing ?? "-"),
      String(s?.duplicates ?? "-"),
      reason ? `VOID (${s?.error ? "run failed" : reason})` : "ok",
    ]);
  }
  out(
    `\nhookd benchmark: N=${r.cfg.n} per run, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), node ${process.version}, ` +
      `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, wall ${r.wallS.toFixed(0)} s\n`,
  );
  out(
    table(
      [
        "system",
        "ingest 1-by-1 ev/s",
        "ack p50 / p99 ms",
        "ingest batch ev/s",
        "delivered/s",
        "x raw",
        "x bullmq",
        "x pgqueue",
        "e2e p50 / p99 ms (paced)",
        "peak RSS MB",
        "missing",
        "dup",
        "status",
      ],
      rows,
    ),
  );

  const cut = systems.filter(([, s]) => s?.runEvents && Math.min(s.runEvents.single, s.runEvents.batch) < r.cfg.n);
  if (cut.length > 0) {
    out(`\nRuns cut short (too slow to take N=${r.cfg.n} in about BENCH_RUN_MAX_S=${r.cfg.runMaxS} s):`);
    for (const [label, s] of cut) out(`- ${label}: ${s?.runEvents?.single} events in the single run, ${s?.runEvents?.batch} in the batch run`);
  }
  out(
    "\nOne endpoint with hookd's default settings (max_in_flight 16, no rate limit or timeout override) takes every " +
      "hookd run: the delivered/s of a hookd row is what one such endpoint gets from a receiver that answers at once.",
  );

  const runRows: string[][] = [];
  const runsOf = (s: SystemResult | undefined) => [s?.single, s?.batch, s?.paced].filter((m): m is RunMetrics => !!m);
  for (const [label, s] of systems) {
    for (const m of runsOf(s)) {
      runRows.push([
        `${label}: ${m.label}${m.pacedMode ? ` (${m.pacedMode}, offered ${fmt(m.offeredRps)}/s)` : ""}`,
        fmt(m.events),
        fmt(m.ingestRps),
        `${fmt(m.ackP50Ms, 1)} / ${fmt(m.ackP99Ms, 1)}`,
        fmt(m.deliverRps),
        `${fmt(m.e2eP50Ms)} / ${fmt(m.e2eP99Ms)} / ${fmt(m.e2eMaxMs)}`,
        String(m.missing),
        String(m.duplicates),
      ]);
    }
  }
  if (runRows.length > 0) {
    out("\nRuns (ack latency per HTTP request or BullMQ call; e2e = created -> received at the sink):\n");
    out(
      table(
        ["run", "events", "ingest ev/s", "ack p50 / p99 ms", "delivered/s", "e2e p50 / p99 / max ms", "missing", "dup"],
        runRows,
      ),
    );
  }

  const backlogRows: string[][] = [];
  for (const kind of ["sqlite", "postgres"] as const) {
    const pair = r.backlog[kind];
    if (!pair) continue;
    backlogRows.push([
      kind,
      `${fmt(pair.small?.rate)} (${fmt(pair.small?.size)}, first ${fmt(pair.small?.window)})`,
      `${fmt(pair.big?.rate)} (${fmt(pair.big?.size)}, first ${fmt(pair.big?.window)})`,
      fmt(backlogRatio(pair), 2),
      `${fmt(pair.big?.rateSameWindow)} (${fmt(backlogSameWindowRatio(pair), 2)})`,
      `${fmt(pair.big?.preloadS, 1)} s`,
      `${fmt(pair.big?.firstDeliveryMs)} ms`,
      fmt(Math.max(pair.small?.rssMb ?? 0, pair.big?.rssMb ?? 0)),
    ]);
  }
  if (backlogRows.length > 0) {
    out("\nBacklog (delivery rate over the first deliveries after starting hookd on a preloaded backlog):\n");
    out(
      table(
        [
          "store",
          "small backlog: deliveries/s",
          "large backlog: deliveries/s",
          "large/small",
          "large, same window as small (ratio)",
          "preload",
          "1st delivery",
          "RSS MB",
        ],
        backlogRows,
      ),
    );
  }

  const costed = costedSystems(r);
  const costTable = costRows(costed);
  if (costTable.length > 0) {
    out(
      "\nCost per delivery on PostgreSQL (counters over each measured run, settled; WAL is the database's own, from " +
        "pg_walinspect; server WAL and server CPU include everything else the server did meanwhile; own CPU is hookd's " +
        "processes or the queue worker's):\n",
    );
    out(table(COST_HEADERS, costTable));
    out(`\nProjection for ${PROJECTED_RPS.toLocaleString("en-US")} deliveries/s on one PostgreSQL primary, from the * runs:`);
    for (const line of projectionLines(costed)) out(line);
  }

  const fleet = fleetRows(r.fleet);
  if (fleet.length > 0) {
    out("\nFleet (healthy endpoints' e2e among endpoints with nothing due, open breakers and hanging receivers; target p99 < 1 s):\n");
    out(table(FLEET_HEADERS, fleet));
    for (const note of fleetNotes(r.fleet)) out(note);
  }

  const problems: string[] = [];
  for (const [label, s] of systems) {
    if (s?.error) problems.push(`${label}: FAILED: ${s.error}`);
    for (const p of s?.problems ?? []) problems.push(`${label}: ${p}`);
  }
  for (const kind of ["sqlite", "postgres"] as const) {
    for (const b of [r.backlog[kind]?.small, r.backlog[kind]?.big]) for (const p of b?.problems ?? []) problems.push(`backlog ${kind}: ${p}`);
  }
  for (const kind of ["sqlite", "postgres"] as const) {
    const f = r.fleet[kind];
    if (f?.error) problems.push(`fleet ${kind}: FAILED: ${f.error}`);
    for (const p of f?.problems ?? []) problems.push(`fleet ${kind}: ${p}`);
  }
  if (r.raw && r.raw.errors > 0) problems.push(`raw ceiling: ${r.raw.errors} requests failed`);
  out(problems.length > 0 ? `\nProblems seen:\n${problems.map((p) => `- ${p}`).join("\n")}\n` : "\nProblems seen: none\n");
  const parts = Object.entries(r.partSeconds).map(([part, sec]) => `${part} ${sec.toFixed(0)} s`);
  if (parts.length > 0) out(`Time per part: ${parts.join(", ")}; wall ${r.wallS.toFixed(0)} s\n`);
}

function costedSystems(r: BenchResults): CostedSystem[] {
  const out: CostedSystem[] = [];
  for (const shape of ["postgres", "postgres_scaleout"] as const) {
    const s = r.shapes[shape];
    if (s?.cost) out.push({ label: SHAPE_LABELS[shape], own: "hookd", cost: s.cost, single: s.single, batch: s.batch });
  }
  const q = r.pgqueue;
  if (q) out.push({ label: PGQUEUE_LABELS[q.lib], own: "worker", cost: q.cost, single: q.single, batch: q.batch });
  return out;
}

function systemJson(
  s: SystemResult | undefined,
  rawRps: number | undefined,
  bullRps: number | undefined,
  pgqRps: number | undefined,
) {
  if (!s) return null;
  const reason = voidReason(s);
  return {
    deliver_rps: num(s.deliverRps, 0),
    deliver_single_rps: num(s.single?.deliverRps ?? Number.NaN, 0),
    deliver_batch_rps: num(s.batch?.deliverRps ?? Number.NaN, 0),
    ingest_single_rps: num(s.single?.ingestRps ?? Number.NaN, 0),
    ingest_batch_rps: num(s.batch?.ingestRps ?? Number.NaN, 0),
    ingest_p50_ms: num(s.single?.ackP50Ms ?? Number.NaN, 2),
    ingest_p99_ms: num(s.single?.ackP99Ms ?? Number.NaN, 2),
    ingest_batch_p99_ms: num(s.batch?.ackP99Ms ?? Number.NaN, 2),
    e2e_p50_ms: num(s.paced?.e2eP50Ms ?? Number.NaN, 1),
    e2e_p99_ms: num(s.paced?.e2eP99Ms ?? Number.NaN, 1),
    e2e_paced_rps: num(s.paced?.offeredRps ?? Number.NaN, 0),
    e2e_batch_run_p99_ms: num(s.batch?.e2eP99Ms ?? Number.NaN, 1),
    rss_mb: num(s.rssMb, 0),
    rss_max_process_mb: num(s.rssProcessMb, 0),
    missing: s.missing,
    duplicates: s.duplicates,
    vs_raw: num(ratio(s.deliverRps, rawRps), 3),
    vs_bullmq: num(ratio(s.deliverRps, bullRps), 3),
    vs_pgqueue: num(ratio(s.deliverRps, pgqRps), 3),
    run_events: s.runEvents ?? null,
    void: reason !== null,
    ...(reason ? { void_reason: reason } : {}),
  };
}

function backlogJson(pair: BacklogPair | undefined) {
  if (!pair) return {};
  return {
    backlog_1m_vs_10k: num(backlogRatio(pair), 3),
    backlog_same_window_ratio: num(backlogSameWindowRatio(pair), 3),
    backlog_size: pair.big?.size ?? null,
    backlog_small_size: pair.small?.size ?? null,
    backlog_window: pair.big?.window ?? null,
    backlog_cut_by_time: Boolean(pair.big?.cutByTime || pair.small?.cutByTime),
    backlog_rate: num(pair.big?.rate ?? Number.NaN, 0),
    backlog_small_rate: num(pair.small?.rate ?? Number.NaN, 0),
    backlog_slice_rates: (pair.big?.sliceRates ?? []).map((r) => num(r, 0)),
    backlog_rss_mb: num(Math.max(pair.small?.rssMb ?? 0, pair.big?.rssMb ?? 0), 0),
  };
}

export function benchResultLine(r: BenchResults): string {
  const rawRps = r.raw?.rps;
  const bullRps = r.bullmq?.deliverRps;
  const pgqRps = r.pgqueue?.deliverRps;
  const costOf = (label: string, own: "hookd" | "worker", s: ShapeResult | PgQueueResult | undefined) => {
    const c = s?.cost ? costJson({ label, own, cost: s.cost, single: s.single, batch: s.batch }) : null;
    return c ? { cost: c } : {};
  };
  const withBacklog = (shape: "sqlite" | "postgres") => {
    const s = systemJson(r.shapes[shape], rawRps, bullRps, pgqRps);
    const extra = { ...backlogJson(r.backlog[shape]), ...fleetJson(r.fleet[shape]), ...costOf(shape, "hookd", r.shapes[shape]) };
    return s ? { ...s, ...extra } : Object.keys(extra).length > 0 ? extra : null;
  };
  const scaleout = systemJson(r.shapes.postgres_scaleout, rawRps, bullRps, pgqRps);
  const pgqueue = systemJson(r.pgqueue, rawRps, bullRps, pgqRps);
  const json = {
    n: r.cfg.n,
    backlog: r.cfg.backlog,
    cores: cpus().length,
    node: process.version,
    date: new Date().toISOString(),
    wall_s: Math.round(r.wallS),
    raw_rps: num(rawRps ?? Number.NaN, 0),
    sqlite: withBacklog("sqlite"),
    postgres: withBacklog("postgres"),
    postgres_scaleout: scaleout ? { ...scaleout, ...costOf("postgres_scaleout", "hookd", r.shapes.postgres_scaleout) } : null,
    bullmq: systemJson(r.bullmq, rawRps, bullRps, pgqRps),
    pgqueue: pgqueue && r.pgqueue ? { lib: r.pgqueue.lib, ...pgqueue, ...costOf("pgqueue", "worker", r.pgqueue) } : null,
    part_seconds: Object.fromEntries(Object.entries(r.partSeconds).map(([k, v]) => [k, Math.round(v)])),
  };
  return `BENCH_RESULT ${JSON.stringify(json)}`;
}
