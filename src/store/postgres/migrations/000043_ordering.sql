-- Ordering (docs/delivery.md, "Ordering"): hookd_cycle, as migration 000015 defined it, with these changes:
-- - work fetched from the job table carries its delivery's stream number (seq), which every attempt sends as
--   webhook-sequence, the same on retries and replays as on the first attempt;
-- - FIFO lines (docs/architecture.md, "Ordering"): p gains parks [{e, t, d, ev, seq, k, a}] (fresh deliveries to
--   park behind their key, written before the outcomes); outcomes gain fk (the FIFO line key, null for other
--   endpoints), sq (the delivery's seq) and hl (a death halts the key); refills gain fifo. Retry jobs of FIFO
--   deliveries carry their key and seq; a landed success, or death without halt, makes the key's lowest parked job
--   due unless the key still has a waiting job or is halted; a death with halt inserts the key's ordering_halts row.
--   Stream work of FIFO endpoints answers bl (its key has a job or is halted: the owner parks it), and all work
--   answers ok (the event's ordering key). Releases ignore parked jobs when they work out when an endpoint is due.
--
-- The rest of the function is unchanged; 000015 describes its parameters, answer and lock order.

-- Endpoints choose their ordering: 'none' (deliveries go in parallel up to max_in_flight) or 'fifo' (deliveries with
-- the same event ordering key go one after another, in ingest order), and in FIFO mode what a dead letter does to
-- its key's line: 'continue' with the next event or 'halt' the key until the tenant releases it.
ALTER TABLE endpoints ADD COLUMN ordering text NOT NULL DEFAULT 'none' CHECK (ordering IN ('none', 'fifo'));
ALTER TABLE endpoints ADD COLUMN fifo_on_dead text NOT NULL DEFAULT 'continue' CHECK (fifo_on_dead IN ('continue', 'halt'));

-- An event may carry an ordering key (for example an order id); FIFO endpoints deliver one key's events in order.
ALTER TABLE events ADD COLUMN ordering_key text;

-- Jobs of FIFO endpoints carry their delivery's key and stream number: a retry blocks its key, and deliveries that
-- arrive behind a blocked key wait as parked jobs (run_at = 8640000000000000, never due) until the key's job before
-- them has succeeded or died; then the cycle that records it makes the lowest parked one due. Jobs of other
-- endpoints leave both NULL, and the partial index holds none of them.
ALTER TABLE delivery_jobs ADD COLUMN ordering_key text;
ALTER TABLE delivery_jobs ADD COLUMN seq bigint;
CREATE INDEX delivery_jobs_by_key ON delivery_jobs (endpoint_id, ordering_key, seq) WHERE ordering_key IS NOT NULL;

-- Keys of FIFO endpoints with fifo_on_dead = 'halt' whose delivery died: nothing more goes for the key until the
-- tenant releases it (skip the dead one, or replay it first).
CREATE TABLE ordering_halts (
  endpoint_id text NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  ordering_key text NOT NULL,
  tenant_id text NOT NULL,
  delivery_id text NOT NULL,
  halted_at bigint NOT NULL,
  PRIMARY KEY (endpoint_id, ordering_key)
);

CREATE OR REPLACE FUNCTION hookd_cycle(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_now bigint := (p->>'now')::bigint;
  v_worker text := p->>'worker';
  v_shard smallint := coalesce((p->>'shard')::smallint, 0);
  v_valid text[];
  v_lost text[];
  v_landed text[];
  v_disabled jsonb;
  v_locked text[];
  v_cand text[];
  v_streams text[];
  v_taken jsonb := '[]';
  v_taken_ids text[] := '{}';
  v_configs jsonb;
  v_states jsonb := '[]';
  v_work jsonb;
  v_ends jsonb;
  v_next bigint;
  v_owner_ids text[];
  v_owner_epochs bigint[];
  v_lock_ids text[];
  t jsonb := p->'takeover';
BEGIN
  -- Every step is skipped when it has nothing to do, and looks rows up by key (= ANY of an array): an empty or small
  -- step must never cost a scan of a table that grows (test/contract/postgres-cycle-cost.test.ts counts the reads).
  SELECT coalesce(array_agg(o.e), '{}'), coalesce(array_agg(o.ep), '{}') INTO v_owner_ids, v_owner_epochs
  FROM jsonb_to_recordset(coalesce(p->'owners', '[]')) AS o (e text, ep bigint);
  -- 1. Fence: the endpoints this worker still owns, with the epoch it names; their stream rows stay locked, so a
  --    takeover cannot slip in before this cycle commits.
  v_valid := '{}';
  IF cardinality(v_owner_ids) > 0 THEN
    SELECT coalesce(array_agg(f.endpoint_id ORDER BY f.endpoint_id), '{}') INTO v_valid
    FROM (
      SELECT s.endpoint_id FROM endpoint_stream s
      JOIN endpoint_queue q ON q.endpoint_id = s.endpoint_id
      WHERE s.endpoint_id = ANY (v_owner_ids) AND q.owner = v_worker
        AND s.epoch = v_owner_epochs[array_position(v_owner_ids, s.endpoint_id)]
      ORDER BY s.endpoint_id
      FOR NO KEY UPDATE OF s
    ) f;
  END IF;
  SELECT coalesce(array_agg(e), '{}') INTO v_lost FROM unnest(v_owner_ids) AS e WHERE NOT (e = ANY (v_valid));

  -- 1b. FIFO parks, before the outcomes: an outcome that frees a key (below) must find what waits behind it.
  IF jsonb_array_length(coalesce(p->'parks', '[]')) > 0 AND cardinality(v_valid) > 0 THEN
    WITH x AS (
      SELECT * FROM jsonb_to_recordset(p->'parks') AS x (e text, t text, d text, ev text, seq bigint, k text, a int)
      WHERE x.e = ANY (v_valid)
    ), marked AS (
      UPDATE deliveries d SET retry_queued = true FROM x
      WHERE d.tenant_id = x.t AND d.id = x.d AND d.status = 'pending' AND NOT d.retry_queued
      RETURNING d.id
    )
    INSERT INTO delivery_jobs (endpoint_id, run_at, delivery_id, tenant_id, event_id, attempts, cycle_attempts,
      ordering_key, seq)
    SELECT x.e, 8640000000000000, x.d, x.t, x.ev, x.a, 0, x.k, x.seq FROM x JOIN marked ON marked.id = x.d;
  END IF;

  -- 2. Outcomes of owned endpoints: the delivery's next state (only while it still waits: an expunge wins), its
  --    attempt, its job, its dead letter and the per-minute stats, all in one statement.
  v_landed := '{}';
  IF jsonb_array_length(coalesce(p->'outcomes', '[]')) > 0 AND cardinality(v_valid) > 0 THEN
  WITH o AS (
    SELECT * FROM jsonb_to_recordset(coalesce(p->'outcomes', '[]')) AS x (e text, t text, d text, ev text, sk text,
      run bigint, st text, n bigint, a int, c int, code int, err text, at bigint, att jsonb, mi bigint, cl int, bu int,
      fk text, sq bigint, hl boolean)
    WHERE x.e = ANY (v_valid)
  ), upd AS (
    UPDATE deliveries d SET status = o.st, attempts = o.a, next_attempt_at = o.n, last_status_code = o.code,
      last_error = o.err, updated_at = o.at, retry_queued = d.retry_queued OR o.st = 'failed'
    FROM o WHERE d.tenant_id = o.t AND d.id = o.d AND d.status IN ('pending', 'failed')
    RETURNING d.id
  ), landed AS (
    SELECT o.* FROM o JOIN upd ON upd.id = o.d
  ), att AS (
    INSERT INTO attempts (id, delivery_id, attempt, started_at, duration_ms, status_code, response_body, error,
      error_class, outcome, timeout_ms, request_url, request_headers, response_headers)
    SELECT a.id, l.d, a.attempt, a.started_at, a.duration_ms, a.status_code, a.response_body, a.error, a.error_class,
      a.outcome, a.timeout_ms, a.request_url, a.request_headers, a.response_headers
    FROM landed l, jsonb_to_record(l.att) AS a (id text, attempt int, started_at bigint, duration_ms int,
      status_code int, response_body text, error text, error_class text, outcome text, timeout_ms int,
      request_url text, request_headers jsonb, response_headers jsonb)
    WHERE l.att IS NOT NULL
    ON CONFLICT DO NOTHING
  ), jdel AS (
    DELETE FROM delivery_jobs j USING o
    WHERE o.sk = 'job' AND o.st <> 'failed' AND j.endpoint_id = o.e AND j.run_at = o.run AND j.delivery_id = o.d
  ), jupd AS (
    UPDATE delivery_jobs j SET run_at = l.n, attempts = l.a, cycle_attempts = l.c,
      ordering_key = coalesce(l.fk, j.ordering_key), seq = CASE WHEN l.fk IS NULL THEN j.seq ELSE l.sq END
    FROM landed l WHERE l.sk = 'job' AND l.st = 'failed' AND j.endpoint_id = l.e AND j.run_at = l.run AND j.delivery_id = l.d
  ), jins AS (
    INSERT INTO delivery_jobs (endpoint_id, run_at, delivery_id, tenant_id, event_id, attempts, cycle_attempts,
      ordering_key, seq)
    SELECT l.e, l.n, l.d, l.t, l.ev, l.a, l.c, l.fk, CASE WHEN l.fk IS NULL THEN NULL ELSE l.sq END
    FROM landed l WHERE l.sk = 'stream' AND l.st = 'failed'
  ), dl AS (
    INSERT INTO dead_letters (tenant_id, delivery_id, endpoint_id, died_at)
    SELECT l.t, l.d, l.e, l.at FROM landed l WHERE l.st = 'dead'
    ON CONFLICT DO NOTHING
  ), st AS (
    INSERT INTO endpoint_attempt_stats AS s (tenant_id, endpoint_id, minute, shard,
      attempts, success, http_3xx, http_4xx, http_5xx, http_other, timeout, connect, dns, tls, ssrf_blocked,
      response, aborted, internal, ms_upto_1, ms_upto_2, ms_upto_3, ms_upto_5, ms_upto_7, ms_upto_10, ms_upto_15,
      ms_upto_20, ms_upto_30, ms_upto_50, ms_upto_75, ms_upto_100, ms_upto_150, ms_upto_200, ms_upto_300,
      ms_upto_500, ms_upto_750, ms_upto_1000, ms_upto_1500, ms_upto_2000, ms_upto_3000, ms_upto_5000, ms_upto_7500,
      ms_upto_10000, ms_upto_15000, ms_upto_20000, ms_upto_30000, ms_upto_45000, ms_upto_60000, ms_over_60000)
    SELECT l.t, l.e, l.mi, v_shard,
      count(*), count(*) FILTER (WHERE l.cl = 1), count(*) FILTER (WHERE l.cl = 2), count(*) FILTER (WHERE l.cl = 3),
      count(*) FILTER (WHERE l.cl = 4), count(*) FILTER (WHERE l.cl = 5), count(*) FILTER (WHERE l.cl = 6),
      count(*) FILTER (WHERE l.cl = 7), count(*) FILTER (WHERE l.cl = 8), count(*) FILTER (WHERE l.cl = 9),
      count(*) FILTER (WHERE l.cl = 10), count(*) FILTER (WHERE l.cl = 11), count(*) FILTER (WHERE l.cl = 12),
      count(*) FILTER (WHERE l.cl = 13), count(*) FILTER (WHERE l.bu = 14), count(*) FILTER (WHERE l.bu = 15),
      count(*) FILTER (WHERE l.bu = 16), count(*) FILTER (WHERE l.bu = 17), count(*) FILTER (WHERE l.bu = 18),
      count(*) FILTER (WHERE l.bu = 19), count(*) FILTER (WHERE l.bu = 20), count(*) FILTER (WHERE l.bu = 21),
      count(*) FILTER (WHERE l.bu = 22), count(*) FILTER (WHERE l.bu = 23), count(*) FILTER (WHERE l.bu = 24),
      count(*) FILTER (WHERE l.bu = 25), count(*) FILTER (WHERE l.bu = 26), count(*) FILTER (WHERE l.bu = 27),
      count(*) FILTER (WHERE l.bu = 28), count(*) FILTER (WHERE l.bu = 29), count(*) FILTER (WHERE l.bu = 30),
      count(*) FILTER (WHERE l.bu = 31), count(*) FILTER (WHERE l.bu = 32), count(*) FILTER (WHERE l.bu = 33),
      count(*) FILTER (WHERE l.bu = 34), count(*) FILTER (WHERE l.bu = 35), count(*) FILTER (WHERE l.bu = 36),
      count(*) FILTER (WHERE l.bu = 37), count(*) FILTER (WHERE l.bu = 38), count(*) FILTER (WHERE l.bu = 39),
      count(*) FILTER (WHERE l.bu = 40), count(*) FILTER (WHERE l.bu = 41), count(*) FILTER (WHERE l.bu = 42),
      count(*) FILTER (WHERE l.bu = 43)
    FROM landed l WHERE l.att IS NOT NULL
    GROUP BY l.t, l.e, l.mi
    ORDER BY l.e, l.mi
    ON CONFLICT (endpoint_id, minute, shard) DO UPDATE SET
      attempts = s.attempts + excluded.attempts, success = s.success + excluded.success,
      http_3xx = s.http_3xx + excluded.http_3xx, http_4xx = s.http_4xx + excluded.http_4xx,
      http_5xx = s.http_5xx + excluded.http_5xx, http_other = s.http_other + excluded.http_other,
      timeout = s.timeout + excluded.timeout, connect = s.connect + excluded.connect, dns = s.dns + excluded.dns,
      tls = s.tls + excluded.tls, ssrf_blocked = s.ssrf_blocked + excluded.ssrf_blocked,
      response = s.response + excluded.response, aborted = s.aborted + excluded.aborted,
      internal = s.internal + excluded.internal, ms_upto_1 = s.ms_upto_1 + excluded.ms_upto_1,
      ms_upto_2 = s.ms_upto_2 + excluded.ms_upto_2, ms_upto_3 = s.ms_upto_3 + excluded.ms_upto_3,
      ms_upto_5 = s.ms_upto_5 + excluded.ms_upto_5, ms_upto_7 = s.ms_upto_7 + excluded.ms_upto_7,
      ms_upto_10 = s.ms_upto_10 + excluded.ms_upto_10, ms_upto_15 = s.ms_upto_15 + excluded.ms_upto_15,
      ms_upto_20 = s.ms_upto_20 + excluded.ms_upto_20, ms_upto_30 = s.ms_upto_30 + excluded.ms_upto_30,
      ms_upto_50 = s.ms_upto_50 + excluded.ms_upto_50, ms_upto_75 = s.ms_upto_75 + excluded.ms_upto_75,
      ms_upto_100 = s.ms_upto_100 + excluded.ms_upto_100, ms_upto_150 = s.ms_upto_150 + excluded.ms_upto_150,
      ms_upto_200 = s.ms_upto_200 + excluded.ms_upto_200, ms_upto_300 = s.ms_upto_300 + excluded.ms_upto_300,
      ms_upto_500 = s.ms_upto_500 + excluded.ms_upto_500, ms_upto_750 = s.ms_upto_750 + excluded.ms_upto_750,
      ms_upto_1000 = s.ms_upto_1000 + excluded.ms_upto_1000, ms_upto_1500 = s.ms_upto_1500 + excluded.ms_upto_1500,
      ms_upto_2000 = s.ms_upto_2000 + excluded.ms_upto_2000, ms_upto_3000 = s.ms_upto_3000 + excluded.ms_upto_3000,
      ms_upto_5000 = s.ms_upto_5000 + excluded.ms_upto_5000, ms_upto_7500 = s.ms_upto_7500 + excluded.ms_upto_7500,
      ms_upto_10000 = s.ms_upto_10000 + excluded.ms_upto_10000,
      ms_upto_15000 = s.ms_upto_15000 + excluded.ms_upto_15000,
      ms_upto_20000 = s.ms_upto_20000 + excluded.ms_upto_20000,
      ms_upto_30000 = s.ms_upto_30000 + excluded.ms_upto_30000,
      ms_upto_45000 = s.ms_upto_45000 + excluded.ms_upto_45000,
      ms_upto_60000 = s.ms_upto_60000 + excluded.ms_upto_60000,
      ms_over_60000 = s.ms_over_60000 + excluded.ms_over_60000
  )
  SELECT coalesce(array_agg(landed.d), '{}') INTO v_landed FROM landed;
  END IF;

  -- 2b. FIFO lines of landed outcomes: a death with halt stops its key; a success or a death without halt makes
  --     the key's lowest parked job due, unless the key still has a waiting job or is halted. Outcomes of other
  --     endpoints carry no fk, so this costs them nothing.
  IF cardinality(v_landed) > 0 AND jsonb_path_exists(coalesce(p->'outcomes', '[]'), '$[*] ? (@.fk != null)') THEN
    INSERT INTO ordering_halts (endpoint_id, ordering_key, tenant_id, delivery_id, halted_at)
    SELECT x.e, x.fk, x.t, x.d, x.at
    FROM jsonb_to_recordset(p->'outcomes') AS x (e text, t text, d text, fk text, st text, hl boolean, at bigint)
    WHERE x.fk IS NOT NULL AND x.st = 'dead' AND coalesce(x.hl, false) AND x.d = ANY (v_landed) AND x.e = ANY (v_valid)
    ON CONFLICT DO NOTHING;
    UPDATE delivery_jobs j SET run_at = v_now FROM (
      SELECT DISTINCT nj.endpoint_id, nj.run_at, nj.delivery_id
      FROM jsonb_to_recordset(p->'outcomes') AS x (e text, d text, fk text, st text, hl boolean)
      CROSS JOIN LATERAL (
        SELECT j2.endpoint_id, j2.run_at, j2.delivery_id FROM delivery_jobs j2
        WHERE j2.endpoint_id = x.e AND j2.ordering_key = x.fk AND j2.run_at = 8640000000000000
        ORDER BY j2.seq LIMIT 1
      ) nj
      WHERE x.fk IS NOT NULL AND x.d = ANY (v_landed) AND x.e = ANY (v_valid)
        AND (x.st = 'succeeded' OR (x.st = 'dead' AND NOT coalesce(x.hl, false)))
        AND NOT EXISTS (SELECT 1 FROM delivery_jobs j3
                        WHERE j3.endpoint_id = x.e AND j3.ordering_key = x.fk AND j3.run_at < 8640000000000000)
        AND NOT EXISTS (SELECT 1 FROM ordering_halts h WHERE h.endpoint_id = x.e AND h.ordering_key = x.fk)
    ) n
    WHERE j.endpoint_id = n.endpoint_id AND j.run_at = n.run_at AND j.delivery_id = n.delivery_id;
  END IF;

  -- Jobs of deliveries settled meanwhile, found by earlier refills.
  IF jsonb_array_length(coalesce(p->'stale', '[]')) > 0 THEN
    DELETE FROM delivery_jobs j USING jsonb_to_recordset(p->'stale') AS x (e text, run bigint, d text)
    WHERE x.e = ANY (v_valid) AND j.endpoint_id = x.e AND j.run_at = x.run AND j.delivery_id = x.d;
  END IF;

  -- 3. Disables (410 Gone, auto-disable): only the ones that switch an endpoint off are reported back.
  v_disabled := '[]';
  IF jsonb_array_length(coalesce(p->'disables', '[]')) > 0 THEN
  WITH x AS (
    SELECT * FROM jsonb_to_recordset(coalesce(p->'disables', '[]')) AS x (e text, reason text) WHERE x.e = ANY (v_valid)
  ), flipped AS (
    UPDATE endpoints ep SET disabled = true, disabled_reason = x.reason, updated_at = v_now
    FROM x WHERE ep.id = x.e AND NOT ep.disabled
    RETURNING ep.id, ep.tenant_id
  )
  SELECT coalesce(jsonb_agg(jsonb_build_object('e', f.id, 't', f.tenant_id)), '[]') INTO v_disabled FROM flipped f;
  END IF;

  -- 4. Stream acks and 5. state write-backs (owner-only rows, locked in step 1).
  IF jsonb_array_length(coalesce(p->'acks', '[]')) > 0 THEN
    UPDATE endpoint_stream s SET acked_seq = greatest(s.acked_seq, x.seq)
    FROM jsonb_to_recordset(p->'acks') AS x (e text, seq bigint)
    WHERE s.endpoint_id = x.e AND x.e = ANY (v_valid);
  END IF;
  IF jsonb_array_length(coalesce(p->'states', '[]')) > 0 THEN
    UPDATE endpoint_state s SET data = x.data, updated_at = v_now
    FROM jsonb_to_recordset(p->'states') AS x (e text, data text)
    WHERE s.endpoint_id = x.e AND x.e = ANY (v_valid);
  END IF;

  -- 6. Scheduler rows of renewals, releases and disables, locked in id order before anything reads them.
  SELECT coalesce(array_agg(DISTINCT e), '{}') INTO v_lock_ids FROM (
    SELECT x->>'e' AS e FROM jsonb_array_elements(coalesce(p->'renewals', '[]')) x
    UNION ALL SELECT x->>'e' FROM jsonb_array_elements(coalesce(p->'releases', '[]')) x
    UNION ALL SELECT x->>'e' FROM jsonb_array_elements(v_disabled) x) ids
  WHERE e = ANY (v_valid);
  v_locked := '{}';
  IF cardinality(v_lock_ids) > 0 THEN
    SELECT coalesce(array_agg(l.endpoint_id ORDER BY l.endpoint_id), '{}') INTO v_locked FROM (
      SELECT q.endpoint_id FROM endpoint_queue q WHERE q.endpoint_id = ANY (v_lock_ids)
      ORDER BY q.endpoint_id
      FOR NO KEY UPDATE
    ) l;
    UPDATE endpoint_queue q SET disabled = true FROM jsonb_array_elements(v_disabled) x WHERE q.endpoint_id = x->>'e';
    UPDATE endpoint_queue q SET owner_until = x.until, next_due_at = x.until
    FROM jsonb_to_recordset(coalesce(p->'renewals', '[]')) AS x (e text, until bigint)
    WHERE q.endpoint_id = x.e AND x.e = ANY (v_locked) AND q.owner = v_worker;
  END IF;

  -- 7. Releases. This statement's snapshot is taken with the rows locked, so every ingest that gave these endpoints
  --    a delivery has committed and is seen: nothing can be left waiting behind a "nothing to do".
  IF jsonb_array_length(coalesce(p->'releases', '[]')) > 0 AND cardinality(v_locked) > 0 THEN
  UPDATE endpoint_queue q SET owner = NULL, owner_until = NULL, next_due_at = CASE
      WHEN q.disabled THEN NULL
      WHEN EXISTS (SELECT 1 FROM deliveries d JOIN endpoint_stream s ON s.endpoint_id = d.endpoint_id
                   WHERE d.endpoint_id = q.endpoint_id AND d.seq > s.acked_seq AND d.status = 'pending'
                     AND NOT d.retry_queued)
        THEN greatest(v_now, x.nb)
      -- greatest() skips NULLs: without a job the answer must stay NULL (nothing to do), not the pause's end.
      ELSE (SELECT CASE WHEN min(j.run_at) IS NULL THEN NULL ELSE greatest(min(j.run_at), x.nb) END
            FROM delivery_jobs j WHERE j.endpoint_id = q.endpoint_id AND j.run_at < 8640000000000000)
    END
  FROM jsonb_to_recordset(coalesce(p->'releases', '[]')) AS x (e text, nb bigint)
  WHERE q.endpoint_id = x.e AND x.e = ANY (v_locked) AND q.owner = v_worker;
  END IF;

  -- 9. Takeover of due endpoints, in due order; rows another worker is cycling or taking are skipped.
  IF t IS NOT NULL AND (t->>'count')::int > 0 THEN
    SELECT coalesce(array_agg(c.endpoint_id), '{}') INTO v_cand FROM (
      SELECT endpoint_id FROM endpoint_queue
      WHERE next_due_at <= v_now AND (owner IS NULL OR owner <> v_worker)
      ORDER BY next_due_at LIMIT 2 * (t->>'count')::int
    ) c;
    SELECT coalesce(array_agg(endpoint_id ORDER BY endpoint_id), '{}') INTO v_streams FROM (
      SELECT endpoint_id FROM endpoint_stream WHERE endpoint_id = ANY (v_cand)
      ORDER BY endpoint_id FOR NO KEY UPDATE SKIP LOCKED
    ) s;
    WITH pick AS (
      SELECT q.endpoint_id FROM endpoint_queue q
      WHERE q.endpoint_id = ANY (v_streams) AND q.next_due_at <= v_now AND (q.owner IS NULL OR q.owner_until <= v_now)
      ORDER BY q.next_due_at LIMIT (t->>'count')::int
      FOR NO KEY UPDATE SKIP LOCKED
    ), owned AS (
      UPDATE endpoint_queue q SET owner = v_worker, owner_until = v_now + ep.timeout_ms + (t->>'margin')::bigint,
        next_due_at = v_now + ep.timeout_ms + (t->>'margin')::bigint
      FROM pick, endpoints ep WHERE q.endpoint_id = pick.endpoint_id AND ep.id = pick.endpoint_id
      RETURNING q.endpoint_id, q.owner_until, ep.ordering = 'fifo' AS fifo
    ), bumped AS (
      UPDATE endpoint_stream s SET epoch = s.epoch + 1 FROM owned o WHERE s.endpoint_id = o.endpoint_id
      RETURNING s.endpoint_id, s.epoch, s.acked_seq
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object('e', b.endpoint_id, 'ep', b.epoch, 'acked', b.acked_seq,
        'until', o.owner_until, 'fifo', o.fifo)), '[]'),
      coalesce(array_agg(b.endpoint_id), '{}')
    INTO v_taken, v_taken_ids
    FROM bumped b JOIN owned o ON o.endpoint_id = b.endpoint_id;
    SELECT coalesce(jsonb_agg(jsonb_build_object('e', s.endpoint_id, 'data', s.data)), '[]') INTO v_states
    FROM endpoint_state s WHERE s.endpoint_id = ANY (v_taken_ids);
  END IF;

  -- 8. Work for refilled and taken endpoints: the stream after the position asked for (skipped positions included,
  --    so the owner can move past them), due jobs it does not hold yet, and changed configs.
  v_work := '[]';
  v_ends := '[]';
  v_configs := '[]';
  IF jsonb_array_length(coalesce(p->'refills', '[]')) > 0 OR jsonb_array_length(v_taken) > 0 THEN
  WITH r AS (
    SELECT x.e, x.after, x.sl, x.jl, coalesce(x.held, '[]') AS held, x.ver, coalesce(x.fifo, false) AS fifo
    FROM jsonb_to_recordset(coalesce(p->'refills', '[]')) AS x (e text, after bigint, sl int, jl int, held jsonb, ver bigint,
      fifo boolean)
    WHERE x.e = ANY (v_valid) AND NOT (x.e = ANY (v_locked) AND x.e IN (
      SELECT y->>'e' FROM jsonb_array_elements(coalesce(p->'releases', '[]')) y))
    UNION ALL
    SELECT tk->>'e', (tk->>'acked')::bigint, (t->>'sl')::int, (t->>'jl')::int, '[]'::jsonb, -1,
      coalesce((tk->>'fifo')::boolean, false)
    FROM jsonb_array_elements(v_taken) tk
  ), streamed AS (
    SELECT jsonb_build_object('k', 's', 'e', r.e, 'd', x.id, 't', x.tenant_id, 'ev', x.event_id, 'seq', x.seq,
      'live', x.status = 'pending' AND NOT x.retry_queued AND x.payload_expunged_at IS NULL, 'a', x.attempts,
      'hf', x.last_error IS NOT NULL, 'ty', x.type, 'data', x.data, 'ca', x.created_at, 'ok', x.ordering_key,
      -- Only FIFO endpoints look their keys up (CASE evaluates the branch it takes, and nothing else).
      'bl', CASE WHEN r.fifo THEN
          EXISTS (SELECT 1 FROM delivery_jobs kj
                  WHERE kj.endpoint_id = r.e AND kj.ordering_key = coalesce(x.ordering_key, ''))
          OR EXISTS (SELECT 1 FROM ordering_halts kh
                     WHERE kh.endpoint_id = r.e AND kh.ordering_key = coalesce(x.ordering_key, ''))
        ELSE false END) AS w
    FROM r CROSS JOIN LATERAL (
      SELECT d.id, d.tenant_id, d.event_id, d.seq, d.status, d.retry_queued, d.attempts, d.last_error,
        e.type, e.data, e.created_at, e.payload_expunged_at, e.ordering_key
      FROM deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
      -- Stream positions are dense (ingest numbers an endpoint's deliveries 1, 2, 3 ... in one transaction with
      -- them), so the next sl positions are a closed range: however stale the statistics, no plan reads more.
      WHERE d.endpoint_id = r.e AND d.seq > r.after AND d.seq <= r.after + r.sl
      ORDER BY d.seq LIMIT r.sl
    ) x
  ), jobbed AS (
    SELECT jsonb_build_object('k', 'j', 'e', r.e, 'd', x.delivery_id, 't', x.tenant_id, 'ev', x.event_id,
      'run', x.run_at, 'seq', x.seq, 'live', x.status IN ('pending', 'failed') AND x.payload_expunged_at IS NULL AND x.type IS NOT NULL,
      'a', x.attempts, 'c', x.cycle_attempts, 'hf', x.last_error IS NOT NULL, 'ty', x.type, 'data', x.data,
      'ca', x.created_at, 'ok', x.ordering_key) AS w
    FROM r CROSS JOIN LATERAL (
      SELECT j.run_at, j.delivery_id, j.tenant_id, j.event_id, j.attempts, j.cycle_attempts, d.seq, d.status, d.last_error,
        e.type, e.data, e.created_at, e.payload_expunged_at, e.ordering_key
      FROM delivery_jobs j
      LEFT JOIN deliveries d ON d.tenant_id = j.tenant_id AND d.id = j.delivery_id
      LEFT JOIN events e ON e.tenant_id = j.tenant_id AND e.id = j.event_id
      WHERE j.endpoint_id = r.e AND j.run_at <= v_now
      ORDER BY j.run_at LIMIT r.jl + jsonb_array_length(r.held)
    ) x
    WHERE r.jl > 0 AND NOT r.held ? x.delivery_id
  ), ends AS (
    SELECT jsonb_build_object('e', r.e, 'seq', greatest(r.after, coalesce(max((s.w->>'seq')::bigint), r.after))) AS w
    FROM r LEFT JOIN streamed s ON s.w->>'e' = r.e
    GROUP BY r.e, r.after
  ), cfg AS (
    SELECT to_jsonb(ep) || jsonb_build_object('reset_at', st.reset_at) AS w
    FROM r JOIN endpoints ep ON ep.id = r.e JOIN endpoint_state st ON st.endpoint_id = ep.id
    WHERE greatest(ep.updated_at, st.reset_at) <> r.ver
  )
  SELECT
    (SELECT coalesce(jsonb_agg(w), '[]') FROM (SELECT w FROM streamed UNION ALL SELECT w FROM jobbed) all_work),
    (SELECT coalesce(jsonb_agg(w), '[]') FROM ends),
    (SELECT coalesce(jsonb_agg(w), '[]') FROM cfg)
  INTO v_work, v_ends, v_configs;
  END IF;

  SELECT min(next_due_at) INTO v_next FROM endpoint_queue WHERE next_due_at IS NOT NULL;

  RETURN jsonb_build_object('lost', to_jsonb(v_lost), 'landed', to_jsonb(v_landed), 'disabled', v_disabled,
    'taken', v_taken, 'states', v_states, 'configs', v_configs, 'work', v_work, 'ends', v_ends, 'next_due', v_next);
END;
$$;
