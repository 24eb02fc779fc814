-- pgTAP: crediting.  Every error of spm.allocate, spm.split_share,
-- spm.split_problems and spm.rollup with its SQLSTATE and message; the
-- largest-remainder properties on 2000 generated deals, checked against an
-- independent plain-SQL computation; roll-ups over a hierarchy that changes
-- mid-quarter against hand-computed results; hostile identifiers.
BEGIN;
SELECT plan(120);
SET LOCAL search_path = spm, public;
SET LOCAL DateStyle = 'ISO, YMD';

-- ===== spm.allocate: errors =================================================
SELECT throws_ok($$SELECT spm.allocate(10, '{1,NULL}')$$, '22023',
    'weights must not contain NULL (element 2 is NULL)', 'allocate: NULL weight');
SELECT throws_ok($$SELECT spm.allocate(10, '{NULL}', 0)$$, '22023',
    'weights must not contain NULL (element 1 is NULL)', 'allocate: NULL weight, scale form');
SELECT throws_ok($$SELECT spm.allocate(10, '{1,-1}')$$, '22023',
    'weights must not be negative (element 2 is -1)', 'allocate: negative weight');
SELECT throws_ok($$SELECT spm.allocate(10, '{1,2,-0.50}')$$, '22023',
    'weights must not be negative (element 3 is -0.50)', 'allocate: negative fractional weight');
SELECT throws_ok($$SELECT spm.allocate(10, '{0,0,0}')$$, '22023',
    'weights must not all be zero', 'allocate: all-zero weights');
SELECT throws_ok($$SELECT spm.allocate(10, '{0.00}', 2)$$, '22023',
    'weights must not all be zero', 'allocate: a single zero weight');
SELECT throws_ok($$SELECT spm.allocate(10, '{}')$$, '2202E',
    'weights must not be empty', 'allocate: empty weights');
SELECT throws_ok($$SELECT spm.allocate(10, '{}', 0)$$, '2202E',
    'weights must not be empty', 'allocate: empty weights, scale form');
SELECT throws_ok($$SELECT spm.allocate(10, '{{1,2},{3,4}}')$$, '2202E',
    'weights must be a one-dimensional array', 'allocate: two-dimensional weights');
SELECT throws_ok($$SELECT spm.allocate(10, '{1,NaN}')$$, '22023',
    'weights must contain finite numbers (element 2 is NaN or infinity)', 'allocate: NaN weight');
SELECT throws_ok($$SELECT spm.allocate(10, '{Infinity,1}')$$, '22023',
    'weights must contain finite numbers (element 1 is NaN or infinity)', 'allocate: infinite weight');
SELECT throws_ok($$SELECT spm.allocate('NaN', '{1}')$$, '22023',
    'amount must be a finite number, not NaN or infinity', 'allocate: NaN amount');
SELECT throws_ok($$SELECT spm.allocate('-Infinity', '{1}', 2)$$, '22023',
    'amount must be a finite number, not NaN or infinity', 'allocate: infinite amount');
SELECT throws_ok($$SELECT spm.allocate(10, '{1}', 31)$$, '22023',
    'scale must be between 0 and 30, not 31', 'allocate: scale above 30');
SELECT throws_ok($$SELECT spm.allocate(10, '{1}', -1)$$, '22023',
    'scale must be between 0 and 30, not -1', 'allocate: negative scale');
SELECT throws_ok($$SELECT spm.allocate(1e30, '{1}', 30)$$, '22003',
    'value out of range for spm''s exact arithmetic', 'allocate: amount too large at that scale');
SELECT throws_ok($$SELECT spm.allocate(1e39, '{1}')$$, '22003',
    'spm.allocate: amount is out of range for spm''s exact arithmetic', 'allocate: amount beyond 38 digits');
-- 100 cents * (10^38 - 1) / 10^38 is carried in 256 bits: 99 cents, remainder
-- 10^38 - 100 against 100 for the second weight, so the left-over cent goes first
SELECT is(spm.allocate(1, '{99999999999999999999999999999999999999,1}'), '{1.00,0.00}'::numeric[],
    'allocate: amount units times weight beyond int128 (256-bit product)');

-- ===== spm.allocate: edge values ===========================================
SELECT is(spm.allocate(10.00, '{1,1,1}'), '{3.34,3.33,3.33}'::numeric[], 'docs/crediting.md example');
SELECT is(spm.allocate(99.99, '{75,25}'), '{74.99,25.00}'::numeric[], '99.99 split 75/25');
SELECT is(spm.allocate(-99.99, '{75,25}'), '{-74.99,-25.00}'::numeric[], 'negative amount: split |amount|, negate');
SELECT is(spm.allocate(10, '{1,1,1}', 0), '{4,3,3}'::numeric[], 'scale 0');
SELECT is(spm.allocate(1, '{1,1,1}', 30)::text,
    '{0.333333333333333333333333333334,0.333333333333333333333333333333,0.333333333333333333333333333333}',
    'scale 30: the largest, with its display scale');
