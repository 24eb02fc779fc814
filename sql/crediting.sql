-- Crediting: penny-exact splits, the split window, split validation and
-- hierarchy roll-ups.  Every `want` below is computed by hand (the comment
-- above each case shows the arithmetic); `ok` compares it with what spm got.
SET search_path = spm, public;
\set SHOW_CONTEXT never

-- spm.allocate -------------------------------------------------------------
-- In units of 10^-scale each exact share is amount*w/sum(w); truncate, then
-- hand the missing units to the largest remainders (ties: earlier position).
SELECT label, got, want, got = want AS ok
  FROM (VALUES
  -- docs/crediting.md: 1000/3 = 333.33 each -> 333,333,333 (999); 1 unit left -> position 1
  ('spec 10.00 / {1,1,1}', allocate(10.00, '{1,1,1}'), '{3.34,3.33,3.33}'::numeric[]),
  -- 9999*75/100 = 7499.25, 9999*25/100 = 2499.75 -> 7499 + 2499 = 9998; the unit goes to .75
  ('99.99 / {75,25}', allocate(99.99, '{75,25}'), '{74.99,25.00}'),
  -- same weights as fractions: identical shares
  ('99.99 / {0.75,0.25}', allocate(99.99, '{0.75,0.25}'), '{74.99,25.00}'),
  -- negative: split 10.00, then negate
  ('-10.00 / {1,1,1}', allocate(-10.00, '{1,1,1}'), '{-3.34,-3.33,-3.33}'),
  ('-99.99 / {75,25}', allocate(-99.99, '{75,25}'), '{-74.99,-25.00}'),
  -- ties: 100/7 = 14.2857 each -> 14*7 = 98, 2 units left -> positions 1 and 2
  ('1.00 / seven 1s', allocate(1.00, '{1,1,1,1,1,1,1}'), '{0.15,0.15,0.14,0.14,0.14,0.14,0.14}'),
  -- 5*{1,2,1,2}/6 = .833, 1.667, .833, 1.667 -> 0,1,0,1 (2); 3 units left:
  -- remainders .833 (pos 1, 3: tie -> both), then .667 (pos 2 before pos 4)
  ('0.05 / {1,2,1,2}', allocate(0.05, '{1,2,1,2}'), '{0.01,0.02,0.01,0.01}'),
  -- scale 0: 10/3 = 3.33 -> 3,3,3; 1 left -> position 1
  ('10 / {1,1,1} scale 0', allocate(10, '{1,1,1}', 0), '{4,3,3}'),
  -- scale 0: 100/3 -> 33,33,33; 1 left -> position 1
  ('100 / {1,1,1} scale 0', allocate(100, '{1,1,1}', 0), '{34,33,33}'),
  -- scale 0, 7 over {2,2,3}: 2, 2, 3 exactly
  ('7 / {2,2,3} scale 0', allocate(7, '{2,2,3}', 0), '{2,2,3}'),
  -- scale 4: 10000/3 -> 3333 each, 1 left -> position 1
  ('1 / {1,1,1} scale 4', allocate(1, '{1,1,1}', 4), '{0.3334,0.3333,0.3333}'),
  -- an integer amount still comes back in cents
  ('10 / {1,1,1}', allocate(10, '{1,1,1}'), '{3.34,3.33,3.33}'),
  ('0 / {1,1}', allocate(0, '{1,1}'), '{0.00,0.00}'),
  -- zero weights get exactly 0
  ('1.00 / {0,1,0}', allocate(1.00, '{0,1,0}'), '{0.00,1.00,0.00}'),
  -- 1 unit over {1,0,1}: .5, 0, .5 -> the unit to position 1 (tie)
  ('0.01 / {1,0,1}', allocate(0.01, '{1,0,1}'), '{0.01,0.00,0.00}'),
  -- percentages with 4 decimals: 3333.33, 3333.33, 3333.34 cents -> the unit to the .34
  ('100 / {33.3333,33.3333,33.3334}', allocate(100, '{33.3333,33.3333,33.3334}'), '{33.33,33.33,33.34}'),
  -- mixed weight scales: 1100 * {0.5,1,1.25}/2.75 = 200, 400, 500 exactly
  ('11 / {0.5,1,1.25}', allocate(11, '{0.5,1,1.25}'), '{2.00,4.00,5.00}'),
  -- amount finer than the scale: total round(10.005, 2) = 10.01; 500.25 each -> 500, 500; 1 left
  ('10.005 / {1,1}', allocate(10.005, '{1,1}'), '{5.01,5.00}'),
  -- round half away from zero, also when negative: round(-0.005, 2) = -0.01
  ('-0.005 / {1}', allocate(-0.005, '{1}'), '{-0.01}'),
  -- total 0.00: nothing to hand out
  ('0.004 / {1,1}', allocate(0.004, '{1,1}'), '{0.00,0.00}'),
  -- every position gets a leftover unit: 0.75, 0.75 -> 0, 0; total 2 -> 1 each
  ('0.015 / {1,1}', allocate(0.015, '{1,1}'), '{0.01,0.01}'),
  -- large: 10^22 cents over {1,2}: 3333...3.33 -> ...3, 6666...6.67 -> ...6; the unit to .67
  ('1e20 / {1,2}', allocate(100000000000000000000.00, '{1,2}'),
     '{33333333333333333333.33,66666666666666666666.67}'),
  -- large and exact: 9999...99 (22 nines) cents / 3
  ('99999999999999999999.99 / {1,2}', allocate(99999999999999999999.99, '{1,2}'),
     '{33333333333333333333.33,66666666666666666666.66}'),
  -- large weights: 1000.00 over {10^18, 10^18, 10^18}
  ('1000 / {1e18 x3}', allocate(1000, '{1000000000000000000,1000000000000000000,1000000000000000000}'),
     '{333.34,333.33,333.33}'),
  -- one weight: the whole rounded amount
  ('12.345 / {7}', allocate(12.345, '{7}'), '{12.35}')
  ) v(label, got, want);

