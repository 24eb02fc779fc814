-- spm_payout 0.2.0 -> 0.3.0: plan acceptance (docs/acceptance.md).  The
-- columns the fresh install declares at the end of these tables; the new
-- objects are in src/payout/90_acceptance.sql, included whole.
ALTER TABLE spm_payout.setting
    ADD COLUMN acceptance_policy text NOT NULL DEFAULT 'none' CHECK (acceptance_policy IN ('none', 'flag', 'hold'));
ALTER TABLE spm_payout.plan
    ADD COLUMN acceptance_policy text CHECK (acceptance_policy IN ('none', 'flag', 'hold'));
ALTER TABLE spm_payout.payout_line ADD COLUMN accepted boolean;
ALTER TABLE spm_payout.payout_summary
    ADD COLUMN held numeric NOT NULL DEFAULT 0,
    ADD COLUMN released numeric NOT NULL DEFAULT 0;
