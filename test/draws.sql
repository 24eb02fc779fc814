-- pgTAP: spm.draw_ledger, spm.draw_simulate, spm.draw_total and the
-- calibration aggregates.  Every error with its SQLSTATE and message, the
-- example of docs/draws.md, and properties on generated data checked against plain SQL.
BEGIN;
SELECT plan(85);

-- ---------------------------------------------------------------- errors
-- draw_ledger
SELECT throws_ok($$SELECT spm.draw_ledger(1, 1, 'guaranteed') OVER ()$$,
    '22023', 'spm.draw_ledger: unknown draw kind "guaranteed"', 'draw_ledger: unknown kind');
SELECT throws_ok($$SELECT spm.draw_ledger(1, 1, 'non-recoverable', 1, false) OVER ()$$,
    '22023', 'spm.draw_ledger: unknown draw kind "non-recoverable"', 'draw_ledger: kind is spelt with an underscore');
SELECT throws_ok($$SELECT spm.draw_ledger(1, 1, '') OVER ()$$,
    '22023', 'spm.draw_ledger: unknown draw kind ""', 'draw_ledger: empty kind');
SELECT throws_ok($$SELECT spm.draw_ledger(1, 1, NULL) OVER ()$$,
    '22023', 'spm.draw_ledger: kind must not be NULL', 'draw_ledger: NULL kind');
SELECT throws_ok($$SELECT spm.draw_ledger(1, 1, NULL, 1, false) OVER ()$$,
    '22023', 'spm.draw_ledger: kind must not be NULL', 'draw_ledger: NULL kind (5 arguments)');
SELECT throws_ok($$SELECT spm.draw_ledger(1, -5, 'recoverable') OVER ()$$,
    '22023', 'spm.draw_ledger: draw must not be negative', 'draw_ledger: negative draw');
SELECT throws_ok($$SELECT spm.draw_ledger(1, -0.01, 'advance', 1, false) OVER ()$$,
    '22023', 'spm.draw_ledger: draw must not be negative', 'draw_ledger: negative draw (5 arguments)');
SELECT throws_ok($$SELECT spm.draw_ledger(1, 1, 'recoverable', 1.5, false) OVER ()$$,
    '22023', 'spm.draw_ledger: recovery_limit must be between 0 and 1', 'draw_ledger: recovery_limit above 1');
SELECT throws_ok($$SELECT spm.draw_ledger(1, 1, 'recoverable', 1.0000001, false) OVER ()$$,
    '22023', 'spm.draw_ledger: recovery_limit must be between 0 and 1', 'draw_ledger: recovery_limit just above 1');
SELECT throws_ok($$SELECT spm.draw_ledger(1, 1, 'recoverable', -0.1, false) OVER ()$$,
    '22023', 'spm.draw_ledger: recovery_limit must be between 0 and 1', 'draw_ledger: negative recovery_limit');
SELECT throws_ok($$SELECT spm.draw_ledger('NaN', 1, 'recoverable') OVER ()$$,
    '22023', 'spm.draw_ledger: earned must be a finite number, not NaN or infinity', 'draw_ledger: NaN earned');
SELECT throws_ok($$SELECT spm.draw_ledger('Infinity', 1, 'recoverable') OVER ()$$,
    '22023', 'spm.draw_ledger: earned must be a finite number, not NaN or infinity', 'draw_ledger: infinite earned');
SELECT throws_ok($$SELECT spm.draw_ledger(1, 'NaN', 'recoverable') OVER ()$$,
    '22023', 'spm.draw_ledger: draw must be a finite number, not NaN or infinity', 'draw_ledger: NaN draw');
SELECT throws_ok($$SELECT spm.draw_ledger(1, '-Infinity', 'recoverable') OVER ()$$,
    '22023', 'spm.draw_ledger: draw must be a finite number, not NaN or infinity', 'draw_ledger: -infinite draw');
SELECT throws_ok($$SELECT spm.draw_ledger(1, 1, 'recoverable', 'NaN', false) OVER ()$$,
    '22023', 'spm.draw_ledger: recovery_limit must be a finite number, not NaN or infinity', 'draw_ledger: NaN recovery_limit');
