-- Per-endpoint, per-minute attempt aggregates behind GET .../stats: attempts, one counter per outcome class and one
-- per latency bucket (src/domain/attempt-stats.ts; the column list is src/store/attempt-stats-columns.ts). The store
-- adds to them in the transaction that records the attempts, so a stats window is read from at most one row per
-- endpoint and minute instead of the attempt log. Deleting an endpoint (or its tenant) removes its rows; the
-- retention job deletes rows older than 8 days (the longest window is 7) through the index on minute.
-- No backfill from the attempt log: summing up to 8 days of attempts inside a start-up migration would hold the
-- migration lock for minutes on a busy install. The counters fill from the upgrade on.
-- fillfactor 70 leaves room on each page, so the updates of a minute's counters (several per second on a busy
-- endpoint) stay HOT and write no index entries.
CREATE TABLE endpoint_attempt_stats (
  endpoint_id text NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  minute bigint NOT NULL,
  tenant_id text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  success integer NOT NULL DEFAULT 0,
  http_3xx integer NOT NULL DEFAULT 0,
  http_4xx integer NOT NULL DEFAULT 0,
  http_5xx integer NOT NULL DEFAULT 0,
  http_other integer NOT NULL DEFAULT 0,
  timeout integer NOT NULL DEFAULT 0,
  connect integer NOT NULL DEFAULT 0,
  dns integer NOT NULL DEFAULT 0,
  tls integer NOT NULL DEFAULT 0,
  ssrf_blocked integer NOT NULL DEFAULT 0,
  response integer NOT NULL DEFAULT 0,
  aborted integer NOT NULL DEFAULT 0,
  internal integer NOT NULL DEFAULT 0,
  ms_upto_1 integer NOT NULL DEFAULT 0,
  ms_upto_2 integer NOT NULL DEFAULT 0,
  ms_upto_3 integer NOT NULL DEFAULT 0,
  ms_upto_5 integer NOT NULL DEFAULT 0,
  ms_upto_7 integer NOT NULL DEFAULT 0,
  ms_upto_10 integer NOT NULL DEFAULT 0,
  ms_upto_15 integer NOT NULL DEFAULT 0,
  ms_upto_20 integer NOT NULL DEFAULT 0,
  ms_upto_30 integer NOT NULL DEFAULT 0,
  ms_upto_50 integer NOT NULL DEFAULT 0,
  ms_upto_75 integer NOT NULL DEFAULT 0,
  ms_upto_100 integer NOT NULL DEFAULT 0,
  ms_upto_150 integer NOT NULL DEFAULT 0,
  ms_upto_200 integer NOT NULL DEFAULT 0,
  ms_upto_300 integer NOT NULL DEFAULT 0,
  ms_upto_500 integer NOT NULL DEFAULT 0,
  ms_upto_750 integer NOT NULL DEFAULT 0,
  ms_upto_1000 integer NOT NULL DEFAULT 0,
  ms_upto_1500 integer NOT NULL DEFAULT 0,
  ms_upto_2000 integer NOT NULL DEFAULT 0,
  ms_upto_3000 integer NOT NULL DEFAULT 0,
  ms_upto_5000 integer NOT NULL DEFAULT 0,
  ms_upto_7500 integer NOT NULL DEFAULT 0,
  ms_upto_10000 integer NOT NULL DEFAULT 0,
  ms_upto_15000 integer NOT NULL DEFAULT 0,
  ms_upto_20000 integer NOT NULL DEFAULT 0,
  ms_upto_30000 integer NOT NULL DEFAULT 0,
  ms_upto_45000 integer NOT NULL DEFAULT 0,
  ms_upto_60000 integer NOT NULL DEFAULT 0,
  ms_over_60000 integer NOT NULL DEFAULT 0,
  -- Each process adds to its own row of a minute (a shard picked at random when the store opens), so worker
  -- processes recording attempts of one busy endpoint never wait for each other's row lock; reads sum the shards.
  shard smallint NOT NULL DEFAULT 0,
  PRIMARY KEY (endpoint_id, minute, shard)
) WITH (fillfactor = 70);
CREATE INDEX endpoint_attempt_stats_by_tenant ON endpoint_attempt_stats (tenant_id, minute);
CREATE INDEX endpoint_attempt_stats_by_minute ON endpoint_attempt_stats (minute);
