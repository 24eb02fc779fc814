-- spm_payout, part 9: plan acceptance (docs/acceptance.md).
--
-- A rep accepts a plan version (spm_payout.accept_plan), or an admin records
-- the acceptance on the rep's behalf (spm_payout.accept_plan_for).  The
-- acceptance policy (setting.acceptance_policy, overridden per plan by
-- plan.acceptance_policy) says what a run does with the lines of a version
-- the rep has not accepted: 'none' nothing; 'flag' marks them
-- (payout_line.accepted); 'hold' also keeps their amount out of the payout
-- until the rep accepts, then releases it in the period being run
-- (payout_hold, payout_summary.held and .released).  The run calls
-- store_acceptance() between the lines and the draw ledger; everything is
-- set-based.

CREATE TABLE spm_payout.plan_acceptance (
    acceptance_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rep           text NOT NULL,
    version_id    integer NOT NULL REFERENCES spm_payout.plan_version,
    accepted_at   timestamptz NOT NULL DEFAULT now(),
    accepted_by   text NOT NULL DEFAULT spm_payout.acting_role(),
    document      text,
    UNIQUE (rep, version_id)
);
CREATE INDEX plan_acceptance_version ON spm_payout.plan_acceptance (version_id);
COMMENT ON TABLE spm_payout.plan_acceptance IS
    'a rep''s acceptance of a plan version: when, by which role (the rep''s own login, or an admin on the rep''s behalf), and an optional reference to the document accepted; one per rep and version';
COMMENT ON COLUMN spm_payout.plan_acceptance.accepted_by IS
    'the role that recorded the acceptance (spm_payout.acting_role()): the rep''s login, or the admin who recorded it on the rep''s behalf';
COMMENT ON COLUMN spm_payout.plan_acceptance.document IS
    'optional reference to what was accepted (a document hash, a URL, a file name); not interpreted';
ALTER TABLE spm_payout.plan_acceptance ENABLE ROW LEVEL SECURITY;

-- What the 'hold' policy kept and released, per rep, plan version and the
-- period whose run decided it.  Written only by the run (store_acceptance).
CREATE TABLE spm_payout.payout_hold (
    run_id     bigint NOT NULL,
    period_id  integer NOT NULL,
    rep        text NOT NULL,
    version_id integer NOT NULL,
    accepted   boolean NOT NULL,
    held       numeric NOT NULL,
    released   numeric NOT NULL,
    PRIMARY KEY (period_id, rep, version_id)
);
CREATE INDEX payout_hold_rep ON spm_payout.payout_hold (rep, version_id);
COMMENT ON TABLE spm_payout.payout_hold IS
    'per rep, plan version and period: the earnings of the version''s lines held because the rep had not accepted the version (policy hold), and the amounts held in earlier periods released in this one';
ALTER TABLE spm_payout.payout_hold ENABLE ROW LEVEL SECURITY;

COMMENT ON COLUMN spm_payout.setting.acceptance_policy IS
    'what runs do with lines of a plan version the rep has not accepted: none (nothing), flag (payout_line.accepted), hold (not paid until accepted); docs/acceptance.md';
COMMENT ON COLUMN spm_payout.plan.acceptance_policy IS
    'this plan''s acceptance policy (none, flag, hold); NULL: setting.acceptance_policy';
COMMENT ON COLUMN spm_payout.payout_line.accepted IS
    'whether the rep had accepted the line''s plan version when the line was computed; NULL for manual lines and under policy none';
COMMENT ON COLUMN spm_payout.payout_summary.held IS
    'earnings of this period not paid because the rep had not accepted the plan version (policy hold)';
COMMENT ON COLUMN spm_payout.payout_summary.released IS
    'amounts held in earlier periods and paid in this one (the rep has accepted, or the policy no longer holds)';

-- Who may accept: the rep must be assigned to the version's plan during
-- the version's dates.  The row records now() and the acting role whatever
-- the writer gives.
CREATE FUNCTION spm_payout_internal.check_acceptance() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v record;
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN NEW;
    END IF;
    NEW.accepted_at := now();
    NEW.accepted_by := spm_payout.acting_role();
    IF NEW.rep IS NULL OR NEW.version_id IS NULL THEN
        RETURN NEW;   -- the NOT NULL constraints refuse it (23502)
    END IF;
    SELECT pl.name, pv.version, pv.valid INTO v
      FROM spm_payout.plan_version pv JOIN spm_payout.plan pl ON pl.plan_id = pv.plan_id
     WHERE pv.version_id = NEW.version_id;
    IF NOT FOUND THEN
        RETURN NEW;   -- the foreign key refuses it (23503)
    END IF;
    IF NOT EXISTS (SELECT 1 FROM spm_payout.assignment a JOIN spm_payout.plan_version pv ON pv.plan_id = a.plan_id
                    WHERE pv.version_id = NEW.version_id AND a.rep = NEW.rep AND a.valid && pv.valid) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('rep %s is not assigned to plan %s during its version %s', NEW.rep, v.name, v.version),
            DETAIL = format('Version %s is valid during %s.', v.version, v.valid),
            HINT = 'A rep accepts only versions of a plan it is assigned to (spm_payout.assignment).';
    END IF;
    RETURN NEW;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.check_acceptance() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.check_acceptance() IS
    'trigger: an acceptance records now() and the acting role; refuses (22023) a rep not assigned to the plan during the version';
