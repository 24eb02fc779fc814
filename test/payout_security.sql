-- pgTAP: spm_payout's security model and the guarantees operations rely
-- on (docs/security.md).  Every attack is made by a real role with SET ROLE
-- and must fail with its SQLSTATE; every guarantee is checked on what was
-- written.  Roles are created with names unique to this backend and, like
-- everything else here, rolled back.
--
--   a. runs read with the caller's rights: a view calling ALTER ROLE ...
--      SUPERUSER gains nothing; temporary relations cannot be registered
--   b. a relation the registering role cannot read is refused (42501)
--   c. internal functions and the audit trigger are out of reach (42501);
--      store_run refuses a stage that is not what a run creates (42809)
--   d. row-level security: reps see their own rows; analysts read all and
--      change nothing
--   e. the rep policy is served by the index payout_line_rep
--   f. overlaps are refused by exclusion constraints (23P01)
--   g. deal dates and fingerprints do not depend on TimeZone or DateStyle
--   h. close_period refuses changed inputs (55000)
--   i. a failed run names the source and the deal (23502)
BEGIN;
SELECT plan(100);
SET client_min_messages = warning;

-- ================================================================= setup
SELECT format('psec%s_adm', pg_backend_pid()) AS adm, format('psec%s_ana', pg_backend_pid()) AS ana,
       format('psec%s_ann', pg_backend_pid()) AS ann, format('psec%s_bob', pg_backend_pid()) AS bob,
       format('psec%s_nob', pg_backend_pid()) AS nob, format('psec%s_big', pg_backend_pid()) AS big \gset
SELECT spm_payout.create_roles();
CREATE ROLE :"adm" NOLOGIN IN ROLE spm_admin;
CREATE ROLE :"ana" NOLOGIN IN ROLE spm_analyst;
CREATE ROLE :"ann" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"bob" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"nob" NOLOGIN IN ROLE spm_rep;     -- a rep role mapped to no rep
CREATE ROLE :"big" NOLOGIN IN ROLE spm_rep;
-- the admin's own schema, where it keeps its sales tables and views
CREATE SCHEMA psec AUTHORIZATION :"adm";
GRANT USAGE ON SCHEMA psec TO PUBLIC;
-- a table of someone else's that the admin cannot read
CREATE SCHEMA psec_private;
GRANT USAGE ON SCHEMA psec_private TO PUBLIC;
CREATE TABLE psec_private.secret (id int, seller text, amt numeric, closed date);
CREATE TABLE psec_private.half (id int, seller text, amt numeric, closed date);
GRANT SELECT (id, seller, closed) ON psec_private.half TO spm_admin;   -- not amt

-- everything the run writes, seen with full rights (no RLS)
CREATE FUNCTION psec_private.written() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('runs %s; lines %s; credit %s; summaries %s; closed %s',
        (SELECT count(*) FROM spm_payout.run), (SELECT count(*) FROM spm_payout.payout_line),
        (SELECT count(*) FROM spm_payout.credit_line), (SELECT count(*) FROM spm_payout.payout_summary),
        (SELECT count(*) FROM spm_payout.pay_period WHERE status = 'closed'))
$$;

SET ROLE :"adm";
CREATE TABLE psec.sales (id int, seller text, amt numeric(12,2), closed date);
INSERT INTO psec.sales VALUES (1, 'ann', 10000, '2025-01-10'), (2, 'bob', 4000, '2025-01-20'),
                              (3, 'ann', 2000, '2025-02-03'), (4, 'bob', 1000, '2025-02-14');
-- deals with a timestamptz date, read in New York time
CREATE TABLE psec.sales_tz (id int, seller text, amt numeric, closed_at timestamptz);
INSERT INTO psec.sales_tz VALUES
  (101, 'tz', 500, '2025-01-31 23:30-05'),   -- New York: January 31; UTC and Tokyo: February 1
  (102, 'tz', 700, '2025-02-01 00:30-05');   -- New York: February 1; Los Angeles: January 31