SELECT is(spm.allocate(9999999999999999999999999999999999.99, '{1,1}'),
    '{5000000000000000000000000000000000.00,4999999999999999999999999999999999.99}'::numeric[],
    '36-digit amount: 999...999 cents halves to ...000 and ...999');
SELECT is(spm.allocate(1, '{9999999999999999999,1}'),
    '{1.00,0.00}'::numeric[], 'huge weights with a small amount stay exact');
SELECT is(spm.allocate(0.03, '{1,1,1,1,1}'), '{0.01,0.01,0.01,0.00,0.00}'::numeric[],
    'fewer cents than shares: ties to the earliest positions');
SELECT is(spm.allocate(NULL, '{1}'), NULL, 'NULL amount: NULL');
SELECT is(spm.allocate(1, NULL), NULL, 'NULL weights: NULL');
SELECT is(spm.allocate(1, '{1}', NULL), NULL, 'NULL scale: NULL');

-- ===== generated deals ======================================================
-- 2000 deals, deterministic: amounts up to +-1e6 with 0..3 decimals (every
-- 100th times 1e12), scale 0, 2 or 4, one to eight reps with weights of 0..3
-- decimals, about a fifth of them 0 (never all).
CREATE TEMP TABLE g_deal AS
SELECT i AS deal,
       round((hashint4(i) % 1000000000)::numeric * 0.001 * CASE WHEN i % 100 = 0 THEN 1e12 ELSE 1 END,
             abs(hashint4(i + 1000000)) % 4) AS amount,
       (ARRAY[0, 2, 2, 2, 4])[1 + abs(hashint4(i + 2000000)) % 5] AS sc,
       1 + abs(hashint4(i + 3000000)) % 8 AS n
  FROM generate_series(1, 2000) i;
CREATE TEMP TABLE g_split AS
SELECT d.deal, j,
       CASE WHEN j > 1 AND abs(hashint4(d.deal * 16 + j + 4000000)) % 5 = 0 THEN 0
            ELSE round((abs(hashint4(d.deal * 16 + j)) % 100000 + 1)::numeric * 0.001,
                       abs(hashint4(d.deal * 16 + j + 5000000)) % 4) END AS w
  FROM g_deal d, generate_series(1, d.n) j;
-- the first weight can round to 0: keep every deal splittable
UPDATE g_split s SET w = 1
 WHERE j = 1 AND NOT EXISTS (SELECT FROM g_split t WHERE t.deal = s.deal AND t.w > 0);
CREATE TEMP TABLE g_share AS
SELECT s.deal, s.j, s.w, d.amount, d.sc,
       spm.split_share(d.amount, s.w, d.sc) OVER (PARTITION BY s.deal ORDER BY s.j) AS share,
       sum(s.w) OVER (PARTITION BY s.deal) AS wsum
  FROM g_split s JOIN g_deal d USING (deal);

SELECT is((SELECT count(DISTINCT deal) FROM g_share), 2000::bigint, 'generated: 2000 deals split');
SELECT ok((SELECT count(*) FROM g_split WHERE w = 0) > 300 AND
          (SELECT count(*) FROM g_deal WHERE amount < 0) > 500 AND
          (SELECT count(*) FROM g_deal WHERE scale(amount) > sc) > 300,
    'generated: zero weights, negative amounts and amounts finer than the scale all occur');
SELECT is((SELECT count(*) FROM (SELECT deal, sum(share) AS t, min(amount) AS a, min(sc) AS sc
                                   FROM g_share GROUP BY deal) x
            WHERE t <> round(a, sc)), 0::bigint,
    'property: the shares of every deal add up exactly to round(amount, scale)');
-- |share - amount*w/W| < 10^-sc, multiplied out by W so that it is exact
SELECT is((SELECT count(*) FROM g_share
            WHERE abs(share * wsum - amount * w) >= power(10::numeric, -sc) * wsum), 0::bigint,
    'property: every share is within one unit of the last place of amount*w/sum(w)');
SELECT is((SELECT count(*) FROM g_share WHERE scale(share) <> sc), 0::bigint,
    'property: every share has exactly scale decimals');
SELECT is((SELECT count(*) FROM g_share WHERE w = 0 AND share <> 0), 0::bigint,
    'property: a zero weight gets exactly 0');
SELECT is((SELECT count(*) FROM g_share WHERE sign(share) * sign(amount) < 0), 0::bigint,
    'property: no share has the opposite sign of the amount');
-- independent largest remainder in plain SQL: N = |amount| * 10^sc * w,
-- floor = div(N, W), remainder = mod(N, W); the k = round(|amount|, sc) *
-- 10^sc - sum(floor) largest remainders (earlier j first on ties) get +1
CREATE TEMP TABLE g_want AS
SELECT deal, j, sign(amount) * (fl + CASE WHEN rk <= k THEN 1 ELSE 0 END) / power(10::numeric, sc) AS want
  FROM (SELECT deal, j, amount, sc, fl,
               row_number() OVER (PARTITION BY deal ORDER BY rm DESC, j) AS rk,
               round(abs(amount), sc) * power(10::numeric, sc) - sum(fl) OVER (PARTITION BY deal) AS k
          FROM (SELECT deal, j, amount, sc,
                       div(abs(amount) * power(10::numeric, sc) * w, wsum) AS fl,
                       mod(abs(amount) * power(10::numeric, sc) * w, wsum) AS rm
                  FROM g_share) a) b;
