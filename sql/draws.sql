-- Draws: spm.draw_ledger, spm.draw_simulate, spm.draw_total and the
-- calibration aggregates.  Every expected number below is computed by hand
-- (the comments show the arithmetic) or by an independent query in plain SQL.
SET search_path = spm, public;

-- docs/draws.md: recoverable, draw 2000 every month, earnings 500, 1500, 4000, 3000
-- -> payouts 2000, 2000, 2000, 3000; balances 1500, 2000, 0, 0
SELECT m, e, (draw_ledger(e, 2000, 'recoverable') OVER w).*
  FROM (VALUES (1, 500), (2, 1500), (3, 4000), (4, 3000)) v(m, e)
WINDOW w AS (ORDER BY m) ORDER BY m;
-- ... with recovery_limit 0.5 and forgive on the last row: payouts 2000, 2000,
-- 3000, 2500; forgiven 0, 0, 0, 500
-- (m3: recovered min(2000, 0.5*(4000-2000)) = 1000; m4: min(1000, 500) = 500,
--  the remaining 500 forgiven)
SELECT m, e, (draw_ledger(e, 2000, 'recoverable', 0.5, m = 4) OVER w).*
  FROM (VALUES (1, 500), (2, 1500), (3, 4000), (4, 3000)) v(m, e)
WINDOW w AS (ORDER BY m) ORDER BY m;

-- Hand-computed ledgers, one partition per case, all in one query (each
-- partition starts from a zero balance).  w_* are the expected columns.
CREATE TABLE draw_cases (
    c text, seq int, earned numeric, draw numeric, kind text, rho numeric, forgive boolean,
    w_payout numeric, w_draw_paid numeric, w_recovered numeric, w_forgiven numeric, w_balance numeric);
INSERT INTO draw_cases VALUES
-- recoverable with clawbacks, with and without a draw; the draw ends after month 5
--  1: p 300 < 1000: top 700                       B 700
--  2: e -200: p 0, n 200, top 1000                 B 700+1000+200 = 1900
--  3: p 2500: recover min(1900, 1500) = 1500       B 400, payout 1000
--  4: p 1500: recover min(400, 500) = 400          B 0,   payout 1100
--  5: e -400: top 1000, n 400                      B 1400
--  6: draw 0: recover min(1400, 800) = 800         B 600, payout 0
--  7: draw 0: recover min(600, 300) = 300          B 300, payout 0
  ('rec_clawback', 1,  300, 1000, 'recoverable', NULL, NULL, 1000,  700,    0, 0,  700),
  ('rec_clawback', 2, -200, 1000, 'recoverable', NULL, NULL, 1000, 1000,    0, 0, 1900),
  ('rec_clawback', 3, 2500, 1000, 'recoverable', NULL, NULL, 1000,    0, 1500, 0,  400),
  ('rec_clawback', 4, 1500, 1000, 'recoverable', NULL, NULL, 1100,    0,  400, 0,    0),
  ('rec_clawback', 5, -400, 1000, 'recoverable', NULL, NULL, 1000, 1000,    0, 0, 1400),
  ('rec_clawback', 6,  800,    0, 'recoverable', NULL, NULL,    0,    0,  800, 0,  600),
  ('rec_clawback', 7,  300,    0, 'recoverable', NULL, NULL,    0,    0,  300, 0,  300),
-- no draw at all: a clawback is recovered from later earnings
  ('rec_nodraw', 1, 1000, 0, 'recoverable', NULL, NULL, 1000, 0,   0, 0,   0),
  ('rec_nodraw', 2, -300, 0, 'recoverable', NULL, NULL,    0, 0,   0, 0, 300),
  ('rec_nodraw', 3,  200, 0, 'recoverable', NULL, NULL,    0, 0, 200, 0, 100),
  ('rec_nodraw', 4,  500, 0, 'recoverable', NULL, NULL,  400, 0, 100, 0,   0),
