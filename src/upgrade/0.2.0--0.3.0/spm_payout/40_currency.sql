-- spm_payout 0.2.0 -> 0.3.0: multi-currency (docs/currency.md).  The
-- columns the fresh install declares at the end of source, plan and
-- payout_summary (src/payout/10_catalog.sql, 20_results.sql); the new tables
-- and functions are in src/payout/92_currency.sql.
ALTER TABLE spm_payout.source ADD COLUMN currency_column name;
ALTER TABLE spm_payout.plan
    ADD COLUMN currency text CONSTRAINT plan_currency_code CHECK (currency ~ '^[A-Z]{3}$'),
    ADD COLUMN fx_policy text NOT NULL DEFAULT 'deal_date'
        CONSTRAINT plan_fx_policy_known CHECK (fx_policy IN ('deal_date', 'period_end', 'plan_rate'));
ALTER TABLE spm_payout.payout_summary
    ADD COLUMN plan_currency text,
    ADD COLUMN currency text,
    ADD COLUMN fx_rate numeric,
    ADD COLUMN payout_local numeric;
-- credit_sql gained an argument (the sources whose deals carry a currency)
DROP FUNCTION spm_payout_internal.credit_sql(integer[], numeric[], boolean);
