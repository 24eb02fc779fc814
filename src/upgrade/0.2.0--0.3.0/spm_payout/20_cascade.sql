-- spm_payout 0.2.0 -> 0.3.0: quota cascading (docs/goals.md).  A quota
-- written by an approved cascade is already prorated to the days the rep is
-- on a plan (basis 'days_on_plan'); cascade_id names the cascade that wrote
-- it.  Same columns, in the same order, as src/payout/10_catalog.sql.
ALTER TABLE spm_payout.quota
    ADD COLUMN basis text NOT NULL DEFAULT 'period' CONSTRAINT quota_basis_known CHECK (basis IN ('period', 'days_on_plan')),
    ADD COLUMN cascade_id integer;
