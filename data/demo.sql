-- The spm demo: sample sales data, a compensation plan in spm_payout's
-- catalog, monthly payout runs and closes as a scheduled job would do them,
-- a late deal and a cancelled deal after their months closed, and the
-- statements BI tools read.  Run from the repository root:
--   psql -X -v ON_ERROR_STOP=1 -d DB -f data/demo.sql
\set QUIET on
\pset footer off
SET client_min_messages = warning;
\i data/sample.sql
\o /dev/null
SELECT spm_sample.generate(42, 40, 4000, '2025-01-01', 365);
\o
CREATE EXTENSION IF NOT EXISTS spm_payout CASCADE;

-- 1. The catalog: nothing is copied, the sales table is registered by name.
\o /dev/null
SELECT spm_payout.add_pay_periods('2025-01-01', '2025-12-31', 'month');
\o
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('crm deals', 'spm_sample.deals', 'rep_id', 'deal_id', 'amount', 'close_date');
-- managers are credited with their team's deals, as of the deal date
CREATE VIEW spm_sample.org AS
SELECT rep_id, manager_id, daterange(hired_on, NULL) AS valid FROM spm_sample.reps;
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column)
VALUES ('spm_sample.org', 'rep_id', 'manager_id', 'valid');
INSERT INTO spm_payout.plan (name) VALUES ('AE quota plan'), ('Manager override');
-- version 1 of the AE plan until September; version 2 raises the top tier from October
INSERT INTO spm_payout.plan_version (plan_id, version, valid, schedule, base)
SELECT plan_id, v, r::daterange, s::spm.schedule, b FROM spm_payout.plan JOIN (VALUES
    ('AE quota plan', 1, '[2025-01-01,2025-10-01)', 'marginal(0: 0.03, 0.5: 0.06, 1: 0.10)', 'quota'),
    ('AE quota plan', 2, '[2025-10-01,)', 'marginal(0: 0.03, 0.5: 0.06, 1: 0.12)', 'quota'),
    ('Manager override', 1, '[2025-01-01,)', 'cap(marginal(0: 0.005), 100000)', 'amount')) x(n, v, r, s, b)
  ON x.n = name;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r.rep_id::text,
       (SELECT plan_id FROM spm_payout.plan
         WHERE name = CASE WHEN EXISTS (SELECT 1 FROM spm_sample.reps t WHERE t.manager_id = r.rep_id)
                           THEN 'Manager override' ELSE 'AE quota plan' END),
       daterange(greatest(r.hired_on, '2025-01-01'), NULL)
  FROM spm_sample.reps r WHERE r.manager_id IS NOT NULL;
INSERT INTO spm_payout.quota (rep, period_id, amount)
SELECT r.rep_id::text, p.period_id, round(r.annual_quota / 12, 2)
  FROM spm_sample.reps r CROSS JOIN spm_payout.pay_period p
 WHERE EXISTS (SELECT 1 FROM spm_payout.assignment a JOIN spm_payout.plan pl USING (plan_id)
                WHERE a.rep = r.rep_id::text AND pl.name = 'AE quota plan');
-- new hires get a recoverable draw of 1500 a month for their first six months
INSERT INTO spm_payout.draw_agreement (rep, kind, amount, term)
SELECT rep_id::text, 'recoverable', 1500, daterange(date_trunc('month', hired_on)::date,
                                                     (date_trunc('month', hired_on) + interval '6 months')::date)
  FROM spm_sample.reps WHERE hired_on > '2025-01-01';

\set QUIET off
\echo
\echo 'Plan "AE quota plan": marginal tiers on attainment of the plan year to date (monthly quota = annual / 12):'
\echo '  3% up to 50% of quota, 6% from 50% to 100%, 10% above 100% (12% above 100% from October: version 2, which accumulates on its own).'
\echo '  Each month pays what the year to date earns minus what earlier months paid.'
\echo 'Plan "Manager override": 0.5% of the team''s credit, capped at 100000 for the year.'
\echo 'New hires: a recoverable draw of 1500 a month for six months.'
\echo
\set QUIET on
\o /dev/null
-- 2. Run each month and close it, as a scheduled job would (CALL spm_payout.run_payout()).
DO $$
DECLARE
    run bigint;
BEGIN
    FOR m IN 1 .. 6 LOOP
        CALL spm_payout.run_payout(make_date(2025, m, 15)::text, run);
        CALL spm_payout.close_period(make_date(2025, m, 15)::text);
    END LOOP;
END $$;
-- after June closed: a late March deal, and the cancellation of a big May deal by a credit note
INSERT INTO spm_sample.deals (deal_id, rep_id, close_date, amount, kind) VALUES (999999, 9, '2025-03-30', 150000.00, 'new');
INSERT INTO spm_sample.deals (deal_id, rep_id, close_date, amount, kind)
SELECT 999998, rep_id, '2025-07-20', -amount, 'credit_note'
  FROM spm_sample.deals WHERE close_date >= '2025-05-01' AND close_date < '2025-06-01' ORDER BY amount DESC LIMIT 1;
DO $$
DECLARE
    run bigint;
BEGIN
    FOR m IN 7 .. 12 LOOP
        CALL spm_payout.run_payout(make_date(2025, m, 15)::text, run);
    END LOOP;
END $$;
\o
\set QUIET off

\echo 'Payout per rep and quarter (2025), from the view spm_payout.payout_summary_view:'
SELECT r.rep_name AS rep,
       sum(s.payout) FILTER (WHERE s.period_start < '2025-04-01') AS "Q1",
       sum(s.payout) FILTER (WHERE s.period_start >= '2025-04-01' AND s.period_start < '2025-07-01') AS "Q2",
       sum(s.payout) FILTER (WHERE s.period_start >= '2025-07-01' AND s.period_start < '2025-10-01') AS "Q3",
       sum(s.payout) FILTER (WHERE s.period_start >= '2025-10-01') AS "Q4",
       sum(s.payout) AS year,
       (array_agg(s.balance ORDER BY s.period_start DESC))[1] AS "draw owed"
  FROM spm_payout.payout_summary_view s
  JOIN spm_sample.reps r ON r.rep_id::text = s.rep
 GROUP BY r.rep_id, r.rep_name ORDER BY r.rep_id;

\echo 'July statement lines touched by the late March deal and the May cancellation (late_credit, credited):'
SELECT s.period, r.rep_name AS rep, s.plan, s.plan_version AS v, s.credited, s.late_credit,
       s.credited_to_date, s.earned_to_date, s.paid_before, s.earned
  FROM spm_payout.payout_statement s JOIN spm_sample.reps r ON r.rep_id::text = s.rep
 WHERE s.period_start = '2025-07-01' AND (s.late_credit <> 0 OR s.credited < 0) ORDER BY r.rep_id, s.plan;

\echo 'The deal-level rows booked in July for closed months (spm_payout.credit_statement):'
SELECT period, for_period, rep, via, from_rep, deal, deal_date, amount
  FROM spm_payout.credit_statement WHERE period <> for_period ORDER BY rep, deal;

\echo 'Runs, from spm_payout.run_log:'
SELECT run_id, period, status, credit_rows, lines, reps, duration_seconds, changed_periods
  FROM spm_payout.run_log ORDER BY run_id;

\echo 'Totals:'
SELECT count(DISTINCT rep) AS reps_paid, sum(earned) AS earned, sum(draw_paid) AS draws_paid,
       sum(recovered) AS recovered, sum(payout) AS payout
  FROM spm_payout.payout_summary_view;
