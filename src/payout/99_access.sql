-- spm_payout, last part: grants and row-level security policies for every
-- part (docs/security.md).  Included whole in every upgrade script, so an
-- upgrade re-grants and adds the policies of new tables.
--
-- Each part NN_name.sql that adds tables a role reads or writes defines
-- spm_payout_internal.grants_name() and/or policies_name() (no arguments);
-- create_roles() and ensure_policies() call them all, in name order.

-- The row-level security policies, created where missing (never dropped:
-- those the extension script created belong to the extension).  They name
-- the roles, so they exist only once the roles do: the extension script
-- creates them when the roles already exist (as when pg_restore re-creates
-- the extension in a cluster that has them; pg_dump does not dump policies
-- of an extension's tables), create_roles() otherwise.  my_reps() is called
-- once per query (an InitPlan), and rep = ANY (...) can use an index.
CREATE OR REPLACE FUNCTION spm_payout_internal.ensure_policies() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r text;
BEGIN
    IF (SELECT count(*) FROM pg_roles WHERE rolname IN ('spm_admin', 'spm_analyst', 'spm_rep')) < 3 THEN
        RETURN;
    END IF;
    FOREACH r IN ARRAY ARRAY['payout_line', 'payout_summary', 'credit_line', 'period_credit'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = format('spm_payout.%I', r)::regclass
                                                 AND polname = r || '_all') THEN
            EXECUTE format('CREATE POLICY %I ON spm_payout.%I FOR SELECT TO spm_admin, spm_analyst USING (true)',
                           r || '_all', r);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = format('spm_payout.%I', r)::regclass
                                                 AND polname = r || '_own') THEN
            EXECUTE format('CREATE POLICY %I ON spm_payout.%I FOR SELECT TO spm_rep
                            USING (rep = ANY ((SELECT spm_payout.my_reps())::text[]))', r || '_own', r);
        END IF;
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.rep_login'::regclass AND polname = 'rep_login_all') THEN
        CREATE POLICY rep_login_all ON spm_payout.rep_login TO spm_admin, spm_analyst USING (true) WITH CHECK (true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.rep_login'::regclass AND polname = 'rep_login_own') THEN
        CREATE POLICY rep_login_own ON spm_payout.rep_login FOR SELECT TO spm_rep USING (login = current_user);
    END IF;
    -- each later part of spm_payout adds its own: spm_payout_internal.policies_NAME()
    FOR r IN SELECT p.oid::regprocedure::text FROM pg_proc p
              WHERE p.pronamespace = 'spm_payout_internal'::regnamespace AND p.proname LIKE 'policies\_%'
                AND p.pronargs = 0 ORDER BY p.proname LOOP
        EXECUTE format('SELECT %s', r);
    END LOOP;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.ensure_policies() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.ensure_policies() IS
    'internal: creates the missing row-level security policies once the roles spm_admin, spm_analyst and spm_rep exist';

CREATE OR REPLACE FUNCTION spm_payout.create_roles() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['spm_admin', 'spm_analyst', 'spm_rep'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
    GRANT USAGE ON SCHEMA spm, spm_payout TO spm_admin, spm_analyst, spm_rep;
    -- admins edit the catalog and run and close periods (the run reads the
    -- registered tables with the admin's own rights)
    GRANT USAGE ON SCHEMA spm_payout_internal TO spm_admin;
    GRANT SELECT, INSERT, UPDATE, DELETE ON spm_payout.setting, spm_payout.source, spm_payout.split_rule,
          spm_payout.hierarchy_rule, spm_payout.plan, spm_payout.plan_version, spm_payout.assignment,
          spm_payout.quota, spm_payout.draw_agreement, spm_payout.adjustment, spm_payout.rep_login TO spm_admin;
    GRANT SELECT, INSERT, DELETE, UPDATE (label, period) ON spm_payout.pay_period TO spm_admin;
    GRANT SELECT ON ALL TABLES IN SCHEMA spm_payout TO spm_admin, spm_analyst;
    GRANT EXECUTE ON FUNCTION spm_payout_internal.store_run(integer, timestamptz, bigint, numeric),
          spm_payout_internal.record_failure(integer, timestamptz, text, text, text),
          spm_payout_internal.mark_closed(integer, text), spm_payout_internal.open_credit(integer) TO spm_admin;
    GRANT EXECUTE ON PROCEDURE spm_payout.run_payout(text, bigint), spm_payout.close_period(text) TO spm_admin;
    -- reps read their own statement through the views
    GRANT SELECT ON spm_payout.payout_statement, spm_payout.payout_summary_view, spm_payout.attainment_by_rep,
          spm_payout.draw_balance, spm_payout.credit_statement, spm_payout.payout_line, spm_payout.payout_summary,
          spm_payout.credit_line, spm_payout.pay_period, spm_payout.plan, spm_payout.plan_version,
          spm_payout.source, spm_payout.rep_login TO spm_rep;
    -- each later part of spm_payout grants its own: spm_payout_internal.grants_NAME()
    FOR r IN SELECT p.oid::regprocedure::text FROM pg_proc p
              WHERE p.pronamespace = 'spm_payout_internal'::regnamespace AND p.proname LIKE 'grants\_%'
                AND p.pronargs = 0 ORDER BY p.proname LOOP
        EXECUTE format('SELECT %s', r);
    END LOOP;
    PERFORM spm_payout_internal.ensure_policies();
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout.create_roles() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout.create_roles() IS
    'creates (if missing) the roles spm_admin, spm_analyst and spm_rep, grants each its rights and creates the row-level security policies';

-- Where the roles already exist (a restore, a second database, an upgrade),
-- grant every part's rights and create the policies now.
DO $$
BEGIN
    IF (SELECT count(*) FROM pg_roles WHERE rolname IN ('spm_admin', 'spm_analyst', 'spm_rep')) = 3 THEN
        PERFORM spm_payout.create_roles();
    END IF;
END $$;
