-- test/commission_types.sql — pgTAP: spm.commission over bigint, integer and
-- double precision amounts (src/commission_types.c).
--
-- Every error of the overloads, their NULL handling, and properties on
-- generated data: each overload equals spm.commission(amount::numeric, ...)
-- (the rule for doubles is PostgreSQL's own float8 -> numeric cast), in
-- serial and in forced parallel plans.  Assumes CREATE EXTENSION pgtap, spm.
BEGIN;
SELECT plan(47);

------------------------------------------------------------------------------
-- 1. Errors
------------------------------------------------------------------------------
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)') FROM (VALUES (1::float8), ('NaN')) v(a)$$,
  '22023', 'spm.commission: amount must be a finite number, not NaN or infinity', 'float: NaN amount');
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)') FROM (VALUES ('Infinity'::float8)) v(a)$$,
  '22023', 'spm.commission: amount must be a finite number, not NaN or infinity', 'float: infinite amount');
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)', 100) FROM (VALUES ('-Infinity'::float8)) v(a)$$,
  '22023', 'spm.commission: amount must be a finite number, not NaN or infinity', 'float, quota form: -infinity');
SELECT throws_ok($$SELECT spm.commission(a, s)
                     FROM (VALUES (1::integer, 'marginal(0: 0.1)'::spm.schedule), (2, 'marginal(0: 0.2)')) v(a, s)$$,
  '22023', 'spm.commission: the schedule must be the same on every row of a group or partition',
  'integer: schedule differs within the group');
SELECT throws_ok($$SELECT spm.commission(a, s)
                     FROM (VALUES (1::bigint, 'marginal(0: 0.1)'::spm.schedule), (2, 'marginal(0: 0.2)')) v(a, s)$$,
  '22023', 'spm.commission: the schedule must be the same on every row of a group or partition',
  'bigint: schedule differs within the group');
SELECT throws_ok($$SELECT spm.commission(a, s)
                     FROM (VALUES (1::float8, 'marginal(0: 0.1)'::spm.schedule), (2, 'marginal(0: 0.2)')) v(a, s)$$,
  '22023', 'spm.commission: the schedule must be the same on every row of a group or partition',
  'float: schedule differs within the group');
SELECT throws_ok($$SELECT spm.commission(a, s)
                     FROM (VALUES (1::integer, 'marginal(0: 0.1)'::spm.schedule), (NULL, NULL)) v(a, s)$$,
  '22023', 'spm.commission: the schedule must be the same on every row of a group or partition',
  'integer: a schedule then NULL (on a row with a NULL amount)');
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)', q)
                     FROM (VALUES (1::integer, 100::numeric), (2, 200)) v(a, q)$$,
  '22023', 'spm.commission: the quota must be the same on every row of a group or partition',
  'integer: quota differs within the group');
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)', q)
                     FROM (VALUES (1::bigint, 100::numeric), (2, NULL)) v(a, q)$$,
  '22023', 'spm.commission: the quota must be the same on every row of a group or partition',
  'bigint: a quota then NULL');
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)', q)
                     FROM (VALUES (1::float8, 0::numeric), (2, 100)) v(a, q)$$,
  '22023', 'spm.commission: the quota must be the same on every row of a group or partition',
  'float: quota 0 then a quota');
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)', -1) FROM (VALUES (1::integer)) v(a)$$,
  '22023', 'quota must not be negative: -1', 'integer: negative quota');
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)', -0.5) FROM (VALUES (1::bigint)) v(a)$$,
  '22023', 'quota must not be negative: -0.5', 'bigint: negative quota');
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)', 'NaN') FROM (VALUES (1::float8)) v(a)$$,
  '22023', 'quota must be a finite number, not NaN or infinity', 'float: NaN quota');
-- 20 * 1e37 is beyond int128
SELECT throws_ok($$SELECT spm.commission(1e37::float8, 'marginal(0: 0.1)') FROM generate_series(1, 20)$$,
  '22003', 'value out of range for spm''s exact arithmetic', 'float: a sum beyond 128 bits');