SELECT is((SELECT count(*) FROM g_share s JOIN g_want w USING (deal, j) WHERE s.share <> w.want),
    0::bigint, 'property: split_share equals an independent plain-SQL largest-remainder computation');
SELECT is((SELECT count(*) FROM (
             SELECT deal, min(amount) AS a, min(sc) AS sc, array_agg(w ORDER BY j) AS ws,
                    array_agg(share ORDER BY j) AS shares
               FROM g_share GROUP BY deal) x
            WHERE spm.allocate(a, ws, sc) <> shares), 0::bigint,
    'property: the window function agrees with spm.allocate on every deal');
SELECT is((SELECT count(*) FROM (
             SELECT deal, min(amount) AS a, min(sc) AS sc, array_agg(w ORDER BY j) AS ws
               FROM g_share GROUP BY deal) x
            WHERE spm.allocate(-a, ws, sc) <> ARRAY(SELECT -u FROM unnest(spm.allocate(a, ws, sc)) u)),
    0::bigint, 'property: allocate(-amount) = -allocate(amount)');
SELECT is((SELECT count(*) FROM (
             SELECT deal, min(amount) AS a, array_agg(w ORDER BY j) AS ws FROM g_share GROUP BY deal) x
            WHERE spm.allocate(a, ws) IS DISTINCT FROM spm.allocate(a, ws, 2)
               OR spm.allocate(a, ws)::text IS DISTINCT FROM spm.allocate(a, ws, 2)::text), 0::bigint,
    'property: the 2-argument allocate is the scale-2 form');
SELECT is((SELECT count(*) FROM (
             SELECT spm.split_share(d.amount, s.w) OVER w2 AS a,
                    spm.split_share(d.amount, s.w, 2) OVER w2 AS b
               FROM g_split s JOIN g_deal d USING (deal)
             WINDOW w2 AS (PARTITION BY s.deal ORDER BY s.j)) x
            WHERE a::text IS DISTINCT FROM b::text), 0::bigint,
    'property: the 2-argument split_share is the scale-2 form');
-- a constant amount over many partitions (the const fast path)
SELECT is((SELECT count(*) FROM (
             SELECT deal, sum(s) AS t
               FROM (SELECT deal, spm.split_share(1000.01, w) OVER (PARTITION BY deal ORDER BY j) AS s
                       FROM g_split) y GROUP BY deal) x WHERE t <> 1000.01), 0::bigint,
    'property: a constant amount splits exactly in every partition');
-- one big partition: 5000 reps with weights 1..5000
SELECT is((SELECT sum(s) FROM (SELECT spm.split_share(123456.78, i) OVER (ORDER BY i) AS s
                                 FROM generate_series(1, 5000) i) x),
    123456.78, 'a 5000-row partition adds up exactly');
SELECT is((SELECT array_agg(s ORDER BY i) FROM (SELECT i, spm.split_share(123456.78, i) OVER (ORDER BY i) AS s
                                                   FROM generate_series(1, 5000) i) x),
    spm.allocate(123456.78, ARRAY(SELECT i::numeric FROM generate_series(1, 5000) i)),
    'a 5000-row partition agrees with spm.allocate');

-- ===== spm.split_share: errors and NULLs ====================================
SELECT throws_ok($$SELECT spm.split_share(10, w) OVER (ORDER BY k) FROM (VALUES (1, 1), (2, NULL)) v(k, w)$$,
    '22023', 'spm.split_share: weight must not be NULL (row 2 of the partition)', 'split_share: NULL weight');
SELECT throws_ok($$SELECT spm.split_share(10, w) OVER (ORDER BY k) FROM (VALUES (1, 1), (2, -1)) v(k, w)$$,
    '22023', 'spm.split_share: weight must not be negative (row 2 of the partition is -1)', 'split_share: negative weight');
SELECT throws_ok($$SELECT spm.split_share(10, w, 0) OVER (ORDER BY k) FROM (VALUES (1, 0), (2, 0.0)) v(k, w)$$,
    '22023', 'spm.split_share: the weights of a partition must not all be zero', 'split_share: all-zero weights');
SELECT throws_ok($$SELECT spm.split_share(10, w) OVER (ORDER BY k) FROM (VALUES (1, 'NaN'::numeric)) v(k, w)$$,
    '22023', 'spm.split_share: weight must be a finite number (row 1 of the partition is NaN or infinity)',
    'split_share: NaN weight');
SELECT throws_ok($$SELECT spm.split_share(a, 1) OVER () FROM (VALUES ('Infinity'::numeric)) v(a)$$,
    '22023', 'spm.split_share: amount must be a finite number, not NaN or infinity', 'split_share: infinite amount');