-- shares keep the requested number of decimals, like round(amount, scale)
SELECT allocate(10, '{1,1,1}') AS cents, allocate(10, '{1,1,1}', 0) AS units,
       allocate(2, '{1,3}', 3) AS mills;
-- STRICT: NULL in, NULL out
SELECT allocate(NULL, '{1}') IS NULL AS a, allocate(1, NULL) IS NULL AS b,
       allocate(1, '{1}', NULL) IS NULL AS c;
-- errors (every one is pinned with its message in test/crediting.sql)
SELECT allocate(10, '{1,NULL}');
SELECT allocate(10, '{1,-1}');
SELECT allocate(10, '{0,0}');
SELECT allocate(10, '{}');
SELECT allocate(10, '{1}', 31);

-- spm.split_share ----------------------------------------------------------
CREATE TABLE credit_deals (deal int PRIMARY KEY, amount numeric(12,2));
CREATE TABLE credit_splits (deal int, rep text, weight numeric);
INSERT INTO credit_deals VALUES (1, 10.00), (2, 99.99), (3, -50.00), (4, 0.05);
INSERT INTO credit_splits VALUES
  (1, 'ann', 1), (1, 'bob', 1), (1, 'cy', 1),
  (2, 'ann', 75), (2, 'bob', 25),
  (3, 'ann', 0.6), (3, 'bob', 0.4),
  (4, 'ann', 1), (4, 'bob', 2), (4, 'cy', 1), (4, 'dee', 2);

-- deal 1: as in docs/crediting.md; deal 2: 74.99/25.00; deal 3: -30.00/-20.00 exactly;
-- deal 4: as allocate(0.05, '{1,2,1,2}') above: ann 0.01, bob 0.02, cy 0.01, dee 0.01
WITH want(deal, rep, share) AS (VALUES
  (1, 'ann', 3.34), (1, 'bob', 3.33), (1, 'cy', 3.33),
  (2, 'ann', 74.99), (2, 'bob', 25.00),
  (3, 'ann', -30.00), (3, 'bob', -20.00),
  (4, 'ann', 0.01), (4, 'bob', 0.02), (4, 'cy', 0.01), (4, 'dee', 0.01))