-- non_recoverable: top-ups forgiven at once, only clawbacks recovered;
-- NULL earned counts as 0
--  1: top 700 forgiven; 3: e -500: top 1000 forgiven, B 500;
--  4: recover min(500, 200) = 200; 5: min(300, 1000) = 300; 6: top 1000
  ('nonrec', 1,  300, 1000, 'non_recoverable', NULL, NULL, 1000,  700,   0,  700,   0),
  ('nonrec', 2, 1800, 1000, 'non_recoverable', NULL, NULL, 1800,    0,   0,    0,   0),
  ('nonrec', 3, -500, 1000, 'non_recoverable', NULL, NULL, 1000, 1000,   0, 1000, 500),
  ('nonrec', 4, 1200, 1000, 'non_recoverable', NULL, NULL, 1000,    0, 200,    0, 300),
  ('nonrec', 5, 2000, 1000, 'non_recoverable', NULL, NULL, 1700,    0, 300,    0,   0),
  ('nonrec', 6, NULL, 1000, 'non_recoverable', NULL, NULL, 1000, 1000,   0, 1000,   0),
-- non_recoverable with recovery limit 0.5 on a clawback
--  1: e -600, draw 0: top 0, B 600, recover min(600, 0) = 0
--  2: p 1500, d 1000: recover min(600, 0.5*500) = 250, payout 1250
  ('nonrec_half', 1, -600, 0,    'non_recoverable', 0.5, false,    0, 0,   0, 0, 600),
  ('nonrec_half', 2, 1500, 1000, 'non_recoverable', 0.5, false, 1250, 0, 250, 0, 350),
-- advance of 3000 in month 1 (NULL draw later counts as 0), recovery limit 0.5,
-- forgiven at term end (month 5)
--  2: recover min(3000, 0.5*2000) = 1000; 3: e -400: B 2400, nothing recovered
--  4: min(2400, 2000) = 2000; 5: min(400, 300) = 300, B 100 forgiven
  ('advance', 1,  500, 3000, 'advance', 0.5, false, 3500, 3000,    0,   0, 3000),
  ('advance', 2, 2000, NULL, 'advance', 0.5, false, 1000,    0, 1000,   0, 2000),
  ('advance', 3, -400,    0, 'advance', 0.5, false,    0,    0,    0,   0, 2400),
  ('advance', 4, 4000,    0, 'advance', 0.5, NULL,  2000,    0, 2000,   0,  400),
  ('advance', 5,  600,    0, 'advance', 0.5, true,   300,    0,  300, 100,    0),
-- delayed recovery: recovery limit 0 for three months, then 1 (NULL)
  ('delayed', 1,  500, 1000, 'recoverable', 0,    false, 1000, 500,   0, 0, 500),
  ('delayed', 2, 1600, 1000, 'recoverable', 0,    false, 1600,   0,   0, 0, 500),
  ('delayed', 3, 1400, 1000, 'recoverable', 0,    false, 1400,   0,   0, 0, 500),
  ('delayed', 4, 1800, 1000, 'recoverable', NULL, false, 1300,   0, 500, 0,   0),
  ('delayed', 5, 1300, 1000, 'recoverable', NULL, false, 1300,   0,   0, 0,   0),
-- partial recovery in cents, forgiveness at term end
--  2: recover min(1000, 0.25*333.33 = 83.3325): exact, half-cent places kept
--  3: min(916.6675, 250) = 250, then 666.6675 forgiven
  ('partial', 1,    0.00, 1000.00, 'recoverable', 0.25, false, 1000.00,    1000.00,   0,        0,           1000.00),
  ('partial', 2, 1333.33, 1000.00, 'recoverable', 0.25, false, 1249.9975,     0,     83.3325,   0,            916.6675),
  ('partial', 3, 2000.00, 1000.00, 'recoverable', 0.25, true,  1750.00,       0,    250,        666.6675,     0),
