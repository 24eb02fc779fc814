-- spm_payout, part 7: roles, grants and row-level security (docs/security.md).
--
-- Roles are cluster-wide, so the extension does not create them by itself:
-- spm_payout.create_roles() does, on request, and grants each its rights.
-- Row-level security policies name the roles (a policy TO a role costs
-- nothing per row for the others): admins and analysts read every row; a
-- rep reads the rows whose rep is the one its login maps to, through an
-- index (rep = ANY (array of its reps), computed once per query).

ALTER TABLE spm_payout.payout_line ENABLE ROW LEVEL SECURITY;
ALTER TABLE spm_payout.payout_summary ENABLE ROW LEVEL SECURITY;
ALTER TABLE spm_payout.credit_line ENABLE ROW LEVEL SECURITY;
ALTER TABLE spm_payout.period_credit ENABLE ROW LEVEL SECURITY;
ALTER TABLE spm_payout.rep_login ENABLE ROW LEVEL SECURITY;

-- The reps the current role may see as a rep: those its login maps to.
CREATE FUNCTION spm_payout.my_reps() RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(array_agg(l.rep), '{}') FROM spm_payout.rep_login l WHERE l.login = current_user
$$;
COMMENT ON FUNCTION spm_payout.my_reps() IS 'the rep ids the current role is mapped to in spm_payout.rep_login';

-- The row-level security policies, created where missing (never dropped:
-- those the extension script created belong to the extension).  They name
-- the roles, so they exist only once the roles do: the extension script
-- creates them when the roles already exist (as when pg_restore re-creates
-- the extension in a cluster that has them; pg_dump does not dump policies
-- of an extension's tables), create_roles() otherwise.  my_reps() is called
-- once per query (an InitPlan), and rep = ANY (...) can use an index.
CREATE FUNCTION spm_payout_internal.ensure_policies() RETURNS void
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
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.ensure_policies() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.ensure_policies() IS
    'internal: creates the missing row-level security policies once the roles spm_admin, spm_analyst and spm_rep exist';
SELECT spm_payout_internal.ensure_policies();

CREATE FUNCTION spm_payout.create_roles() RETURNS void
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
    PERFORM spm_payout_internal.ensure_policies();
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout.create_roles() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout.create_roles() IS
    'creates (if missing) the roles spm_admin, spm_analyst and spm_rep, grants each its rights and creates the row-level security policies';

REVOKE EXECUTE ON PROCEDURE spm_payout.run_payout(text, bigint), spm_payout.close_period(text) FROM PUBLIC;