SELECT throws_ok($$SELECT spm.split_share(a, 1) OVER (ORDER BY a) FROM (VALUES (1.00), (2.00)) v(a)$$,
    '22023', 'spm.split_share: the amount must be the same on every row of a partition',
    'split_share: different amounts in one partition');
SELECT throws_ok($$SELECT spm.split_share(a, 1) OVER (ORDER BY k) FROM (VALUES (1, 5), (2, NULL)) v(k, a)$$,
    '22023', 'spm.split_share: the amount must be the same on every row of a partition',
    'split_share: an amount NULL on some rows only');
SELECT throws_ok($$SELECT spm.split_share(5, 1, s) OVER (ORDER BY s) FROM (VALUES (0), (2)) v(s)$$,
    '22023', 'spm.split_share: the scale must be the same on every row of a partition',
    'split_share: different scales in one partition');
SELECT throws_ok($$SELECT spm.split_share(5, 1, 31) OVER ()$$,
    '22023', 'spm.split_share: scale must be between 0 and 30, not 31', 'split_share: scale above 30');
SELECT throws_ok($$SELECT spm.split_share(5, 1, -2) OVER ()$$,
    '22023', 'spm.split_share: scale must be between 0 and 30, not -2', 'split_share: negative scale');
SELECT throws_ok($$SELECT spm.split_share(1e30, 1, 30) OVER ()$$,
    '22003', 'value out of range for spm''s exact arithmetic', 'split_share: amount too large at that scale');
SELECT is((SELECT spm.split_share(10.00, 1.0) OVER ()), 10.00, 'split_share: one row gets it all');
SELECT is((SELECT 1.00 = 1.0 AND bool_and(s = 5) FROM (SELECT spm.split_share(a, 1) OVER () AS s
                                                          FROM (VALUES (10.0), (10.00)) v(a)) x),
    true, 'split_share: equal amounts written with different scales are the same amount');
SELECT is((SELECT array_agg(s IS NULL) FROM (SELECT spm.split_share(NULL::numeric, 1) OVER () AS s
                                               FROM generate_series(1, 2)) x),
    '{t,t}'::boolean[], 'split_share: NULL amount on every row gives NULL shares');
SELECT is((SELECT array_agg(s IS NULL) FROM (SELECT spm.split_share(10, 1, NULL) OVER () AS s
                                               FROM generate_series(1, 2)) x),
    '{t,t}'::boolean[], 'split_share: NULL scale gives NULL shares');

-- ===== spm.split_problems ===================================================
CREATE TEMP TABLE t_splits (deal_id int, rep text, pct numeric);
INSERT INTO t_splits VALUES
  (1, 'ann', 50), (1, 'bob', 50),            -- fine
  (2, 'ann', 60), (2, 'bob', 30),            -- 90
  (3, 'ann', NULL), (3, 'bob', 100),         -- NULL weight
  (4, 'ann', -10), (4, 'bob', 110),          -- negative weight
  (5, 'ann', NULL), (5, 'bob', -20),         -- both, and the total is off
  (NULL, 'cy', 100);                         -- a split of no deal
SELECT results_eq(
    $$SELECT deal, total, rows, problem FROM spm.split_problems('t_splits', 'deal_id', 'pct', 100)$$,
    $$VALUES ('2', 90::numeric, 2, 'weights add up to 90, not 100'),
             ('3', 100, 2, 'weight is NULL on 1 of 2 rows'),
             ('4', 100, 2, 'weight is negative on 1 of 2 rows'),
             ('5', -20, 2, 'weight is NULL on 1 of 2 rows; weight is negative on 1 of 2 rows; weights add up to -20, not 100'),
             (NULL, 100, 1, 'deal is NULL')$$,
    'split_problems: one row per deal with a problem, in deal order');
UPDATE t_splits SET pct = pct / 100;
SELECT results_eq(
    $$SELECT deal FROM spm.split_problems('t_splits', 'deal_id', 'pct')$$,
    $$VALUES ('2'), ('3'), ('4'), ('5'), (NULL)$$,
    'split_problems: expected defaults to 1');
SELECT is_empty($$SELECT * FROM spm.split_problems('t_splits', 'deal_id', 'pct') WHERE deal = '1'$$,
    'split_problems: a deal that adds up is not listed');
SELECT throws_ok($$SELECT * FROM spm.split_problems('no_such_table', 'deal_id', 'pct')$$,
    '42P01', 'relation "no_such_table" does not exist', 'split_problems: unknown table');
SELECT throws_ok($$SELECT * FROM spm.split_problems('t_splits', 'deal', 'pct')$$,
    '42703', 'column "deal" of relation "t_splits" does not exist', 'split_problems: unknown deal column');
SELECT throws_ok($$SELECT * FROM spm.split_problems('t_splits', 'deal_id', 'weight')$$,
    '42703', 'column "weight" of relation "t_splits" does not exist', 'split_problems: unknown weight column');
SELECT throws_ok($$SELECT * FROM spm.split_problems('t_splits', 'Deal_id', 'pct')$$,
    '42703', 'column "Deal_id" of relation "t_splits" does not exist', 'split_problems: column names are exact, not folded');
