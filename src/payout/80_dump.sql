-- spm_payout, part 8: audit triggers and pg_dump marks (docs/operations.md,
-- "Backup and restore").  Every table and identity sequence the extension
-- creates is dumped with its data; partitions of credit_line are created by
-- runs, are not members of the extension, and are dumped like any table.

DO $$
DECLARE
    t text;
    s text;
BEGIN
    FOREACH t IN ARRAY ARRAY['setting', 'pay_period', 'source', 'split_rule', 'hierarchy_rule', 'plan',
                             'plan_version', 'assignment', 'quota', 'draw_agreement', 'adjustment', 'rep_login'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON spm_payout.%I
                        FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit()', t || '_audit', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['setting', 'pay_period', 'source', 'split_rule', 'hierarchy_rule', 'plan',
                             'plan_version', 'assignment', 'quota', 'draw_agreement', 'adjustment', 'rep_login',
                             'audit_log', 'run', 'run_phase', 'period_credit', 'period_check', 'payout_line',
                             'payout_summary', 'credit_open'] LOOP
        PERFORM pg_catalog.pg_extension_config_dump(format('spm_payout.%I', t)::regclass, '');
        FOR s IN SELECT pg_get_serial_sequence(format('spm_payout.%I', t), a.attname)
                   FROM pg_attribute a
                  WHERE a.attrelid = format('spm_payout.%I', t)::regclass AND a.attidentity <> '' LOOP
            PERFORM pg_catalog.pg_extension_config_dump(s::regclass, '');
        END LOOP;
    END LOOP;
END $$;