-- a plan change: recoverable then non_recoverable; the balance carries over
-- and is recovered under the new kind's rule (letter case does not matter)
--  1: top 600, B 600; 2: top 300 forgiven; 3: recover min(600, 500) = 500
  ('plan_change', 1,  400, 1000, 'Recoverable',     NULL, NULL, 1000, 600,   0,   0, 600),
  ('plan_change', 2,  700, 1000, 'NON_RECOVERABLE', NULL, NULL, 1000, 300,   0, 300, 600),
  ('plan_change', 3, 1500, 1000, 'non_recoverable', NULL, NULL, 1000,   0, 500,   0, 100);

SELECT c, seq, earned, draw, (l).*,
       (l).payout = w_payout AND (l).draw_paid = w_draw_paid AND (l).recovered = w_recovered
       AND (l).forgiven = w_forgiven AND (l).balance = w_balance AS ok
  FROM (SELECT d.*, draw_ledger(earned, draw, kind, rho, forgive) OVER w AS l
          FROM draw_cases d WINDOW w AS (PARTITION BY c ORDER BY seq)) s
 ORDER BY c, seq;

-- Nothing is lost: per case, sum(payout) = sum(earned) + sum(forgiven) + final balance
SELECT c, sum(payout) AS paid, sum(coalesce(earned, 0)) + sum(forgiven) + (array_agg(balance ORDER BY seq DESC))[1] AS earned_forgiven_owed
  FROM (SELECT c, seq, earned, (draw_ledger(earned, draw, kind, rho, forgive) OVER w).*
          FROM draw_cases WINDOW w AS (PARTITION BY c ORDER BY seq)) s
 GROUP BY c ORDER BY c;

-- The 3-argument form is recovery limit 1, no forgiveness
SELECT count(*) AS rows, count(*) FILTER (WHERE a IS DISTINCT FROM b) AS differ
  FROM (SELECT draw_ledger(earned, draw, kind) OVER w AS a,
               draw_ledger(earned, draw, kind, 1, false) OVER w AS b
          FROM draw_cases WINDOW w AS (PARTITION BY c ORDER BY seq)) s;

-- Display scale: the largest scale of earned and draw seen, more only where exact
-- values need it (the partial case shows 1249.9975 next to 1000.00)
SELECT seq, (draw_ledger(earned::numeric(12,2), draw::numeric(12,2), 'recoverable', 0.50, false) OVER (ORDER BY seq)).*
  FROM (VALUES (1, 0, 1000), (2, 1333.33, 1000), (3, 999.99, 1000)) v(seq, earned, draw);
-- 1: top 1000.00; 2: recover min(1000, 0.5*333.33 = 166.665) -> B 833.335, payout 1166.665;
-- 3: top 0.01 -> B 833.345

-- Generated data: every kind, draws that change and stop, recovery limits,
-- clawbacks and forgiveness on the last period of some reps.
CREATE TABLE draw_gen AS
SELECT r AS rep, m AS period,
       CASE WHEN (r * 31 + m * 17) % 11 = 0 THEN -((r * 13 + m * 7) % 900)::numeric
            ELSE ((r * 7919 + m * 104729) % 500000) / 100.0 END AS earned,
       CASE WHEN m > 8 + r % 4 THEN 0 ELSE 1000 + 250 * (r % 5) END::numeric AS draw,
       (ARRAY['recoverable', 'non_recoverable', 'advance'])[1 + r % 3] AS kind,
       (ARRAY[NULL, 1, 0.5, 0.25, 0])[1 + (r + m / 6) % 5]::numeric AS rho,
       (r % 4 = 0 AND m = 18) AS forgive
  FROM generate_series(1, 60) r, generate_series(1, 18) m;
CREATE TABLE draw_gen_lines AS
SELECT g.*, (draw_ledger(earned, draw, kind, rho, forgive) OVER w).*
  FROM draw_gen g WINDOW w AS (PARTITION BY rep ORDER BY period);