-- a run returning its run_id
CREATE FUNCTION psec.run(period text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
BEGIN
    CALL spm_payout.run_payout(period, r);
    RETURN r;
END $$;
CREATE FUNCTION psec.per(m int, y int DEFAULT 2025) RETURNS int LANGUAGE sql STABLE AS
$$ SELECT period_id FROM spm_payout.pay_period WHERE lower(period) = make_date(y, m, 1) $$;
CREATE FUNCTION psec.lbl(m int, y int DEFAULT 2025) RETURNS text LANGUAGE sql STABLE AS
$$ SELECT label FROM spm_payout.pay_period WHERE lower(period) = make_date(y, m, 1) $$;
-- the plan a query gets, as the role that calls this
CREATE FUNCTION psec.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    l text;
    r text := '';
BEGIN
    FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        r := r || l || E'\n';
    END LOOP;
    RETURN r;
END $$;

SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods('2025-01-01', '2025-04-30')), 4,
          'setup: an admin adds four pay periods');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('crm', 'psec.sales', 'seller', 'id', 'amt', 'closed');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column, time_zone)
VALUES ('crm_tz', 'psec.sales_tz', 'seller', 'id', 'amt', 'closed_at', 'America/New_York');
INSERT INTO spm_payout.plan (name) VALUES ('psec plan');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule)
SELECT plan_id, 1, 'marginal(0: 0.05)' FROM spm_payout.plan WHERE name = 'psec plan';
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, plan_id, '[2025-01-01,)' FROM spm_payout.plan, unnest('{ann,bob,tz}'::text[]) r WHERE name = 'psec plan';
INSERT INTO spm_payout.draw_agreement (rep, kind, amount, term) VALUES ('bob', 'recoverable', 100, '[2025-01-01,2025-04-01)');
INSERT INTO spm_payout.rep_login VALUES (:'ann', 'ann'), (:'bob', 'bob'), (:'big', 'b77');
SELECT ok(psec.run(psec.lbl(1)) IS NOT NULL, 'setup: the admin runs January');
RESET ROLE;

-- ========================================== a. runs read with the caller's rights
SET ROLE :"adm";
-- a function of the admin's own that tries to make the admin a superuser
CREATE FUNCTION psec.evil(r text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER ROLE %I SUPERUSER', current_user);
    RETURN r;
END $$;
-- the same, recording who it ran as and how the ALTER ROLE ended
CREATE TABLE psec.probe_log (cur name, sess name, state text, super boolean);
CREATE FUNCTION psec.probe(r text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text := '00000';
BEGIN
    BEGIN
        EXECUTE format('ALTER ROLE %I SUPERUSER', current_user);   -- a no-op for a superuser
    EXCEPTION WHEN OTHERS THEN
        st := SQLSTATE;
    END;
    INSERT INTO psec.probe_log VALUES (current_user, session_user, st,
                                       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user));
    RETURN r;
END $$;
CREATE TEMP VIEW evil_tv AS SELECT id, psec.evil(seller) AS seller, amt, closed FROM psec.sales;
CREATE TEMP TABLE evil_tt AS SELECT * FROM psec.sales;
-- a view over a temporary table is made temporary by PostgreSQL
CREATE VIEW evil_over_temp AS SELECT * FROM pg_temp.evil_tt;
CREATE VIEW psec.evil_v AS SELECT id, psec.evil(seller) AS seller, amt, closed FROM psec.sales;
CREATE VIEW psec.probe_v AS SELECT id, psec.probe(seller) AS seller, amt, closed FROM psec.sales;

SELECT throws_ok($$INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
                   VALUES ('evil', 'pg_temp.evil_tv', 'seller', 'id', 'amt', 'closed')$$,
    '42809', NULL, 'a: registering a temporary view is refused (42809)');
SELECT throws_ok($$INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
                   VALUES ('evil', 'pg_temp.evil_tt', 'seller', 'id', 'amt', 'closed')$$,
    '42809', NULL, 'a: registering a temporary table is refused (42809)');
SELECT throws_ok($$INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
                   VALUES ('evil', 'evil_over_temp', 'seller', 'id', 'amt', 'closed')$$,
    '42809', NULL, 'a: a view over a temporary table (temporary itself) is refused (42809)');
SELECT throws_ok($$UPDATE spm_payout.source SET relation = 'pg_temp.evil_tv' WHERE name = 'crm'$$,
    '42809', NULL, 'a: re-pointing a source at a temporary view is refused (42809)');
SELECT throws_ok($$INSERT INTO spm_payout.split_rule (source_id, relation, deal_column, rep_column, weight_column)
                   SELECT source_id, 'pg_temp.evil_tt', 'id', 'seller', 'amt' FROM spm_payout.source WHERE name = 'crm'$$,
    '42809', NULL, 'a: a temporary split table is refused (42809)');

-- a permanent view whose column calls evil(): registered, then run
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('evil', 'psec.evil_v', 'seller', 'id', 'amt', 'closed');
SELECT throws_ok($$CALL spm_payout.run_payout('2025-01-15')$$,
    '42501', 'must be superuser to alter superuser roles or change superuser attribute',
    'a: a run reading a view whose function runs ALTER ROLE ... SUPERUSER fails with the admin''s rights (42501)');
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false, 'a: the admin is still not a superuser');
DELETE FROM spm_payout.source WHERE name = 'evil';