-- 1.5e-30 is 0.0000000000000000000000000000015: 31 decimal places, spm keeps 30
SELECT throws_ok($$SELECT spm.commission(1.5e-30::float8, 'marginal(0: 1)')$$,
  '22003', 'spm.commission: amount is out of range for spm''s exact arithmetic', 'float: more than 30 decimal places');

------------------------------------------------------------------------------
-- 2. NULLs
------------------------------------------------------------------------------
SELECT is((SELECT spm.commission(a, 'marginal(0: 0.1)') FROM (VALUES (NULL::integer), (NULL)) v(a)),
  NULL::numeric, 'integer: only NULL amounts give NULL');
SELECT is((SELECT spm.commission(a, 'marginal(0: 0.1)') FROM (VALUES (NULL::bigint)) v(a)),
  NULL::numeric, 'bigint: only NULL amounts give NULL');
SELECT is((SELECT spm.commission(a, 'marginal(0: 0.1)') FROM (VALUES (NULL::float8)) v(a)),
  NULL::numeric, 'float: only NULL amounts give NULL');
SELECT is((SELECT spm.commission(a, 'marginal(0: 0.1)') FROM (VALUES (100::integer), (NULL), (50)) v(a)),
  15.0::numeric, 'integer: NULL amounts skipped, 150 * 0.1');
SELECT is((SELECT spm.commission(a, 'marginal(0: 0.1)') FROM (VALUES (NULL::bigint), (7)) v(a)),
  0.7::numeric, 'bigint: NULL amounts skipped, 7 * 0.1');
SELECT is((SELECT spm.commission(a, 'marginal(0: 0.1)') FROM (VALUES (2.5::float8), (NULL)) v(a)),
  0.25::numeric, 'float: NULL amounts skipped, 2.5 * 0.1');
SELECT is((SELECT spm.commission(a, NULL::spm.schedule) FROM (VALUES (1::integer)) v(a)),
  NULL::numeric, 'integer: NULL schedule gives NULL');
SELECT is((SELECT spm.commission(a, NULL::spm.schedule) FROM (VALUES (1::float8)) v(a)),
  NULL::numeric, 'float: NULL schedule gives NULL');
SELECT is((SELECT spm.commission(a, 'marginal(0: 0.1)', NULL) FROM (VALUES (1::bigint)) v(a)),
  NULL::numeric, 'bigint: NULL quota gives NULL');
SELECT is((SELECT spm.commission(a, 'marginal(0: 0.1)', 0) FROM (VALUES (1::float8)) v(a)),
  NULL::numeric, 'float: quota 0 gives NULL');
SELECT is((SELECT spm.commission(a, 'marginal(0: 0.1)') FROM (VALUES (1::integer)) v(a) WHERE false),
  NULL::numeric, 'integer: no rows give NULL');

------------------------------------------------------------------------------
-- 3. Hand-computed values
------------------------------------------------------------------------------
-- docs/commission.md's tiers, deals 8000, 8000, 40000, -6000: E(50000) = 200 + 1600 = 1800
SELECT is((SELECT spm.commission(a, 'marginal(0: 0.02, 10000: 0.04, 50000: 0.07)')
             FROM (VALUES (8000::integer), (8000), (40000), (-6000)) v(a)), 1800::numeric, 'integer: docs/commission.md example');
SELECT is((SELECT spm.commission(a, 'marginal(0: 0.02, 10000: 0.04, 50000: 0.07)')
             FROM (VALUES (8000::bigint), (8000), (40000), (-6000)) v(a)), 1800::numeric, 'bigint: docs/commission.md example');
SELECT is((SELECT spm.commission(a, 'marginal(0: 0.02, 10000: 0.04, 50000: 0.07)')
             FROM (VALUES (8000::float8), (8000), (40000), (-6000)) v(a)), 1800::numeric, 'float: docs/commission.md example');