SELECT g.deal, g.rep, g.weight, g.got, want.share AS want, g.got = want.share AS ok
  FROM (SELECT s.deal, s.rep, s.weight,
               split_share(d.amount, s.weight) OVER (PARTITION BY s.deal ORDER BY s.rep) AS got
          FROM credit_splits s JOIN credit_deals d USING (deal)) g
  JOIN want USING (deal, rep)
 ORDER BY g.deal, g.rep;

-- window order decides ties: in reverse order cy gets deal 1's extra cent,
-- and for deal 4 the .833 tie goes to cy, the .667 tie to dee
SELECT s.deal, s.rep,
       split_share(d.amount, s.weight) OVER (PARTITION BY s.deal ORDER BY s.rep DESC) AS got
  FROM credit_splits s JOIN credit_deals d USING (deal)
 WHERE s.deal IN (1, 4) ORDER BY s.deal, s.rep;
-- want: deal 1 ann 3.33, bob 3.33, cy 3.34; deal 4 ann 0.01, bob 0.01, cy 0.01, dee 0.02

-- scale argument: 10.00 in whole units over three reps -> 4, 3, 3
SELECT s.rep, split_share(d.amount, s.weight, 0) OVER (PARTITION BY s.deal ORDER BY s.rep) AS got
  FROM credit_splits s JOIN credit_deals d USING (deal) WHERE s.deal = 1 ORDER BY s.rep;

-- the shares of every deal add up exactly to round(amount, 2), and agree
-- with spm.allocate over the same weights in the same order
SELECT g.deal, g.total, round(d.amount, 2) AS want, g.total = round(d.amount, 2) AS ok,
       g.shares = allocate(d.amount, g.weights) AS agrees_with_allocate
  FROM (SELECT deal, sum(share) AS total, array_agg(share ORDER BY rep) AS shares,
               array_agg(weight ORDER BY rep) AS weights
          FROM (SELECT s.deal, s.rep, s.weight,
                       split_share(d.amount, s.weight) OVER (PARTITION BY s.deal ORDER BY s.rep) AS share
                  FROM credit_splits s JOIN credit_deals d USING (deal)) x
         GROUP BY deal) g
  JOIN credit_deals d USING (deal) ORDER BY g.deal;

-- a NULL amount (on every row of the partition) gives NULL shares
SELECT rep, split_share(NULL::numeric, weight) OVER (ORDER BY rep) IS NULL AS is_null
  FROM credit_splits WHERE deal = 2 ORDER BY rep;
-- the amount must be the deal's: different amounts in one partition are an error
SELECT split_share(d.amount, s.weight) OVER (ORDER BY s.deal, s.rep)
  FROM credit_splits s JOIN credit_deals d USING (deal);
-- as are NULL, negative and all-zero weights
SELECT split_share(10, w) OVER (ORDER BY k) FROM (VALUES (1, 1), (2, NULL)) v(k, w);
SELECT split_share(10, w) OVER (ORDER BY k) FROM (VALUES (1, 1), (2, -1)) v(k, w);
SELECT split_share(10, w) OVER (ORDER BY k) FROM (VALUES (1, 0), (2, 0)) v(k, w);

-- spm.split_problems -------------------------------------------------------
INSERT INTO credit_splits VALUES
  (5, 'ann', 60), (5, 'bob', 30),          -- 90, not 100
  (6, 'ann', NULL), (6, 'bob', 100),       -- a NULL weight (the rest adds up)
  (7, 'ann', -10), (7, 'bob', 110),        -- a negative weight
  (NULL, 'cy', 100);                       -- a split of no deal