-- the probing view: the run succeeds and the function ran as the admin only
UPDATE spm_payout.source SET relation = 'psec.probe_v' WHERE name = 'crm';
SELECT ok(psec.run(psec.lbl(1)) IS NOT NULL, 'a: a run reading the probing view succeeds');
SELECT results_eq($$SELECT DISTINCT cur::text COLLATE "default", state, super FROM psec.probe_log$$,
    format($$VALUES (%L, '42501', false)$$, current_user),
    'a: every call of the view''s function ran as the admin (not the extension owner), and its ALTER ROLE failed 42501');
SELECT is((SELECT count(*)::int FROM psec.probe_log), 4,
          'a: the function ran twice per January deal (the fingerprint and the credit, both read with the admin''s rights), never in the SECURITY DEFINER computation');
RESET ROLE;
-- the other side of the same coin: a run called by a superuser runs the
-- view's functions as the superuser (why scheduled runs must not be a superuser's)
TRUNCATE psec.probe_log;
SELECT ok(psec.run(psec.lbl(1)) IS NOT NULL, 'a: a superuser''s run of the same view');
SELECT results_eq($$SELECT DISTINCT cur::text COLLATE "default", state, super FROM psec.probe_log$$,
    $$VALUES ('postgres', '00000', true)$$,
    'a: ... runs the view''s functions as the superuser (docs/security.md: never schedule runs as a superuser)');
SET ROLE :"adm";
UPDATE spm_payout.source SET relation = 'psec.sales' WHERE name = 'crm';
-- the superuser's run left its work tables (they last until commit): the
-- admin's run in the same transaction says so instead of "must be owner"
SELECT throws_ok($$SELECT psec.run(psec.lbl(1))$$, '55000',
    'a payout run by another role earlier in this transaction left pg_temp.spm_stage_deal',
    'a: a second role''s run in the same transaction is refused plainly (55000)');

-- ============================= b. relations the registering role cannot read
SELECT throws_ok($$INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
                   VALUES ('authid', '1260'::regclass, 'rolname', 'oid', 'rolconnlimit', 'rolvaliduntil')$$,
    '42501', 'permission denied for column rolname of relation pg_authid',
    'b: registering pg_authid by OID (''1260''::regclass) is refused (42501)');
SELECT throws_ok(format($$INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
                          VALUES ('secret', '%s'::regclass, 'seller', 'id', 'amt', 'closed')$$,
                        'psec_private.secret'::regclass::oid),
    '42501', 'permission denied for column seller of relation psec_private.secret',
    'b: registering another role''s table by OID is refused (42501)');
SELECT throws_ok($$INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
                   VALUES ('half', 'psec_private.half', 'seller', 'id', 'amt', 'closed')$$,
    '42501', 'permission denied for column amt of relation psec_private.half',
    'b: a table whose amount column the admin cannot read is refused (42501)');
SELECT throws_ok($$INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column)
                   VALUES ('psec_private.secret', 'seller', 'seller', 'closed')$$,
    '42501', NULL, 'b: a hierarchy table the admin cannot read is refused (42501)');
SELECT throws_ok($$INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
                   VALUES ('ghost', '12345'::regclass, 'seller', 'id', 'amt', 'closed')$$,
    '42P01', 'relation with OID 12345 does not exist',
    'b: an OID that is no relation (''12345''::regclass) is refused (42P01)');
RESET ROLE;

