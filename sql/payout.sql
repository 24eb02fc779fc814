-- spm_payout end to end: a small company over five quarters (2025 and the
-- first quarter of 2026), every number checked by hand in the comments.
--
-- The company:
--   ann, bob  reps on plan "rep": quota based, marginal(0: 0.05, 1: 0.10)
--             read as fractions of quota: 5% of credit up to quota to date,
--             10% above it; quota 50,000 per quarter each.
--   mia       manages ann and bob; plan "manager": 1% of credit (amount).
--   vic       manages mia; plan "manager" too.  override_rates {1, 0.5}:
--             depth 1 (mia over ann and bob) full credit, depth 2 (vic over
--             ann and bob) half credit, deeper nothing.
--   cy        a closer without a manager; plan "closer" (amount): version 1
--             3% for deals dated before 2025-05-16, version 2 4% from then
--             on; a recoverable draw of 4,000 per quarter during 2025.
-- Plan years are calendar years.  Credit accumulates over the plan year:
-- the commission line of a quarter is E(credit to date) rounded to the cent
-- minus what the earlier quarters of the year paid (docs/payout.md).
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS spm_payout CASCADE;
CREATE SCHEMA payout_test;
SET search_path = payout_test;

CREATE TABLE sales (id int PRIMARY KEY, seller text, amt numeric(12,2), closed date, kind text);
CREATE TABLE splits (deal int, rep text, pct numeric);
CREATE TABLE org (rep text, mgr text, valid daterange);
INSERT INTO org VALUES ('ann', 'mia', '(,)'), ('bob', 'mia', '(,)'), ('mia', 'vic', '(,)'), ('vic', NULL, '(,)');

-- ======================================================== the catalog
INSERT INTO spm_payout.pay_period (label, period) VALUES
  ('2025Q1', '[2025-01-01,2025-04-01)'), ('2025Q2', '[2025-04-01,2025-07-01)'),
  ('2025Q3', '[2025-07-01,2025-10-01)'), ('2025Q4', '[2025-10-01,2026-01-01)'),
  ('2026Q1', '[2026-01-01,2026-04-01)');
-- internal deals are not commissionable: the source filters them out
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column,
                               filter_column, filter_values)
VALUES ('crm', 'sales', 'seller', 'id', 'amt', 'closed', 'kind', '{new,credit}');
INSERT INTO spm_payout.split_rule (source_id, relation, deal_column, rep_column, weight_column)
SELECT source_id, 'splits', 'deal', 'rep', 'pct' FROM spm_payout.source WHERE name = 'crm';
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column, override_rates)
VALUES ('org', 'rep', 'mgr', 'valid', '{1, 0.5}');
INSERT INTO spm_payout.plan (name) VALUES ('rep'), ('manager'), ('closer');
INSERT INTO spm_payout.plan_version (plan_id, version, valid, schedule, base)
SELECT plan_id, v, r::daterange, s::spm.schedule, b
  FROM (VALUES ('rep',     1, '[2025-01-01,)',           'marginal(0: 0.05, 1: 0.10)', 'quota'),
               ('manager', 1, '[2025-01-01,)',           'marginal(0: 0.01)',          'amount'),
               ('closer',  1, '[2025-01-01,2025-05-16)', 'marginal(0: 0.03)',          'amount'),
               ('closer',  2, '[2025-05-16,)',           'marginal(0: 0.04)',          'amount')) v(n, v, r, s, b)
  JOIN spm_payout.plan ON name = n;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, plan_id, '[2025-01-01,)'
  FROM (VALUES ('ann', 'rep'), ('bob', 'rep'), ('mia', 'manager'), ('vic', 'manager'), ('cy', 'closer')) a(r, n)
  JOIN spm_payout.plan ON name = n;
