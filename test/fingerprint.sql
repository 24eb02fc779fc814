-- pgTAP: spm.fingerprint, the order-independent fingerprint of a row set
-- (docs/payout.md, "Fingerprints").  Properties, not pasted values: the
-- same rows in any order give the same text; equal values of different
-- display scale or representation give the same text; any change of a
-- value, a NULL, a row added or removed, or columns swapped gives another;
-- the parallel plan gives the serial answer.
BEGIN;
SELECT plan(24);
SET client_min_messages = warning;

CREATE TEMP TABLE r AS
SELECT g AS id, 'rep' || (g % 17) AS rep, round(g * 1.37, 2) AS amount, date '2025-01-01' + g % 90 AS d
  FROM generate_series(1, 5000) g;

SELECT matches((SELECT spm.fingerprint(id, rep, amount, d) FROM r), '^[0-9a-f]{32}/5000$',
               '32 hex digits, a slash and the row count');
SELECT is((SELECT spm.fingerprint(id, rep, amount, d) FROM (SELECT * FROM r ORDER BY random()) x),
          (SELECT spm.fingerprint(id, rep, amount, d) FROM (SELECT * FROM r ORDER BY id DESC) x),
          'row order does not matter');
SELECT is((SELECT spm.fingerprint(id, rep, amount::numeric(20,6), d) FROM r),
          (SELECT spm.fingerprint(id, rep, amount, d) FROM r),
          'display scale does not matter: 1.37 and 1.370000 are equal values');
SELECT is(spm.fingerprint(1.0), spm.fingerprint(1.0000000000000000000000000000000000000000), 'trailing zeros beyond 30 places');
SELECT is((SELECT spm.fingerprint(x) FROM unnest(ARRAY[0.0, -0.00, 0]) x), (SELECT spm.fingerprint(x) FROM unnest(ARRAY[0, 0, 0]::numeric[]) x),
          'zero is zero whatever its scale or sign');
SELECT isnt((SELECT spm.fingerprint(id, rep, amount + CASE WHEN id = 4321 THEN 0.01 ELSE 0 END, d) FROM r),
            (SELECT spm.fingerprint(id, rep, amount, d) FROM r), 'one cent more on one row changes it');
SELECT isnt((SELECT spm.fingerprint(id, CASE WHEN id = 7 THEN 'rep99' ELSE rep END, amount, d) FROM r),
            (SELECT spm.fingerprint(id, rep, amount, d) FROM r), 'one rep changed changes it');
SELECT isnt((SELECT spm.fingerprint(id, rep, amount, d) FROM r WHERE id <> 10),
            (SELECT spm.fingerprint(id, rep, amount, d) FROM r), 'a row removed changes it');
SELECT isnt((SELECT spm.fingerprint(id, rep, amount, d) FROM (SELECT * FROM r UNION ALL SELECT * FROM r WHERE id = 10) x),
            (SELECT spm.fingerprint(id, rep, amount, d) FROM r), 'a row repeated changes it (rows are counted, not a set)');
SELECT isnt(spm.fingerprint('a'::text, 'b'::text), spm.fingerprint('b'::text, 'a'::text), 'columns are hashed by position');
SELECT isnt(spm.fingerprint(NULL::text, 'x'::text), spm.fingerprint(''::text, 'x'::text), 'NULL is not the empty string');
SELECT is((SELECT spm.fingerprint(x) FROM generate_series(1, 0) x), '00000000000000000000000000000000/0', 'no rows');
SELECT is((SELECT spm.fingerprint(x) FROM unnest(ARRAY['NaN', 'Infinity', '-Infinity']::numeric[]) x),
          (SELECT spm.fingerprint(x) FROM unnest(ARRAY['Infinity', 'NaN', '-Infinity']::numeric[]) x),
          'NaN and infinities are hashed too');
SELECT is((SELECT spm.fingerprint(id, rep, amount, d) FROM r),
          (SELECT spm.fingerprint(id::bigint, rep::varchar, amount, d) FROM r),
          'int4 and int8 of the same value, text and varchar, hash alike');
SELECT throws_ok($$SELECT spm.fingerprint(x) FROM (VALUES ('{}'::json)) v(x)$$, '42883',
                 'spm.fingerprint: type json of argument 1 has no extended hash function', 'a type without a hash: 42883');

-- the parallel plan (partial states serialized and combined) gives the serial answer
CREATE TABLE pfp AS SELECT * FROM r, generate_series(1, 40) k;
ANALYZE pfp;
SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE par AS SELECT spm.fingerprint(id, rep, amount, d, k) AS f FROM pfp;
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT is((SELECT f FROM par), (SELECT spm.fingerprint(id, rep, amount, d, k) FROM pfp), 'parallel = serial');

-- spm.fingerprint_merge: the fingerprints of disjoint groups add up to the
-- fingerprint of all the rows, whatever the grouping (docs/sharding.md)
SELECT is((SELECT spm.fingerprint_merge(f) FROM (SELECT k % 7, spm.fingerprint(id, rep, amount, d, k) AS f FROM pfp GROUP BY 1) g),
          (SELECT spm.fingerprint(id, rep, amount, d, k) FROM pfp), 'merge over 7 groups = fingerprint of all rows');
SELECT is((SELECT spm.fingerprint_merge(f) FROM (SELECT id, spm.fingerprint(id, rep, amount, d, k) AS f FROM pfp GROUP BY 1) g),
          (SELECT spm.fingerprint(id, rep, amount, d, k) FROM pfp), 'merge over one group per id = fingerprint of all rows');
-- by hand: 0x..01 + 0x..02 = 0x..03 in each sum, 2 + 5 rows = 7
SELECT is((SELECT spm.fingerprint_merge(f) FROM (VALUES ('0000000000000001000000000000000a/2'), ('00000000000000020000000000000001/5'), (NULL)) v(f)),
          '0000000000000003000000000000000b/7', 'sums add per half, counts add, NULL is skipped');
-- the sums wrap modulo 2^64, as the fingerprint's own sums do
SELECT is((SELECT spm.fingerprint_merge(f) FROM (VALUES ('ffffffffffffffff0000000000000000/1'), ('00000000000000010000000000000000/1')) v(f)),
          '00000000000000000000000000000000/2', 'sums wrap modulo 2^64');
SELECT is((SELECT spm.fingerprint_merge(f) FROM (SELECT NULL::text WHERE false) v(f)),
          (SELECT spm.fingerprint(1) WHERE false), 'no rows: the fingerprint of no rows');
SELECT throws_ok($$SELECT spm.fingerprint_merge(f) FROM (VALUES ('zz')) v(f)$$, '22P02',
                 'invalid fingerprint: "zz"', 'not a fingerprint: 22P02');
SELECT throws_ok($$SELECT spm.fingerprint_merge(f) FROM (VALUES ('0000000000000000000000000000000A/1')) v(f)$$, '22P02',
                 NULL, 'upper-case hex digits: 22P02');
SELECT throws_ok($$SELECT spm.fingerprint_merge(f) FROM (VALUES ('00000000000000000000000000000000/18446744073709551616')) v(f)$$, '22P02',
                 NULL, 'a row count beyond 2^64 - 1: 22P02');

SELECT * FROM finish();
ROLLBACK;
