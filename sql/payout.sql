-- Payout runs end to end on a small company, every number checked by hand.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE SCHEMA payout_test;
SET search_path = payout_test;
CREATE TABLE sales (id int PRIMARY KEY, seller text, amt numeric(12,2), closed date, kind text);
CREATE TABLE splits (deal int, rep text, pct numeric);
CREATE TABLE org (rep text, mgr text, valid daterange);
INSERT INTO sales VALUES
  (1, 'ann', 12000, '2025-01-10', 'new'),
  (2, 'bob',  4000, '2025-01-15', 'new'),
  (3, 'ann', 999.99, '2025-01-20', 'new'),      -- split 50/50 with bob
  (9, 'ann', 77777, '2025-01-21', 'internal');  -- filtered out by the source
INSERT INTO splits VALUES (3, 'ann', 50), (3, 'bob', 50);
INSERT INTO org VALUES ('ann', 'mia', '(,)'), ('bob', 'mia', '(,)'), ('mia', NULL, '(,)');

-- The catalog: periods, a source with a filter, splits, hierarchy, plans, quotas, a draw
SELECT count(*) AS periods FROM spm.add_pay_periods('2025-01-01', '2025-03-31', 'month');
SELECT label, period FROM spm.pay_period ORDER BY period;
INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column, filter_column, filter_values)
VALUES ('crm', 'sales', 'seller', 'id', 'amt', 'closed', 'kind', '{new,renewal}');
INSERT INTO spm.split_rule VALUES (1, 'splits', 'deal', 'rep', 'pct');
INSERT INTO spm.hierarchy_rule (relation, rep_column, manager_column, valid_column) VALUES ('org', 'rep', 'mgr', 'valid');
INSERT INTO spm.plan (name, schedule, base) VALUES
  ('rep plan', 'marginal(0: 0.05, 1: 0.10)', 'quota'),  -- 5% to quota, 10% above
  ('mgr plan', 'marginal(0: 0.01)', 'amount');          -- 1% of the team's credit
INSERT INTO spm.assignment (rep, plan_id, valid) VALUES
  ('ann', 1, '[2025-01-01,)'), ('bob', 1, '[2025-01-01,)'), ('mia', 2, '[2025-01-01,)');
INSERT INTO spm.quota SELECT r, p.period_id, 10000 FROM unnest('{ann,bob}'::text[]) r, spm.pay_period p;
INSERT INTO spm.draw_agreement (rep, kind, amount, term) VALUES ('bob', 'recoverable', 1000, '[2025-01-01,2025-04-01)');

-- January
CALL spm.run_payout('2025-01-15');
SELECT rep, plan, credited, quota, attainment, earned FROM spm.payout_statement WHERE period_start = '2025-01-01' ORDER BY rep;
-- ann: 12000 + 500.00 (her share of 999.99: 499.995 each, the odd cent to the earlier rep)
--      = 12500.00; 10000*0.05 + 2500*0.10 = 750.00
-- bob: 4000 + 499.99 = 4499.99; *0.05 = 224.9995 -> 225.00 (earned is rounded to the cent)
-- mia: 12500 + 4499.99 = 16999.99 rolled up; *0.01 = 169.9999 -> 170.00
SELECT rep, earned, draw, draw_paid, recovered, forgiven, balance, payout FROM spm.payout_summary_view WHERE period_start = '2025-01-01' ORDER BY rep;
-- bob: guarantee 1000, earned 225 -> top-up 775, balance 775
SELECT rep, deal, via, amount FROM spm.credit_line WHERE period_id = 1 ORDER BY rep, deal, via;

-- Rerunning an open period replaces its results with the same numbers
CREATE TEMP TABLE jan1 AS SELECT rep, plan_id, line_kind, credited, quota, attainment, earned FROM spm.payout_line WHERE period_id = 1;
CALL spm.run_payout('2025-01-15');
SELECT count(*) AS differences FROM (
  (SELECT rep, plan_id, line_kind, credited, quota, attainment, earned FROM spm.payout_line WHERE period_id = 1 EXCEPT ALL SELECT * FROM jan1)
  UNION ALL
  (SELECT * FROM jan1 EXCEPT ALL SELECT rep, plan_id, line_kind, credited, quota, attainment, earned FROM spm.payout_line WHERE period_id = 1)) d;
SELECT count(*) AS runs, count(DISTINCT input_hash) AS distinct_inputs FROM spm.run WHERE period_id = 1;

-- Close January; then a late deal and a cancellation arrive
CALL spm.close_period('2025-01-01..2025-01-31');
CREATE TEMP TABLE jan_frozen AS SELECT * FROM spm.payout_line WHERE period_id = 1;
INSERT INTO sales VALUES (4, 'bob', 2000, '2025-01-28', 'renewal');  -- late
DELETE FROM sales WHERE id = 1;                                        -- cancelled
CALL spm.run_payout('2025-01-15');                                     -- refused: closed

-- February: regular lines, prior-period adjustments for January, a manual spiff
INSERT INTO sales VALUES (5, 'ann', 8000, '2025-02-05', 'new'), (6, 'bob', 11000, '2025-02-10', 'new');
INSERT INTO spm.adjustment (rep, period_id, amount, reason, author) VALUES ('ann', 2, 50, 'spiff: first renewal', 'ops');
CALL spm.run_payout('2025-02-01..2025-02-28');
SELECT rep, plan, line_kind, for_period, credited, earned, reason FROM spm.payout_statement
 WHERE period_start = '2025-02-01' ORDER BY rep, line_kind, for_period;