CREATE TRIGGER plan_acceptance_check BEFORE INSERT ON spm_payout.plan_acceptance
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.check_acceptance();
CREATE TRIGGER plan_acceptance_audit AFTER INSERT OR UPDATE OR DELETE ON spm_payout.plan_acceptance
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit();

-- The plan version a plan name and version number designate (22004, 22023).
CREATE FUNCTION spm_payout_internal.find_version(plan text, version integer) RETURNS integer
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    vid integer;
BEGIN
    IF plan IS NULL OR version IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'spm_payout.accept_plan: plan and version must not be NULL';
    END IF;
    SELECT v.version_id INTO vid
      FROM spm_payout.plan_version v JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
     WHERE pl.name = find_version.plan AND v.version = find_version.version;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('plan %L has no version %s', plan, version),
            HINT = 'Give the name of a plan (spm_payout.plan) and the number of one of its versions (spm_payout.plan_version).';
    END IF;
    RETURN vid;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.find_version(text, integer) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.find_version(text, integer) IS
    'internal: the version_id of a plan''s version by plan name and version number (22004 on NULL, 22023 if none)';

-- A rep accepts a version for itself: for every rep its role is mapped to
-- (spm_payout.rep_login) that is assigned to the plan during the version.
-- SECURITY DEFINER: a rep cannot read assignments; the mapping is that of
-- the acting role (spm_payout.acting_role()), never an argument.
CREATE FUNCTION spm_payout.accept_plan(plan text, version integer, document text DEFAULT NULL)
RETURNS SETOF spm_payout.plan_acceptance
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    vid     integer := spm_payout_internal.find_version(plan, version);
    reps    text[];
    on_plan text[];
BEGIN
    reps := ARRAY(SELECT l.rep FROM spm_payout.rep_login l WHERE l.login = spm_payout.acting_role() ORDER BY l.rep);
    IF cardinality(reps) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('role %s is not mapped to a rep', spm_payout.acting_role()),
            HINT = 'An admin maps logins to reps in spm_payout.rep_login, or records the acceptance with spm_payout.accept_plan_for.';
    END IF;
    on_plan := ARRAY(SELECT r FROM unnest(reps) r
                      WHERE EXISTS (SELECT 1 FROM spm_payout.assignment a JOIN spm_payout.plan_version v ON v.plan_id = a.plan_id
                                     WHERE v.version_id = vid AND a.rep = r AND a.valid && v.valid)
                      ORDER BY r);
    IF cardinality(on_plan) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('rep %s is not assigned to plan %s during its version %s', array_to_string(reps, ', '), plan, version),
            HINT = 'A rep accepts only versions of a plan it is assigned to (spm_payout.assignment).';
    END IF;
    INSERT INTO spm_payout.plan_acceptance (rep, version_id, document)
    SELECT r, vid, accept_plan.document FROM unnest(on_plan) r
    ON CONFLICT ON CONSTRAINT plan_acceptance_rep_version_id_key DO NOTHING;
    RETURN QUERY SELECT a.* FROM spm_payout.plan_acceptance a
                  WHERE a.version_id = vid AND a.rep = ANY (on_plan) ORDER BY a.rep;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout.accept_plan(text, integer, text) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout.accept_plan(text, integer, text) IS
    'the calling rep accepts a version of its plan (for each of its reps assigned to the plan during the version); accepting again changes nothing; 42501 for a role mapped to no rep, 22023 for a plan it is not on';

-- An admin records a rep's acceptance (a signed paper, an e-signature
-- tool): SECURITY INVOKER, the caller needs INSERT on plan_acceptance.
CREATE FUNCTION spm_payout.accept_plan_for(rep text, plan text, version integer, document text DEFAULT NULL)
RETURNS spm_payout.plan_acceptance
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    vid integer := spm_payout_internal.find_version(plan, version);
    a   spm_payout.plan_acceptance;