-- deals 1 and 4 store relative weights, not percentages, so they are reported too
SELECT * FROM split_problems('credit_splits', 'deal', 'weight', 100);
-- deal 3 stores fractions: only it adds up to 1
SELECT deal FROM split_problems('credit_splits', 'deal', 'weight') WHERE deal = '3';

-- spm.rollup ---------------------------------------------------------------
-- ann moves from mia's team to zed's on 15 February; zed reports to vp until
-- 1 March and then to nobody (a new top of the chain).
CREATE TABLE credit_reps (rep text, manager text, valid daterange);
INSERT INTO credit_reps VALUES
  ('ann', 'mia', '[2026-01-01,2026-02-15)'),
  ('ann', 'zed', '[2026-02-15,)'),
  ('bob', 'mia', '(,)'),
  ('mia', 'vp',  '(,)'),
  ('zed', 'vp',  '(,2026-03-01)'),
  ('zed', NULL,  '[2026-03-01,)'),
  ('vp',  NULL,  '(,)');
CREATE TABLE credit_sales (id int, rep text, closed date, amount numeric);
INSERT INTO credit_sales VALUES
  (1, 'ann', '2026-01-10', 1000), (2, 'ann', '2026-02-20', 2000),
  (3, 'bob', '2026-03-05', 500),  (4, 'ann', '2026-03-10', 300),
  (5, 'vp',  '2026-01-01', 50),   (6, 'eve', '2026-01-01', 7);
-- overrides 5% to the first level, 2% to the second, 0 above
WITH want(id, manager, depth, override) AS (VALUES
  (1, 'mia', 1, 50.00), (1, 'vp', 2, 20.00),   -- January: ann -> mia -> vp
  (2, 'zed', 1, 100.00), (2, 'vp', 2, 40.00),  -- 20 Feb: ann -> zed -> vp
  (3, 'mia', 1, 25.00), (3, 'vp', 2, 10.00),   -- bob -> mia -> vp
  (4, 'zed', 1, 15.00))                         -- March: zed has no manager any more
                                                -- 5: vp is the top; 6: eve is in no hierarchy
SELECT r.credit_key, r.rep, r.manager, r.depth, r.credit_date, r.amount, r.override,
       w.override AS want, r.override = w.override AS ok
  FROM rollup('credit_reps', 'rep', 'manager', 'valid',
              'credit_sales', 'rep', 'closed', 'amount', '{0.05,0.02}', 'id') r
  FULL JOIN want w ON w.id::text = r.credit_key AND w.manager = r.manager AND w.depth = r.depth
 ORDER BY w.id, w.depth;

-- manager credit for the quarter (no override rates: override is NULL)
SELECT manager, sum(amount) AS credited, count(*) AS deals
  FROM rollup('credit_reps', 'rep', 'manager', 'valid', 'credit_sales', 'rep', 'closed', 'amount')
 GROUP BY manager ORDER BY manager;
-- want: mia 1000 + 500 = 1500 (2); vp 1000 + 2000 + 500 = 3500 (3); zed 2000 + 300 = 2300 (2)

-- a cycle as of a deal date is an error naming its reps
INSERT INTO credit_reps VALUES ('vp', 'ann', '[2026-01-05,2026-01-06)');
UPDATE credit_reps SET valid = '(,2026-01-05)' WHERE rep = 'vp' AND manager IS NULL;
INSERT INTO credit_reps VALUES ('vp', NULL, '[2026-01-06,)');
INSERT INTO credit_sales VALUES (7, 'bob', '2026-01-05', 10);
SELECT * FROM rollup('credit_reps', 'rep', 'manager', 'valid', 'credit_sales', 'rep', 'closed', 'amount');
-- overlapping ranges of one rep are an error before anything is produced
DELETE FROM credit_sales WHERE id = 7;
INSERT INTO credit_reps VALUES ('bob', 'zed', '[2026-06-01,2026-07-01)');
SELECT * FROM rollup('credit_reps', 'rep', 'manager', 'valid', 'credit_sales', 'rep', 'closed', 'amount');
