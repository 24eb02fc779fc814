-- The spm demo: sample sales data, a tiered plan, each rep's commission per quarter.
-- Run from the repository root: psql -X -v ON_ERROR_STOP=1 -d DB -f data/demo.sql
\set QUIET on
\pset footer off
SET client_min_messages = warning;
\i data/sample.sql
\o /dev/null
SELECT spm_sample.generate(42, 40, 4000, '2025-01-01', 365);
\o
CREATE EXTENSION IF NOT EXISTS spm;

\echo
\echo 'Sample plan: marginal tiers relative to the quarterly quota (annual quota / 4):'
\echo '  3% up to 50% of quota, 6% from 50% to 100%, 10% above 100%.'
\echo '  spm.schedule literal: marginal(0: 0.03, 0.5: 0.06, 1: 0.10)'
\echo

-- Commission per rep and quarter, rounded to the cent for the payout.
CREATE TEMP VIEW quarterly AS
SELECT r.rep_id, r.rep_name,
       extract(quarter FROM d.close_date)::int AS q,
       sum(d.amount) AS credited,
       round(r.annual_quota / 4, 2) AS quota,
       round(spm.commission(d.amount, 'marginal(0: 0.03, 0.5: 0.06, 1: 0.10)',
                            round(r.annual_quota / 4, 2)), 2) AS commission
  FROM spm_sample.deals d JOIN spm_sample.reps r USING (rep_id)
 GROUP BY r.rep_id, r.rep_name, r.annual_quota, q;

\set QUIET off
\echo 'Quarterly commission per rep (2025):'
SELECT rep_name AS rep,
       sum(commission) FILTER (WHERE q = 1) AS "Q1",
       sum(commission) FILTER (WHERE q = 2) AS "Q2",
       sum(commission) FILTER (WHERE q = 3) AS "Q3",
       sum(commission) FILTER (WHERE q = 4) AS "Q4",
       sum(commission) AS year,
       round(100 * sum(credited) / sum(quota), 1) AS "attain %"
  FROM quarterly GROUP BY rep_id, rep_name ORDER BY rep_id;

\echo 'Totals:'
SELECT count(DISTINCT rep_id) AS reps_paid, sum(credited) AS credited, sum(commission) AS commission
  FROM quarterly;