-- ================================ c. internal functions and the audit trigger
SET ROLE :"ann";
SELECT is(has_schema_privilege('spm_payout_internal', 'USAGE'), false, 'c: a rep has no USAGE on spm_payout_internal');
CREATE TEMP TABLE rep_own (x int);
SELECT throws_ok($$CREATE TRIGGER steal AFTER INSERT ON pg_temp.rep_own FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit()$$,
    '42501', 'permission denied for schema spm_payout_internal',
    'c: a rep cannot attach the audit trigger to its own temp table (42501)');
SELECT throws_ok($$SELECT spm_payout_internal.store_run(1, now(), 0, 0)$$, '42501', NULL, 'c: a rep cannot call store_run (42501)');
SELECT throws_ok($$SELECT spm_payout_internal.mark_closed(1, 'x')$$, '42501', NULL, 'c: a rep cannot call mark_closed (42501)');
SELECT throws_ok($$SELECT spm_payout_internal.record_failure(1, now(), 'x', 'x', 'x')$$, '42501', NULL,
    'c: a rep cannot call record_failure (42501)');
SELECT throws_ok($$CALL spm_payout.run_payout('2025-01-15')$$, '42501', NULL, 'c: a rep cannot run a period (42501)');
SELECT throws_ok($$CALL spm_payout.close_period('2025-01-15')$$, '42501', NULL, 'c: a rep cannot close a period (42501)');
RESET ROLE;
SET ROLE :"ana";
SELECT is(has_schema_privilege('spm_payout_internal', 'USAGE'), false, 'c: an analyst has no USAGE on spm_payout_internal');
RESET ROLE;
-- an admin may use the schema but not the audit function
SET ROLE :"adm";
CREATE TEMP TABLE adm_own (x int);
SELECT throws_ok($$CREATE TRIGGER steal AFTER INSERT ON pg_temp.adm_own FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit()$$,
    '42501', 'permission denied for function spm_payout_internal.audit',
    'c: an admin cannot attach the audit trigger either (EXECUTE revoked from PUBLIC, 42501)');
-- the result tables are written by the run only
SELECT throws_ok($$INSERT INTO spm_payout.payout_line (run_id, period_id, for_period_id, rep, line_kind, earned)
                   VALUES (1, 1, 1, 'adm', 'manual', 1e6)$$, '42501', NULL, 'c: an admin cannot insert payout lines (42501)');
SELECT throws_ok($$UPDATE spm_payout.payout_summary SET payout = payout + 1$$, '42501', NULL,
    'c: an admin cannot update summaries (42501)');
SELECT throws_ok($$DELETE FROM spm_payout.run$$, '42501', NULL, 'c: an admin cannot delete runs (42501)');
SELECT throws_ok($$TRUNCATE spm_payout.credit_line$$, '42501', NULL, 'c: an admin cannot truncate credit lines (42501)');
SELECT throws_ok($$DELETE FROM spm_payout.audit_log$$, '42501', NULL, 'c: an admin cannot delete the audit log (42501)');
SELECT throws_ok($$UPDATE spm_payout.pay_period SET status = 'closed'$$, '42501', NULL,
    'c: an admin cannot set a period''s status by hand (42501)');
