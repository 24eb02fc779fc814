-- spm_payout 0.2.0 -> 0.3.0: plan components (docs/components.md).  The
-- columns the fresh install declares at the end of credit_line,
-- period_credit and payout_line (src/payout/20_results.sql); the new tables
-- are in src/payout/25_components.sql (included whole after this file).
ALTER TABLE spm_payout.credit_line ADD COLUMN component_id integer;
ALTER TABLE spm_payout.period_credit ADD COLUMN component_id integer;
ALTER TABLE spm_payout.payout_line ADD COLUMN component_id integer;
-- period_parts and earnings return a component_id column (their result
-- type changed: CREATE OR REPLACE cannot do that)
DROP FUNCTION spm_payout_internal.period_parts(integer);
DROP FUNCTION spm_payout_internal.earnings(integer, date, date);