-- identity on every partition
SELECT count(*) AS reps,
       count(*) FILTER (WHERE paid <> earned + forgiven + final_balance) AS identity_broken
  FROM (SELECT rep, sum(payout) AS paid, sum(earned) AS earned, sum(forgiven) AS forgiven,
               (array_agg(balance ORDER BY period DESC))[1] AS final_balance
          FROM draw_gen_lines GROUP BY rep) s;
-- per row: payout - earned = change of balance + forgiven; balance never negative
SELECT count(*) AS rows_checked,
       count(*) FILTER (WHERE payout - earned <> balance - coalesce(prev_balance, 0) + forgiven OR balance < 0) AS broken
  FROM (SELECT *, lag(balance) OVER (PARTITION BY rep ORDER BY period) AS prev_balance FROM draw_gen_lines) s;
-- a guarantee pays at least the draw where earnings fall short of it
SELECT kind, count(*) AS guarantee_periods, count(*) FILTER (WHERE payout < draw) AS below_draw
  FROM draw_gen_lines
 WHERE kind IN ('recoverable', 'non_recoverable') AND greatest(earned, 0) < draw
 GROUP BY kind ORDER BY kind;

-- Simulation: per rep the sums of the ledger's columns, plain SQL as the reference
SELECT count(*) AS reps, count(*) FILTER (WHERE s IS DISTINCT FROM ref) AS differ
  FROM (SELECT rep, draw_simulate(earned, draw, kind, rho, forgive ORDER BY period) AS s
          FROM draw_gen GROUP BY rep) a
  JOIN (SELECT rep, ROW(count(*)::int, sum(earned), sum(payout), sum(draw_paid), sum(recovered),
                        sum(forgiven), (array_agg(balance ORDER BY period DESC))[1],
                        greatest(max(balance), 0), (count(*) FILTER (WHERE draw_paid > 0))::int)::draw_summary AS ref
          FROM draw_gen_lines GROUP BY rep) b USING (rep);
-- docs/draws.md's example summed up: paid 9500 = earned 9000 + forgiven 500
SELECT (draw_simulate(e, 2000, 'recoverable', 0.5, m = 4 ORDER BY m)).*
  FROM (VALUES (1, 500), (2, 1500), (3, 4000), (4, 3000)) v(m, e);
-- 3-argument form; and as a window: the running summary
SELECT m, (draw_simulate(e, 2000, 'recoverable') OVER (ORDER BY m)).*
  FROM (VALUES (1, 500), (2, 1500), (3, 4000), (4, 3000)) v(m, e) ORDER BY m;
-- no rows: NULL
SELECT draw_simulate(1, 1, 'advance') IS NULL AS empty_is_null FROM draw_gen WHERE false;
-- totals over reps: draw_total equals sums over all ledger lines
SELECT (t).periods = n AND (t).earned = e AND (t).paid = p AND (t).draw_paid = dp
       AND (t).recovered = r AND (t).forgiven = f AND (t).ending_balance = eb
       AND (t).max_balance = mb AND (t).periods_topped_up = tu AS totals_match
  FROM (SELECT draw_total(s) AS t
          FROM (SELECT draw_simulate(earned, draw, kind, rho, forgive ORDER BY period) AS s
                  FROM draw_gen GROUP BY rep) x) a,
       (SELECT count(*) AS n, sum(earned) AS e, sum(payout) AS p, sum(draw_paid) AS dp,
               sum(recovered) AS r, sum(forgiven) AS f, max(balance) AS mb,
               count(*) FILTER (WHERE draw_paid > 0) AS tu,
               sum(balance) FILTER (WHERE period = 18) AS eb
          FROM draw_gen_lines) b;

-- Calibration.  History of two reps (cents), candidate draws in whole cents.
CREATE TABLE hist (rep text, period int, earned numeric);
INSERT INTO hist VALUES
  ('ann', 1, 500), ('ann', 2, 1500), ('ann', 3, 4000), ('ann', 4, 3000),
  ('bob', 1, 0), ('bob', 2, 2500.50), ('bob', 3, -300), ('bob', 4, 1200);