SELECT throws_ok($$SELECT spm.draw_ledger(1, 1, 'recoverable', 'Infinity', false) OVER ()$$,
    '22023', 'spm.draw_ledger: recovery_limit must be a finite number, not NaN or infinity', 'draw_ledger: infinite recovery_limit');
SELECT throws_ok($$SELECT spm.draw_ledger(e, 1, k) OVER (ORDER BY i)
                     FROM (VALUES (1, 100, 'advance'), (2, 200, 'loan')) v(i, e, k)$$,
    '22023', 'spm.draw_ledger: unknown draw kind "loan"', 'draw_ledger: a bad kind on a later row');
SELECT throws_ok($$SELECT spm.draw_ledger(0.1234567890123456789012345, 1, 'recoverable', 0.123456, false) OVER ()$$,
    '22003', 'value out of range for spm''s exact arithmetic', 'draw_ledger: more than 30 places needed');
SELECT throws_ok($$SELECT spm.draw_ledger(-9e37, 9e37, 'recoverable') OVER ()$$,
    '22003', 'value out of range for spm''s exact arithmetic', 'draw_ledger: balance beyond 38 digits');

-- draw_simulate
SELECT throws_ok($$SELECT spm.draw_simulate(1, 1, 'loan')$$,
    '22023', 'spm.draw_simulate: unknown draw kind "loan"', 'draw_simulate: unknown kind');
SELECT throws_ok($$SELECT spm.draw_simulate(1, 1, NULL, 1, false)$$,
    '22023', 'spm.draw_simulate: kind must not be NULL', 'draw_simulate: NULL kind');
SELECT throws_ok($$SELECT spm.draw_simulate(1, -1, 'advance')$$,
    '22023', 'spm.draw_simulate: draw must not be negative', 'draw_simulate: negative draw');
SELECT throws_ok($$SELECT spm.draw_simulate(1, 1, 'advance', 2, false)$$,
    '22023', 'spm.draw_simulate: recovery_limit must be between 0 and 1', 'draw_simulate: recovery_limit above 1');
SELECT throws_ok($$SELECT spm.draw_simulate('NaN', 1, 'advance')$$,
    '22023', 'spm.draw_simulate: earned must be a finite number, not NaN or infinity', 'draw_simulate: NaN earned');
SELECT throws_ok($$SELECT spm.draw_simulate(1, 'Infinity', 'advance')$$,
    '22023', 'spm.draw_simulate: draw must be a finite number, not NaN or infinity', 'draw_simulate: infinite draw');
SELECT throws_ok($$SELECT spm.draw_simulate(1, 1, 'advance', 'NaN', true)$$,
    '22023', 'spm.draw_simulate: recovery_limit must be a finite number, not NaN or infinity', 'draw_simulate: NaN recovery_limit');
SELECT throws_ok($$SELECT spm.draw_simulate(e, 9e37, 'advance' ORDER BY i) FROM (VALUES (1, 0), (2, 0)) v(i, e)$$,
    '22003', 'value out of range for spm''s exact arithmetic', 'draw_simulate: sums beyond 38 digits');