SELECT throws_ok($$SELECT * FROM spm.split_problems(NULL, 'deal_id', 'pct')$$,
    '22023', 'spm.split_problems: splits must not be NULL', 'split_problems: NULL table');
SELECT throws_ok($$SELECT * FROM spm.split_problems('t_splits', NULL, 'pct')$$,
    '22023', 'spm.split_problems: deal_column must not be NULL', 'split_problems: NULL deal column');
SELECT throws_ok($$SELECT * FROM spm.split_problems('t_splits', 'deal_id', NULL)$$,
    '22023', 'spm.split_problems: weight_column must not be NULL', 'split_problems: NULL weight column');
SELECT throws_ok($$SELECT * FROM spm.split_problems('t_splits', 'deal_id', 'pct', NULL)$$,
    '22023', 'spm.split_problems: expected must not be NULL', 'split_problems: NULL expected');
SELECT throws_ok($$SELECT * FROM spm.split_problems('t_splits', 'deal_id', 'pct', 0)$$,
    '22023', 'spm.split_problems: expected must be a positive finite number, not 0', 'split_problems: expected 0');
SELECT throws_ok($$SELECT * FROM spm.split_problems('t_splits', 'deal_id', 'pct', -100)$$,
    '22023', 'spm.split_problems: expected must be a positive finite number, not -100', 'split_problems: negative expected');
SELECT throws_ok($$SELECT * FROM spm.split_problems('t_splits', 'deal_id', 'pct', 'NaN')$$,
    '22023', 'spm.split_problems: expected must be a positive finite number, not NaN', 'split_problems: NaN expected');

-- ===== spm.rollup: a hierarchy that changes mid-quarter =====================
-- Q1 2026.  ann moves from mia to zed on 15 Feb; zed reports to vp until
-- 1 Feb, then to mia; cy's last day under zed is 28 Feb (no row after: the
-- chain ends); vp is the top.
CREATE TEMP TABLE q_reps (rep text, manager text, valid daterange);
INSERT INTO q_reps VALUES
  ('ann', 'mia', '[2026-01-01,2026-02-15)'), ('ann', 'zed', '[2026-02-15,)'),
  ('bob', 'mia', '(,)'),
  ('cy',  'zed', '[2026-01-01,2026-03-01)'),
  ('mia', 'vp',  '(,)'),
  ('zed', 'vp',  '(,2026-02-01)'), ('zed', 'mia', '[2026-02-01,)'),
  ('vp',  NULL,  '(,)');
CREATE TEMP TABLE q_deals (id int, rep text, closed date, amount numeric);
INSERT INTO q_deals VALUES
  (1, 'ann', '2026-01-15', 1000),  -- ann -> mia -> vp
  (2, 'ann', '2026-02-15', 2000),  -- first day under zed: ann -> zed -> mia -> vp
  (3, 'ann', '2026-02-14', 400),   -- last day under mia: ann -> mia -> vp
  (4, 'cy',  '2026-01-31', 300),   -- cy -> zed -> vp
  (5, 'cy',  '2026-02-01', 500),   -- cy -> zed -> mia -> vp
  (6, 'cy',  '2026-03-01', 800),   -- no manager any more: nothing
  (7, 'bob', '2026-03-31', 100),   -- bob -> mia -> vp
  (8, 'zed', '2026-03-15', 50),    -- zed -> mia -> vp
  (9, 'vp',  '2026-01-01', 999),   -- the top: nothing
  (10, 'ann', NULL, 70),           -- no date: nothing
  (11, NULL, '2026-01-02', 80);    -- no rep: nothing
-- overrides 10%, 5%, 1% by level, amounts * rate by hand
SELECT results_eq(
    $$SELECT credit_key::int, rep, manager, depth, credit_date, amount, override
        FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount',
                        '{0.10,0.05,0.01}', 'id')
       ORDER BY 1, 4$$,
    $$VALUES (1, 'ann', 'mia', 1, '2026-01-15'::date, 1000::numeric, 100.00::numeric),
             (1, 'ann', 'vp',  2, '2026-01-15', 1000, 50.00),
             (2, 'ann', 'zed', 1, '2026-02-15', 2000, 200.00),
             (2, 'ann', 'mia', 2, '2026-02-15', 2000, 100.00),
             (2, 'ann', 'vp',  3, '2026-02-15', 2000, 20.00),
             (3, 'ann', 'mia', 1, '2026-02-14', 400, 40.00),
             (3, 'ann', 'vp',  2, '2026-02-14', 400, 20.00),
             (4, 'cy',  'zed', 1, '2026-01-31', 300, 30.00),
             (4, 'cy',  'vp',  2, '2026-01-31', 300, 15.00),
             (5, 'cy',  'zed', 1, '2026-02-01', 500, 50.00),
             (5, 'cy',  'mia', 2, '2026-02-01', 500, 25.00),
             (5, 'cy',  'vp',  3, '2026-02-01', 500, 5.00),
             (7, 'bob', 'mia', 1, '2026-03-31', 100, 10.00),
             (7, 'bob', 'vp',  2, '2026-03-31', 100, 5.00),
             (8, 'zed', 'mia', 1, '2026-03-15', 50, 5.00),
             (8, 'zed', 'vp',  2, '2026-03-15', 50, 2.50)$$,
    'rollup: every manager above the rep as of each deal date, with depth and override');