INSERT INTO spm_payout.quota (rep, period_id, amount)
SELECT r, period_id, 50000 FROM unnest('{ann,bob}'::text[]) r, spm_payout.pay_period;
INSERT INTO spm_payout.draw_agreement (rep, kind, amount, term)
VALUES ('cy', 'recoverable', 4000, '[2025-01-01,2026-01-01)');

-- The statement of a quarter, and its summary (draws and payout)
CREATE VIEW statement AS
SELECT period, rep, plan, plan_version AS v, line_kind AS kind, for_period AS "for", credited,
       late_credit AS late, credited_to_date AS to_date, quota_to_date AS quota, earned_to_date, paid_before, earned
  FROM spm_payout.payout_statement;
CREATE VIEW summary AS
SELECT period, rep, earned, draw, draw_paid, recovered, forgiven, balance, payout FROM spm_payout.payout_summary_view;

-- ============================================================= 2025Q1
INSERT INTO sales VALUES
  (1, 'ann',  30000.00, '2025-01-20', 'new'),
  (2, 'bob',  20000.00, '2025-02-10', 'new'),
  (3, 'ann',  10000.01, '2025-03-05', 'new'),       -- split 50/50 with bob
  (4, 'cy',  100000.00, '2025-02-14', 'new'),
  (5, 'ann',  99999.00, '2025-03-10', 'internal');  -- filtered out
INSERT INTO splits VALUES (3, 'ann', 50), (3, 'bob', 50);
CALL spm_payout.run_payout('2025Q1');
SELECT * FROM statement WHERE period = '2025Q1' ORDER BY rep, v, kind;
-- deal 3: 10,000.01 split 50/50 is 5,000.005 each: both truncated to
--   5,000.00, the missing cent goes to the earlier rep in rep order: ann
--   5,000.01, bob 5,000.00 (spm.split_share).
-- ann: 30,000 + 5,000.01 = 35,000.01 of quota 50,000: 5% = 1,750.0005 -> 1,750.00
-- bob: 20,000 + 5,000.00 = 25,000.00: 5% = 1,250.00
-- mia: depth 1, rate 1: 35,000.01 + 25,000.00 = 60,000.01: 1% = 600.0001 -> 600.00
-- vic: depth 2, rate 0.5: (35,000.01 + 25,000.00) / 2 = 30,000.005: 1% -> 300.00
-- cy:  version 1, 3% of 100,000 = 3,000.00
SELECT rep, via, from_rep, depth, sum(amount) AS amount
  FROM spm_payout.credit_statement WHERE period = '2025Q1' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;
-- credit by kind: ann direct 30,000 + split 5,000.01; bob direct 20,000 +
-- split 5,000.00; mia roll-up from ann 35,000.01 and from bob 25,000.00;
-- vic roll-up (depth 2) from ann 17,500.005 and from bob 12,500.000;
-- cy direct 100,000.  Deal 5 (internal) nowhere.
SELECT * FROM summary WHERE period = '2025Q1' ORDER BY rep;
-- cy: recoverable draw 4,000, earned 3,000: topped up by 1,000, paid 4,000,
-- owes 1,000.  The others have no draw: payout = earned.

-- rerun: the same results, row for row (run ids aside)
CREATE TEMP TABLE before_rerun AS SELECT * FROM statement;
CREATE TEMP TABLE before_rerun_sum AS SELECT * FROM summary;
CALL spm_payout.run_payout('2025Q1');
SELECT (SELECT count(*) FROM (SELECT * FROM statement EXCEPT ALL SELECT * FROM before_rerun) x) AS new_lines,
       (SELECT count(*) FROM (SELECT * FROM before_rerun EXCEPT ALL SELECT * FROM statement) x) AS lost_lines,
       (SELECT count(*) FROM (SELECT * FROM summary EXCEPT ALL SELECT * FROM before_rerun_sum) x) AS new_summaries,
       (SELECT count(*) FROM (SELECT * FROM before_rerun_sum EXCEPT ALL SELECT * FROM summary) x) AS lost_summaries;