-- store_run (SECURITY DEFINER, executable by admins) refuses a stage it did not
-- create (the last run's stage is still there until commit: dropped first)
RESET ROLE;
DROP TABLE pg_temp.spm_stage_deal, pg_temp.spm_stage_split, pg_temp.spm_stage_org, pg_temp.spm_stage_check, pg_temp.spm_chain;
SET ROLE :"adm";
CREATE TEMP TABLE spm_stage_deal (row_id bigint, period_id integer, source_id integer, deal text, rep text, amount numeric, deal_date date);
CREATE TEMP TABLE spm_stage_split (source_id integer, deal text, rep text, weight numeric);
CREATE TEMP TABLE spm_stage_org (rep text, manager text, valid daterange);
CREATE TEMP TABLE spm_stage_check_src (period_id integer, fingerprint text, changed boolean);
CREATE TEMP VIEW spm_stage_check AS SELECT * FROM pg_temp.spm_stage_check_src;
SELECT throws_ok(format($$SELECT spm_payout_internal.store_run(%s, now(), 0, 0)$$, psec.per(2)),
    '42809', 'spm_payout: pg_temp.spm_stage_check is not the table a run stages',
    'c: store_run refuses a staged view (42809)');
DROP VIEW spm_stage_check;
CREATE TEMP TABLE spm_stage_check (period_id integer, fingerprint text, changed boolean);
CREATE FUNCTION pg_temp.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER t AFTER INSERT ON pg_temp.spm_stage_org FOR EACH ROW EXECUTE FUNCTION pg_temp.noop();
SELECT throws_ok(format($$SELECT spm_payout_internal.store_run(%s, now(), 0, 0)$$, psec.per(2)),
    '42809', 'spm_payout: pg_temp.spm_stage_org is not the table a run stages',
    'c: store_run refuses a staged table with a trigger (42809)');
DROP TABLE pg_temp.spm_stage_org;
CREATE TEMP TABLE spm_stage_org (rep text, manager text, valid daterange, extra text);
SELECT throws_ok(format($$SELECT spm_payout_internal.store_run(%s, now(), 0, 0)$$, psec.per(2)),
    '42809', NULL, 'c: store_run refuses a staged table with an extra column (42809)');
DROP TABLE pg_temp.spm_stage_deal, pg_temp.spm_stage_split, pg_temp.spm_stage_org, pg_temp.spm_stage_check, pg_temp.spm_stage_check_src;
-- open_credit called on its own (not through a run) blocks the close of the
-- period until a complete run rewrites its credit
SELECT throws_like($$DO $d$ BEGIN
                       PERFORM spm_payout_internal.open_credit(psec.per(1));
                       CALL spm_payout.close_period(psec.lbl(1));
                     END $d$ $$, '%was opened for writing outside a complete run',
    'a: a period whose credit was opened outside a complete run cannot be closed (55000)');
RESET ROLE;
-- attached by a superuser to a table outside the extension, the audit refuses it
CREATE TEMP TABLE su_own (x int);
CREATE TRIGGER steal AFTER INSERT ON pg_temp.su_own FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit();
SELECT throws_ok($$INSERT INTO pg_temp.su_own VALUES (1)$$, '42501', NULL,
    'c: the audit trigger refuses a table that is not a member of spm_payout (42501)');
DROP TABLE pg_temp.su_own;

-- ============================================= d. row-level security, by role
SELECT is((SELECT array_agg(DISTINCT rep ORDER BY rep) FROM spm_payout.payout_line), '{ann,bob,tz}'::text[],
          'd: January has lines for ann, bob and tz');
SET ROLE :"ann";
SELECT is((SELECT array_agg(DISTINCT rep) FROM spm_payout.payout_statement), '{ann}', 'd: ann sees only her statement lines');
SELECT is((SELECT array_agg(DISTINCT rep) FROM spm_payout.payout_summary_view), '{ann}', 'd: ... only her summaries');
SELECT is((SELECT array_agg(DISTINCT rep) FROM spm_payout.credit_statement), '{ann}', 'd: ... only her credit lines');
SELECT is((SELECT array_agg(DISTINCT rep) FROM spm_payout.attainment_by_rep), '{ann}', 'd: ... only her attainment');
SELECT is((SELECT array_agg(DISTINCT rep) FROM spm_payout.draw_balance), '{ann}', 'd: ... only her draw balance');
SELECT is((SELECT array_agg(DISTINCT rep) FROM spm_payout.payout_line), '{ann}', 'd: ... only her rows of payout_line');
SELECT is((SELECT array_agg(DISTINCT rep) FROM spm_payout.payout_summary), '{ann}', 'd: ... of payout_summary');
SELECT is((SELECT array_agg(DISTINCT rep) FROM spm_payout.credit_line), '{ann}', 'd: ... of credit_line');
SELECT results_eq($$SELECT login::text COLLATE "default", rep FROM spm_payout.rep_login$$, format($$VALUES (%L, 'ann')$$, current_user),
    'd: ... and only her own rep_login row');
SELECT throws_ok($$SELECT * FROM spm_payout.run$$, '42501', NULL, 'd: a rep cannot read the run log (42501)');
SELECT throws_ok($$SELECT * FROM spm_payout.audit_log$$, '42501', NULL, 'd: ... nor the audit log (42501)');
SELECT throws_ok($$SELECT * FROM spm_payout.adjustment$$, '42501', NULL, 'd: ... nor adjustments (42501)');
SELECT throws_ok($$INSERT INTO spm_payout.rep_login VALUES (current_user, 'bob')$$, '42501', NULL,
    'd: a rep cannot map itself to another rep (42501)');
RESET ROLE;
SET ROLE :"bob";
SELECT is((SELECT array_agg(DISTINCT rep) FROM spm_payout.payout_statement), '{bob}', 'd: bob sees only his statement lines');
SELECT is((SELECT array_agg(DISTINCT rep) FROM spm_payout.draw_balance), '{bob}', 'd: ... and his draw');
RESET ROLE;
SET ROLE :"nob";
SELECT is((SELECT count(*)::int FROM spm_payout.payout_statement) + (SELECT count(*)::int FROM spm_payout.credit_line)
          + (SELECT count(*)::int FROM spm_payout.payout_summary) + (SELECT count(*)::int FROM spm_payout.rep_login), 0,
          'd: a rep role mapped to no rep sees nothing');
RESET ROLE;
CREATE TEMP TABLE counts AS
SELECT (SELECT count(*) FROM spm_payout.payout_statement) AS lines, (SELECT count(*) FROM spm_payout.credit_statement) AS credit,
       (SELECT count(*) FROM spm_payout.payout_summary_view) AS summaries, (SELECT count(*) FROM spm_payout.rep_login) AS logins,
       (SELECT count(*) FROM spm_payout.run_log) AS runs;
GRANT SELECT ON counts TO PUBLIC;
SET ROLE :"ana";
SELECT results_eq($$SELECT (SELECT count(*) FROM spm_payout.payout_statement), (SELECT count(*) FROM spm_payout.credit_statement),
                           (SELECT count(*) FROM spm_payout.payout_summary_view), (SELECT count(*) FROM spm_payout.rep_login),
                           (SELECT count(*) FROM spm_payout.run_log)$$,
    $$SELECT lines, credit, summaries, logins, runs FROM counts$$, 'd: an analyst sees every row of every view');
SELECT throws_ok($$INSERT INTO spm_payout.plan (name) VALUES ('analyst plan')$$, '42501', NULL, 'd: an analyst cannot add a plan (42501)');
SELECT throws_ok($$UPDATE spm_payout.source SET time_zone = 'UTC'$$, '42501', NULL, 'd: ... change a source (42501)');
SELECT throws_ok(format($$INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason) VALUES ('ann', %s, 1, 'x')$$, psec.per(2)),
    '42501', NULL, 'd: ... add an adjustment (42501)');
