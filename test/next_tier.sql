-- test/next_tier.sql — pgTAP: spm.next_tier (docs/schedules.md, "Next tier").
--
-- Hand-computed cases for every kind of schedule (the arithmetic is in the
-- comments), bad input with its SQLSTATE, NULLs, and properties over
-- generated schedules and totals.  Assumes CREATE EXTENSION pgtap, spm.
BEGIN;
SELECT plan(41);

\set M '''marginal(0: 0.05, 10000: 0.08, 20000: 0.10)''::spm.schedule'

------------------------------------------------------------------------------
-- 1. Marginal tiers
------------------------------------------------------------------------------
-- sold 7500.00: the next break is 10000, need 10000 - 7500 = 2500.00;
-- E(7500) = 0.05 * 7500 = 375 (scale 2 + 2 = 4), E(10000) = 0.05 * 10000 = 500,
-- gain 125; rate 0.05 now, 0.08 past the break.
SELECT is((SELECT row(need, next_break, rate_now, rate_next, pays_now, pays_at_next, gain)::text
             FROM spm.next_tier(:M, 7500.00)),
          '(2500.00,10000.00,0.05,0.08,375.0000,500.0000,125.0000)',
          'marginal at 7,500.00: need 2,500.00, 375 now, 500 at the break');
-- sold 10000 (on a break: it belongs to the higher tier): next 20000, need 10000;
-- E(10000) = 500, E(20000) = 500 + 0.08 * 10000 = 1300, gain 800.
SELECT is((SELECT row(need, next_break, rate_now, rate_next, pays_now, pays_at_next, gain)::text
             FROM spm.next_tier(:M, 10000)),
          '(10000,20000,0.08,0.10,500.00,1300.00,800.00)',
          'on a break: the tier above is the current one');
-- sold 25000, past the last break: no next tier; E = 1300 + 0.10 * 5000 = 1800.
SELECT is((SELECT row(need, next_break, rate_now, rate_next, pays_now, pays_at_next, gain)::text
             FROM spm.next_tier(:M, 25000)),
          '(,,0.10,,1800.00,,)',
          'past the last break: need and the next_* columns are NULL');
-- Two tiers of equal rate: the break at 10000 changes nothing and is skipped:
-- next 20000, need 15000, E(5000) = 250, E(20000) = 0.05 * 20000 = 1000.
SELECT is((SELECT row(need, next_break, rate_now, rate_next, pays_now, pays_at_next, gain)::text
             FROM spm.next_tier('marginal(0: 0.05, 10000: 0.05, 20000: 0.10)', 5000)),
          '(15000,20000,0.05,0.10,250.00,1000.00,750.00)',
          'a break between equal rates is not a tier change');
-- Negative sold (a clawback): E = 0, rate 0 below the first break; next 0, need 300.
SELECT is((SELECT row(need, next_break, rate_now, rate_next, pays_now, pays_at_next, gain)::text
             FROM spm.next_tier('marginal(0: 0.05)', -300)),
          '(300,0,0.00,0.05,0.00,0.00,0.00)',
          'negative sold: the first break is the next tier');

------------------------------------------------------------------------------
-- 2. Retroactive tiers: a jump at the break
------------------------------------------------------------------------------
-- retroactive(0: 0.05, 10000: 0.08) at 7500: E = 375; at 10000 E = 0.08 * 10000 = 800.
SELECT is((SELECT row(need, next_break, rate_now, rate_next, pays_now, pays_at_next, gain)::text
             FROM spm.next_tier('retroactive(0: 0.05, 10000: 0.08)', 7500)),
          '(2500,10000,0.05,0.08,375.00,800.00,425.00)',
          'retroactive: the whole total is repriced at the break');
-- Equal retroactive rates: no jump, no change: no next tier.
SELECT is((SELECT need FROM spm.next_tier('retroactive(0: 0.05, 10000: 0.05)', 7500)),
          NULL, 'retroactive with equal rates: no next tier');

------------------------------------------------------------------------------
-- 3. Caps
------------------------------------------------------------------------------
-- cap(marginal(0: 0.03), 1000) at 7500: E reaches 1000 at 1000 / 0.03 = 33333.33...,
-- rounded up to the scale of sold (0 places): 33334; need 33334 - 7500 = 25834;
-- E(7500) = 225, E(33334) = least(1000.02, 1000) = 1000; rate after: 0.
SELECT is((SELECT row(need, next_break, rate_now, rate_next, pays_now, pays_at_next, gain)::text
             FROM spm.next_tier('cap(marginal(0: 0.03), 1000)', 7500)),
          '(25834,33334,0.03,0.00,225.00,1000.00,775.00)',
          'cap: the point the cap is reached, rounded up to the scale of sold');
-- With sold at 2 places the point is 33333.34 (0.03 * 33333.34 = 1000.0002 >= 1000,
-- 0.03 * 33333.33 = 999.9999 < 1000).
SELECT is((SELECT next_break FROM spm.next_tier('cap(marginal(0: 0.03), 1000)', 7500.00)),
          33333.34, 'cap crossing at the scale of sold (2 places)');
-- cap(marginal(0: 0.05, 10000: 0.08), 1000) at 7500: the break 10000 (E = 500 < 1000)
-- comes first.
SELECT is((SELECT row(need, next_break, rate_now, rate_next)::text
             FROM spm.next_tier('cap(marginal(0: 0.05, 10000: 0.08), 1000)', 7500)),
          '(2500,10000,0.05,0.08)', 'a break below the cap comes first');
-- ... and at 12000: E = 500 + 0.08 * 2000 = 660; cap at 10000 + 500 / 0.08 = 16250.
SELECT is((SELECT row(need, next_break, rate_now, rate_next, pays_now, pays_at_next, gain)::text
             FROM spm.next_tier('cap(marginal(0: 0.05, 10000: 0.08), 1000)', 12000)),
          '(4250,16250,0.08,0.00,660.00,1000.00,340.00)', 'then the cap');
-- Capped already: at 20000, E = 1000, rate 0, and the break at 30000 changes nothing.
SELECT is((SELECT row(need, rate_now, pays_now)::text
             FROM spm.next_tier('cap(marginal(0: 0.05, 10000: 0.08, 30000: 0.1), 1000)', 20000)),
          '(,0.00,1000.00)', 'past the cap no break counts');
-- A retroactive jump over the cap: retroactive(0: 0.05, 10000: 0.2) capped at 1000:
-- E(9000) = 450; at 10000, 0.2 * 10000 = 2000 -> 1000, rate after 0.
SELECT is((SELECT row(need, next_break, rate_now, rate_next, pays_at_next)::text
             FROM spm.next_tier('cap(retroactive(0: 0.05, 10000: 0.2), 1000)', 9000)),
          '(1000,10000,0.05,0.00,1000.00)', 'a jump past the cap: the break, rate 0 after');

------------------------------------------------------------------------------
-- 4. Gates
------------------------------------------------------------------------------
-- gate(marginal(0: 0.05, 10000: 0.08), 5000) at 100: E = 0 (gated), rate 0;
-- at 5000 E = 0.05 * 5000 = 250.
SELECT is((SELECT row(need, next_break, rate_now, rate_next, pays_now, pays_at_next, gain)::text
             FROM spm.next_tier('gate(marginal(0: 0.05, 10000: 0.08), 5000)', 100)),
          '(4900,5000,0.00,0.05,0.00,250.00,250.00)', 'gate: the threshold is the next tier');
-- at 6000 (past the gate): the break 10000.
SELECT is((SELECT row(need, next_break, pays_now, pays_at_next)::text
             FROM spm.next_tier('gate(marginal(0: 0.05, 10000: 0.08), 5000)', 6000)),
          '(4000,10000,300.00,500.00)', 'past the gate: the next break');
-- Nested: cap(gate(marginal(0: 0.1), 2000), 500) at 1000: gate 2000 first
-- (E(2000) = 200), then from 2000 the cap at 500 / 0.1 = 5000.
SELECT is((SELECT row(next_break, pays_at_next)::text
             FROM spm.next_tier('cap(gate(marginal(0: 0.1), 2000), 500)', 1000)),
          '(2000,200.0)', 'gate inside a cap: the gate first');
SELECT is((SELECT row(next_break, rate_next, pays_at_next)::text
             FROM spm.next_tier('cap(gate(marginal(0: 0.1), 2000), 500)', 2000)),
          '(5000,0.0,500.0)', 'then the cap');

------------------------------------------------------------------------------
-- 5. Curves: the next point where the slope changes
------------------------------------------------------------------------------
-- curve(0: 0, 100: 10, 200: 40) at 50: slope 10/100 = 0.1, then 30/100 = 0.3;
-- E(50) = 5, E(100) = 10 (12 places).
SELECT is((SELECT row(need, next_break, rate_now, rate_next, pays_now, pays_at_next, gain)::text
             FROM spm.next_tier('curve(0: 0, 100: 10, 200: 40)', 50)),
          '(50,100,0.100000000000,0.300000000000,5.000000000000,10.000000000000,5.000000000000)',
          'curve: the next point, slopes rounded at 12 places');
-- curve(0: 0, 3: 1, 6: 2, 9: 5) at 1: slope 1/3 on both sides of 3 (no change),
-- then 3/3 = 1 from 6: next 6, E(1) = 1/3 = 0.333333333333, E(6) = 2.
SELECT is((SELECT row(need, next_break, rate_now, rate_next, pays_at_next)::text
             FROM spm.next_tier('curve(0: 0, 3: 1, 6: 2, 9: 5)', 1)),
          '(5,6,0.333333333333,1.000000000000,2.000000000000)',
          'curve: a point on a straight line is skipped (slopes compared exactly)');
-- Past the last point the slope continues: no next tier.
SELECT is((SELECT need FROM spm.next_tier('curve(0: 0, 100: 10, 200: 40)', 250)),
          NULL, 'curve past its last point: no next tier');
-- A curve starting above 0: a jump at its first point, curve(100: 5, 200: 15) at 50:
-- E(50) = 0, E(100) = 5.
SELECT is((SELECT row(need, next_break, pays_at_next)::text
             FROM spm.next_tier('curve(100: 5, 200: 15)', 50)),
          '(50,100,5.000000000000)', 'curve: its first point is a tier');
-- A capped curve: cap(curve(0: 0, 100: 10), 7) at 10: 7 reached at 70.
SELECT is((SELECT row(next_break, rate_next, pays_at_next)::text
             FROM spm.next_tier('cap(curve(0: 0, 100: 10), 7)', 10)),
          '(70,0.000000000000,7.000000000000)', 'capped curve: the cap point');

------------------------------------------------------------------------------
-- 6. Quota-relative form
------------------------------------------------------------------------------
-- marginal(0: 0.05, 0.5: 0.08, 1.25: 0.12) with quota 100000 at 60000: breaks
-- 50000 and 125000; E(60000) = 0.05 * 50000 + 0.08 * 10000 = 3300,
-- E(125000) = 2500 + 0.08 * 75000 = 8500; need 65000.  Scales: sx = 0 + 2
-- (quota 1e5 normalized to scale 0, breaks 2 places), sy = sx + 2 = 4.
SELECT is((SELECT row(need, next_break, rate_now, rate_next, pays_now, pays_at_next, gain)::text
             FROM spm.next_tier('marginal(0: 0.05, 0.5: 0.08, 1.25: 0.12)', 60000, 100000)),
          '(65000.00,125000.00,0.08,0.12,3300.0000,8500.0000,5200.0000)',
          'quota form: breaks are fractions of quota');
-- pays_now agrees with spm.apply(s, x, quota)
SELECT is((SELECT pays_now FROM spm.next_tier('marginal(0: 0.05, 0.5: 0.08, 1.25: 0.12)', 60000, 100000)),
          spm.apply('marginal(0: 0.05, 0.5: 0.08, 1.25: 0.12)', 60000, 100000),
          'quota form: pays_now = spm.apply(s, sold, quota)');
-- gate at 80% of a quota of 50000 = 40000: at 30000 need 10000, E(40000) = 0.1 * 40000.
SELECT is((SELECT row(need, pays_at_next)::text
             FROM spm.next_tier('gate(marginal(0: 0.1), 0.8)', 30000, 50000)),
          '(10000.0,4000.00)', 'quota form: a gate at 80% of quota');

------------------------------------------------------------------------------
-- 7. Bad input
------------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM spm.next_tier('marginal(0: 0.05)', 'NaN')$$, '22023',
                 'sold must be a finite number, not NaN or infinity', 'NaN sold: 22023');
SELECT throws_ok($$SELECT * FROM spm.next_tier('marginal(0: 0.05)', 'Infinity')$$, '22023',
                 'sold must be a finite number, not NaN or infinity', 'Infinity sold: 22023');
SELECT throws_ok($$SELECT * FROM spm.next_tier('marginal(0: 0.05)', 1, 0)$$, '22023',
                 'quota must be greater than zero: 0', 'quota 0: 22023');
SELECT throws_ok($$SELECT * FROM spm.next_tier('marginal(0: 0.05)', 1, -5)$$, '22023',
                 'quota must be greater than zero: -5', 'negative quota: 22023');
SELECT throws_ok($$SELECT * FROM spm.next_tier('marginal(0: 0.05)', 1, '-Infinity')$$, '22023',
                 'quota must be a finite number, not NaN or infinity', '-Infinity quota: 22023');
SELECT throws_ok($$SELECT * FROM spm.next_tier('marginal(0: 0.05)', 1e40)$$, '22003',
                 NULL, 'sold beyond the exact range: 22003');
-- STRICT: a NULL argument gives a row of NULLs
SELECT is((SELECT row(need, pays_now)::text FROM spm.next_tier(NULL::spm.schedule, 1)),
          '(,)', 'NULL schedule: NULL');
SELECT is((SELECT row(need, pays_now)::text FROM spm.next_tier(:M, NULL)),
          '(,)', 'NULL sold: NULL');
SELECT is((SELECT row(need, pays_now)::text FROM spm.next_tier(:M, 1, NULL)),
          '(,)', 'NULL quota: NULL');
SELECT is((SELECT provolatile::text || proparallel::text || proisstrict::text FROM pg_proc
            WHERE oid = 'spm.next_tier(spm.schedule, numeric, numeric)'::regprocedure),
          'istrue', 'IMMUTABLE, PARALLEL SAFE, STRICT');

------------------------------------------------------------------------------
-- 8. Properties over generated schedules and totals
------------------------------------------------------------------------------
-- Random marginal / retroactive tiers (3 breaks), caps and gates, totals at 2
-- places; a fixed seed keeps the run reproducible.
SELECT setseed(0.42);
CREATE TEMP TABLE gen AS
SELECT g,
       CASE g % 4
         WHEN 0 THEN spm.tiers(ARRAY[0, b1, b1 + b2], ARRAY[r1, r2, r3])
         WHEN 1 THEN spm.tiers(ARRAY[0, b1, b1 + b2], ARRAY[r1, r2, r3], 'retroactive')
         WHEN 2 THEN spm.cap(spm.tiers(ARRAY[0, b1, b1 + b2], ARRAY[r1, r2, r3]), cap)
         ELSE spm.gate(spm.tiers(ARRAY[0, b1, b1 + b2], ARRAY[r1, r2, r3]), gate)
       END AS s,
       sold
  FROM (SELECT g,
               round((random() * 10000)::numeric) + 1 AS b1,
               round((random() * 10000)::numeric) + 1 AS b2,
               round((random() * 0.1)::numeric, 3) AS r1,
               round((random() * 0.1)::numeric, 3) AS r2,
               round((random() * 0.1)::numeric, 3) AS r3,
               round((random() * 2000)::numeric, 2) AS cap,
               round((random() * 15000)::numeric) AS gate,
               round((random() * 30000 - 1000)::numeric, 2) AS sold
          FROM generate_series(1, 400) g) x;
CREATE TEMP TABLE res AS
SELECT g, s, sold, t.* FROM gen, LATERAL spm.next_tier(s, sold) t;

SELECT is((SELECT count(*) FROM res WHERE need IS NOT NULL AND need <= 0), 0::bigint,
          'need > 0 whenever there is a next tier');
SELECT is((SELECT count(*) FROM res WHERE pays_now <> spm.apply(s, sold)), 0::bigint,
          'pays_now = E(sold)');
SELECT is((SELECT count(*) FROM res
            WHERE need IS NOT NULL AND pays_at_next <> spm.apply(s, sold + need)), 0::bigint,
          'pays_at_next = E(sold + need) and next_break = sold + need');
SELECT is((SELECT count(*) FROM res WHERE need IS NOT NULL AND gain <> pays_at_next - pays_now),
          0::bigint, 'gain = pays_at_next - pays_now');
-- Something changes at the next tier: the rate, or E jumps (E just below the
-- break, at 0.01 below, differs from E(sold) + rate_now * (need - 0.01)).
SELECT is((SELECT count(*) FROM res
            WHERE need IS NOT NULL AND rate_next = rate_now
              AND spm.apply(s, next_break) = pays_now + rate_now * need), 0::bigint,
          'at the next tier the rate changes or E jumps');
-- Nothing changes before it: E is linear from sold to the break (checked at
-- the midpoint, rounded down to 2 places, where it must equal E(sold) + rate_now * d).
SELECT is((SELECT count(*) FROM res,
                  LATERAL (SELECT trunc(need / 2, 2) AS d) m
            WHERE need IS NOT NULL AND d > 0
              AND spm.apply(s, sold + d) <> pays_now + rate_now * d), 0::bigint,
          'before the next tier E is linear at rate_now');

SELECT * FROM finish();
ROLLBACK;