-- draw_calibrate_budget
CREATE TEMP TABLE h (rep text, period int, earned numeric);
INSERT INTO h VALUES ('a', 1, 500), ('a', 2, 1500), ('b', 1, 100), ('b', 2, 4000);
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, NULL, 1, 100 ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: kind must not be NULL', 'calibrate_budget: NULL kind');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'loan', 1, 100 ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: unknown draw kind "loan"', 'calibrate_budget: unknown kind');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 2, 100 ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: recovery_limit must be between 0 and 1', 'calibrate_budget: recovery_limit above 1');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 'NaN', 100 ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: recovery_limit must be a finite number, not NaN or infinity', 'calibrate_budget: NaN recovery_limit');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 1, NULL ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: budget must not be NULL', 'calibrate_budget: NULL budget');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 1, -0.01 ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: budget must not be negative', 'calibrate_budget: negative budget');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 1, 'Infinity' ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: budget must be a finite number, not NaN or infinity', 'calibrate_budget: infinite budget');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, 'NaN'::numeric, 'recoverable', 1, 100 ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: earned must be a finite number, not NaN or infinity', 'calibrate_budget: NaN earned');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'non_recoverable', 1, 100, NULL ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: balance_is_cost must not be NULL', 'calibrate_budget: NULL balance_is_cost');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 1, 100, false ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: recoverable draws cost nothing unless outstanding balances count as cost',
    'calibrate_budget: recoverable draws need balance_is_cost');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'advance', 1, 100, false ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: advance draws cost nothing unless outstanding balances count as cost',
    'calibrate_budget: advances need balance_is_cost');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 1, 100 ORDER BY period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: rows must be ordered by rep, then period', 'calibrate_budget: reps interleaved');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 1, 100 ORDER BY rep DESC, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: rows must be ordered by rep, then period', 'calibrate_budget: reps descending');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(NULLIF(rep, 'b'), earned, 'recoverable', 1, 100 ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: rep must not be NULL', 'calibrate_budget: NULL rep');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, CASE WHEN rep = 'a' THEN 'recoverable' ELSE 'advance' END, 1, 100 ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: kind must be the same on every row', 'calibrate_budget: kind changes');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', period / 2.0, 100 ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: recovery_limit must be the same on every row', 'calibrate_budget: recovery_limit changes');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 1, period * 10 ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: budget must be the same on every row', 'calibrate_budget: budget changes');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(rep, earned, 'non_recoverable', 1, 100, period = 1 ORDER BY rep, period) FROM h$$,
    '22023', 'spm.draw_calibrate_budget: balance_is_cost must be the same on every row', 'calibrate_budget: balance_is_cost changes');
SELECT throws_ok($$SELECT spm.draw_calibrate_budget(json_build_object('r', rep), earned, 'recoverable', 1, 100 ORDER BY rep, period) FROM h$$,
    '42883', 'spm.draw_calibrate_budget: rep of type json has no default ordering', 'calibrate_budget: rep must be sortable');

-- draw_calibrate_coverage
SELECT throws_ok($$SELECT spm.draw_calibrate_coverage(earned, NULL) FROM h$$,
    '22023', 'spm.draw_calibrate_coverage: share must not be NULL', 'calibrate_coverage: NULL share');
SELECT throws_ok($$SELECT spm.draw_calibrate_coverage(earned, 1.01) FROM h$$,
    '22023', 'spm.draw_calibrate_coverage: share must be between 0 and 1', 'calibrate_coverage: share above 1');
SELECT throws_ok($$SELECT spm.draw_calibrate_coverage(earned, -0.5) FROM h$$,
    '22023', 'spm.draw_calibrate_coverage: share must be between 0 and 1', 'calibrate_coverage: negative share');
SELECT throws_ok($$SELECT spm.draw_calibrate_coverage(earned, 'NaN') FROM h$$,
    '22023', 'spm.draw_calibrate_coverage: share must be a finite number, not NaN or infinity', 'calibrate_coverage: NaN share');
SELECT throws_ok($$SELECT spm.draw_calibrate_coverage('-Infinity'::numeric, 0.5) FROM h$$,
    '22023', 'spm.draw_calibrate_coverage: earned must be a finite number, not NaN or infinity', 'calibrate_coverage: infinite earned');
SELECT throws_ok($$SELECT spm.draw_calibrate_coverage(earned, period / 4.0) FROM h$$,
    '22023', 'spm.draw_calibrate_coverage: share must be the same on every row', 'calibrate_coverage: share changes');

-- ------------------------------------------ docs/draws.md and NULLs
SELECT results_eq(
    $$SELECT (spm.draw_ledger(e, 2000, 'recoverable') OVER (ORDER BY m)).* FROM (VALUES (1, 500), (2, 1500), (3, 4000), (4, 3000)) v(m, e)$$,
    $$VALUES (2000::numeric, 1500::numeric, 0::numeric, 0::numeric, 1500::numeric),
             (2000, 500, 0, 0, 2000), (2000, 0, 2000, 0, 0), (3000, 0, 0, 0, 0)$$,
    'docs/draws.md example: payouts 2000, 2000, 2000, 3000; balances 1500, 2000, 0, 0');
