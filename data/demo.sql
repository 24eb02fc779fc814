-- The spm demo: sample sales data, a compensation plan in spm's catalog,
-- scheduled-style payout runs per quarter, and the statements BI tools read.
-- Run from the repository root: psql -X -v ON_ERROR_STOP=1 -d DB -f data/demo.sql
\set QUIET on
\pset footer off
SET client_min_messages = warning;
\i data/sample.sql
\o /dev/null
SELECT spm_sample.generate(42, 40, 4000, '2025-01-01', 365);
\o
CREATE EXTENSION IF NOT EXISTS spm;

-- 1. The catalog: nothing is copied, the sales table is registered by name.
\o /dev/null
SELECT spm.add_pay_periods('2025-01-01', '2025-12-31', 'quarter');
\o
INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('crm deals', 'spm_sample.deals', 'rep_id', 'deal_id', 'amount', 'close_date');
-- managers are credited with their team's deals, as of the deal date
CREATE VIEW spm_sample.org AS
SELECT rep_id, manager_id, daterange(hired_on, NULL) AS valid FROM spm_sample.reps;
INSERT INTO spm.hierarchy_rule (relation, rep_column, manager_column, valid_column)
VALUES ('spm_sample.org', 'rep_id', 'manager_id', 'valid');
INSERT INTO spm.plan (name, schedule, base) VALUES
  ('AE quota plan', 'marginal(0: 0.03, 0.5: 0.06, 1: 0.10)', 'quota'),
  ('Manager override', 'cap(marginal(0: 0.005), 25000)', 'amount');
INSERT INTO spm.assignment (rep, plan_id, valid)
SELECT r.rep_id::text, CASE WHEN r.manager_id IS NULL THEN NULL
                            WHEN EXISTS (SELECT 1 FROM spm_sample.reps t WHERE t.manager_id = r.rep_id) THEN 2
                            ELSE 1 END,
       daterange(greatest(r.hired_on, '2025-01-01'), NULL)
  FROM spm_sample.reps r WHERE r.manager_id IS NOT NULL;
INSERT INTO spm.quota (rep, period_id, amount)
SELECT r.rep_id::text, p.period_id, round(r.annual_quota / 4, 2)
  FROM spm_sample.reps r CROSS JOIN spm.pay_period p
 WHERE EXISTS (SELECT 1 FROM spm.assignment a WHERE a.rep = r.rep_id::text AND a.plan_id = 1);
-- new hires get a recoverable draw of 4000 a quarter for their first two quarters
INSERT INTO spm.draw_agreement (rep, kind, amount, term)
SELECT rep_id::text, 'recoverable', 4000, daterange(date_trunc('quarter', hired_on)::date,
                                                      (date_trunc('quarter', hired_on) + interval '6 months')::date)
  FROM spm_sample.reps WHERE hired_on > '2025-01-01';

\set QUIET off
\echo
\echo 'Plan "AE quota plan": marginal tiers relative to the quarterly quota (annual quota / 4):'
\echo '  3% up to 50% of quota, 6% from 50% to 100%, 10% above 100%  -> marginal(0: 0.03, 0.5: 0.06, 1: 0.10)'
\echo 'Plan "Manager override": 0.5% of the team''s credit, capped at 25000 a quarter.'
\echo 'New hires: a recoverable draw of 4000 a quarter for two quarters.'
\echo
\set QUIET on
\o /dev/null
-- 2. Run each quarter and close it, as a scheduled job would (CALL spm.run_payout()).
CALL spm.run_payout('2025-02-15');
CALL spm.close_period('2025-02-15');
CALL spm.run_payout('2025-05-15');
CALL spm.close_period('2025-05-15');
-- a late Q1 deal arrives after Q1 closed: it becomes a prior-period adjustment in Q3
INSERT INTO spm_sample.deals VALUES (999999, 9, '2025-03-30', 150000.00, 'new');
CALL spm.run_payout('2025-08-15');
CALL spm.run_payout('2025-11-15');
\o
\set QUIET off

\echo 'Payout per rep and quarter (2025), from the view spm.payout_summary_view:'
SELECT r.rep_name AS rep, coalesce(pl.name, '') AS plan,
       sum(s.payout) FILTER (WHERE s.period_start = '2025-01-01') AS "Q1",
       sum(s.payout) FILTER (WHERE s.period_start = '2025-04-01') AS "Q2",
       sum(s.payout) FILTER (WHERE s.period_start = '2025-07-01') AS "Q3",
       sum(s.payout) FILTER (WHERE s.period_start = '2025-10-01') AS "Q4",
       sum(s.payout) AS year,
       (array_agg(s.balance ORDER BY s.period_start DESC))[1] AS "draw owed"
  FROM spm.payout_summary_view s
  JOIN spm_sample.reps r ON r.rep_id::text = s.rep
  LEFT JOIN spm.assignment a ON a.rep = s.rep
  LEFT JOIN spm.plan pl ON pl.plan_id = a.plan_id
 GROUP BY r.rep_id, r.rep_name, pl.name ORDER BY r.rep_id;

\echo 'Prior-period adjustments (late deals after a close), from spm.payout_statement:'
SELECT s.period, r.rep_name AS rep, s.plan, s.for_period, s.credited, s.earned
  FROM spm.payout_statement s JOIN spm_sample.reps r ON r.rep_id::text = s.rep
 WHERE s.line_kind = 'prior_period' ORDER BY r.rep_id;

\echo 'Runs, from spm.run_log:'
SELECT run_id, period, credit_rows, lines, adjustment_lines, reps, duration FROM spm.run_log ORDER BY run_id;

\echo 'Totals:'
SELECT count(DISTINCT rep) AS reps_paid, sum(earned) AS earned, sum(draw_paid) AS draws_paid,
       sum(recovered) AS recovered, sum(payout) AS payout
  FROM spm.payout_summary_view;