SELECT throws_ok($$INSERT INTO spm_payout.rep_login VALUES (current_user, 'ann')$$, '42501', NULL, 'd: ... map a login (42501)');
SELECT throws_ok($$DELETE FROM spm_payout.payout_line$$, '42501', NULL, 'd: ... delete lines (42501)');
SELECT throws_ok($$CALL spm_payout.run_payout('2025-02-15')$$, '42501', NULL, 'd: ... run a period (42501)');
SELECT throws_ok($$CALL spm_payout.close_period('2025-01-15')$$, '42501', NULL, 'd: ... close a period (42501)');
RESET ROLE;

-- ================================= f. exclusion constraints refuse overlaps
SELECT set_eq($$SELECT conrelid::regclass::text, conname::text FROM pg_constraint
                 WHERE contype = 'x' AND connamespace = 'spm_payout'::regnamespace$$,
    $$VALUES ('spm_payout.pay_period', 'pay_period_no_overlap'), ('spm_payout.assignment', 'assignment_no_overlap'),
             ('spm_payout.plan_version', 'plan_version_no_overlap'), ('spm_payout.draw_agreement', 'draw_no_overlap')$$,
    'f: pay_period, assignment, plan_version and draw_agreement have exclusion constraints');
SET ROLE :"adm";
SELECT throws_ok($$INSERT INTO spm_payout.pay_period (label, period) VALUES ('mid-March', '[2025-03-15,2025-04-15)')$$,
    '23P01', NULL, 'f: an overlapping pay period is refused (23P01)');
SELECT throws_ok($$INSERT INTO spm_payout.assignment (rep, plan_id, valid)
                   SELECT 'ann', plan_id, '[2025-06-01,2025-07-01)' FROM spm_payout.plan WHERE name = 'psec plan'$$,
    '23P01', NULL, 'f: an overlapping assignment is refused (23P01)');
SELECT throws_ok($$INSERT INTO spm_payout.plan_version (plan_id, version, schedule, valid)
                   SELECT plan_id, 2, 'marginal(0: 0.07)', '[2025-06-01,)' FROM spm_payout.plan WHERE name = 'psec plan'$$,
    '23P01', NULL, 'f: an overlapping plan version is refused (23P01)');
