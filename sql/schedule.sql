-- Schedules: the worked examples of docs/schedules.md and hand-computed cases.
-- Each row: what spm computes (got), the hand-computed value (want).
SET search_path = spm, public;
\set T 'spm.tiers(''{0,10000,50000}'', ''{0.02,0.04,0.07}'')'
\set R 'spm.tiers(''{0,10000,50000}'', ''{0.02,0.04,0.07}'', ''retroactive'')'

-- docs/schedules.md: 10000*0.02 + 40000*0.04 + 10000*0.07 = 2500.00; retroactive 60000*0.07
SELECT apply(:T, 60000) AS got, 2500.00 AS want;
SELECT apply(:R, 60000) AS got, 4200.00 AS want;
SELECT apply(cap(:T, 3000), 60000) AS got, 2500 AS want;
SELECT apply(cap(:R, 3000), 60000) AS got, 3000 AS want;

-- Marginal tiers around the breaks (a total on a break belongs to the higher tier)
SELECT x, apply(:T, x) AS got, want
  FROM (VALUES (-500, 0), (0, 0), (9999.99, 199.9998), (10000, 200), (10000.01, 200.0004),
               (49999.99, 1799.9996), (50000, 1800), (50000.01, 1800.0007)) v(x, want);
-- Retroactive tiers around the breaks
SELECT x, apply(:R, x) AS got, want
  FROM (VALUES (-500, 0), (0, 0), (9999.99, 199.9998), (10000, 400), (49999.99, 1999.9996),
               (50000, 3500), (50000.01, 3500.0007)) v(x, want);
-- A first break above zero: nothing is earned below it
SELECT x, apply(tiers('{5000}', '{0.1}'), x) AS marginal, apply(tiers('{5000}', '{0.1}', 'retroactive'), x) AS retroactive
  FROM (VALUES (4000), (5000), (6000)) v(x);
-- marginal: 0, 0, 1000*0.1 = 100.0; retroactive: 0, 500.0, 600.0

-- Gates and caps: gate at 20000, cap at 1000.  By hand E(x) = 200 + 0.04 (x - 10000)
-- for x in [10000, 50000): E(15000) = 400, E(19999.99) = 599.9996, E(20000) = 600,
-- E(25000) = 800, E(40000) = 1400.
SELECT x, apply(gate(:T, 20000), x) AS gated, g AS want_gated,
       apply(cap(:T, 1000), x) AS capped, c AS want_capped,
       apply(cap(gate(:T, 20000), 1000), x) AS both, b AS want_both
  FROM (VALUES (15000, 0, 400, 0), (19999.99, 0, 599.9996, 0), (20000, 600, 600, 600),
               (25000, 800, 800, 800), (40000, 1400, 1000, 1000)) v(x, g, c, b);

-- Curves: (0,0) (100,10) (200,40); slope 0.3 continues past 200
SELECT x, apply(curve('{0,100,200}', '{0,10,40}'), x) AS got, want
  FROM (VALUES (-1, 0), (0, 0), (50, 5), (100, 10), (150, 25), (200, 40), (250, 55)) v(x, want);
-- one point: constant from there on
SELECT x, apply(curve('{1}', '{5}'), x) AS got
  FROM (VALUES (0.5), (1), (100)) v(x);
-- interpolation rounds half away from zero at 12 places: 1/3, 2/3 and their negatives
SELECT apply('curve(0: 0, 3: 1)', 1) AS third, apply('curve(0: 0, 3: 1)', 2) AS two_thirds,
       apply('curve(0: 0, 3: -1)', 1) AS minus_third, apply('curve(0: 0, 3: -1)', 2) AS minus_two_thirds;

-- Quota-relative: quota * E(x / quota)
-- breaks 0, 1 of quota 100000: 100000*0.05 + 20000*0.10 = 7000
SELECT apply('marginal(0: 0.05, 1: 0.10)', 120000, 100000) AS got, 7000 AS want;
-- breaks at 0, 50%, 125% of 100000: 50000*0.05 + 75000*0.08 + 25000*0.12 = 11500
SELECT apply('marginal(0: 0.05, 0.5: 0.08, 1.25: 0.12)', 150000, 100000) AS got, 11500 AS want;
-- a cap of 5% of quota 200000 = 10000 limits 150000*0.1 = 15000
SELECT apply('cap(marginal(0: 0.1), 0.05)', 150000, 200000) AS got, 10000 AS want;
-- a gate at 50% of quota 1000
SELECT apply('gate(marginal(0: 0.1), 0.5)', 499, 1000) AS below, apply('gate(marginal(0: 0.1), 0.5)', 500, 1000) AS at;
-- curve points scale with quota: (0,0) (1000,100) (2000,300): 100 + 500*200/1000 = 200
SELECT apply('curve(0: 0, 1: 0.1, 2: 0.3)', 1500, 1000) AS got, 200 AS want;
-- quota 0 or NULL: NULL
SELECT apply(:T, 100, 0) IS NULL AS zero_quota_null, apply(:T, 100, NULL) IS NULL AS null_quota_null;

-- Text form: canonical output, lowest terms, % literals, case and spaces
SELECT 'MARGINAL ( 0 : 2% , 10000.00: 0.040 )'::schedule AS canonical;
SELECT 'cap(gate(retroactive(0: 0.01, 1000: 1), 5), 10)'::schedule;
SELECT s::text::schedule::text = s::text AS round_trips
  FROM (VALUES ('marginal(0: 0.02, 10000: 0.04, 50000: 0.07)'::schedule),
               ('retroactive(0: 0.01)'), ('curve(-5: -1.5, 0: 0, 2.25: 3)'),
               ('cap(gate(curve(0: 0, 1: 1), 0.5), 2)')) v(s);
-- equality is by value, not by spelling
SELECT 'marginal(0: 0.050)'::schedule OPERATOR(spm.=) 'marginal(0.0: 5%)' AS equal,
       'marginal(0: 0.05)'::schedule OPERATOR(spm.<>) 'retroactive(0: 0.05)' AS differ;
-- jsonb
SELECT cap(gate(:T, 500), 3000)::jsonb;
SELECT (cap(gate(:T, 500), 3000)::jsonb)::schedule;
-- malformed text says where
SELECT 'marginal(0: 0.02, 10: )'::schedule;
SELECT 'marginal(0 0.02)'::schedule;
SELECT 'tiers(0: 0.02)'::schedule;
SELECT 'marginal(0: 0.02) junk'::schedule;
-- broken rules
SELECT 'marginal(0: 0.02, 0: 0.03)'::schedule;
SELECT tiers('{0,1}', '{0.1}');
SELECT tiers('{0}', '{-0.1}');
