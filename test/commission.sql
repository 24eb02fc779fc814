-- test/commission.sql — pgTAP: spm.commission (aggregate) and
-- spm.commission_increment (window), docs/commission.md.
--
-- Expected values are computed by hand (arithmetic in the comments) or by
-- independent plain-SQL formulas over the same data.  Includes a forced
-- parallel plan (partial aggregation with combine/serialize/deserialize)
-- compared with the serial result.  Assumes CREATE EXTENSION pgtap, spm.
BEGIN;
SELECT plan(95);

-- docs/commission.md's schedule: E(x) = 0.02 x | 200 + 0.04 (x - 10000) | 1800 + 0.07 (x - 50000)
\set S '''marginal(0: 0.02, 10000: 0.04, 50000: 0.07)''::spm.schedule'

-- Marginal tiers in plain SQL: sum over tiers of rate * (part of t inside the tier).
CREATE FUNCTION pg_temp.marginal(t numeric, b numeric[], r numeric[]) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $f$
  SELECT coalesce(sum(r[i] * greatest(0, least(t, coalesce(b[i + 1], greatest(t, b[i]))) - b[i])), 0)
    FROM generate_subscripts(b, 1) i
$f$;
-- Retroactive tiers in plain SQL: the rate of the highest break <= t, times t.
CREATE FUNCTION pg_temp.retro(t numeric, b numeric[], r numeric[]) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $f$
  SELECT coalesce((SELECT r[i] * t FROM generate_subscripts(b, 1) i WHERE b[i] <= t ORDER BY i DESC LIMIT 1), 0)
$f$;
-- A piecewise-linear curve in plain SQL: 0 before xs[1]; ys[a] + (t - xs[a]) * slope,
-- the product rounded half away from zero at 12 places (exactly, with div()).
CREATE FUNCTION pg_temp.curve(t numeric, xs numeric[], ys numeric[]) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE WHEN t < xs[1] THEN 0
              WHEN cardinality(xs) = 1 THEN ys[1]
              ELSE (SELECT ys[a] + sign(n) * div(2 * abs(n) * 1000000000000 + d, 2 * d) * 0.000000000001
                      FROM (SELECT a, (t - xs[a]) * (ys[a + 1] - ys[a]) AS n, xs[a + 1] - xs[a] AS d
                              FROM (SELECT least(max(i), cardinality(xs) - 1) AS a
                                      FROM generate_subscripts(xs, 1) i WHERE xs[i] <= t) k) s)
         END
$f$;
-- EXPLAIN (COSTS OFF) output as one text.
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE line text; acc text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    acc := acc || line || E'\n';
  END LOOP;
  RETURN acc;
END $f$;

-- A sanity check of the plain-SQL helpers against the worked example of docs/schedules.md.
SELECT is(pg_temp.marginal(60000, '{0,10000,50000}', '{0.02,0.04,0.07}'), 2500::numeric,
  'helper: plain-SQL marginal gives docs/schedules.md''s 2500');
SELECT is(pg_temp.retro(60000, '{0,10000,50000}', '{0.02,0.04,0.07}'), 4200::numeric,
  'helper: plain-SQL retroactive gives docs/schedules.md''s 4200');
SELECT is(pg_temp.curve(250, '{0,100,200}', '{0,10,40}'), 55::numeric,
  'helper: plain-SQL curve continues the last slope');

CREATE TEMP TABLE deals (rep text, seq int, amount numeric);
INSERT INTO deals VALUES
  ('ann', 1, 8000), ('ann', 2, 8000), ('ann', 3, 40000), ('ann', 4, -6000),
  ('bob', 1, 12000), ('bob', 2, NULL), ('bob', 3, 3000.50), ('bob', 4, NULL),
  ('cy', 1, NULL), ('cy', 2, NULL);

------------------------------------------------------------------------------
-- 1. docs/commission.md's increment example and variations
------------------------------------------------------------------------------
-- C = 8000, 16000, 56000, 50000; E(C) = 160, 440, 2220, 1800
SELECT is((SELECT array_agg(inc ORDER BY seq) FROM (
            SELECT seq, spm.commission_increment(amount, :S) OVER (ORDER BY seq) AS inc
              FROM deals WHERE rep = 'ann') s),
  '{160,280,1780,-420}'::numeric[], 'docs/commission.md: increments 160, 280, 1780, -420');
SELECT is((SELECT sum(inc) FROM (
            SELECT spm.commission_increment(amount, :S) OVER (ORDER BY seq) AS inc
              FROM deals WHERE rep = 'ann') s),
  1800::numeric, 'docs/commission.md: increments add up to E(50000) = 1800');
SELECT is((SELECT spm.commission(amount, :S) FROM deals WHERE rep = 'ann'), 1800::numeric,
  'docs/commission.md: aggregate E(50000) = 1800');
-- the same rule as fractions of quota 50000: breaks 0, 0.2, 1
SELECT is((SELECT array_agg(inc ORDER BY seq) FROM (
            SELECT seq, spm.commission_increment(amount, 'marginal(0: 0.02, 0.2: 0.04, 1: 0.07)', 50000)
                          OVER (ORDER BY seq) AS inc
              FROM deals WHERE rep = 'ann') s),
  '{160,280,1780,-420}'::numeric[], 'quota form: docs/commission.md increments with breaks as fractions of 50000');
SELECT is((SELECT spm.commission(amount, 'marginal(0: 0.02, 0.2: 0.04, 1: 0.07)', 50000) FROM deals WHERE rep = 'ann'),
  1800::numeric, 'quota form: aggregate 1800');
-- retroactive: E(C) = 8000*0.02, 16000*0.04, 56000*0.07, 50000*0.07 = 160, 640, 3920, 3500
SELECT is((SELECT array_agg(inc ORDER BY seq) FROM (
            SELECT seq, spm.commission_increment(amount, 'retroactive(0: 0.02, 10000: 0.04, 50000: 0.07)')
                          OVER (ORDER BY seq) AS inc
              FROM deals WHERE rep = 'ann') s),
  '{160,480,3280,-420}'::numeric[], 'retroactive increments 160, 480, 3280, -420');
-- cap 1000: E(C) = 160, 440, 1000, 1000
SELECT is((SELECT array_agg(inc ORDER BY seq) FROM (
            SELECT seq, spm.commission_increment(amount, 'cap(marginal(0: 0.02, 10000: 0.04, 50000: 0.07), 1000)')
                          OVER (ORDER BY seq) AS inc
              FROM deals WHERE rep = 'ann') s),
  '{160,280,560,0}'::numeric[], 'capped increments 160, 280, 560, 0');
-- gate 20000: E(C) = 0, 0, 2220, 1800
SELECT is((SELECT array_agg(inc ORDER BY seq) FROM (
            SELECT seq, spm.commission_increment(amount, 'gate(marginal(0: 0.02, 10000: 0.04, 50000: 0.07), 20000)')
                          OVER (ORDER BY seq) AS inc
              FROM deals WHERE rep = 'ann') s),
  '{0,0,2220,-420}'::numeric[], 'gated increments 0, 0, 2220, -420');
-- curve (0,0) (10000,100) (50000,2100): slopes 0.01, 0.05 (continuing):
-- E(C) = 80, 100 + 6000*0.05 = 400, 2100 + 6000*0.05 = 2400, 2100
SELECT is((SELECT array_agg(inc ORDER BY seq) FROM (
            SELECT seq, spm.commission_increment(amount, 'curve(0: 0, 10000: 100, 50000: 2100)')
                          OVER (ORDER BY seq) AS inc
              FROM deals WHERE rep = 'ann') s),
  '{80,320,2000,-300}'::numeric[], 'curve increments 80, 320, 2000, -300');
-- the aggregate as a window aggregate: running E(C_i), and a moving frame
-- (sums 8000, 16000, 48000, 34000 -> 160, 440, 200 + 38000*0.04, 200 + 24000*0.04)
SELECT is((SELECT array_agg(c ORDER BY seq) FROM (
            SELECT seq, spm.commission(amount, :S) OVER (ORDER BY seq) AS c
              FROM deals WHERE rep = 'ann') s),
  '{160,440,2220,1800}'::numeric[], 'aggregate over a running window gives E(C_i)');
SELECT is((SELECT array_agg(c ORDER BY seq) FROM (
            SELECT seq, spm.commission(amount, :S) OVER (ORDER BY seq ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS c
              FROM deals WHERE rep = 'ann') s),
  '{160,440,1720,1160}'::numeric[], 'aggregate over a moving frame');
-- a credit note first: C = -500, 9500, 10500 -> E = 0, 190, 220
SELECT is((SELECT array_agg(inc ORDER BY k) FROM (
            SELECT k, spm.commission_increment(a, :S) OVER (ORDER BY k) AS inc
              FROM (VALUES (1, -500::numeric), (2, 10000), (3, 1000)) v(k, a)) s),
  '{0,190,30}'::numeric[], 'a credit note before any sale earns nothing, later sales fill it first');

------------------------------------------------------------------------------
-- 2. Ties in ORDER BY: rows are still taken one at a time
------------------------------------------------------------------------------
-- four deals of 8000, all peers: C = 8000 .. 32000; E = 160, 440, 760, 1080
SELECT is((SELECT array_agg(inc ORDER BY inc) FROM (
            SELECT spm.commission_increment(a, :S) OVER (ORDER BY k) AS inc
              FROM (VALUES (1, 8000::numeric), (1, 8000), (1, 8000), (1, 8000)) v(k, a)) s),
  '{160,280,320,320}'::numeric[], 'ties: peers get successive increments, not the same value');
SELECT is((SELECT sum(inc) FROM (
            SELECT spm.commission_increment(amount, :S) OVER (ORDER BY rep) AS inc
              FROM deals WHERE rep = 'ann') s),
  1800::numeric, 'ties: all rows peers, increments still add up to E(total)');
SELECT is((SELECT sum(inc) FROM (
            SELECT spm.commission_increment(amount, :S) OVER () AS inc
              FROM deals WHERE rep = 'ann') s),
  1800::numeric, 'no ORDER BY: increments add up to E(total)');
SELECT is((SELECT sum(inc) FROM (
            SELECT spm.commission_increment(amount, 'retroactive(0: 0.02, 10000: 0.04, 50000: 0.07)')
                     OVER (ORDER BY seq % 2) AS inc
              FROM deals WHERE rep = 'ann') s),
  3500::numeric, 'ties, retroactive: increments add up to 50000*0.07');

------------------------------------------------------------------------------
-- 3. NULL amounts, empty groups, NULL schedule or quota
------------------------------------------------------------------------------
-- bob: 12000 -> 200 + 2000*0.04 = 280; NULL; 15000.50 -> 400.02 (+120.02); NULL
SELECT is((SELECT array_agg(inc ORDER BY seq) FROM (
            SELECT seq, spm.commission_increment(amount, :S) OVER (ORDER BY seq) AS inc
              FROM deals WHERE rep = 'bob') s),
  '{280,NULL,120.02,NULL}'::numeric[], 'NULL amounts: NULL increment, skipped in the running sum');
SELECT is((SELECT spm.commission(amount, :S) FROM deals WHERE rep = 'bob'), 400.02,
  'NULL amounts are skipped by the aggregate: E(15000.50) = 400.02');
SELECT is((SELECT spm.commission(amount, :S) FROM deals WHERE rep = 'cy'), NULL::numeric,
  'only NULL amounts: NULL');
SELECT is((SELECT array_agg(inc) FROM (
            SELECT spm.commission_increment(amount, :S) OVER (ORDER BY seq) AS inc
              FROM deals WHERE rep = 'cy') s),
  '{NULL,NULL}'::numeric[], 'only NULL amounts: NULL increments');
SELECT is((SELECT spm.commission(amount, :S) FROM deals WHERE false), NULL::numeric,
  'empty group: NULL');
SELECT is((SELECT spm.commission(amount, :S, 1000) FROM deals WHERE false), NULL::numeric,
  'empty group, quota form: NULL');
SELECT results_eq(
  $$SELECT rep, spm.commission(amount, 'marginal(0: 0.02, 10000: 0.04, 50000: 0.07)') FROM deals GROUP BY rep ORDER BY rep$$,
  $$VALUES ('ann', 1800::numeric), ('bob', 400.02), ('cy', NULL)$$,
  'GROUP BY: one result per rep (cy NULL)');
SELECT is((SELECT spm.commission(amount, NULL::spm.schedule) FROM deals WHERE rep = 'ann'), NULL::numeric,
  'NULL schedule: NULL');
SELECT is((SELECT array_agg(inc) FROM (
            SELECT spm.commission_increment(amount, NULL::spm.schedule) OVER (ORDER BY seq) AS inc
              FROM deals WHERE rep = 'ann') s),
  '{NULL,NULL,NULL,NULL}'::numeric[], 'NULL schedule: NULL increments');
SELECT is((SELECT spm.commission(amount, :S, NULL) FROM deals WHERE rep = 'ann'), NULL::numeric,
  'NULL quota: NULL');
SELECT is((SELECT spm.commission(amount, :S, 0) FROM deals WHERE rep = 'ann'), NULL::numeric,
  'quota 0: NULL');
SELECT is((SELECT spm.commission(amount, :S, q) FROM (VALUES (1::numeric, 0::numeric), (2, 0.00)) v(amount, q)),
  NULL::numeric, 'quota 0 and 0.00 in one group: the same quota, NULL');
SELECT is((SELECT array_agg(inc) FROM (
            SELECT spm.commission_increment(amount, :S, 0) OVER (ORDER BY seq) AS inc
              FROM deals WHERE rep = 'ann') s),
  '{NULL,NULL,NULL,NULL}'::numeric[], 'quota 0: NULL increments');
SELECT is((SELECT array_agg(inc) FROM (
            SELECT spm.commission_increment(amount, :S, NULL) OVER (ORDER BY seq) AS inc
              FROM deals WHERE rep = 'ann') s),
  '{NULL,NULL,NULL,NULL}'::numeric[], 'NULL quota: NULL increments');

------------------------------------------------------------------------------
-- 4. One schedule and one quota per group or partition
------------------------------------------------------------------------------
SELECT throws_ok($$SELECT spm.commission(a, s)
                     FROM (VALUES (1::numeric, 'marginal(0: 0.1)'::spm.schedule), (2, 'marginal(0: 0.2)')) v(a, s)$$,
  '22023', 'spm.commission: the schedule must be the same on every row of a group or partition',
  'aggregate: schedule differs within the group');
SELECT throws_ok($$SELECT spm.commission_increment(a, s) OVER (ORDER BY a)
                     FROM (VALUES (1::numeric, 'marginal(0: 0.1)'::spm.schedule), (2, 'marginal(0: 0.2)')) v(a, s)$$,
  '22023', 'spm.commission_increment: the schedule must be the same on every row of a group or partition',
  'window: schedule differs within the partition');
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)', q)
                     FROM (VALUES (1::numeric, 100::numeric), (2, 200)) v(a, q)$$,
  '22023', 'spm.commission: the quota must be the same on every row of a group or partition',
  'aggregate: quota differs within the group');
SELECT throws_ok($$SELECT spm.commission_increment(a, 'marginal(0: 0.1)', q) OVER (ORDER BY a)
                     FROM (VALUES (1::numeric, 100::numeric), (2, 200)) v(a, q)$$,
  '22023', 'spm.commission_increment: the quota must be the same on every row of a group or partition',
  'window: quota differs within the partition');
SELECT throws_ok($$SELECT spm.commission(a, s)
                     FROM (VALUES (1, NULL::spm.schedule), (2::numeric, 'marginal(0: 0.2)')) v(a, s)$$,
  '22023', 'spm.commission: the schedule must be the same on every row of a group or partition',
  'aggregate: NULL schedule then a schedule');
SELECT throws_ok($$SELECT spm.commission_increment(a, s) OVER (ORDER BY a)
                     FROM (VALUES (1::numeric, 'marginal(0: 0.1)'::spm.schedule), (2, NULL)) v(a, s)$$,
  '22023', 'spm.commission_increment: the schedule must be the same on every row of a group or partition',
  'window: a schedule then NULL');
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)', q)
                     FROM (VALUES (1::numeric, NULL::numeric), (2, 100)) v(a, q)$$,
  '22023', 'spm.commission: the quota must be the same on every row of a group or partition',
  'aggregate: NULL quota then a quota');
SELECT throws_ok($$SELECT spm.commission_increment(a, 'marginal(0: 0.1)', q) OVER (ORDER BY a)
                     FROM (VALUES (1::numeric, 0::numeric), (2, 100)) v(a, q)$$,
  '22023', 'spm.commission_increment: the quota must be the same on every row of a group or partition',
  'window: quota 0 then a quota');
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)', q)
                     FROM (VALUES (1::numeric, 100::numeric), (2, 0)) v(a, q)$$,
  '22023', 'spm.commission: the quota must be the same on every row of a group or partition',
  'aggregate: a quota then quota 0');
SELECT throws_ok($$SELECT spm.commission(a, s)
                     FROM (VALUES (1::numeric, 'marginal(0: 0.1)'::spm.schedule), (NULL, 'marginal(0: 0.2)')) v(a, s)$$,
  '22023', 'spm.commission: the schedule must be the same on every row of a group or partition',
  'aggregate: a different schedule on a row with a NULL amount still counts');
SELECT throws_ok($$SELECT spm.commission_increment(a, s) OVER (PARTITION BY p ORDER BY a)
                     FROM (VALUES (1, 1::numeric, 'marginal(0: 0.1)'::spm.schedule), (1, 2, 'marginal(0: 0.1)'),
                                  (2, 1, 'marginal(0: 0.1)'), (2, 2, 'marginal(0: 0.3)')) v(p, a, s)$$,
  '22023', 'spm.commission_increment: the schedule must be the same on every row of a group or partition',
  'window: the second partition mixes schedules');
-- 1*0.1 + 2*0.1 = 0.3 in partition 1; 1*0.2 + 2*0.2 = 0.6 in partition 2 (last rows carry the total)
SELECT is((SELECT array_agg(inc ORDER BY p, a) FROM (
            SELECT p, a, spm.commission_increment(a, s) OVER (PARTITION BY p ORDER BY a) AS inc
              FROM (VALUES (1, 1::numeric, 'marginal(0: 0.1)'::spm.schedule), (1, 2, 'marginal(0: 0.1)'),
                           (2, 1, 'marginal(0: 0.2)'), (2, 2, 'marginal(0: 0.2)')) v(p, a, s)) x),
  '{0.1,0.2,0.2,0.4}'::numeric[], 'window: schedules may differ between partitions');
SELECT results_eq(
  $$SELECT p, spm.commission(a, s) FROM (VALUES (1, 1::numeric, 'marginal(0: 0.1)'::spm.schedule), (1, 2, 'marginal(0: 0.1)'),
                                              (2, 1, 'marginal(0: 0.2)'), (2, 2, 'marginal(0: 0.2)')) v(p, a, s)
     GROUP BY p ORDER BY p$$,
  $$VALUES (1, 0.3), (2, 0.6)$$, 'aggregate: schedules may differ between groups');
SELECT is((SELECT spm.commission(a, s) FROM (VALUES (1000::numeric, 'marginal(0: 0.050)'::spm.schedule),
                                                     (1000, 'marginal(0.00: 5%)')) v(a, s)),
  100::numeric, 'the same schedule spelled differently is the same schedule: 2000*0.05');
SELECT is((SELECT sum(inc) FROM (
            SELECT spm.commission_increment(a, 'marginal(0: 0.05, 1: 0.1)', q) OVER (ORDER BY a) AS inc
              FROM (VALUES (1000::numeric, 20000::numeric), (30000, 20000.00)) v(a, q)) s),
  2100::numeric, 'quota 20000 and 20000.00 are the same quota: 20000*0.05 + 11000*0.1');
SELECT throws_ok($$SELECT spm.commission(amount, 'marginal(0: 0.1)', -1) FROM deals$$,
  '22023', 'quota must not be negative: -1', 'aggregate: negative quota');
SELECT throws_ok($$SELECT spm.commission_increment(amount, 'marginal(0: 0.1)', -0.5) OVER () FROM deals$$,
  '22023', 'quota must not be negative: -0.5', 'window: negative quota');
SELECT throws_ok($$SELECT spm.commission(amount, 'marginal(0: 0.1)', 'NaN') FROM deals$$,
  '22023', 'quota must be a finite number, not NaN or infinity', 'aggregate: NaN quota');
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)') FROM (VALUES (1::numeric), ('NaN')) v(a)$$,
  '22023', 'spm.commission: amount must be a finite number, not NaN or infinity', 'aggregate: NaN amount');
SELECT throws_ok($$SELECT spm.commission_increment(a, 'marginal(0: 0.1)') OVER () FROM (VALUES (1::numeric), ('Infinity')) v(a)$$,
  '22023', 'spm.commission_increment: amount must be a finite number, not NaN or infinity', 'window: infinite amount');
SELECT throws_ok($$SELECT spm.commission(1e37, 'marginal(0: 0.1)') FROM generate_series(1, 20)$$,
  '22003', 'value out of range for spm''s exact arithmetic', 'aggregate: a sum beyond 128 bits');
SELECT throws_ok($$SELECT spm.commission_increment(1e37, 'marginal(0: 0.1)') OVER (ORDER BY i) FROM generate_series(1, 20) i$$,
  '22003', 'value out of range for spm''s exact arithmetic', 'window: a running sum beyond 128 bits');

------------------------------------------------------------------------------
-- 5. Many partitions in one query, each from zero
------------------------------------------------------------------------------
CREATE TEMP TABLE many AS
  SELECT r, d.seq, d.amount * r AS amount
    FROM generate_series(1, 30) r, deals d WHERE d.rep = 'ann';
-- rep r has deals 8000r, 8000r, 40000r, -6000r; for r = 1: the docs/commission.md increments
SELECT is((SELECT array_agg(inc ORDER BY seq) FROM (
            SELECT r, seq, spm.commission_increment(amount, :S) OVER (PARTITION BY r ORDER BY seq) AS inc
              FROM many) s WHERE r = 1),
  '{160,280,1780,-420}'::numeric[], 'partitions: rep 1 gets docs/commission.md''s increments');
-- r = 2: C = 16000, 32000, 112000, 100000; E = 440, 1080, 1800 + 62000*0.07 = 6140, 1800 + 50000*0.07 = 5300
SELECT is((SELECT array_agg(inc ORDER BY seq) FROM (
            SELECT r, seq, spm.commission_increment(amount, :S) OVER (PARTITION BY r ORDER BY seq) AS inc
              FROM many) s WHERE r = 2),
  '{440,640,5060,-840}'::numeric[], 'partitions: rep 2 starts again from zero');
SELECT is((SELECT count(*) FROM (
            SELECT r, seq, amount, spm.commission_increment(amount, :S) OVER (PARTITION BY r ORDER BY seq) AS inc
              FROM many) s
            WHERE seq = 1 AND inc = pg_temp.marginal(amount, '{0,10000,50000}', '{0.02,0.04,0.07}')),
  30::bigint, 'partitions: every first increment is E(first amount)');
SELECT is((SELECT count(*) FROM (
            SELECT r, sum(inc) AS s, sum(amount) AS t FROM (
              SELECT r, amount, spm.commission_increment(amount, :S) OVER (PARTITION BY r ORDER BY seq) AS inc
                FROM many) x GROUP BY r) y
            WHERE s = pg_temp.marginal(t, '{0,10000,50000}', '{0.02,0.04,0.07}')),
  30::bigint, 'partitions: each partition adds up to E(its total)');

------------------------------------------------------------------------------
-- 6. Generated data: 2000 rows, 20 reps, negatives and NULLs
------------------------------------------------------------------------------
CREATE TEMP TABLE gen AS
  SELECT i, i % 20 AS rep,
         CASE WHEN i % 97 = 0 THEN NULL ELSE ((i * 7919) % 100000) * 0.01 - 50 END AS amount,
         44000 + (i % 20) * 37 AS quota
    FROM generate_series(1, 2000) i;
SELECT ok((SELECT count(*) FILTER (WHERE amount < 0) > 50 AND count(*) FILTER (WHERE amount IS NULL) > 10 FROM gen),
  'generated data has negative and NULL amounts');

-- Schedules (rep totals lie between about 43000 and 47000, across the breaks)
CREATE TEMP TABLE scheds (name text PRIMARY KEY, s spm.schedule, b numeric[], r numeric[]);
INSERT INTO scheds VALUES
  ('marginal',    'marginal(0: 0.02, 20000: 0.04, 44000: 0.07, 46000: 0.1)',    '{0,20000,44000,46000}', '{0.02,0.04,0.07,0.1}'),
  ('retroactive', 'retroactive(0: 0.02, 20000: 0.04, 44000: 0.07, 46000: 0.1)', '{0,20000,44000,46000}', '{0.02,0.04,0.07,0.1}'),
  ('capped',      'cap(marginal(0: 0.02, 20000: 0.04, 44000: 0.07, 46000: 0.1), 1450)', '{0,20000,44000,46000}', '{0.02,0.04,0.07,0.1}'),
  ('gated',       'gate(marginal(0: 0.02, 20000: 0.04, 44000: 0.07, 46000: 0.1), 44400)', '{0,20000,44000,46000}', '{0.02,0.04,0.07,0.1}'),
  ('curve',       'curve(0: 0, 30000: 700, 44500: 1500, 46000: 1700)', '{0,30000,44500,46000}', '{0,700,1500,1700}'),
  -- quota form: breaks as fractions of each rep's quota (44000 + 37 rep)
  ('quota',       'marginal(0: 0.02, 0.5: 0.04, 1: 0.07, 1.03: 0.1)', '{0,0.5,1,1.03}', '{0.02,0.04,0.07,0.1}');

-- Independent expectation of E(t) for a schedule row (quota q only for 'quota').
CREATE FUNCTION pg_temp.expect(name text, t numeric, b numeric[], r numeric[], q numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE name
    WHEN 'marginal'    THEN pg_temp.marginal(t, b, r)
    WHEN 'retroactive' THEN pg_temp.retro(t, b, r)
    WHEN 'capped'      THEN least(1450, pg_temp.marginal(t, b, r))
    WHEN 'gated'       THEN CASE WHEN t < 44400 THEN 0 ELSE pg_temp.marginal(t, b, r) END
    WHEN 'curve'       THEN pg_temp.curve(t, b, r)
    WHEN 'quota'       THEN pg_temp.marginal(t, (SELECT array_agg(x * q ORDER BY o) FROM unnest(b) WITH ORDINALITY u(x, o)), r)
  END
$f$;

-- Per schedule and rep: sum of increments, aggregate, apply of the total, plain-SQL expectation.
CREATE TEMP TABLE gres AS
WITH w AS (
  SELECT sc.name, g.rep, g.i, g.amount, g.quota,
         CASE WHEN sc.name = 'quota'
              THEN spm.commission_increment(g.amount, sc.s, g.quota) OVER (PARTITION BY sc.name, g.rep ORDER BY g.i)
              ELSE spm.commission_increment(g.amount, sc.s) OVER (PARTITION BY sc.name, g.rep ORDER BY g.i) END AS inc
    FROM gen g CROSS JOIN scheds sc),
inc AS (SELECT name, rep, sum(inc) AS inc_sum FROM w GROUP BY name, rep),
agg AS (
  SELECT sc.name, g.rep, sum(g.amount) AS total, min(g.quota) AS quota,
         CASE WHEN sc.name = 'quota' THEN spm.commission(g.amount, sc.s, g.quota)
              ELSE spm.commission(g.amount, sc.s) END AS agg
    FROM gen g CROSS JOIN scheds sc GROUP BY sc.name, g.rep)
SELECT a.name, a.rep, a.total, i.inc_sum, a.agg,
       CASE WHEN a.name = 'quota' THEN spm.apply(sc.s, a.total, a.quota) ELSE spm.apply(sc.s, a.total) END AS app,
       pg_temp.expect(a.name, a.total, sc.b, sc.r, a.quota) AS want
  FROM agg a JOIN inc i USING (name, rep) JOIN scheds sc USING (name);

SELECT is((SELECT count(*) FROM gres), 120::bigint, 'generated: 6 schedules x 20 reps');
SELECT ok((SELECT count(*) FROM gres WHERE name = 'gated' AND want = 0) BETWEEN 1 AND 19,
  'generated: the gate splits the reps');
SELECT ok((SELECT count(*) FROM gres WHERE name = 'capped' AND want = 1450) BETWEEN 1 AND 19,
  'generated: the cap splits the reps');
SELECT is((SELECT count(*) FROM gres WHERE name = 'marginal' AND inc_sum = agg AND agg = app), 20::bigint,
  'generated marginal: sum of increments = commission = apply(total)');
SELECT is((SELECT count(*) FROM gres WHERE name = 'marginal' AND agg = want), 20::bigint,
  'generated marginal: commission = plain-SQL tier sum');
SELECT is((SELECT count(*) FROM gres WHERE name = 'retroactive' AND inc_sum = agg AND agg = app), 20::bigint,
  'generated retroactive: sum of increments = commission = apply(total)');
SELECT is((SELECT count(*) FROM gres WHERE name = 'retroactive' AND agg = want), 20::bigint,
  'generated retroactive: commission = plain-SQL rate * total');
SELECT is((SELECT count(*) FROM gres WHERE name = 'capped' AND inc_sum = agg AND agg = app), 20::bigint,
  'generated capped: sum of increments = commission = apply(total)');
SELECT is((SELECT count(*) FROM gres WHERE name = 'capped' AND agg = want), 20::bigint,
  'generated capped: commission = least(cap, plain-SQL tier sum)');
SELECT is((SELECT count(*) FROM gres WHERE name = 'gated' AND inc_sum = agg AND agg = app), 20::bigint,
  'generated gated: sum of increments = commission = apply(total)');
SELECT is((SELECT count(*) FROM gres WHERE name = 'gated' AND agg = want), 20::bigint,
  'generated gated: commission = plain-SQL gate');
SELECT is((SELECT count(*) FROM gres WHERE name = 'curve' AND inc_sum = agg AND agg = app), 20::bigint,
  'generated curve: sum of increments = commission = apply(total)');
SELECT is((SELECT count(*) FROM gres WHERE name = 'curve' AND agg = want), 20::bigint,
  'generated curve: commission = plain-SQL interpolation');
SELECT is((SELECT count(*) FROM gres WHERE name = 'quota' AND inc_sum = agg AND agg = app), 20::bigint,
  'generated quota form: sum of increments = commission = apply(total, quota)');
SELECT is((SELECT count(*) FROM gres WHERE name = 'quota' AND agg = want), 20::bigint,
  'generated quota form: commission = plain-SQL tiers at quota * break');

-- Row by row: increment_k = E(C_k) - E(C_(k-1)), C the running sum (E(C_0) taken as 0), NULL for NULL amounts.
SELECT is((SELECT count(*) FROM (
  SELECT w.*, sum(amount) OVER (PARTITION BY name, rep ORDER BY i) AS c
    FROM (SELECT sc.name, sc.s, g.rep, g.i, g.amount, g.quota,
                 CASE WHEN sc.name = 'quota'
                      THEN spm.commission_increment(g.amount, sc.s, g.quota) OVER (PARTITION BY sc.name, g.rep ORDER BY g.i)
                      ELSE spm.commission_increment(g.amount, sc.s) OVER (PARTITION BY sc.name, g.rep ORDER BY g.i) END AS inc
            FROM gen g CROSS JOIN scheds sc) w) x,
  LATERAL (SELECT CASE WHEN name = 'quota' THEN spm.apply(s, c, quota) ELSE spm.apply(s, c) END AS e_now,
                  CASE WHEN c IS NULL OR c - coalesce(amount, 0) IS NULL THEN 0
                       WHEN name = 'quota' THEN spm.apply(s, c - coalesce(amount, 0), quota)
                       ELSE spm.apply(s, c - coalesce(amount, 0)) END AS e_before) e
  WHERE inc IS NOT DISTINCT FROM CASE WHEN amount IS NULL THEN NULL ELSE e_now - e_before END),
  12000::bigint, 'generated: every increment is E(C_k) - E(C_k-1), every partition from zero');

-- Ties: ORDER BY i % 3 makes ~33 peers per value; increments still add up
SELECT is((SELECT count(*) FROM (
  SELECT name, rep, sum(inc) AS s FROM (
    SELECT sc.name, g.rep,
           CASE WHEN sc.name = 'quota'
                THEN spm.commission_increment(g.amount, sc.s, g.quota) OVER (PARTITION BY sc.name, g.rep ORDER BY g.i % 3)
                ELSE spm.commission_increment(g.amount, sc.s) OVER (PARTITION BY sc.name, g.rep ORDER BY g.i % 3) END AS inc
      FROM gen g CROSS JOIN scheds sc) w GROUP BY name, rep) t
  JOIN gres USING (name, rep) WHERE t.s = gres.agg),
  120::bigint, 'generated, ties in ORDER BY: sum of increments = commission');

-- Mixed amount scales within a partition (2, 3 and 5 decimal places)
CREATE TEMP TABLE gen2 AS
  SELECT i, rep, amount + CASE WHEN i % 7 = 0 THEN 0.001 WHEN i % 11 = 0 THEN -0.00005 ELSE 0 END AS amount, quota
    FROM gen;
SELECT is((SELECT count(*) FROM (
  SELECT name, rep, sum(inc) AS s, sum(amount) AS t, min(quota) AS q, min(want) AS want FROM (
    SELECT sc.name, g.rep, g.amount, g.quota,
           pg_temp.expect(sc.name, sum(g.amount) OVER (PARTITION BY sc.name, g.rep), sc.b, sc.r, g.quota) AS want,
           CASE WHEN sc.name = 'quota'
                THEN spm.commission_increment(g.amount, sc.s, g.quota) OVER (PARTITION BY sc.name, g.rep ORDER BY g.i)
                ELSE spm.commission_increment(g.amount, sc.s) OVER (PARTITION BY sc.name, g.rep ORDER BY g.i) END AS inc
      FROM gen2 g CROSS JOIN scheds sc) w GROUP BY name, rep) t
  WHERE s = want),
  120::bigint, 'generated, mixed scales: sum of increments = plain-SQL E(total)');
SELECT is((SELECT count(*) FROM (
  SELECT w.*, sum(amount) OVER (PARTITION BY name, rep ORDER BY i) AS c
    FROM (SELECT sc.name, sc.s, g.rep, g.i, g.amount, g.quota,
                 CASE WHEN sc.name = 'quota'
                      THEN spm.commission_increment(g.amount, sc.s, g.quota) OVER (PARTITION BY sc.name, g.rep ORDER BY g.i)
                      ELSE spm.commission_increment(g.amount, sc.s) OVER (PARTITION BY sc.name, g.rep ORDER BY g.i) END AS inc
            FROM gen2 g CROSS JOIN scheds sc) w) x,
  LATERAL (SELECT CASE WHEN name = 'quota' THEN spm.apply(s, c, quota) ELSE spm.apply(s, c) END AS e_now,
                  CASE WHEN c IS NULL OR c - coalesce(amount, 0) IS NULL THEN 0
                       WHEN name = 'quota' THEN spm.apply(s, c - coalesce(amount, 0), quota)
                       ELSE spm.apply(s, c - coalesce(amount, 0)) END AS e_before) e
  WHERE inc IS NOT DISTINCT FROM CASE WHEN amount IS NULL THEN NULL ELSE e_now - e_before END),
  12000::bigint, 'generated, mixed scales: every increment is E(C_k) - E(C_k-1)');
SELECT is((SELECT count(*) FROM (
  SELECT sc.name, g.rep,
         CASE WHEN sc.name = 'quota' THEN spm.commission(g.amount, sc.s, g.quota) ELSE spm.commission(g.amount, sc.s) END AS agg,
         pg_temp.expect(sc.name, sum(g.amount), sc.b, sc.r, min(g.quota)) AS want
    FROM gen2 g CROSS JOIN scheds sc GROUP BY sc.name, sc.b, sc.r, g.rep) t WHERE agg = want),
  120::bigint, 'generated, mixed scales: commission = plain-SQL E(total)');

------------------------------------------------------------------------------
-- 7. Parallel aggregation (partial states, serialize, combine, deserialize)
------------------------------------------------------------------------------
-- A regular (not temporary) table: parallel workers cannot read temp tables.
-- Rep 0 has a NULL schedule, rep 25 quota 0; amounts mostly 2 places, some 3.
CREATE TABLE spm_tap_big AS
  SELECT i, i % 50 AS rep,
         ((i * 7919) % 100000) * 0.01 - 50 + CASE WHEN i % 997 = 0 THEN 0.001 ELSE 0 END AS amount,
         CASE WHEN i % 50 = 0 THEN NULL
              ELSE 'marginal(0: 0.02, 500000: 0.04, 1079000: 0.07, 1081000: 0.1)'::spm.schedule END AS s,
         CASE WHEN i % 50 = 25 THEN 0 ELSE 1070000 + (i % 50) * 200 END::numeric AS q
    FROM generate_series(1, 120000) i;
ANALYZE spm_tap_big;

\set BIGQ 'SELECT rep, sum(amount) AS total, min(q) AS q, spm.commission(amount, s) AS c_col, spm.commission(amount, ''marginal(0: 0.02, 0.5: 0.04, 1.005: 0.07, 1.008: 0.1)''::spm.schedule, q) AS c_quota, spm.commission(amount, ''curve(0: 0, 1000000: 30000, 1080000: 33333)'') AS c_curve, spm.commission(amount, ''retroactive(0: 0.02, 1.079: 0.05)'', 1000000) AS c_retro_q FROM spm_tap_big GROUP BY rep'

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE par_serial AS :BIGQ;

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;

SELECT matches(pg_temp.plan_of(:'BIGQ'), 'Partial (Hash|Group)?Aggregate',
  'parallel: the grouped query has a partial aggregate');
SELECT matches(pg_temp.plan_of('CREATE TEMP TABLE x AS ' || :'BIGQ'), 'Gather',
  'parallel: CREATE TABLE AS of it runs under Gather');
CREATE TEMP TABLE par_parallel AS :BIGQ;

SELECT is((SELECT count(*) FROM par_parallel), 50::bigint, 'parallel: 50 groups');
SELECT is_empty($$SELECT * FROM par_serial s FULL JOIN par_parallel p USING (rep)
                   WHERE s.total IS DISTINCT FROM p.total OR s.c_col IS DISTINCT FROM p.c_col
                      OR s.c_quota IS DISTINCT FROM p.c_quota OR s.c_curve IS DISTINCT FROM p.c_curve
                      OR s.c_retro_q IS DISTINCT FROM p.c_retro_q$$,
  'parallel results equal serial results');
SELECT is((SELECT c_col FROM par_parallel WHERE rep = 0), NULL::numeric, 'parallel: the NULL-schedule group gives NULL');
SELECT is((SELECT c_quota FROM par_parallel WHERE rep = 25), NULL::numeric, 'parallel: the quota-0 group gives NULL (quota form)');
SELECT is((SELECT count(*) FROM par_parallel
            WHERE rep <> 0 AND c_col = pg_temp.marginal(total, '{0,500000,1079000,1081000}', '{0.02,0.04,0.07,0.1}')),
  49::bigint, 'parallel: schedule column = plain-SQL tier sum');
SELECT is((SELECT count(*) FROM par_parallel
            WHERE rep <> 25 AND c_quota = pg_temp.marginal(total, ARRAY[0, 0.5 * q, 1.005 * q, 1.008 * q], '{0.02,0.04,0.07,0.1}')),
  49::bigint, 'parallel: quota form = plain-SQL tiers at quota * break');
SELECT is((SELECT count(*) FROM par_parallel
            WHERE c_curve = pg_temp.curve(total, '{0,1000000,1080000}', '{0,30000,33333}')),
  50::bigint, 'parallel: curve = plain-SQL interpolation');
SELECT is((SELECT count(*) FROM par_parallel
            WHERE c_retro_q = pg_temp.retro(total, '{0,1079000}', '{0.02,0.05}')),
  50::bigint, 'parallel: retroactive quota form = plain SQL');
SELECT ok((SELECT count(*) FROM par_parallel WHERE scale(total) = 3) > 10
          AND (SELECT count(DISTINCT c_col) FROM par_parallel) > 40
          AND (SELECT count(*) FROM par_parallel WHERE q > 0 AND total >= 1.008 * q) BETWEEN 5 AND 45
          AND (SELECT count(*) FROM par_parallel WHERE q > 0 AND total < 1.005 * q) BETWEEN 5 AND 45,
  'parallel: the data exercise mixed scales and distinct results');

-- Ungrouped: one Partial Aggregate for the whole table
\set ALLQ 'SELECT spm.commission(amount, ''marginal(0: 0.02, 40000000: 0.05)'') AS c, spm.commission(amount, ''marginal(0: 0.02, 0.5: 0.05)'', 80000000) AS cq, sum(amount) AS t FROM spm_tap_big'
SELECT matches(pg_temp.plan_of(:'ALLQ'), 'Partial Aggregate', 'parallel: the ungrouped query has a Partial Aggregate');
CREATE TEMP TABLE par_all AS :ALLQ;
-- t is about 54 million: 40000000*0.02 + (t - 40000000)*0.05
SELECT is((SELECT c FROM par_all), (SELECT 800000 + (t - 40000000) * 0.05 FROM par_all),
  'parallel ungrouped: E(total) by hand formula');
SELECT is((SELECT cq FROM par_all), (SELECT c FROM par_all),
  'parallel ungrouped: quota form with breaks 0.5 of 80000000 is the same rule');

-- A group whose rows disagree, under the parallel plan
UPDATE spm_tap_big SET s = 'marginal(0: 0.03)' WHERE i = 60001;
SELECT throws_ok($$SELECT rep, spm.commission(amount, s) FROM spm_tap_big GROUP BY rep$$,
  '22023', 'spm.commission: the schedule must be the same on every row of a group or partition',
  'parallel: a group with two schedules is an error');

SELECT * FROM finish();
ROLLBACK;