SELECT throws_ok($$INSERT INTO spm_payout.draw_agreement (rep, kind, amount, term) VALUES ('bob', 'advance', 50, '[2025-03-01,2025-06-01)')$$,
    '23P01', NULL, 'f: an overlapping draw agreement is refused (23P01)');
SELECT lives_ok($$INSERT INTO spm_payout.draw_agreement (rep, kind, amount, term) VALUES ('bob', 'advance', 50, '[2025-04-01,2025-06-01)')$$,
    'f: an adjacent draw agreement ([start, end) ranges touch) is accepted');

-- ====================== g. deal dates and fingerprints whatever the session's settings
SET TimeZone = 'Asia/Tokyo';
SELECT ok(psec.run(psec.lbl(1)) IS NOT NULL, 'g: January run with TimeZone Asia/Tokyo');
SELECT results_eq($$SELECT deal, deal_date, for_period_id FROM spm_payout.credit_line WHERE rep = 'tz' ORDER BY deal$$,
    format($$VALUES ('101', '2025-01-31'::date, %s)$$, psec.per(1)),
    'g: Tokyo session: the deal of 2025-01-31 23:30 New York time is in January, the next one is not');
SET TimeZone = 'UTC';
SELECT ok(psec.run(psec.lbl(1)) IS NOT NULL, 'g: January run with TimeZone UTC');
SELECT results_eq($$SELECT deal, deal_date, for_period_id FROM spm_payout.credit_line WHERE rep = 'tz' ORDER BY deal$$,
    format($$VALUES ('101', '2025-01-31'::date, %s)$$, psec.per(1)),
    'g: UTC session: the same');
SET TimeZone = 'America/Los_Angeles';
SELECT ok(psec.run(psec.lbl(2)) IS NOT NULL, 'g: February run with TimeZone America/Los_Angeles');
SELECT results_eq(format($$SELECT deal, deal_date FROM spm_payout.credit_line WHERE rep = 'tz' AND period_id = %s$$, psec.per(2)),
    $$VALUES ('102', '2025-02-01'::date)$$,
    'g: Los Angeles session: the deal of 2025-02-01 00:30 New York time is in February');
-- the fingerprint of the same inputs under other settings
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, MDY';
SELECT psec.run(psec.lbl(1)) AS fp_run1 \gset
SET TimeZone = 'Asia/Tokyo';
SET DateStyle = 'SQL, DMY';
SELECT psec.run(psec.lbl(1)) AS fp_run2 \gset
SET TimeZone = 'Pacific/Kiritimati';
SET DateStyle = 'German';
SELECT psec.run(psec.lbl(1)) AS fp_run3 \gset
SET TimeZone = 'America/St_Johns';
SET DateStyle = 'Postgres, YMD';
SELECT psec.run(psec.lbl(1)) AS fp_run4 \gset
RESET TimeZone;
RESET DateStyle;
SELECT is((SELECT count(DISTINCT input_fingerprint)::int FROM spm_payout.run WHERE run_id IN (:fp_run1, :fp_run2, :fp_run3, :fp_run4)), 1,
          'g: input_fingerprint is identical under TimeZone UTC/Tokyo/Kiritimati/St_Johns and DateStyle ISO/SQL/German/Postgres');
SELECT is((SELECT count(DISTINCT (credit_rows, lines))::int FROM spm_payout.run WHERE run_id IN (:fp_run1, :fp_run2, :fp_run3, :fp_run4)), 1,
          'g: ... and so are the run''s row counts');
SELECT isnt((SELECT input_fingerprint FROM spm_payout.run WHERE run_id = :fp_run1), NULL, 'g: the fingerprint is not NULL');

-- ============================== h. close_period refuses changed inputs
INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason) VALUES ('ann', psec.per(1), 25, 'late bonus');
SELECT throws_ok(format($$CALL spm_payout.close_period(%L)$$, psec.lbl(1)), '55000',
    format('the inputs of pay period %s changed since its last run (run %s)', psec.lbl(1), :fp_run4),
    'h: an adjustment inserted after the run: close_period refuses (55000)');