-- Budget 100 per rep-period, recoverable, ann alone: cost(D) = ann's balance
-- at the end.  D = 2350: B 1850, 2700, 2700 - 1650 = 1050, 1050 - 650 = 400 <= 4*100;
-- D = 2350.01 leaves 400.04 > 400.
SELECT draw_calibrate_budget(rep, earned, 'recoverable', 1, 100 ORDER BY rep, period) AS got, 2350.00 AS want
  FROM hist WHERE rep = 'ann';
-- non_recoverable, only forgiven top-ups count: below 1500 ann's only top-up is
-- D - 500 <= 400 -> D <= 900
SELECT draw_calibrate_budget(rep, earned, 'non_recoverable', 1, 100, false ORDER BY rep, period) AS got, 900.00 AS want
  FROM hist WHERE rep = 'ann';
-- a budget no draw meets: bob's clawback of 300 at the end of periods 1-3 is
-- never recovered, so even D = 0 costs 300 > 3 * 10
SELECT draw_calibrate_budget(rep, earned, 'recoverable', 1, 10 ORDER BY rep, period) IS NULL AS none_affordable
  FROM hist WHERE rep = 'bob' AND period <= 3;
-- no rows: NULL
SELECT draw_calibrate_budget(rep, earned, 'recoverable', 1, 10 ORDER BY rep, period) IS NULL AS empty_is_null
  FROM hist WHERE false;
-- reps of any sortable type
SELECT draw_calibrate_budget(length(rep), earned, 'recoverable', 1, 100 ORDER BY length(rep), period) AS one_rep_by_int
  FROM hist WHERE rep = 'ann';

-- Brute force: for every cent from 0 to 60.00 the cost through draw_simulate
-- (sum of forgiven, plus ending balances when they count), the largest
-- affordable candidate; three reps, small amounts.
CREATE TABLE hist_small (rep int, period int, earned numeric);
INSERT INTO hist_small VALUES
  (1, 1, 5), (1, 2, 15), (1, 3, 40), (1, 4, 30), (1, 5, 12.34),
  (2, 1, 0), (2, 2, 25.05), (2, 3, -3), (2, 4, 12), (2, 5, NULL),
  (3, 1, 50), (3, 2, 7.77), (3, 3, 0.01), (3, 4, 33), (3, 5, -10);
CREATE TABLE brute_costs AS
SELECT k.kind, k.rho, c, sum((s).forgiven) AS forgiven, sum((s).ending_balance) AS owed
  FROM (VALUES ('recoverable', 1), ('recoverable', 0.5), ('recoverable', 0),
               ('non_recoverable', 1), ('non_recoverable', 0.25), ('advance', 1)) k(kind, rho),
       LATERAL (SELECT c, draw_simulate(earned, c / 100.0, k.kind, k.rho, false ORDER BY period) AS s
                  FROM hist_small, generate_series(0, 6000) c GROUP BY c, rep) x
 GROUP BY 1, 2, 3;
-- the cost never decreases as the draw grows (what makes the binary search exact)
SELECT kind, rho, count(*) FILTER (WHERE forgiven + owed < prev_cost) AS cost_decreases,
       count(*) FILTER (WHERE forgiven < prev_forgiven) AS forgiven_decreases
  FROM (SELECT *, lag(forgiven + owed) OVER w AS prev_cost, lag(forgiven) OVER w AS prev_forgiven
          FROM brute_costs WINDOW w AS (PARTITION BY kind, rho ORDER BY c)) s
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT k.kind, k.rho, k.budget, k.bic,
       CASE WHEN k.bic
            THEN (SELECT draw_calibrate_budget(rep, earned, k.kind, k.rho, k.budget ORDER BY rep, period) FROM hist_small)
            ELSE (SELECT draw_calibrate_budget(rep, earned, k.kind, k.rho, k.budget, false ORDER BY rep, period) FROM hist_small)
       END AS got,
       (SELECT (max(c) / 100.0)::numeric(12,2) FROM brute_costs b
         WHERE b.kind = k.kind AND b.rho = k.rho
           AND b.forgiven + CASE WHEN k.bic THEN b.owed ELSE 0 END <= k.budget * 15) AS brute_force
  FROM (VALUES ('recoverable', 1, 2, true), ('recoverable', 0.5, 2, true), ('recoverable', 0, 2, true),
               ('recoverable', 1, 0.5, true), ('recoverable', 1, 10, true),
               ('non_recoverable', 1, 3, true), ('non_recoverable', 1, 3, false),
               ('non_recoverable', 0.25, 1.25, false), ('non_recoverable', 0.25, 8, true),
               ('advance', 1, 5, true)) k(kind, rho, budget, bic)
 ORDER BY 1, 2, 3, 4;

