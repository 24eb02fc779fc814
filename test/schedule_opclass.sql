-- test/schedule_opclass.sql — pgTAP: the default btree and hash operator
-- classes of spm.schedule (docs/schedules.md, "Equality, ordering and
-- hashing"): GROUP BY, DISTINCT, ORDER BY, hash and merge joins, indexes and
-- the function forms, all without spm on the search_path, and consistency
-- of equality, order and hash on schedules written differently that are
-- equal canonically.  Assumes CREATE EXTENSION pgtap, spm.
BEGIN;
SELECT plan(38);

SET LOCAL search_path = public;   -- no spm: nothing below may need it

CREATE TEMP TABLE plans (id int PRIMARY KEY, s spm.schedule);
INSERT INTO plans VALUES
  (1,  'marginal(0: 0.05)'),
  (2,  'marginal(0: 5%)'),                        -- = 1
  (3,  'MARGINAL( 0.000 : 0.0500 )'),             -- = 1
  (4,  'retroactive(0: 0.05)'),
  (5,  'marginal(0: 0.02, 10000: 0.04)'),
  (6,  'marginal(0: 2%, 10000.00: 4.0%)'),        -- = 5
  (7,  'cap(marginal(0: 0.05), 100)'),
  (8,  'cap(marginal(0: 0.050), 100.00)'),        -- = 7
  (9,  'gate(marginal(0: 0.05), 100)'),
  (10, 'curve(0: 0, 10: 1)'),
  (11, 'curve(0: 0, 10: 1, 20: 3)'),
  (12, 'marginal(0: 0.05, 10: 0.1)'),
  (13, 'cap(gate(marginal(0: 0.05), 100), 100)'),
  (14, 'gate(cap(marginal(0: 0.05), 100), 100)'),
  (15, 'marginal(0: 0.05, 10.5: 0.1)'),
  (16, 'marginal(0: 0.05, 10.25: 0.1)');
-- the same schedules built by the constructors and from jsonb
INSERT INTO plans SELECT 100 + id, spm.schedule_from_jsonb(spm.schedule_to_jsonb(s)) FROM plans;
INSERT INTO plans VALUES (201, spm.tiers('{0}', '{0.050}')),
                         (202, spm.tiers('{0,10000}', '{0.020,0.04}', 'marginal')),
                         (203, spm.cap(spm.tiers('{0}', '{0.05}'), 100.0));

-- ----------------------------------------------------------- opclasses
SELECT is((SELECT count(*)::int FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
            WHERE c.opcintype = 'spm.schedule'::regtype AND c.opcdefault), 2,
          'spm.schedule has two default operator classes');
SELECT set_eq($$SELECT a.amname::text FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
                 WHERE c.opcintype = 'spm.schedule'::regtype AND c.opcdefault$$,
              ARRAY['btree', 'hash'], 'a btree and a hash operator class');
SELECT ok((SELECT oprcanhash AND oprcanmerge FROM pg_operator
            WHERE oid = 'spm.=(spm.schedule,spm.schedule)'::regoperator),
          'spm.= is marked HASHES and MERGES');

-- ------------------------------------------------- equal canonical forms
SELECT ok(spm.schedule_eq('marginal(0: 0.05)', 'MARGINAL(0.00: 5%)'), 'schedule_eq: 0.05 = 5%');
SELECT is(spm.schedule_cmp('marginal(0: 0.05)', 'MARGINAL(0.00: 5%)'), 0, 'schedule_cmp: 0.05 vs 5% is 0');
SELECT is(spm.schedule_hash('marginal(0: 0.05)'), spm.schedule_hash('MARGINAL(0.00: 5%)'),
          'schedule_hash: 0.05 and 5% hash alike');
SELECT is(spm.schedule_hash_extended('marginal(0: 0.05)', 42),
          spm.schedule_hash_extended('MARGINAL(0.00: 5%)', 42), 'schedule_hash_extended: alike too');
SELECT isnt(spm.schedule_hash_extended('marginal(0: 0.05)', 0),
            spm.schedule_hash_extended('marginal(0: 0.05)', 1), 'schedule_hash_extended: the seed matters');

-- for every pair: eq <=> cmp = 0 => same hash; cmp antisymmetric; operators agree
SELECT is((SELECT count(*)::int FROM plans a, plans b
            WHERE spm.schedule_eq(a.s, b.s) <> (spm.schedule_cmp(a.s, b.s) = 0)), 0,
          'every pair: schedule_eq exactly when schedule_cmp is 0');
SELECT is((SELECT count(*)::int FROM plans a, plans b
            WHERE spm.schedule_eq(a.s, b.s) AND spm.schedule_hash(a.s) <> spm.schedule_hash(b.s)), 0,
          'every pair: equal schedules have equal hashes');
SELECT is((SELECT count(*)::int FROM plans a, plans b
            WHERE spm.schedule_eq(a.s, b.s)
              AND spm.schedule_hash_extended(a.s, 7) <> spm.schedule_hash_extended(b.s, 7)), 0,
          'every pair: equal schedules have equal extended hashes');
SELECT is((SELECT count(*)::int FROM plans a, plans b
            WHERE spm.schedule_cmp(a.s, b.s) <> -spm.schedule_cmp(b.s, a.s)), 0,
          'every pair: schedule_cmp is antisymmetric');
SELECT is((SELECT count(*)::int FROM plans a, plans b
            WHERE (a.s OPERATOR(spm.<) b.s) <> (spm.schedule_cmp(a.s, b.s) < 0)
               OR (a.s OPERATOR(spm.<=) b.s) <> (spm.schedule_cmp(a.s, b.s) <= 0)
               OR (a.s OPERATOR(spm.>) b.s) <> (spm.schedule_cmp(a.s, b.s) > 0)
               OR (a.s OPERATOR(spm.>=) b.s) <> (spm.schedule_cmp(a.s, b.s) >= 0)
               OR (a.s OPERATOR(spm.=) b.s) <> (spm.schedule_cmp(a.s, b.s) = 0)
               OR (a.s OPERATOR(spm.<>) b.s) <> (spm.schedule_cmp(a.s, b.s) <> 0)), 0,
          'every pair: the six operators agree with schedule_cmp');
SELECT is((SELECT count(*)::int FROM plans a, plans b, plans c
            WHERE spm.schedule_cmp(a.s, b.s) < 0 AND spm.schedule_cmp(b.s, c.s) < 0
              AND spm.schedule_cmp(a.s, c.s) >= 0), 0,
          'every triple: schedule_cmp is transitive');
SELECT is((SELECT count(*)::int FROM plans a, plans b
            WHERE spm.schedule_eq(a.s, b.s) <> (a.s::text = b.s::text)), 0,
          'every pair: equal exactly when the canonical text is equal');

-- --------------------------------------------------- GROUP BY, DISTINCT
SELECT is((SELECT count(*)::int FROM (SELECT s FROM plans GROUP BY s) g), 12,
          'GROUP BY schedule: 12 distinct schedules');
SELECT is((SELECT count(DISTINCT s)::int FROM plans), 12, 'count(DISTINCT schedule)');
SELECT is((SELECT count(*)::int FROM (SELECT DISTINCT s FROM plans) d), 12, 'SELECT DISTINCT schedule');
SELECT is((SELECT count(*)::int FROM (SELECT s FROM plans UNION SELECT s FROM plans) u), 12, 'UNION');
SELECT set_eq($$SELECT s::text, count(*)::int FROM plans GROUP BY s$$,
              $$VALUES ('marginal(0: 0.05)', 7), ('retroactive(0: 0.05)', 2),
                       ('marginal(0: 0.02, 10000: 0.04)', 5), ('cap(marginal(0: 0.05), 100)', 5),
                       ('gate(marginal(0: 0.05), 100)', 2), ('curve(0: 0, 10: 1)', 2),
                       ('curve(0: 0, 10: 1, 20: 3)', 2), ('marginal(0: 0.05, 10: 0.1)', 2),
                       ('cap(gate(marginal(0: 0.05), 100), 100)', 2),
                       ('gate(cap(marginal(0: 0.05), 100), 100)', 2),
                       ('marginal(0: 0.05, 10.5: 0.1)', 2), ('marginal(0: 0.05, 10.25: 0.1)', 2)$$,
              'GROUP BY: the groups and their sizes (schedules written differently fall together)');
SET LOCAL enable_hashagg = off;
SELECT is((SELECT count(*)::int FROM (SELECT s FROM plans GROUP BY s) g), 12, 'GROUP BY by sorting');
RESET enable_hashagg;
SET LOCAL enable_sort = off;
SELECT is((SELECT count(*)::int FROM (SELECT s FROM plans GROUP BY s) g), 12, 'GROUP BY by hashing');
RESET enable_sort;

-- ------------------------------------------------------------- ORDER BY
SELECT results_eq(
  $$SELECT s::text FROM (SELECT DISTINCT s FROM plans) d ORDER BY d.s$$,
  ARRAY['marginal(0: 0.02, 10000: 0.04)', 'marginal(0: 0.05)',
        'cap(marginal(0: 0.05), 100)', 'gate(cap(marginal(0: 0.05), 100), 100)',
        'gate(marginal(0: 0.05), 100)', 'cap(gate(marginal(0: 0.05), 100), 100)',
        'marginal(0: 0.05, 10: 0.1)', 'marginal(0: 0.05, 10.25: 0.1)', 'marginal(0: 0.05, 10.5: 0.1)',
        'retroactive(0: 0.05)', 'curve(0: 0, 10: 1)', 'curve(0: 0, 10: 1, 20: 3)'],
  'ORDER BY: kind, then points pair by pair (numerically: 10 < 10.25 < 10.5), shorter first, then caps and gates innermost first (cap < gate)');
SELECT results_eq(
  $$SELECT s::text FROM (SELECT DISTINCT s FROM plans) d ORDER BY d.s DESC LIMIT 2$$,
  ARRAY['curve(0: 0, 10: 1, 20: 3)', 'curve(0: 0, 10: 1)'], 'ORDER BY ... DESC');
SELECT results_eq(
  $$SELECT id FROM plans ORDER BY s, id LIMIT 7$$,
  ARRAY[5, 6, 105, 106, 202, 1, 2], 'ORDER BY: equal schedules sort together');
SELECT ok('marginal(0: 0.05, 10: 0.1)'::spm.schedule OPERATOR(spm.<) 'marginal(0: 0.05, 10.25: 0.1)',
          'breaks compare numerically, not as text');
SELECT ok('marginal(0: 0.1)'::spm.schedule OPERATOR(spm.>) 'marginal(0: 0.099999)', 'rates compare numerically');
SELECT ok('curve(0: -5)'::spm.schedule OPERATOR(spm.<) 'curve(0: -4.5)', 'negative curve ys compare numerically');

-- ---------------------------------------------------------------- joins
-- The plan of a query, as one text.
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE l text; r text := '';
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP r := r || l || E'\n'; END LOOP;
  RETURN r;
END $f$;

CREATE TEMP TABLE rates (s spm.schedule, label text);
INSERT INTO rates VALUES ('marginal(0: 5%)', 'five'), ('cap(marginal(0: 0.05), 100)', 'capped five'),
                         ('marginal(0: 0.5)', 'no match');
ANALYZE plans; ANALYZE rates;
\set J 'SELECT r.label, count(*)::int AS n FROM plans p JOIN rates r ON p.s OPERATOR(spm.=) r.s GROUP BY r.label'
\set JUSING 'SELECT r.label, count(*)::int AS n FROM plans p JOIN rates r USING (s) GROUP BY r.label'

SET LOCAL enable_mergejoin = off;
SET LOCAL enable_nestloop = off;
SELECT matches(pg_temp.plan_of(:'J'), 'Hash Join', 'a hash join is planned');
SELECT set_eq(:'J', $$VALUES ('five', 7), ('capped five', 5)$$, 'hash join: the matches');
-- USING, like a = b, looks the operator up by name: it needs spm on the search_path
SELECT throws_ok(:'JUSING', '42883', 'operator does not exist: spm.schedule = spm.schedule',
                 'JOIN ... USING (s) without spm on the search_path: 42883');
SET LOCAL search_path = public, spm;
SELECT set_eq(:'JUSING', $$VALUES ('five', 7), ('capped five', 5)$$, 'hash join with USING (s), spm on the search_path');
SELECT ok((SELECT 'marginal(0: 0.05)'::spm.schedule = 'marginal(0: 5%)'), 'plain = with spm on the search_path');
SET LOCAL search_path = public;
RESET enable_mergejoin;
SET LOCAL enable_hashjoin = off;
SELECT matches(pg_temp.plan_of(:'J'), 'Merge Join', 'a merge join is planned');
SELECT set_eq(:'J', $$VALUES ('five', 7), ('capped five', 5)$$, 'merge join: the same matches');
RESET enable_hashjoin;
RESET enable_nestloop;

-- ------------------------------------------------------------- indexes
CREATE INDEX plans_s_btree ON plans (s);
CREATE INDEX plans_s_hash ON plans USING hash (s);
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT is((SELECT count(*)::int FROM plans WHERE s OPERATOR(spm.=) 'MARGINAL(0: 5%)'), 7,
          'index scan finds the schedules equal to a differently written one');
SELECT matches(pg_temp.plan_of($$SELECT * FROM plans WHERE s OPERATOR(spm.=) 'marginal(0: 5%)'$$),
               'Index', 'an index is used for equality');
DROP INDEX plans_s_hash;
SELECT is((SELECT count(*)::int FROM plans WHERE s OPERATOR(spm.<) 'marginal(0: 0.05)'), 5,
          'btree index range scan: the schedules sorting before marginal(0: 0.05)');

SELECT * FROM finish();
ROLLBACK;
