-- spm.commission over bigint, integer and double precision amounts.
-- Every expected value (want) is computed by hand in the comments.
SET search_path = spm, public;
CREATE TABLE typed (rep text, seq int, i4 integer, i8 bigint, f8 double precision);
INSERT INTO typed VALUES
  ('ann', 1, 8000, 800000, 8000), ('ann', 2, 8000, 800000, 8000),
  ('ann', 3, 40000, 4000000, 40000), ('ann', 4, -6000, -600000, -6000),
  ('bob', 1, 12000, 1200000, 12000.5), ('bob', 2, NULL, NULL, NULL), ('bob', 3, 3000, 300050, 3000),
  ('cy',  1, NULL, NULL, NULL);

-- docs/commission.md's example tiers on whole units: ann's total is 50000, E = 10000*0.02 + 40000*0.04 = 1800;
-- bob (integer) 15000: 200 + 5000*0.04 = 400; bob (float) 15000.5: 200 + 5000.5*0.04 = 400.02;
-- cy has only NULL amounts: NULL.
SELECT rep,
       commission(i4, 'marginal(0: 0.02, 10000: 0.04, 50000: 0.07)') AS got_int,
       commission(f8, 'marginal(0: 0.02, 10000: 0.04, 50000: 0.07)') AS got_float,
       CASE rep WHEN 'ann' THEN 1800 WHEN 'bob' THEN 400 END AS want_int,
       CASE rep WHEN 'ann' THEN 1800 WHEN 'bob' THEN 400.02 END AS want_float
  FROM typed GROUP BY rep ORDER BY rep;

-- bigint amounts in cents with breaks in cents: ann 5000000 cents,
-- E = 1000000*0.02 + 4000000*0.04 = 180000 cents; bob 1500050 cents,
-- E = 20000 + 500050*0.04 = 40002 cents.
SELECT rep, commission(i8, 'marginal(0: 0.02, 1000000: 0.04, 5000000: 0.07)') AS got,
       CASE rep WHEN 'ann' THEN 180000 WHEN 'bob' THEN 40002 END AS want
  FROM typed GROUP BY rep ORDER BY rep;

-- Quota form, breaks as fractions of quota 20000: ann 50000,
-- E = 20000*0.05 + 30000*0.1 = 4000 for every type; in cents quota 2000000:
-- 2000000*0.05 + 3000000*0.1 = 400000 cents.
SELECT commission(i4, 'marginal(0: 0.05, 1: 0.1)', 20000) AS got_int, 4000 AS want_int,
       commission(f8, 'marginal(0: 0.05, 1: 0.1)', 20000) AS got_float, 4000 AS want_float,
       commission(i8, 'marginal(0: 0.05, 1: 0.1)', 2000000) AS got_bigint, 400000 AS want_bigint
  FROM typed WHERE rep = 'ann';
-- quota 0 or NULL gives NULL, as for numeric amounts
SELECT commission(i4, 'marginal(0: 0.1)', 0) IS NULL AS int_quota0_null,
       commission(i8, 'marginal(0: 0.1)', NULL) IS NULL AS bigint_quota_null_null,
       commission(f8, 'marginal(0: 0.1)', 0) IS NULL AS float_quota0_null
  FROM typed;

-- bigint sums do not overflow 64 bits: 2 * 9e18 = 1.8e19 > 2^63 - 1, rate 1
SELECT commission(a, 'marginal(0: 1)') AS got, 18000000000000000000 AS want
  FROM (VALUES (9000000000000000000::bigint), (9000000000000000000)) v(a);

-- Doubles count as the decimal that amount::numeric gives (15 significant digits):
-- 0.1 + 0.2 is 0.3 (the float sum 0.1::float8 + 0.2::float8 is 0.30000000000000004)
SELECT commission(a, 'marginal(0: 1)') AS got, 0.3 AS want
  FROM (VALUES (0.1::float8), (0.2::float8)) v(a);
-- 19.99 three times is 59.97 exactly
SELECT commission(a, 'marginal(0: 1)') AS got, 59.97 AS want
  FROM (VALUES (19.99::float8), (19.99), (19.99)) v(a);
-- a double that needs 17 digits is rounded to 15, like the cast
SELECT commission(0.30000000000000004::float8, 'marginal(0: 1)') AS got, 0.3 AS want,
       0.30000000000000004::float8::numeric AS cast;
-- ties at the 15th digit go to even, like the cast: 10000000000000.25 and .75
-- are exact doubles; 15 digits keep one decimal
SELECT commission(10000000000000.25::float8, 'marginal(0: 1)') AS got_25, 10000000000000.2 AS want_25,
       commission(10000000000000.75::float8, 'marginal(0: 1)') AS got_75, 10000000000000.8 AS want_75;
-- magnitudes outside 1e-7 .. 1e14 take the slow path and give the same rule
SELECT commission(1e-9::float8, 'marginal(0: 1)') AS got_small, 0.000000001 AS want_small,
       commission(1.5e20::float8, 'marginal(0: 1)') AS got_big, 150000000000000000000 AS want_big,
       commission(123456789012345678::float8, 'marginal(0: 1)') AS got_17_digits,
       123456789012346000 AS want_17_digits;
-- negative zero is zero
SELECT commission('-0'::float8, 'marginal(0: 1)') AS got, 0 AS want;

-- Each overload equals the numeric aggregate over amount::numeric
SELECT rep,
       commission(i4, 'retroactive(0: 0.02, 10000: 0.04)') = commission(i4::numeric, 'retroactive(0: 0.02, 10000: 0.04)') AS int_ok,
       commission(i8, 'retroactive(0: 0.02, 10000: 0.04)') = commission(i8::numeric, 'retroactive(0: 0.02, 10000: 0.04)') AS bigint_ok,
       commission(f8, 'retroactive(0: 0.02, 10000: 0.04)') = commission(f8::numeric, 'retroactive(0: 0.02, 10000: 0.04)') AS float_ok
  FROM typed WHERE rep <> 'cy' GROUP BY rep ORDER BY rep;

-- A parallel plan (partial aggregation, serialize/deserialize, combine)
-- gives the serial result: 1 + ... + 200000 = 200000 * 200001 / 2 = 20000100000,
-- at 1%: 200001000.
CREATE TABLE many AS SELECT g::integer AS i4, g::bigint AS i8, g::float8 AS f8 FROM generate_series(1, 200000) g;
ANALYZE many;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT commission(i8, 'marginal(0: 0.01)') FROM many;
SELECT commission(i4, 'marginal(0: 0.01)') AS got_int, commission(i8, 'marginal(0: 0.01)') AS got_bigint,
       commission(f8, 'marginal(0: 0.01)') AS got_float, 200001000 AS want
  FROM many;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- Errors: NaN and infinite doubles, mixed schedules (all 22023)
SELECT commission(a, 'marginal(0: 0.1)') FROM (VALUES (1::float8), ('NaN')) v(a);
SELECT commission(a, 'marginal(0: 0.1)') FROM (VALUES ('-Infinity'::float8)) v(a);
SELECT commission(a, s) FROM (VALUES (1::integer, 'marginal(0: 0.1)'::schedule), (2, 'marginal(0: 0.2)')) v(a, s);
DROP TABLE typed, many;