SELECT period, status, examined_periods, changed_periods FROM spm_payout.run_log ORDER BY run_id;
CALL spm_payout.close_period('2025Q1');
SELECT label, status FROM spm_payout.pay_period ORDER BY period;

-- ============================================================= 2025Q2
-- A late deal dated in the closed 2025Q1, a full clawback (cy's deal 4
-- cancelled by a credit note dated 2025-04-20, under version 1), a partial
-- one (5,000 of bob's deal 2 refunded), and cy's version boundary on
-- 2025-05-16 inside the quarter.
INSERT INTO sales VALUES
  (6,  'ann',   40000.00, '2025-04-15', 'new'),
  (7,  'bob',   30000.00, '2025-05-20', 'new'),
  (8,  'cy',    50000.00, '2025-05-02', 'new'),      -- version 1 (3%)
  (9,  'cy',    60000.00, '2025-06-10', 'new'),      -- version 2 (4%)
  (10, 'cy',  -100000.00, '2025-04-20', 'credit'),   -- cancels deal 4
  (11, 'bob',   -5000.00, '2025-06-01', 'credit'),   -- refunds part of deal 2
  (12, 'ann',    8000.00, '2025-03-20', 'new');      -- late: in the closed 2025Q1
CALL spm_payout.run_payout('2025Q2');
SELECT * FROM statement WHERE period = '2025Q2' ORDER BY rep, v, kind;
-- 2025Q1 changed (deal 12): recomputed, its differences booked here as late
-- credit: ann +8,000, mia +8,000 (depth 1), vic +4,000 (depth 2, half).
-- ann: 2025Q1 now 43,000.01 + 2025Q2 40,000 = 83,000.01 of quota 100,000:
--      5% = 4,150.0005 -> 4,150.00; paid before 1,750.00 -> 2,400.00
--      (credited 40,000, late 8,000)
-- bob: 25,000 + (30,000 - 5,000) = 50,000 of 100,000: 2,500.00 - 1,250.00 = 1,250.00
-- mia: 68,000.01 + 65,000 = 133,000.01: 1,330.0001 -> 1,330.00 - 600.00 = 730.00
-- vic: 34,000.005 + 32,500 = 66,500.005: 665.00005 -> 665.00 - 300.00 = 365.00
-- cy version 1: 100,000 + 50,000 - 100,000 = 50,000: 3% = 1,500.00;
--      paid before 3,000.00 -> -1,500.00
-- cy version 2: 60,000: 4% = 2,400.00
SELECT period, for_period, rep, deal, via, from_rep, depth, amount
  FROM spm_payout.credit_statement WHERE period <> for_period ORDER BY rep;
-- the late rows: deal 12 in 2025Q1, booked in 2025Q2
SELECT * FROM summary WHERE period = '2025Q2' ORDER BY rep;
-- cy: earned -1,500 + 2,400 = 900; draw 4,000: top-up 3,100, paid 4,000,
-- owes 1,000 + 3,100 = 4,100.
SELECT period, status, examined_periods, changed_periods FROM spm_payout.run_log ORDER BY run_id DESC LIMIT 1;
-- a second run of 2025Q2 books the late deal again here, not twice:
CALL spm_payout.run_payout('2025Q2');
SELECT rep, sum(amount) AS late FROM spm_payout.credit_statement WHERE period <> for_period GROUP BY rep ORDER BY rep;
-- ann 8,000, mia 8,000, vic 4,000 (once)
CALL spm_payout.close_period('2025Q2');

-- ============================================================= 2025Q3
-- cy's deal 9 cancelled (version 2, his only version-2 credit), a manual
-- adjustment (a spiff of 250 for ann).
INSERT INTO sales VALUES
  (13, 'ann',  20000.00, '2025-07-10', 'new'),
  (14, 'bob',  90000.00, '2025-08-15', 'new'),
  (15, 'cy',  -60000.00, '2025-07-05', 'credit');
INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason)
SELECT 'ann', period_id, 250.00, 'spiff: new logo' FROM spm_payout.pay_period WHERE label = '2025Q3';
CALL spm_payout.run_payout('2025Q3');
SELECT * FROM statement WHERE period = '2025Q3' ORDER BY rep, v, kind;
-- ann: 83,000.01 + 20,000 = 103,000.01 of 150,000: 5,150.0005 -> 5,150.00
--      - (1,750 + 2,400) = 1,000.00; and the manual line 250.00
-- bob: 50,000 + 90,000 = 140,000 of 150,000: 7,000.00 - 2,500.00 = 4,500.00
-- mia: 133,000.01 + 110,000 = 243,000.01: 2,430.00 - 1,330.00 = 1,100.00
-- vic: 66,500.005 + 55,000 = 121,500.005: 1,215.00 - 665.00 = 550.00
-- cy version 1: no deal dated in it now; 50,000 to date: 1,500.00, paid
--      3,000 - 1,500 = 1,500: nothing changed, so no line (a version the rep
--      is no longer on gets a line only when its earnings change)
-- cy version 2: 60,000 - 60,000 = 0: 0 - 2,400.00 = -2,400.00
SELECT * FROM summary WHERE period = '2025Q3' ORDER BY rep;
-- ann: 1,000 + 250 = 1,250.00
-- cy: earned -2,400 (a clawback); draw 4,000: top-up 4,000 (nothing earned),
--     paid 4,000; owes 4,100 + 4,000 + 2,400 = 10,500
-- rerun after the rerun: still the same (the adjustment is paid once)
CREATE TEMP TABLE q3 AS SELECT * FROM statement WHERE period = '2025Q3';
CALL spm_payout.run_payout('2025Q3');
SELECT (SELECT count(*) FROM (SELECT * FROM statement WHERE period = '2025Q3' EXCEPT ALL SELECT * FROM q3) x) AS new_lines,
       (SELECT count(*) FROM (SELECT * FROM q3 EXCEPT ALL SELECT * FROM statement WHERE period = '2025Q3') x) AS lost_lines;