SELECT is((SELECT count(*)::int FROM spm_payout.pay_period WHERE status = 'closed'), 0, 'h: ... and nothing is closed');
UPDATE psec.sales SET amt = 10001 WHERE id = 1;
SELECT ok(psec.run(psec.lbl(1)) IS NOT NULL, 'h: rerun January');
UPDATE psec.sales SET amt = 10000 WHERE id = 1;
SELECT throws_ok(format($$CALL spm_payout.close_period(%L)$$, psec.lbl(1)), '55000', NULL,
    'h: a source row changed after the run: close_period refuses (55000)');
SELECT ok(psec.run(psec.lbl(1)) IS NOT NULL, 'h: rerun January');
SELECT lives_ok(format($$CALL spm_payout.close_period(%L)$$, psec.lbl(1)), 'h: an admin closes January once its inputs match its last run');
SELECT is((SELECT status FROM spm_payout.pay_period WHERE period_id = psec.per(1)), 'closed', 'h: January is closed');
SELECT throws_ok(format($$INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason) VALUES ('ann', %s, 1, 'x')$$, psec.per(1)),
    '55000', format('pay period %s is closed', psec.lbl(1)), 'h: an adjustment to a closed period is refused (55000)');

-- ============================== i. a failed run names the source and the deal
SELECT psec_private.written() AS before_fail \gset
SET ROLE :"adm";
INSERT INTO psec.sales VALUES (99, NULL, 300, '2025-02-20');
SELECT throws_ok($$CALL spm_payout.run_payout('2025-02-20')$$, '23502', 'source crm: deal 99 has a NULL rep',
    'i: a deal with a NULL rep: the run fails 23502 naming the source and the deal');
RESET ROLE;
SELECT is(psec_private.written(), :'before_fail', 'i: ... and nothing was written');
SET ROLE :"adm";
DELETE FROM psec.sales WHERE id = 99;
INSERT INTO psec.sales VALUES (98, 'ann', NULL, '2025-02-21');
SELECT throws_ok($$CALL spm_payout.run_payout('2025-02-20')$$, '23502', 'source crm: deal 98 has a NULL amount',
    'i: a deal with a NULL amount: 23502 naming the source and the deal');
DELETE FROM psec.sales WHERE id = 98;
RESET ROLE;

-- ====================== e. the rep policy uses the index payout_line_rep
-- 5,000 reps with a deal in each of four periods of 2026: 20,000 lines
SET ROLE :"adm";
SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods('2026-01-01', '2026-04-30')), 4, 'e: four periods of 2026');
CREATE TABLE psec.big_sales AS
SELECT g AS id, 'b' || (g % 5000) AS seller, (100 + g % 97)::numeric AS amt, date '2026-01-01' + (g / 5000) * 31 + g % 20 AS closed
  FROM generate_series(0, 19999) g;
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('big', 'psec.big_sales', 'seller', 'id', 'amt', 'closed');
INSERT INTO spm_payout.plan (name) VALUES ('big plan');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule)
SELECT plan_id, 1, 'marginal(0: 0.03)' FROM spm_payout.plan WHERE name = 'big plan';
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT 'b' || g, plan_id, '[2026-01-01,2027-01-01)' FROM spm_payout.plan, generate_series(0, 4999) g WHERE name = 'big plan';
SELECT ok(psec.run(psec.lbl(m, 2026)) IS NOT NULL, format('e: run of 2026-%s', m)) FROM generate_series(1, 4) m;
RESET ROLE;
SELECT cmp_ok((SELECT count(*)::int FROM spm_payout.payout_line), '>=', 20000, 'e: at least 20,000 payout lines');
ANALYZE spm_payout.payout_line;
SET ROLE :"big";
SELECT matches(psec.plan_of('SELECT * FROM spm_payout.payout_line'),
               '(Index Scan using payout_line_rep on payout_line|Bitmap Index Scan on payout_line_rep)',
               'e: as a rep, SELECT * FROM payout_line is an index scan of payout_line_rep');
SELECT matches(psec.plan_of('SELECT * FROM spm_payout.payout_statement'),
               '(Index Scan using payout_line_rep on payout_line|Bitmap Index Scan on payout_line_rep)',
               'e: ... and so is the statement view');
SELECT results_eq($$SELECT rep, count(*)::int FROM spm_payout.payout_line GROUP BY rep$$, $$VALUES ('b77', 4)$$,
    'e: the rep reads its 4 lines');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