SELECT results_eq(
    $$SELECT manager, sum(amount), sum(override)
        FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount',
                        '{0.10,0.05,0.01}')
       GROUP BY manager ORDER BY manager$$,
    $$VALUES ('mia', 4050::numeric, 280.00::numeric),   -- 1000+2000+400+500+100+50; 100+100+40+25+10+5
             ('vp', 4350, 117.50),                      -- 1000+2000+400+300+500+100+50; 50+20+20+15+5+5+2.5
             ('zed', 2800, 280.00)$$,                   -- 2000+300+500; 200+30+50
    'rollup: quarter credit and overrides per manager');
SELECT results_eq(
    $$SELECT depth, count(*)::int, sum(override)
        FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount', '{0.10}')
       GROUP BY depth ORDER BY depth$$,
    $$VALUES (1, 7, 435.00::numeric), (2, 7, 0::numeric), (3, 2, 0::numeric)$$,  -- 4350 * 0.10
    'rollup: levels beyond override_rates get override 0');
SELECT is((SELECT count(*) FILTER (WHERE override IS NOT NULL) + count(*) FILTER (WHERE credit_key IS NOT NULL)
             FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount')),
    0::bigint, 'rollup: without rates and key column, override and credit_key are NULL');
SELECT is((SELECT count(*) FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount', '{}')
            WHERE override <> 0), 0::bigint, 'rollup: empty override_rates: override 0 everywhere');
-- a rep's period total through a view: ann's Q1 on the last day of the quarter
CREATE TEMP VIEW q_totals AS
  SELECT rep, date '2026-03-31' AS closed, sum(amount) AS amount FROM q_deals
   WHERE closed >= '2026-01-01' AND closed < '2026-04-01' GROUP BY rep;
SELECT results_eq(
    $$SELECT rep, manager, depth, amount FROM spm.rollup('q_reps', 'rep', 'manager', 'valid',
             'q_totals', 'rep', 'closed', 'amount') WHERE rep = 'ann' ORDER BY depth$$,
    $$VALUES ('ann', 'zed', 1, 3400::numeric), ('ann', 'mia', 2, 3400), ('ann', 'vp', 3, 3400)$$,
    'rollup: period totals from a view, credited as of the period end');
-- other column types: integer ids, a timestamp credit date (cast to date)
CREATE TEMP TABLE i_reps (id int, boss int, valid daterange);
INSERT INTO i_reps VALUES (1, 2, '[2026-01-01,2026-02-01)'), (1, 3, '[2026-02-01,)'), (2, 3, '(,)'), (3, NULL, '(,)');
CREATE TEMP TABLE i_deals (rep_id int, at timestamp, amt numeric(10,2));
INSERT INTO i_deals VALUES (1, '2026-01-31 23:59', 10), (1, '2026-02-01 00:00', 20);
SELECT results_eq(
    $$SELECT rep, manager, depth, credit_date, amount FROM spm.rollup('i_reps', 'id', 'boss', 'valid',
             'i_deals', 'rep_id', 'at', 'amt') ORDER BY credit_date, depth$$,
    $$VALUES ('1', '2', 1, '2026-01-31'::date, 10.00::numeric), ('1', '3', 2, '2026-01-31', 10.00),
             ('1', '3', 1, '2026-02-01', 20.00)$$,
    'rollup: integer ids and a timestamp date column');

-- ===== spm.rollup: errors ===================================================
SELECT throws_ok($$SELECT * FROM spm.rollup(NULL, 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    '22023', 'spm.rollup: hierarchy must not be NULL', 'rollup: NULL hierarchy');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', NULL, 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    '22023', 'spm.rollup: rep_column must not be NULL', 'rollup: NULL rep_column');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', NULL, 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    '22023', 'spm.rollup: manager_column must not be NULL', 'rollup: NULL manager_column');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', NULL, 'q_deals', 'rep', 'closed', 'amount')$$,
    '22023', 'spm.rollup: valid_column must not be NULL', 'rollup: NULL valid_column');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', NULL, 'rep', 'closed', 'amount')$$,
    '22023', 'spm.rollup: credits must not be NULL', 'rollup: NULL credits');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', NULL, 'closed', 'amount')$$,
    '22023', 'spm.rollup: credit_rep_column must not be NULL', 'rollup: NULL credit_rep_column');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', NULL, 'amount')$$,
    '22023', 'spm.rollup: credit_date_column must not be NULL', 'rollup: NULL credit_date_column');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', NULL)$$,
    '22023', 'spm.rollup: credit_amount_column must not be NULL', 'rollup: NULL credit_amount_column');