SELECT results_eq(
    $$SELECT (spm.draw_ledger(e, 2000, 'recoverable', 0.5, m = 4) OVER (ORDER BY m)).* FROM (VALUES (1, 500), (2, 1500), (3, 4000), (4, 3000)) v(m, e)$$,
    $$VALUES (2000::numeric, 1500::numeric, 0::numeric, 0::numeric, 1500::numeric),
             (2000, 500, 0, 0, 2000), (3000, 0, 1000, 0, 1000), (2500, 0, 500, 500, 0)$$,
    'docs/draws.md example with recovery_limit 0.5 and forgive: payouts 2000, 2000, 3000, 2500; forgiven 0, 0, 0, 500');
SELECT results_eq(
    $$SELECT (spm.draw_ledger(e, d, 'RECOVERABLE', r, f) OVER (ORDER BY m)).*
        FROM (VALUES (1, NULL::numeric, 100::numeric, NULL::numeric, NULL::boolean),
                     (2, 300, NULL, NULL, NULL)) v(m, e, d, r, f)$$,
    $$VALUES (100::numeric, 100::numeric, 0::numeric, 0::numeric, 100::numeric), (200, 0, 100, 0, 0)$$,
    'NULL earned and draw count as 0, NULL recovery_limit as 1, NULL forgive as false; kind in any letter case');
SELECT ok((SELECT NOT bool_or(proisstrict) AND bool_and(provolatile = 'i') AND bool_and(proparallel = 's')
             FROM pg_proc WHERE oid IN ('spm.draw_ledger(numeric, numeric, text)'::regprocedure,
                                        'spm.draw_ledger(numeric, numeric, text, numeric, boolean)'::regprocedure)),
          'draw_ledger is not strict, immutable and parallel safe');
SELECT is((SELECT count(*) FROM (SELECT spm.draw_ledger(1, 1, 'advance') OVER () FROM generate_series(1, 3)) s)::int,
          3, 'one output row per input row');

-- ------------------------------------------------------ generated data
SELECT setseed(0.4242);
CREATE TEMP TABLE g AS
SELECT r AS rep, m AS period,
       CASE WHEN random() < 0.12 THEN -round((random() * 800)::numeric, 2)
            WHEN random() < 0.08 THEN NULL
            ELSE round((random() * 6000)::numeric, 2) END AS earned,
       CASE WHEN m > 6 + r % 7 THEN 0 ELSE 500 * (1 + r % 5) END::numeric AS draw,
       (ARRAY['recoverable', 'non_recoverable', 'advance'])[1 + r % 3] AS kind,
       (ARRAY[NULL, 1, 0.5, 0.3333, 0])[1 + (r * 3 + m / 4) % 5]::numeric AS rho,
       (r % 5 = 0 AND m = 24) OR (r % 7 = 0 AND m = 12) AS forgive
  FROM generate_series(1, 150) r, generate_series(1, 24) m;
CREATE TEMP TABLE gl AS
SELECT g.*, (spm.draw_ledger(earned, draw, kind, rho, forgive) OVER w).*,
       lag(0) OVER w IS NULL AS first_row
  FROM g WINDOW w AS (PARTITION BY rep ORDER BY period);
CREATE TEMP TABLE gsum AS
SELECT rep, kind, count(*) AS n, sum(coalesce(earned, 0)) AS earned, sum(payout) AS paid,
       sum(draw_paid) AS draw_paid, sum(recovered) AS recovered, sum(forgiven) AS forgiven,
       (array_agg(balance ORDER BY period DESC))[1] AS final_balance, max(balance) AS max_balance,
       count(*) FILTER (WHERE draw_paid > 0) AS topped
  FROM gl GROUP BY rep, kind;