-- regular: ann 8000 -> 400.00; bob 11000 -> 500 + 100 = 600.00; mia 19000 -> 190.00
-- January now: ann 500.00 -> 25.00 (was 750.00: -725.00, credit -12000)
--              bob 4000 + 499.99 + 2000 = 6499.99 -> 324.9995 -> 325.00 (was 225.00: +100.00, credit +2000)
--              mia 6999.99 -> 70.00 (was 170.00: -100.00, credit -10000)
-- manual: ann +50
SELECT rep, earned, draw, draw_paid, recovered, forgiven, balance, payout FROM spm.payout_summary_view WHERE period_start = '2025-02-01' ORDER BY rep;
-- ann: 400 - 725 + 50 = -275: a clawback, nothing paid, 275 owed
-- bob: 600 + 100 = 700 < 1000: top-up 300, balance 775 + 300 = 1075
-- mia: 190 - 100 = 90
SELECT jsonb_path_query_array(cause, '$.deals[*].deal') AS deals, jsonb_path_query_array(cause, '$.deals[*].credit_change') AS changes
  FROM spm.payout_line WHERE line_kind = 'prior_period' ORDER BY rep;
-- January's lines did not change
SELECT count(*) AS changed_jan_lines FROM (SELECT * FROM spm.payout_line WHERE period_id = 1 EXCEPT SELECT * FROM jan_frozen) d;
-- A second February run books the same adjustments once, not twice
CALL spm.run_payout('2025-02-01..2025-02-28');
SELECT line_kind, count(*), sum(earned) FROM spm.payout_line WHERE period_id = 2 GROUP BY 1 ORDER BY 1;

-- March: ann's big month recovers her clawback; bob tops up again
INSERT INTO sales VALUES (7, 'ann', 20000, '2025-03-03', 'new');
CALL spm.run_payout('2025-03-31');
SELECT rep, earned, draw_paid, recovered, balance, payout FROM spm.payout_summary_view WHERE period_start = '2025-03-01' ORDER BY rep;
-- ann 20000 -> 500 + 1000 = 1500; recovers 275 -> payout 1225, balance 0
-- bob 0 -> top-up 1000, balance 2075; mia 200

-- A plan change reaches back into closed January as an earnings adjustment
UPDATE spm.plan SET schedule = 'marginal(0: 0.02)' WHERE name = 'mgr plan';
CALL spm.run_payout('2025-03-31');
SELECT rep, line_kind, for_period, credited, earned, reason FROM spm.payout_statement
 WHERE period_start = '2025-03-01' AND rep = 'mia' ORDER BY line_kind;
-- January now pays mia 6999.99 * 0.02 = 139.9998 -> 140.00; accounted 170.00 - 100.00 = 70.00:
-- +70.00 with no credit change.  March: 20000 * 0.02 = 400.00

-- A failed run leaves nothing behind: a rep on a quota plan without a quota
DELETE FROM spm.quota WHERE rep = 'ann' AND period_id = 3;
CALL spm.run_payout('2025-03-31');
SELECT count(*) AS march_lines_kept FROM spm.payout_line WHERE period_id = 3;
SELECT count(*) AS runs FROM spm.run;

-- Bad input: clear errors, nothing written
INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('bad', 'sales', 'nobody', 'id', 'amt', 'closed');
INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('bad', 'no_such_table', 'seller', 'id', 'amt', 'closed');
INSERT INTO spm.assignment (rep, plan_id, valid) VALUES ('ann', 2, '[2025-06-01,2025-07-01)');
INSERT INTO spm.plan (name, schedule) VALUES ('empty', NULL);
INSERT INTO spm.quota VALUES ('zed', 3, 0);
INSERT INTO spm.adjustment (rep, period_id, amount, reason) VALUES ('ann', 1, 10, 'too late');
CALL spm.run_payout('2024-06-01');
UPDATE spm.pay_period SET status = 'open' WHERE label = '2025-01-01..2025-01-31';
-- A hostile column name in a source mapping is only ever an identifier
CREATE TABLE victim (x int);
CREATE TABLE hostile (id int, "rep""); DROP TABLE victim; --" text, amt numeric, closed date);
INSERT INTO hostile VALUES (100, 'ann', 1000, '2025-03-10');
INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('hostile', 'hostile', 'rep"); DROP TABLE victim; --', 'id', 'amt', 'closed');
INSERT INTO spm.quota VALUES ('ann', 3, 10000);
CALL spm.run_payout('2025-03-31');
SELECT to_regclass('payout_test.victim') IS NOT NULL AS victim_survives;
SELECT rep, credited, earned FROM spm.payout_statement WHERE period_start = '2025-03-01' AND rep = 'ann';
-- ann: 20000 + 1000 = 21000 -> 500 + 1100 = 1600.00

-- the audit log saw every catalog change
SELECT table_name, operation, count(*) FROM spm.audit_log GROUP BY 1, 2 ORDER BY 1, 2;