-- quota 50000, breaks as fractions: the same 1800
SELECT is((SELECT spm.commission(a, 'marginal(0: 0.02, 0.2: 0.04, 1: 0.07)', 50000)
             FROM (VALUES (8000::integer), (8000), (40000), (-6000)) v(a)), 1800::numeric, 'integer: quota form');
-- the extremes of integer and bigint add up exactly: 2147483647 - 2147483648 = -1, rate 1: E(-1) = 0;
-- 3 * 9223372036854775807 = 27670116110564327421
SELECT is((SELECT spm.commission(a, 'marginal(0: 1)') FROM (VALUES (2147483647::integer), (-2147483648)) v(a)),
  0::numeric, 'integer: extremes, total -1 is below the first break');
SELECT is((SELECT spm.commission(a, 'marginal(0: 1)') FROM (VALUES (9223372036854775807::bigint), (9223372036854775807), (9223372036854775807)) v(a)),
  27670116110564327421::numeric, 'bigint: three times the largest bigint');
-- 0.1 + 0.2 counts as 0.3; 1/3 as 0.333333333333333 (15 digits)
SELECT is((SELECT spm.commission(a, 'marginal(0: 1)') FROM (VALUES (0.1::float8), (0.2::float8)) v(a)),
  0.3::numeric, 'float: 0.1 + 0.2 = 0.3');
SELECT is((SELECT spm.commission(1::float8 / 3, 'marginal(0: 1)')),
  0.333333333333333::numeric, 'float: 1/3 counts as 15 threes');
SELECT is((SELECT spm.commission(2::float8 / 3, 'marginal(0: 1)')),
  0.666666666666667::numeric, 'float: 2/3 rounds the 15th digit up');
SELECT is((SELECT spm.commission(-1234.5678::float8, 'curve(-10000: 0, 0: 10000)')),
  8765.4322::numeric, 'float: negative amount, the curve E(x) = x + 10000 from -10000 on');

------------------------------------------------------------------------------
-- 4. Properties on generated data: overload = numeric over amount::numeric
------------------------------------------------------------------------------
-- 400 groups of 25 rows: integers of every size, cents as bigint, doubles of
-- many magnitudes (tiny, money-like, large, and 17-digit noise like 0.1+0.2)
CREATE TEMP TABLE gen AS
SELECT i % 400 AS g, i,
       (hashint4(i) % 1000000)::integer AS i4,
       (hashint8(i) % 10000000000000)::bigint AS i8,
       CASE i % 5
         WHEN 0 THEN round((hashint4(i) % 10000000)::numeric / 100, 2)::float8
         WHEN 1 THEN (hashint4(i)::float8 / 2147483648) * power(10, i % 13 - 4)
         WHEN 2 THEN (hashint4(i) % 1000)::float8 / 7
         WHEN 3 THEN 0.1::float8 * (i % 97) + 0.2
         ELSE (hashint4(i)::float8 / 2147483648) * 1e-9
       END AS f8
  FROM generate_series(1, 10000) i;
\set S '''marginal(0: 0.02, 100000: 0.05, 10000000: 0.08)'''
SELECT ok((SELECT count(*) FILTER (WHERE f8 <> 0 AND abs(f8) < 1e-7) > 100
              AND count(*) FILTER (WHERE abs(f8) >= 1e-7 AND f8::text <> f8::numeric::text) > 100
              AND count(*) FILTER (WHERE f8 < 0) > 100 FROM gen),
  'generated: the doubles include tiny ones (slow path), negative ones and ones needing 16-17 digits');
SELECT is((SELECT count(*) FROM (
            SELECT g FROM gen GROUP BY g
            HAVING spm.commission(i4, :S) IS DISTINCT FROM spm.commission(i4::numeric, :S)) x),
  0::bigint, 'generated: integer overload = numeric over amount::numeric, 400 groups');
SELECT is((SELECT count(*) FROM (
            SELECT g FROM gen GROUP BY g
            HAVING spm.commission(i8, :S) IS DISTINCT FROM spm.commission(i8::numeric, :S)) x),
  0::bigint, 'generated: bigint overload = numeric over amount::numeric, 400 groups');