CALL spm_payout.close_period('2025Q3');

-- ============================================================= 2025Q4
INSERT INTO sales VALUES
  (16, 'ann',  60000.00, '2025-10-20', 'new'),
  (17, 'bob',  80000.00, '2025-11-05', 'new'),
  (18, 'cy',  300000.00, '2025-11-03', 'new');
CALL spm_payout.run_payout('2025Q4');
SELECT * FROM statement WHERE period = '2025Q4' ORDER BY rep, v, kind;
-- ann: 103,000.01 + 60,000 = 163,000.01 of 200,000: 8,150.0005 -> 8,150.00 - 5,150.00 = 3,000.00
-- bob: 140,000 + 80,000 = 220,000 of 200,000: 5% of 200,000 + 10% of 20,000
--      = 10,000 + 2,000 = 12,000.00 - 7,000.00 = 5,000.00
-- mia: 243,000.01 + 140,000 = 383,000.01: 3,830.00 - 2,430.00 = 1,400.00
-- vic: 121,500.005 + 70,000 = 191,500.005: 1,915.00 - 1,215.00 = 700.00
-- cy version 1: no line again; version 2: 300,000: 12,000.00 - 0 = 12,000.00
SELECT * FROM summary WHERE period = '2025Q4' ORDER BY rep;
-- cy: earned 12,000 >= draw 4,000: no top-up; recovers min(10,500, 12,000 - 4,000)
--     = 8,000 (never below the draw): paid 4,000, owes 2,500
CALL spm_payout.close_period('2025Q4');
-- the plan year 2025 adds up: commission lines = E(credit of the year)
SELECT rep, plan, v, sum(earned) AS paid_for_2025
  FROM statement WHERE kind = 'commission' AND period LIKE '2025%' GROUP BY 1, 2, 3 ORDER BY 1, 3;
