-- spm 0.1.0 -> 0.2.0: spm becomes a stateless library; the payout
-- application moves to its own extension, spm_payout (docs/payout.md).
--
-- Nothing a user stored is dropped: 0.1.0's payout tables (catalog, runs,
-- results, audit log) leave the extension with their data and move to the
-- schema spm_legacy_0_1, where they stay as ordinary tables (read them, copy
-- what you need into spm_payout's catalog, drop them when done).  The
-- payout functions, procedures, views, triggers and policies of 0.1.0 are
-- dropped.
\echo Use "ALTER EXTENSION spm UPDATE TO '0.2.0'" to load this file. \quit

DROP VIEW spm.leaderboard, spm.attainment_by_rep, spm.payout_statement, spm.payout_summary_view,
          spm.draw_balance, spm.run_log;
DROP PROCEDURE spm.run_payout(text, bigint), spm.close_period(text);
DROP FUNCTION spm.compute_lines(spm.pay_period), spm.compute_credits(daterange),
              spm.find_period(text), spm.add_pay_periods(date, date, text, integer),
              spm.create_roles();
-- trigger functions and the policy function: their triggers and policies go with them
DROP FUNCTION spm.audit(), spm.reject_overlap(), spm.check_mapping(), spm.reject_closed(),
              spm.keep_closed(), spm.freeze_closed(), spm.can_see_rep(text, name) CASCADE;
DROP FUNCTION spm.check_column(regclass, name, text, regtype[]);

CREATE SCHEMA spm_legacy_0_1;
ALTER EXTENSION spm DROP SCHEMA spm_legacy_0_1;
DO $$
DECLARE
    t text;
    s regclass;
BEGIN
    FOREACH t IN ARRAY ARRAY['payout_summary', 'payout_line', 'credit_line', 'run', 'adjustment',
                             'draw_agreement', 'quota', 'assignment', 'plan', 'hierarchy_rule',
                             'split_rule', 'source', 'rep_login', 'audit_log', 'pay_period'] LOOP
        FOR s IN SELECT d.objid::regclass FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.refobjid = format('spm.%I', t)::regclass
                    AND d.deptype IN ('a', 'i')
                    AND (SELECT c.relkind FROM pg_class c WHERE c.oid = d.objid) = 'S' LOOP
            IF EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = s
                          AND e.deptype = 'e') THEN
                EXECUTE format('ALTER EXTENSION spm DROP SEQUENCE %s', s);
            END IF;
        END LOOP;
        EXECUTE format('ALTER EXTENSION spm DROP TABLE spm.%I', t);
        EXECUTE format('ALTER TABLE spm.%I DISABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE spm.%I SET SCHEMA spm_legacy_0_1', t);
    END LOOP;
END $$;
