-- Per-endpoint, per-minute attempt aggregates behind GET .../stats: attempts, one counter per outcome class and one
-- per latency bucket (src/domain/attempt-stats.ts; the column list is src/store/attempt-stats-columns.ts). The store
-- adds to them in the transaction that records the attempts, so a stats window is read from at most one row per
-- endpoint and minute instead of the attempt log. Deleting an endpoint (or its tenant) removes its rows; the
-- retention job deletes rows older than 8 days (the longest window is 7) through the index on minute.
-- No backfill from the attempt log: summing up to 8 days of attempts inside a start-up migration would hold the
-- migration lock for minutes on a busy install. The counters fill from the upgrade on.
CREATE TABLE endpoint_attempt_stats (
  endpoint_id TEXT NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  minute INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  success INTEGER NOT NULL DEFAULT 0,
  http_3xx INTEGER NOT NULL DEFAULT 0,
  http_4xx INTEGER NOT NULL DEFAULT 0,
  http_5xx INTEGER NOT NULL DEFAULT 0,
  http_other INTEGER NOT NULL DEFAULT 0,
  timeout INTEGER NOT NULL DEFAULT 0,
  connect INTEGER NOT NULL DEFAULT 0,
  dns INTEGER NOT NULL DEFAULT 0,
  tls INTEGER NOT NULL DEFAULT 0,
  ssrf_blocked INTEGER NOT NULL DEFAULT 0,
  response INTEGER NOT NULL DEFAULT 0,
  aborted INTEGER NOT NULL DEFAULT 0,
  internal INTEGER NOT NULL DEFAULT 0,
  ms_upto_1 INTEGER NOT NULL DEFAULT 0,
  ms_upto_2 INTEGER NOT NULL DEFAULT 0,
  ms_upto_3 INTEGER NOT NULL DEFAULT 0,
  ms_upto_5 INTEGER NOT NULL DEFAULT 0,
  ms_upto_7 INTEGER NOT NULL DEFAULT 0,
  ms_upto_10 INTEGER NOT NULL DEFAULT 0,
  ms_upto_15 INTEGER NOT NULL DEFAULT 0,
  ms_upto_20 INTEGER NOT NULL DEFAULT 0,
  ms_upto_30 INTEGER NOT NULL DEFAULT 0,
  ms_upto_50 INTEGER NOT NULL DEFAULT 0,
  ms_upto_75 INTEGER NOT NULL DEFAULT 0,
  ms_upto_100 INTEGER NOT NULL DEFAULT 0,
  ms_upto_150 INTEGER NOT NULL DEFAULT 0,
  ms_upto_200 INTEGER NOT NULL DEFAULT 0,
  ms_upto_300 INTEGER NOT NULL DEFAULT 0,
  ms_upto_500 INTEGER NOT NULL DEFAULT 0,
  ms_upto_750 INTEGER NOT NULL DEFAULT 0,
  ms_upto_1000 INTEGER NOT NULL DEFAULT 0,
  ms_upto_1500 INTEGER NOT NULL DEFAULT 0,
  ms_upto_2000 INTEGER NOT NULL DEFAULT 0,
  ms_upto_3000 INTEGER NOT NULL DEFAULT 0,
  ms_upto_5000 INTEGER NOT NULL DEFAULT 0,
  ms_upto_7500 INTEGER NOT NULL DEFAULT 0,
  ms_upto_10000 INTEGER NOT NULL DEFAULT 0,
  ms_upto_15000 INTEGER NOT NULL DEFAULT 0,
  ms_upto_20000 INTEGER NOT NULL DEFAULT 0,
  ms_upto_30000 INTEGER NOT NULL DEFAULT 0,
  ms_upto_45000 INTEGER NOT NULL DEFAULT 0,
  ms_upto_60000 INTEGER NOT NULL DEFAULT 0,
  ms_over_60000 INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (endpoint_id, minute)
) WITHOUT ROWID;
CREATE INDEX endpoint_attempt_stats_by_tenant ON endpoint_attempt_stats (tenant_id, minute);
CREATE INDEX endpoint_attempt_stats_by_minute ON endpoint_attempt_stats (minute);