SELECT is((SELECT count(*) FROM gsum WHERE kind = 'recoverable' AND paid <> earned + forgiven + final_balance)::int, 0,
          'recoverable: sum(payout) = sum(earned) + sum(forgiven) + final balance on every partition');
SELECT is((SELECT count(*) FROM gsum WHERE kind = 'non_recoverable' AND paid <> earned + forgiven + final_balance)::int, 0,
          'non_recoverable: sum(payout) = sum(earned) + sum(forgiven) + final balance on every partition');
SELECT is((SELECT count(*) FROM gsum WHERE kind = 'advance' AND paid <> earned + forgiven + final_balance)::int, 0,
          'advance: sum(payout) = sum(earned) + sum(forgiven) + final balance on every partition');
SELECT is((SELECT count(*) FROM (SELECT *, lag(balance, 1, 0::numeric) OVER (PARTITION BY rep ORDER BY period) AS b0 FROM gl) s
            WHERE payout - coalesce(earned, 0) <> balance - b0 + forgiven)::int, 0,
          'every row: payout - earned = change of balance + forgiven');
SELECT is((SELECT count(*) FROM gl WHERE balance < 0 OR recovered < 0 OR forgiven < 0 OR draw_paid < 0 OR payout < 0)::int, 0,
          'balances, recoveries, forgiveness, draw paid and payouts are never negative');
SELECT is((SELECT count(*) FROM gl WHERE kind IN ('recoverable', 'non_recoverable')
             AND greatest(coalesce(earned, 0), 0) < draw AND payout < draw)::int, 0,
          'guarantee periods (p < d) pay at least the draw');
SELECT is((SELECT count(*) FROM gl WHERE kind IN ('recoverable', 'non_recoverable') AND payout < draw)::int, 0,
          'a guarantee never pays less than the draw, recovery included');
SELECT is((SELECT count(*) FROM gl WHERE forgive AND balance <> 0)::int, 0,
          'forgiveness leaves a zero balance');
SELECT is((SELECT count(*) FROM gl WHERE kind = 'non_recoverable' AND NOT forgive
             AND forgiven <> greatest(draw - greatest(coalesce(earned, 0), 0), 0))::int, 0,
          'non_recoverable: every top-up is forgiven at once');
SELECT ok((SELECT count(*) FROM gl WHERE recovered > 0) > 100 AND (SELECT count(*) FROM gl WHERE draw_paid > 0) > 100
          AND (SELECT count(*) FROM gl WHERE forgiven > 0) > 50 AND (SELECT count(*) FROM gl WHERE earned < 0) > 100,
          'the generated data exercises recovery, top-ups, forgiveness and clawbacks');
-- each partition starts from zero: a rep's ledger alone equals its ledger among all reps
SELECT is((SELECT count(*) FROM gl JOIN (
             SELECT rep, period, (spm.draw_ledger(earned, draw, kind, rho, forgive) OVER (ORDER BY period)).* AS l
               FROM g WHERE rep = 77) alone USING (rep, period)
            WHERE (gl.payout, gl.draw_paid, gl.recovered, gl.forgiven, gl.balance)
                  IS DISTINCT FROM (alone.payout, alone.draw_paid, alone.recovered, alone.forgiven, alone.balance))::int, 0,
          'a partition computed alone equals the same partition among 150');
SELECT is((SELECT count(*) FROM gl JOIN (
             SELECT rep, period, (spm.draw_ledger(earned, draw, kind) OVER w).*
               FROM g WINDOW w AS (PARTITION BY rep ORDER BY period)) three USING (rep, period)
            WHERE rho IS NULL AND NOT forgive AND period = 1
              AND (gl.payout, gl.balance) IS DISTINCT FROM (three.payout, three.balance))::int, 0,
          '3-argument form agrees with recovery_limit NULL and no forgiveness on first rows');