SELECT throws_ok($$SELECT * FROM spm.rollup('no_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    '42P01', 'relation "no_reps" does not exist', 'rollup: unknown hierarchy table');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'no_deals', 'rep', 'closed', 'amount')$$,
    '42P01', 'relation "no_deals" does not exist', 'rollup: unknown credits table');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep_id', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    '42703', 'column "rep_id" of relation "q_reps" does not exist', 'rollup: unknown rep column');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'boss', 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    '42703', 'column "boss" of relation "q_reps" does not exist', 'rollup: unknown manager column');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'during', 'q_deals', 'rep', 'closed', 'amount')$$,
    '42703', 'column "during" of relation "q_reps" does not exist', 'rollup: unknown valid column');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'seller', 'closed', 'amount')$$,
    '42703', 'column "seller" of relation "q_deals" does not exist', 'rollup: unknown credit rep column');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'booked', 'amount')$$,
    '42703', 'column "booked" of relation "q_deals" does not exist', 'rollup: unknown credit date column');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'value')$$,
    '42703', 'column "value" of relation "q_deals" does not exist', 'rollup: unknown credit amount column');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount', NULL, 'deal_no')$$,
    '42703', 'column "deal_no" of relation "q_deals" does not exist', 'rollup: unknown credit key column');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'manager', 'q_deals', 'rep', 'closed', 'amount')$$,
    '42804', 'spm.rollup: column "manager" of relation "q_reps" must be of type daterange, not text',
    'rollup: the effective range must be a daterange');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount', '{{0.1},{0.2}}')$$,
    '2202E', 'spm.rollup: override_rates must be a one-dimensional array', 'rollup: two-dimensional rates');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount', '{0.1,NULL}')$$,
    '22023', 'spm.rollup: override_rates must not contain NULL (element 2 is NULL)', 'rollup: NULL rate');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount', '{0.1,0.05,-0.01}')$$,
    '22023', 'spm.rollup: override_rates must be finite and not negative (element 3 is -0.01)', 'rollup: negative rate');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount', '{NaN}')$$,
    '22023', 'spm.rollup: override_rates must be finite and not negative (element 1 is NaN)', 'rollup: NaN rate');
