-- spm_payout 0.2.0 -> 0.3.0: deal-level statements (docs/statements.md).
-- The column the fresh install declares at the end of plan
-- (src/payout/10_catalog.sql); the new tables, functions and the view are in
-- src/payout/27_dealrate.sql (included whole after 25_components.sql).
ALTER TABLE spm_payout.plan ADD COLUMN deal_statements boolean NOT NULL DEFAULT false;