BEGIN
    IF rep IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'spm_payout.accept_plan_for: rep must not be NULL';
    END IF;
    INSERT INTO spm_payout.plan_acceptance (rep, version_id, document)
    VALUES (accept_plan_for.rep, vid, accept_plan_for.document)
    ON CONFLICT ON CONSTRAINT plan_acceptance_rep_version_id_key DO NOTHING;
    SELECT * INTO a FROM spm_payout.plan_acceptance pa WHERE pa.rep = accept_plan_for.rep AND pa.version_id = vid;
    RETURN a;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout.accept_plan_for(text, text, integer, text) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout.accept_plan_for(text, text, integer, text) IS
    'an admin records a rep''s acceptance of a plan version on the rep''s behalf (accepted_by: the admin); accepting again changes nothing; 22023 if the rep is not on the plan during the version';

-- The acceptance part of a run's input fingerprint (docs/acceptance.md,
-- "Runs and closes"): the policy of every plan and the acceptances of the
-- versions of plans whose policy is flag or hold.  NULL while every plan's
-- policy is none, so that the fingerprint is then what it always was.
CREATE FUNCTION spm_payout_internal.acceptance_fingerprint() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH pol AS (
        SELECT pl.plan_id,
               coalesce(pl.acceptance_policy, (SELECT s.acceptance_policy FROM spm_payout.setting s), 'none') AS policy
          FROM spm_payout.plan pl
    )
    SELECT CASE WHEN EXISTS (SELECT 1 FROM pol WHERE pol.policy <> 'none') THEN
        concat_ws(',', (SELECT spm.fingerprint(pol.plan_id, pol.policy) FROM pol),
                  (SELECT spm.fingerprint(a.rep, a.version_id)
                     FROM spm_payout.plan_acceptance a
                     JOIN spm_payout.plan_version v ON v.version_id = a.version_id
                     JOIN pol ON pol.plan_id = v.plan_id AND pol.policy <> 'none'))
    END
$$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.acceptance_fingerprint() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.acceptance_fingerprint() IS
    'internal: fingerprint of the acceptance policies and of the acceptances that matter to a run (plans under flag or hold); NULL when every policy is none';

-- The run's acceptance step, between the lines and the draw ledger
-- (called by store_run as the extension owner):
--   1. every line of a plan version under flag or hold records whether the
--      rep has accepted the version (payout_line.accepted);
--   2. per rep and plan version: under hold without acceptance, the
--      version's lines of the period are held; otherwise what earlier
--      periods held and did not release is released (payout_hold).
-- A rerun deletes the period's rows first and reads only earlier periods:
-- the same inputs give the same held and released amounts.
CREATE FUNCTION spm_payout_internal.store_acceptance(run bigint, pid integer) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    DELETE FROM spm_payout.payout_hold h WHERE h.period_id = pid;
    -- policy none everywhere and nothing held: nothing to do (and no phase)
    IF coalesce((SELECT s.acceptance_policy FROM spm_payout.setting s), 'none') = 'none'
       AND NOT EXISTS (SELECT 1 FROM spm_payout.plan pl WHERE pl.acceptance_policy <> 'none')
       AND NOT EXISTS (SELECT 1 FROM spm_payout.payout_hold h) THEN
        RETURN NULL;
    END IF;
    UPDATE spm_payout.payout_line l
       SET accepted = EXISTS (SELECT 1 FROM spm_payout.plan_acceptance a WHERE a.rep = l.rep AND a.version_id = l.version_id)
      FROM spm_payout.plan_version v JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
     WHERE l.period_id = pid AND v.version_id = l.version_id
       AND coalesce(pl.acceptance_policy, (SELECT s.acceptance_policy FROM spm_payout.setting s), 'none') <> 'none';
    INSERT INTO spm_payout.payout_hold (run_id, period_id, rep, version_id, accepted, held, released)
    WITH pol AS (
        SELECT v.version_id,
               coalesce(pl.acceptance_policy, (SELECT s.acceptance_policy FROM spm_payout.setting s), 'none') AS policy
          FROM spm_payout.plan_version v JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
    ), earned AS (
        SELECT l.rep, l.version_id, sum(l.earned) AS earned
          FROM spm_payout.payout_line l JOIN pol ON pol.version_id = l.version_id AND pol.policy = 'hold'
         WHERE l.period_id = pid
         GROUP BY 1, 2
    ), owed AS (
        SELECT h.rep, h.version_id, sum(h.held - h.released) AS owed
          FROM spm_payout.payout_hold h JOIN spm_payout.pay_period b ON b.period_id = h.period_id
         WHERE lower(b.period) < (SELECT lower(p.period) FROM spm_payout.pay_period p WHERE p.period_id = pid)
         GROUP BY 1, 2
        HAVING sum(h.held - h.released) <> 0
    ), x AS (
        SELECT coalesce(e.rep, o.rep) AS rep, coalesce(e.version_id, o.version_id) AS version_id,
               coalesce(e.earned, 0) AS earned, coalesce(o.owed, 0) AS owed,
               EXISTS (SELECT 1 FROM spm_payout.plan_acceptance a
                        WHERE a.rep = coalesce(e.rep, o.rep) AND a.version_id = coalesce(e.version_id, o.version_id)) AS accepted
          FROM earned e FULL JOIN owed o ON o.rep = e.rep AND o.version_id = e.version_id
    ), y AS (
        SELECT x.*, pol.policy = 'hold' AND NOT x.accepted AS hold
          FROM x JOIN pol ON pol.version_id = x.version_id
    )
    SELECT run, pid, y.rep, y.version_id, y.accepted,
           CASE WHEN y.hold THEN y.earned ELSE 0 END, CASE WHEN y.hold THEN 0 ELSE y.owed END
      FROM y
     WHERE CASE WHEN y.hold THEN y.earned ELSE y.owed END <> 0;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.store_acceptance(bigint, integer) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.store_acceptance(bigint, integer) IS
    'internal: marks the period''s lines accepted or not and computes what the hold policy holds and releases in the period (set-based; a rerun gives the same rows); NULL when no policy applies and nothing is held';