SELECT is((SELECT count(*) FROM (
            SELECT g FROM gen GROUP BY g
            HAVING spm.commission(f8, :S)::text IS DISTINCT FROM spm.commission(f8::numeric, :S)::text) x),
  0::bigint, 'generated: float overload = numeric over amount::numeric (same digits and scale), 400 groups');
SELECT is((SELECT count(*) FROM (
            SELECT g FROM gen GROUP BY g
            HAVING spm.commission(f8, 'marginal(0: 0.05, 1: 0.1)', 1000000)
                   IS DISTINCT FROM spm.commission(f8::numeric, 'marginal(0: 0.05, 1: 0.1)', 1000000)) x),
  0::bigint, 'generated: float overload, quota form = numeric over amount::numeric');
-- every single double of gen converts like the cast (one-row groups, E(x) = x
-- for x >= 0: the same digits and the same scale)
SELECT is((SELECT count(*) FROM (
            SELECT i FROM gen GROUP BY i
            HAVING spm.commission(abs(f8), 'marginal(0: 1)')::text
                   IS DISTINCT FROM abs(min(f8))::numeric::text) x), 0::bigint,
  'generated: each double counts as exactly f8::numeric (10000 values)');
-- quota forms of the integer types
SELECT is((SELECT count(*) FROM (
            SELECT g FROM gen GROUP BY g
            HAVING spm.commission(i4, 'retroactive(0: 0.05, 1: 0.1)', 5000000)
                   IS DISTINCT FROM spm.commission(i4::numeric, 'retroactive(0: 0.05, 1: 0.1)', 5000000)
                OR spm.commission(i8, 'retroactive(0: 0.05, 1: 0.1)', 5000000)
                   IS DISTINCT FROM spm.commission(i8::numeric, 'retroactive(0: 0.05, 1: 0.1)', 5000000)) x),
  0::bigint, 'generated: integer and bigint quota forms = numeric over amount::numeric');

-- forced parallel plans combine and (de)serialize the shared state; a
-- regular table, because parallel workers cannot read temp tables
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE line text; acc text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    acc := acc || line || E'\n';
  END LOOP;
  RETURN acc;
END $f$;
CREATE TABLE spm_tap_types AS SELECT * FROM gen;
ANALYZE spm_tap_types;
\set TQ 'SELECT g, spm.commission(i4, ''marginal(0: 0.02, 100000: 0.05, 10000000: 0.08)'') AS c4, spm.commission(i8, ''marginal(0: 0.02, 100000: 0.05, 10000000: 0.08)'') AS c8, spm.commission(f8, ''marginal(0: 0.02, 100000: 0.05, 10000000: 0.08)'') AS cf, spm.commission(i8, ''marginal(0: 0.05, 1: 0.1)'', 1000000) AS c8q FROM spm_tap_types GROUP BY g'
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE types_serial AS :TQ;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT matches(pg_temp.plan_of(:'TQ'), 'Partial (Hash|Group)?Aggregate',
  'parallel: the typed query has a partial aggregate');
CREATE TEMP TABLE types_parallel AS :TQ;
SELECT is((SELECT count(*) FROM types_parallel), 400::bigint, 'parallel: 400 groups');
SELECT is_empty($$SELECT * FROM types_serial s FULL JOIN types_parallel p USING (g)
                   WHERE s.c4 IS DISTINCT FROM p.c4 OR s.c8 IS DISTINCT FROM p.c8
                      OR s.cf IS DISTINCT FROM p.cf OR s.c8q IS DISTINCT FROM p.c8q$$,
  'parallel results of every overload equal serial results');
-- and the parallel float results equal the numeric aggregate over the cast
SELECT is((SELECT count(*) FROM types_parallel p
            WHERE p.cf IS DISTINCT FROM (SELECT spm.commission(f8::numeric, :S) FROM gen WHERE gen.g = p.g)),
  0::bigint, 'parallel: float overload = numeric over amount::numeric');

SELECT * FROM finish();
ROLLBACK;