SELECT throws_ok($$SELECT * FROM spm.rollup('i_reps', 'id', 'boss', 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    '42883', 'operator does not exist: integer = text', 'rollup: rep columns of incomparable types');

-- data errors in the hierarchy, each checked before any row is produced
CREATE TEMP TABLE e_reps (LIKE q_reps);
INSERT INTO e_reps SELECT * FROM q_reps;
INSERT INTO e_reps VALUES (NULL, 'vp', '(,)');
SELECT throws_ok($$SELECT * FROM spm.rollup('e_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    '22023', 'spm.rollup: the hierarchy has 1 row(s) with a NULL rep', 'rollup: a hierarchy row without rep');
DELETE FROM e_reps WHERE rep IS NULL;
INSERT INTO e_reps VALUES ('dee', 'vp', NULL);
SELECT throws_ok($$SELECT * FROM spm.rollup('e_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    '22023', 'spm.rollup: the effective range of rep "dee" is NULL', 'rollup: a NULL effective range');
DELETE FROM e_reps WHERE rep = 'dee';
INSERT INTO e_reps VALUES ('zed', 'bob', '[2026-03-31,2026-04-02)');
SELECT throws_ok($$SELECT * FROM spm.rollup('e_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    '22023', 'spm.rollup: the effective ranges of rep "zed" overlap: [2026-02-01,) and [2026-03-31,2026-04-02)',
    'rollup: overlapping ranges of one rep');
DELETE FROM e_reps WHERE rep = 'zed' AND manager = 'bob';
INSERT INTO e_reps VALUES ('bob', 'mia', '(,)');
SELECT throws_ok($$SELECT * FROM spm.rollup('e_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    '22023', 'spm.rollup: the effective ranges of rep "bob" overlap: (,) and (,)',
    'rollup: a duplicated row overlaps itself');
DELETE FROM e_reps; INSERT INTO e_reps SELECT * FROM q_reps;
-- an empty range is never in force and overlaps nothing
INSERT INTO e_reps VALUES ('bob', 'zed', 'empty');
SELECT results_eq(
    $$SELECT count(*)::int FROM spm.rollup('e_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    $$VALUES (16)$$, 'rollup: an empty range is ignored');
-- cycles: vp reports to bob for one day, 31 March (bob -> mia -> vp -> bob)
UPDATE e_reps SET valid = '(,2026-03-31)' WHERE rep = 'vp';
INSERT INTO e_reps VALUES ('vp', 'bob', '[2026-03-31,2026-04-01)'), ('vp', NULL, '[2026-04-01,)');
SELECT throws_ok($$SELECT * FROM spm.rollup('e_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    '22023', 'spm.rollup: the hierarchy has a cycle as of 2026-03-31: bob -> mia -> vp -> bob',
    'rollup: a cycle as of a deal date names its reps');
-- without the deal of 31 March the cycle is never walked: the rest rolls up
CREATE TEMP VIEW q_deals_but_31 AS SELECT * FROM q_deals WHERE closed IS DISTINCT FROM '2026-03-31';
SELECT results_eq(
    $$SELECT count(*)::int FROM spm.rollup('e_reps', 'rep', 'manager', 'valid', 'q_deals_but_31', 'rep', 'closed', 'amount')$$,
    $$VALUES (14)$$, 'rollup: a cycle on a date without credits is not walked');
CREATE TEMP TABLE self_reps (rep text, manager text, valid daterange);
INSERT INTO self_reps VALUES ('ann', 'ann', '[2026-01-01,2026-02-01)');
SELECT throws_ok($$SELECT * FROM spm.rollup('self_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount')$$,
    '22023', 'spm.rollup: the hierarchy has a cycle as of 2026-01-15: ann -> ann',
    'rollup: a rep managing themself is a cycle');
-- a cycle above the rep: dan -> eli -> fay -> eli
CREATE TEMP TABLE loop_reps (rep text, manager text, valid daterange);
INSERT INTO loop_reps VALUES ('dan', 'eli', '(,)'), ('eli', 'fay', '(,)'), ('fay', 'eli', '(,)');
CREATE TEMP TABLE loop_deals (rep text, d date, amount numeric);
INSERT INTO loop_deals VALUES ('dan', '2026-02-02', 1);
SELECT throws_ok($$SELECT * FROM spm.rollup('loop_reps', 'rep', 'manager', 'valid', 'loop_deals', 'rep', 'd', 'amount')$$,
    '22023', 'spm.rollup: the hierarchy has a cycle as of 2026-02-02: eli -> fay -> eli',
    'rollup: a cycle above the rep names only the reps in it');

-- ===== hostile identifiers ==================================================
CREATE TEMP TABLE victim (x int);
CREATE TEMP TABLE "evil""; DROP TABLE victim; --" (
    "x""); DROP TABLE victim; --" text,
    "y'); DROP TABLE victim; --" text,
    "v"" text); DROP TABLE victim; --" daterange);
INSERT INTO "evil""; DROP TABLE victim; --" VALUES ('ann', 'mia', '(,)'), ('mia', NULL, '(,)');
CREATE TEMP TABLE "evil2'); DROP TABLE victim; --" (
    "x""); DROP TABLE victim; --" text, "d%I%s" date, "a)$q$; DROP TABLE victim; --" numeric);
INSERT INTO "evil2'); DROP TABLE victim; --" VALUES
  ('ann', '2026-01-10', 100), ('ann', '2026-01-11', 100), ('mia', '2026-01-10', 100);
SELECT results_eq(
    $$SELECT rep, manager, depth, credit_date, amount FROM spm.rollup(
        '"evil""; DROP TABLE victim; --"', 'x"); DROP TABLE victim; --', 'y''); DROP TABLE victim; --',
        'v" text); DROP TABLE victim; --', '"evil2''); DROP TABLE victim; --"', 'x"); DROP TABLE victim; --',
        'd%I%s', 'a)$q$; DROP TABLE victim; --') ORDER BY credit_date$$,
    $$VALUES ('ann', 'mia', 1, '2026-01-10'::date, 100::numeric), ('ann', 'mia', 1, '2026-01-11', 100)$$,
    'hostile identifiers: rollup works with the real column and table names');
SELECT has_table('victim', 'hostile identifiers: the victim table still exists after rollup');
SELECT results_eq(
    $$SELECT deal, total, rows, problem FROM spm.split_problems('"evil2''); DROP TABLE victim; --"',
        'x"); DROP TABLE victim; --', 'a)$q$; DROP TABLE victim; --', 100)$$,
    $$VALUES ('ann', 200::numeric, 2, 'weights add up to 200, not 100')$$,
    'hostile identifiers: split_problems works with the real column and table names');
SELECT has_table('victim', 'hostile identifiers: the victim table still exists after split_problems');
SELECT throws_ok($$SELECT * FROM spm.split_problems('q_deals', 'x"); DROP TABLE victim; --', 'amount')$$,
    '42703', 'column "x"); DROP TABLE victim; --" of relation "q_deals" does not exist',
    'hostile identifiers: a hostile name that is no column is a clean 42703 (split_problems)');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'x"); DROP TABLE victim; --')$$,
    '42703', 'column "x"); DROP TABLE victim; --" of relation "q_deals" does not exist',
    'hostile identifiers: a hostile name that is no column is a clean 42703 (rollup)');
SELECT throws_ok($$SELECT * FROM spm.rollup('q_reps', 'rep', 'manager', 'valid', 'q_deals', 'rep', 'closed', 'amount', NULL, 'id::text FROM q_deals; DROP TABLE victim; --')$$,
    '42703', 'column "id::text FROM q_deals; DROP TABLE victim; --" of relation "q_deals" does not exist',
    'hostile identifiers: an expression is not a column name');
SELECT has_table('victim', 'hostile identifiers: the victim table survives every attempt');

SELECT * FROM finish();
ROLLBACK;