-- pg_dump: the acceptances (catalog) and what was held (results).
SELECT pg_catalog.pg_extension_config_dump('spm_payout.plan_acceptance', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('spm_payout.plan_acceptance', 'acceptance_id')::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('spm_payout.payout_hold', '');

-- Rights (called by spm_payout.create_roles()): reps read and accept their
-- own, through accept_plan or an INSERT the row-level security limits to
-- their reps; analysts read; admins read, record and withdraw.
CREATE FUNCTION spm_payout_internal.grants_acceptance() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    GRANT SELECT, INSERT, DELETE ON spm_payout.plan_acceptance TO spm_admin;
    GRANT SELECT ON spm_payout.plan_acceptance, spm_payout.payout_hold TO spm_admin, spm_analyst, spm_rep;
    GRANT INSERT (rep, version_id, document) ON spm_payout.plan_acceptance TO spm_rep;
    GRANT EXECUTE ON FUNCTION spm_payout.accept_plan(text, integer, text) TO spm_rep, spm_admin;
    GRANT EXECUTE ON FUNCTION spm_payout.accept_plan_for(text, text, integer, text) TO spm_admin;
    -- close_period and accept_plan_for run as the admin
    GRANT EXECUTE ON FUNCTION spm_payout_internal.acceptance_fingerprint(),
          spm_payout_internal.find_version(text, integer) TO spm_admin;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.grants_acceptance() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.grants_acceptance() IS
    'internal: rights on plan acceptances (admins record and withdraw, analysts read, reps read and accept their own)';

CREATE FUNCTION spm_payout_internal.policies_acceptance() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.plan_acceptance'::regclass
                                             AND polname = 'plan_acceptance_admin') THEN
        CREATE POLICY plan_acceptance_admin ON spm_payout.plan_acceptance TO spm_admin USING (true) WITH CHECK (true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.plan_acceptance'::regclass
                                             AND polname = 'plan_acceptance_read') THEN
        CREATE POLICY plan_acceptance_read ON spm_payout.plan_acceptance FOR SELECT TO spm_analyst USING (true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.plan_acceptance'::regclass
                                             AND polname = 'plan_acceptance_own') THEN
        CREATE POLICY plan_acceptance_own ON spm_payout.plan_acceptance FOR SELECT TO spm_rep
            USING (rep = ANY ((SELECT spm_payout.my_reps())::text[]));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.plan_acceptance'::regclass
                                             AND polname = 'plan_acceptance_own_insert') THEN
        CREATE POLICY plan_acceptance_own_insert ON spm_payout.plan_acceptance FOR INSERT TO spm_rep
            WITH CHECK (rep = ANY ((SELECT spm_payout.my_reps())::text[]));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.payout_hold'::regclass
                                             AND polname = 'payout_hold_all') THEN
        CREATE POLICY payout_hold_all ON spm_payout.payout_hold FOR SELECT TO spm_admin, spm_analyst USING (true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.payout_hold'::regclass
                                             AND polname = 'payout_hold_own') THEN
        CREATE POLICY payout_hold_own ON spm_payout.payout_hold FOR SELECT TO spm_rep
            USING (rep = ANY ((SELECT spm_payout.my_reps())::text[]));
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.policies_acceptance() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.policies_acceptance() IS
    'internal: row-level security of plan acceptances (reps read and insert their own, analysts read, admins all) and of held amounts (reps read their own)';