-- simulation equals sums over the ledger
SELECT is((SELECT count(*) FROM gsum JOIN (
             SELECT rep, spm.draw_simulate(earned, draw, kind, rho, forgive ORDER BY period) AS s FROM g GROUP BY rep) x USING (rep)
            WHERE ((s).periods, (s).earned, (s).paid, (s).draw_paid, (s).recovered, (s).forgiven,
                   (s).ending_balance, (s).max_balance, (s).periods_topped_up)
                  IS DISTINCT FROM (n::int, earned, paid, draw_paid, recovered, forgiven, final_balance,
                                    greatest(max_balance, 0), topped::int))::int, 0,
          'draw_simulate per rep = sums over draw_ledger');
SELECT ok((SELECT (t).periods = 3600 AND (t).paid = (SELECT sum(paid) FROM gsum)
                  AND (t).forgiven = (SELECT sum(forgiven) FROM gsum)
                  AND (t).ending_balance = (SELECT sum(final_balance) FROM gsum)
                  AND (t).max_balance = (SELECT max(max_balance) FROM gsum)
                  AND (t).periods_topped_up = (SELECT sum(topped) FROM gsum)
                  AND (t).paid = (t).earned + (t).forgiven + (t).ending_balance
             FROM (SELECT spm.draw_total(s) AS t FROM (
                     SELECT spm.draw_simulate(earned, draw, kind, rho, forgive ORDER BY period) AS s FROM g GROUP BY rep) x) y),
          'draw_total = sums over all ledger lines, and keeps the identity');
SELECT is((SELECT spm.draw_total(s) FROM (SELECT NULL::spm.draw_summary AS s) x), NULL, 'draw_total of nothing is NULL');
SELECT is((SELECT count(*) FROM (
             SELECT s, lead(s) OVER (ORDER BY period) AS running
               FROM (SELECT period, spm.draw_simulate(earned, draw, kind, rho, forgive) OVER (ORDER BY period) AS s
                       FROM g WHERE rep = 42) a) b
            WHERE running IS NULL
              AND s IS DISTINCT FROM (SELECT spm.draw_simulate(earned, draw, kind, rho, forgive ORDER BY period) FROM g WHERE rep = 42))::int, 0,
          'draw_simulate as a running window ends on the aggregate');

-- calibration against brute force on small random histories
SELECT setseed(0.1717);
CREATE TEMP TABLE hs AS
SELECT r AS rep, m AS period,
       CASE WHEN random() < 0.15 THEN -round((random() * 8)::numeric, 2)
            ELSE round((random() * 45)::numeric, 2) END AS earned
  FROM generate_series(1, 5) r, generate_series(1, 6) m;
CREATE TEMP TABLE cands AS
SELECT k.kind, k.rho, c, sum((s).forgiven) AS forgiven, sum((s).ending_balance) AS owed,
       sum((s).periods_topped_up) AS topped
  FROM (VALUES ('recoverable', 1.0), ('recoverable', 0.35), ('non_recoverable', 1.0),
               ('non_recoverable', 0.5), ('advance', 1.0)) k(kind, rho),
       LATERAL (SELECT c, spm.draw_simulate(earned, c / 100.0, k.kind, k.rho, false ORDER BY period) AS s
                  FROM hs, generate_series(0, 5000) c GROUP BY c, rep) x
 GROUP BY 1, 2, 3;
SELECT is((SELECT count(*) FROM (SELECT forgiven + owed AS cost, lag(forgiven + owed) OVER w AS prev,
                                        forgiven, lag(forgiven) OVER w AS prev_f
                                   FROM cands WINDOW w AS (PARTITION BY kind, rho ORDER BY c)) s
            WHERE cost < prev OR forgiven < prev_f)::int, 0,
          'company cost never decreases as the draw grows (every kind, with and without balances)');
CREATE TEMP TABLE budget_cases AS
SELECT * FROM (VALUES ('recoverable', 1.0, 1.0, true), ('recoverable', 1.0, 4.0, true), ('recoverable', 0.35, 2.5, true),
                      ('non_recoverable', 1.0, 2.0, true), ('non_recoverable', 1.0, 2.0, false),
                      ('non_recoverable', 0.5, 0.75, false), ('non_recoverable', 0.5, 6.0, true),
                      ('advance', 1.0, 3.0, true), ('recoverable', 1.0, 0.0, true),
                      ('non_recoverable', 1.0, 0.0, false)) v(kind, rho, budget, bic);
