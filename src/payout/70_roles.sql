-- spm_payout, part 7: roles, grants and row-level security (docs/security.md).
-- The functions that create the policies and grant the roles their rights
-- are in 99_access.sql, last, so that they cover every part.
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

REVOKE EXECUTE ON PROCEDURE spm_payout.run_payout(text, bigint), spm_payout.close_period(text) FROM PUBLIC;