-- Coverage: earnings (max(earned, 0)) of ann and bob sorted:
-- 0, 0, 500, 1200, 1500, 2500.50, 3000, 4000.  share s needs k = ceil(8 s)
-- periods earning less than the draw: one cent above the k-th smallest.
SELECT s, draw_calibrate_coverage(earned, s) AS got, want
  FROM hist, (VALUES (0, 0.00), (0.25, 0.01), (0.3, 500.01), (0.5, 1200.01),
                     (0.7, 2500.51), (1, 4000.01)) v(s, want)
 GROUP BY s, want ORDER BY s;
-- brute force: the smallest cent amount topping up at least that share of
-- rep-periods in draw_simulate (periods_topped_up), on the small history
SELECT s, (SELECT draw_calibrate_coverage(earned, s) FROM hist_small) AS got,
       (SELECT (min(c) / 100.0)::numeric(12,2)
          FROM (SELECT c, sum((x).periods_topped_up) AS topped
                  FROM (SELECT c, rep, draw_simulate(earned, c / 100.0, 'recoverable' ORDER BY period) AS x
                          FROM hist_small, generate_series(0, 6000) c GROUP BY c, rep) y GROUP BY c) z
         WHERE topped >= s * 15) AS brute_force
  FROM unnest('{0, 0.01, 0.2, 0.33, 0.5, 0.61, 0.8, 0.99, 1}'::numeric[]) s ORDER BY s;
-- no rows: NULL
SELECT draw_calibrate_coverage(earned, 0.5) IS NULL AS empty_is_null FROM hist WHERE false;

-- Bad input: each error names the argument and the rule (SQLSTATE 22023)
\set VERBOSITY sqlstate
SELECT draw_ledger(1, 1, 'guaranteed') OVER ();
\set VERBOSITY default
SELECT draw_ledger(1, 1, 'guaranteed') OVER ();
SELECT draw_ledger(1, 1, NULL) OVER ();
SELECT draw_ledger(1, -5, 'recoverable') OVER ();
SELECT draw_ledger(1, 1, 'recoverable', 1.5, false) OVER ();
SELECT draw_ledger(1, 1, 'recoverable', -0.1, false) OVER ();
SELECT draw_ledger('NaN', 1, 'recoverable') OVER ();
SELECT draw_ledger(1, 'Infinity', 'recoverable') OVER ();
SELECT draw_ledger(1, 1, 'recoverable', 'NaN', false) OVER ();
SELECT draw_simulate(1, 1, 'loan');
SELECT draw_simulate(1, -1, 'advance');
SELECT draw_calibrate_budget(rep, earned, 'recoverable', 1, -1 ORDER BY rep, period) FROM hist;
SELECT draw_calibrate_budget(rep, earned, 'recoverable', 1, NULL ORDER BY rep, period) FROM hist;
SELECT draw_calibrate_budget(rep, earned, 'recoverable', 1, 100, false ORDER BY rep, period) FROM hist;
SELECT draw_calibrate_budget(rep, earned, 'recoverable', 1, 100 ORDER BY period) FROM hist;
SELECT draw_calibrate_budget(rep, earned, 'recoverable', period / 4.0, 100 ORDER BY rep, period) FROM hist;
SELECT draw_calibrate_coverage(earned, 1.5) FROM hist;