SELECT is((SELECT count(*) FROM budget_cases k
            WHERE (CASE WHEN k.bic
                        THEN (SELECT spm.draw_calibrate_budget(rep, earned, k.kind, k.rho, k.budget ORDER BY rep, period) FROM hs)
                        ELSE (SELECT spm.draw_calibrate_budget(rep, earned, k.kind, k.rho, k.budget, false ORDER BY rep, period) FROM hs) END)
                  IS DISTINCT FROM
                  (SELECT max(c) / 100.0 FROM cands b WHERE b.kind = k.kind AND b.rho = k.rho
                      AND b.forgiven + CASE WHEN k.bic THEN b.owed ELSE 0 END <= k.budget * 30))::int, 0,
          'draw_calibrate_budget = brute force over every cent, 10 targets');
SELECT ok((SELECT count(DISTINCT c) FROM (SELECT CASE WHEN k.bic
                        THEN (SELECT spm.draw_calibrate_budget(rep, earned, k.kind, k.rho, k.budget ORDER BY rep, period) FROM hs)
                        ELSE (SELECT spm.draw_calibrate_budget(rep, earned, k.kind, k.rho, k.budget, false ORDER BY rep, period) FROM hs) END AS c
                      FROM budget_cases k) s WHERE c > 0) >= 6,
          'the budget targets give several distinct non-trivial draws');
SELECT is((SELECT count(*) FROM unnest('{0, 0.01, 0.1, 0.25, 0.3333, 0.5, 0.7, 0.9, 0.99, 1}'::numeric[]) s
            WHERE (SELECT spm.draw_calibrate_coverage(earned, s) FROM hs)
                  IS DISTINCT FROM
                  (SELECT min(c) / 100.0 FROM cands WHERE kind = 'recoverable' AND rho = 1.0 AND topped >= s * 30))::int, 0,
          'draw_calibrate_coverage = brute force over every cent (periods topped up in draw_simulate), 10 shares');
SELECT is((SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 1, 1 ORDER BY rep, period) FROM hs WHERE false),
          NULL, 'calibrate_budget over no rows is NULL');
SELECT is((SELECT spm.draw_calibrate_coverage(earned, 0.5) FROM hs WHERE false), NULL, 'calibrate_coverage over no rows is NULL');
SELECT is((SELECT spm.draw_calibrate_budget(rep::text, earned, 'recoverable', 1, 4 ORDER BY rep::text, period) FROM hs),
          (SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 1, 4 ORDER BY rep, period) FROM hs),
          'the rep key may be of any sortable type');
SELECT is((SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 0.350, 2.50 ORDER BY rep, period) FROM hs),
          (SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 0.35, 2.5 ORDER BY rep, period) FROM hs),
          'trailing zeros of recovery_limit and budget change nothing');
SELECT is((SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', NULL, 4 ORDER BY rep, period) FROM hs),
          (SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 1, 4 ORDER BY rep, period) FROM hs),
          'calibrate_budget: NULL recovery_limit means 1');
SELECT is((SELECT spm.draw_calibrate_budget(rep, earned, 'recoverable', 1, 100 ORDER BY rep, period)
             FROM (VALUES ('a', 1, 500), ('a', 2, 1500), ('a', 3, 4000), ('a', 4, 3000)) v(rep, period, earned)),
          2350.00, 'calibrate_budget: hand-computed (B ends at 400 = 4 * 100 for a draw of 2350.00)');
SELECT is((SELECT spm.draw_calibrate_coverage(earned, 0.5)
             FROM (VALUES (500), (1500), (4000), (3000), (NULL), (-20)) v(earned)),
          500.01, 'calibrate_coverage: hand-computed (0, 0, 500 topped up: 3 of 6)');
SELECT is((SELECT spm.draw_calibrate_coverage(earned, 0.5)
             FROM (VALUES (100.005), (200)) v(earned)),
          100.01, 'calibrate_coverage: sub-cent earnings round the draw up to the next cent above');

SELECT * FROM finish();
ROLLBACK;