-- ann 8,150.00, bob 12,000.00, cy v1 1,500.00, cy v2 12,000.00, mia 3,830.00, vic 1,915.00

-- ============================================================= 2026Q1
-- A new plan year.  cy's deal 18 is cancelled on 2026-01-20: the year 2026
-- starts from nothing, so its credit to date is -300,000 and the odd rule
-- gives E = -E(300,000) = -12,000.  And a late deal of bob's (10,000) dated
-- in the closed 2025Q4: the year 2025 is settled again (a prior-year line).
INSERT INTO sales VALUES
  (19, 'cy',  -300000.00, '2026-01-20', 'credit'),
  (20, 'bob',   10000.00, '2025-12-15', 'new');
CALL spm_payout.run_payout('2026Q1');
SELECT * FROM statement WHERE period = '2026Q1' ORDER BY rep, v, kind;
-- cy version 2 (commission, 2026): -300,000 to date: -(4% of 300,000) = -12,000.00
-- ann, bob: no credit in 2026 yet, quota 50,000: 0.00; mia, vic: 0.00
-- prior-year lines (for 2025Q4, the last period of 2025):
--   bob: 220,000 + 10,000 = 230,000 of 200,000: 10,000 + 3,000 = 13,000.00;
--        paid for 2025: 12,000.00 -> 1,000.00
--   mia: 383,000.01 + 10,000 = 393,000.01: 3,930.00 - 3,830.00 = 100.00
--   vic: 191,500.005 + 5,000 = 196,500.005: 1,965.00 - 1,915.00 = 50.00
-- (bob's 2026 commission line shows the 10,000 as late credit: see
-- test/payout.sql, it belongs to 2025 and is paid by the prior-year line)
SELECT * FROM summary WHERE period = '2026Q1' ORDER BY rep;
-- cy: no draw in 2026; carries 2,500 owed, earns -12,000: owes 14,500, paid 0.
-- bob 1,000.00, mia 100.00, vic 50.00
SELECT period, status, examined_periods, changed_periods FROM spm_payout.run_log ORDER BY run_id DESC LIMIT 1;
-- every line ever paid, per rep: the history adds up
SELECT rep, sum(earned) AS earned, sum(payout) AS payout, sum(draw_paid) AS draw_paid,
       sum(recovered) AS recovered, sum(forgiven) AS forgiven
  FROM spm_payout.payout_summary_view GROUP BY rep ORDER BY rep;
-- ann: 1,750 + 2,400 + 1,250 + 3,000 + 0 = 8,400 (8,150 commission + the 250 spiff)
-- bob: 1,250 + 1,250 + 4,500 + 5,000 + 1,000 = 13,000 (2025 settled at E(230,000))
-- cy:  earned 3,000 + 900 - 2,400 + 12,000 - 12,000 = 1,500; paid out
--      4,000 in each quarter of 2025 and 0 in 2026Q1 = 16,000; draws paid
--      1,000 + 3,100 + 4,000 = 8,100, recovered 8,000.  The ledger's identity:
--      payout = earned + forgiven + final balance: 16,000 = 1,500 + 0 + 14,500.
-- mia: 600 + 730 + 1,100 + 1,400 + 100 = 3,930 = E(393,000.01)
-- vic: 300 + 365 + 550 + 700 + 50 = 1,965 = E(196,500.005)
SELECT rep, balance FROM spm_payout.draw_balance WHERE period = '2026Q1' ORDER BY rep;
SELECT period, rep, plan, credited_to_date, quota_to_date, attainment_to_date, rank
  FROM spm_payout.leaderboard WHERE period = '2025Q4' ORDER BY plan, rank, rep;
-- rep plan: bob 220,000 / 200,000 = 1.1 first, ann 163,000.01 / 200,000 = 0.81500005
-- manager plan (no quota): by credit to date, mia 383,000.01 then vic 191,500.005
-- closer: only version 2 has a line in Q4 (300,000)
RESET search_path;
