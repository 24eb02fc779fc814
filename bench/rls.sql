-- bench/rls.sql — what row-level security costs a rep, an analyst and the
-- owner reading spm_payout.payout_line (docs/security.md, "Row-level
-- security, measured").  Run in an empty database of a server where spm and
-- spm_payout are installed, as a superuser:
--     createdb spm_rls && psql -X -d spm_rls -f bench/rls.sql
-- It builds 20,000 reps with a deal in each of 10 monthly periods (200,000
-- payout lines), then reads them with EXPLAIN (ANALYZE) as each role.
\set ON_ERROR_STOP 1
\timing on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS spm_payout CASCADE;
SELECT spm_payout.create_roles();
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rls_bench_rep') THEN CREATE ROLE rls_bench_rep IN ROLE spm_rep; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rls_bench_analyst') THEN CREATE ROLE rls_bench_analyst IN ROLE spm_analyst; END IF;
END $$;
CREATE SCHEMA bench;
CREATE TABLE bench.sales AS
SELECT g AS id, 'r' || (g % 20000) AS rep, (100 + g % 997)::numeric(12,2) AS amount,
       make_date(2025, 1 + g / 20000, 1 + g % 28) AS closed
  FROM generate_series(0, 199999) g;
SELECT count(*) FROM spm_payout.add_pay_periods('2025-01-01', '2025-10-31');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('bench', 'bench.sales', 'rep', 'id', 'amount', 'closed');
INSERT INTO spm_payout.plan (name) VALUES ('bench plan');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule)
SELECT plan_id, 1, 'marginal(0: 0.03, 5000: 0.05)' FROM spm_payout.plan;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT 'r' || g, plan_id, '[2025-01-01,)' FROM spm_payout.plan, generate_series(0, 19999) g;
INSERT INTO spm_payout.rep_login VALUES ('rls_bench_rep', 'r4242');
CALL spm_payout.run_payout('2025-01-01..2025-01-31');
CALL spm_payout.run_payout('2025-02-01..2025-02-28');
CALL spm_payout.run_payout('2025-03-01..2025-03-31');
CALL spm_payout.run_payout('2025-04-01..2025-04-30');
CALL spm_payout.run_payout('2025-05-01..2025-05-31');
CALL spm_payout.run_payout('2025-06-01..2025-06-30');
CALL spm_payout.run_payout('2025-07-01..2025-07-31');
CALL spm_payout.run_payout('2025-08-01..2025-08-31');
CALL spm_payout.run_payout('2025-09-01..2025-09-30');
CALL spm_payout.run_payout('2025-10-01..2025-10-31');
VACUUM ANALYZE spm_payout.payout_line;
SELECT count(*) AS payout_lines FROM spm_payout.payout_line;
\timing off

\echo '--- a rep: its lines, through the policy (index payout_line_rep)'
SET ROLE rls_bench_rep;
SELECT count(*) FROM spm_payout.payout_line;   -- warm
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM spm_payout.payout_line;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM spm_payout.payout_statement;
\echo '--- the same rep if the policy could not use the index (what a per-row policy function costs)'
SET enable_indexscan = off;
SET enable_bitmapscan = off;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM spm_payout.payout_line;
RESET enable_indexscan;
RESET enable_bitmapscan;
RESET ROLE;
\echo '--- an analyst: every line, through the policy USING (true)'
SET ROLE rls_bench_analyst;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT sum(earned) FROM spm_payout.payout_line;
RESET ROLE;
\echo '--- the owner (no row-level security)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT sum(earned) FROM spm_payout.payout_line;
