-- pgTAP: payout runs (catalog, spm.run_payout, spm.close_period, views,
-- roles and row-level security).  The company and every number come from
-- sql/payout.sql, where they are checked by hand; the comments repeat the
-- arithmetic.  Identity columns are never assumed (sequences are not rolled
-- back): periods are found by their start date, plans by name.
--
-- Assertions marked "-- Fixed:" pin bugs this file found; each says what
-- was wrong.
BEGIN;
SELECT plan(288);
SET client_min_messages = warning;

-- ================================================================= setup
CREATE SCHEMA pt;
SET search_path = pt, public;
GRANT USAGE ON SCHEMA pt TO PUBLIC;
CREATE TABLE sales (id int PRIMARY KEY, seller text, amt numeric(12,2), closed date, kind text);
CREATE TABLE splits (deal int, rep text, pct numeric);
CREATE TABLE org (rep text, mgr text, valid daterange);
INSERT INTO sales VALUES
  (1, 'ann', 12000, '2025-01-10', 'new'),
  (2, 'bob',  4000, '2025-01-15', 'new'),
  (3, 'ann', 999.99, '2025-01-20', 'new'),      -- split 50/50 with bob
  (9, 'ann', 77777, '2025-01-21', 'internal');  -- filtered out by the source
INSERT INTO splits VALUES (3, 'ann', 50), (3, 'bob', 50);
INSERT INTO org VALUES ('ann', 'mia', '(,)'), ('bob', 'mia', '(,)'), ('mia', NULL, '(,)');

CREATE TEMP TABLE audit_base AS SELECT coalesce(max(audit_id), 0) AS id FROM spm.audit_log;

-- period_id of the month m of 2025
CREATE FUNCTION pt.per(m int) RETURNS int LANGUAGE sql STABLE AS
$$ SELECT period_id FROM spm.pay_period WHERE lower(period) = make_date(2025, m, 1) $$;
-- everything a run or a close writes, seen with full rights (no RLS)
CREATE FUNCTION pt.written() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog AS $$
    SELECT format('runs %s (%s); lines %s (%s); credit %s (%s); summaries %s (%s); closed: %s',
        (SELECT count(*) FROM spm.run), (SELECT md5(string_agg(r::text, ',' ORDER BY r.run_id)) FROM spm.run r),
        (SELECT count(*) FROM spm.payout_line),
        (SELECT md5(string_agg(l::text, ',' ORDER BY l.line_id)) FROM spm.payout_line l),
        (SELECT count(*) FROM spm.credit_line),
        (SELECT md5(string_agg(c::text, ',' ORDER BY c::text)) FROM spm.credit_line c),
        (SELECT count(*) FROM spm.payout_summary),
        (SELECT md5(string_agg(s::text, ',' ORDER BY s.period_id, s.rep)) FROM spm.payout_summary s),
        (SELECT string_agg(p.label, ',' ORDER BY p.label) FROM spm.pay_period p WHERE p.status = 'closed'))
$$;
-- a statement that must fail with this error and leave every result as it was
CREATE FUNCTION pt.run_fails(stmt text, code text, msg text, what text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    before text := pt.written();
BEGIN
    RETURN NEXT throws_ok(stmt, code, msg, what);
    RETURN NEXT is(pt.written(), before, what || ': nothing written');
END $$;
-- a run that returns its INOUT run_id
CREATE FUNCTION pt.run(period text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
BEGIN
    CALL spm.run_payout(period, r);
    RETURN r;
END $$;

-- the catalog of sql/payout.sql, plus April (no sales) for the empty-period case
SELECT is((SELECT count(*)::int FROM spm.add_pay_periods('2025-01-01', '2025-04-30', 'month')), 4,
          'add_pay_periods: January to April, one period per month');
SELECT results_eq($$SELECT label, period FROM spm.pay_period ORDER BY period$$,
    $$VALUES ('2025-01-01..2025-01-31', '[2025-01-01,2025-02-01)'::daterange),
             ('2025-02-01..2025-02-28', '[2025-02-01,2025-03-01)'), ('2025-03-01..2025-03-31', '[2025-03-01,2025-04-01)'),
             ('2025-04-01..2025-04-30', '[2025-04-01,2025-05-01)')$$,
    'add_pay_periods: labels first..last day, [start, end) ranges');
INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column, filter_column, filter_values)
VALUES ('crm', 'pt.sales', 'seller', 'id', 'amt', 'closed', 'kind', '{new,renewal}');
INSERT INTO spm.split_rule SELECT source_id, 'pt.splits', 'deal', 'rep', 'pct' FROM spm.source WHERE name = 'crm';
INSERT INTO spm.hierarchy_rule (relation, rep_column, manager_column, valid_column) VALUES ('pt.org', 'rep', 'mgr', 'valid');
INSERT INTO spm.plan (name, schedule, base) VALUES
  ('rep plan', 'marginal(0: 0.05, 1: 0.10)', 'quota'),  -- 5% to quota, 10% above
  ('mgr plan', 'marginal(0: 0.01)', 'amount');          -- 1% of the team's credit
INSERT INTO spm.assignment (rep, plan_id, valid)
SELECT r, (SELECT plan_id FROM spm.plan WHERE name = CASE r WHEN 'mia' THEN 'mgr plan' ELSE 'rep plan' END), '[2025-01-01,)'
  FROM unnest('{ann,bob,mia}'::text[]) r;
INSERT INTO spm.quota SELECT r, p.period_id, 10000 FROM unnest('{ann,bob}'::text[]) r, spm.pay_period p;
INSERT INTO spm.draw_agreement (rep, kind, amount, term) VALUES ('bob', 'recoverable', 1000, '[2025-01-01,2025-04-01)');

-- ================================================= 1. catalog: bad input
-- spm.source: unknown table, unknown columns, wrong types
SELECT throws_ok($$INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
                  VALUES ('bad', 'pt.no_such_table', 'seller', 'id', 'amt', 'closed')$$,
    '42P01', 'relation "pt.no_such_table" does not exist', 'source: unknown table');
SELECT throws_ok($$INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
                  VALUES ('bad', 'pt.sales', 'nobody', 'id', 'amt', 'closed')$$,
    '42703', 'column nobody of relation pt.sales does not exist', 'source: unknown rep_column');
SELECT throws_ok($$INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
                  VALUES ('bad', 'pt.sales', 'seller', 'nodeal', 'amt', 'closed')$$,
    '42703', 'column nodeal of relation pt.sales does not exist', 'source: unknown deal_column');
SELECT throws_ok($$INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
                  VALUES ('bad', 'pt.sales', 'seller', 'id', 'noamt', 'closed')$$,
    '42703', 'column noamt of relation pt.sales does not exist', 'source: unknown amount_column');
SELECT throws_ok($$INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
                  VALUES ('bad', 'pt.sales', 'seller', 'id', 'amt', 'nodate')$$,
    '42703', 'column nodate of relation pt.sales does not exist', 'source: unknown date_column');
SELECT throws_ok($$INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column, filter_column, filter_values)
                  VALUES ('bad', 'pt.sales', 'seller', 'id', 'amt', 'closed', 'nokind', '{new}')$$,
    '42703', 'column nokind of relation pt.sales does not exist', 'source: unknown filter_column');
SELECT throws_ok($$UPDATE spm.source SET rep_column = 'nobody' WHERE name = 'crm'$$,
    '42703', 'column nobody of relation pt.sales does not exist', 'source: an UPDATE is checked too');
SELECT throws_ok($$INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
                  VALUES ('bad', 'pt.sales', 'seller', 'id', 'kind', 'closed')$$,
    '42804', 'column kind of relation pt.sales has type text', 'source: text amount_column');
SELECT throws_ok($$INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
                  VALUES ('bad', 'pt.sales', 'seller', 'id', 'closed', 'closed')$$,
    '42804', 'column closed of relation pt.sales has type date', 'source: date amount_column');
SELECT throws_ok($$INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
                  VALUES ('bad', 'pt.sales', 'seller', 'id', 'amt', 'amt')$$,
    '42804', 'column amt of relation pt.sales has type numeric', 'source: numeric date_column');
SELECT throws_ok($$INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
                  VALUES ('bad', 'pt.sales', 'seller', 'id', 'amt', 'seller')$$,
    '42804', 'column seller of relation pt.sales has type text', 'source: text date_column');
SELECT throws_ok($$INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
                  VALUES ('bad', 'pt.sales', NULL, 'id', 'amt', 'closed')$$,
    '22023', 'rep_column must not be NULL', 'source: NULL rep_column');
SELECT throws_ok($$INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column, filter_column)
                  VALUES ('bad', 'pt.sales', 'seller', 'id', 'amt', 'closed', 'kind')$$,
    '23514', 'new row for relation "source" violates check constraint "source_filter_complete"',
    'source: a filter column needs filter values');

-- spm.split_rule
SELECT throws_ok($$INSERT INTO spm.split_rule SELECT source_id, 'pt.no_splits', 'deal', 'rep', 'pct' FROM spm.source WHERE name = 'crm'$$,
    '42P01', 'relation "pt.no_splits" does not exist', 'split_rule: unknown table');
SELECT throws_ok($$UPDATE spm.split_rule SET deal_column = 'nodeal'$$,
    '42703', 'column nodeal of relation pt.splits does not exist', 'split_rule: unknown deal_column');
SELECT throws_ok($$UPDATE spm.split_rule SET rep_column = 'norep'$$,
    '42703', 'column norep of relation pt.splits does not exist', 'split_rule: unknown rep_column');
SELECT throws_ok($$UPDATE spm.split_rule SET weight_column = 'noweight'$$,
    '42703', 'column noweight of relation pt.splits does not exist', 'split_rule: unknown weight_column');
SELECT throws_ok($$UPDATE spm.split_rule SET weight_column = 'rep'$$,
    '42804', 'column rep of relation pt.splits has type text', 'split_rule: text weight_column');

-- spm.hierarchy_rule
SELECT throws_ok($$INSERT INTO spm.hierarchy_rule (relation, rep_column, manager_column, valid_column)
                  VALUES ('pt.no_org', 'rep', 'mgr', 'valid')$$,
    '42P01', 'relation "pt.no_org" does not exist', 'hierarchy_rule: unknown table');
SELECT throws_ok($$UPDATE spm.hierarchy_rule SET rep_column = 'norep'$$,
    '42703', 'column norep of relation pt.org does not exist', 'hierarchy_rule: unknown rep_column');
SELECT throws_ok($$UPDATE spm.hierarchy_rule SET manager_column = 'nomgr'$$,
    '42703', 'column nomgr of relation pt.org does not exist', 'hierarchy_rule: unknown manager_column');
SELECT throws_ok($$UPDATE spm.hierarchy_rule SET valid_column = 'novalid'$$,
    '42703', 'column novalid of relation pt.org does not exist', 'hierarchy_rule: unknown valid_column');
SELECT throws_ok($$UPDATE spm.hierarchy_rule SET valid_column = 'mgr'$$,
    '42804', 'column mgr of relation pt.org has type text', 'hierarchy_rule: valid_column must be a daterange');

-- plans and quotas
SELECT throws_ok($$INSERT INTO spm.plan (name, schedule) VALUES ('empty', NULL)$$,
    '23502', 'null value in column "schedule" of relation "plan" violates not-null constraint', 'plan without a schedule');
SELECT throws_ok($$INSERT INTO spm.plan (name, schedule, base) VALUES ('curve', 'marginal(0: 1)', 'attainment')$$,
    '23514', 'new row for relation "plan" violates check constraint "plan_attainment_needs_target"',
    'attainment plan without target_incentive');
SELECT throws_ok($$INSERT INTO spm.quota SELECT 'zed', pt.per(2), 0$$,
    '23514', 'new row for relation "quota" violates check constraint "quota_must_be_positive"', 'quota of zero');
SELECT throws_ok($$INSERT INTO spm.quota SELECT 'zed', pt.per(2), -5000$$,
    '23514', 'new row for relation "quota" violates check constraint "quota_must_be_positive"', 'negative quota');
SELECT throws_ok($$UPDATE spm.quota SET amount = 0 WHERE rep = 'ann' AND period_id = pt.per(2)$$,
    '23514', 'new row for relation "quota" violates check constraint "quota_must_be_positive"', 'quota updated to zero');

-- overlaps (23P01)
SELECT throws_ok($$INSERT INTO spm.assignment (rep, plan_id, valid)
                  SELECT 'ann', plan_id, '[2025-06-01,2025-07-01)' FROM spm.plan WHERE name = 'mgr plan'$$,
    '23P01', 'plan assignment overlaps an existing one', 'assignment overlapping the rep''s current one');
SELECT throws_ok($$INSERT INTO spm.assignment (rep, plan_id, valid)
                  SELECT 'zoe', plan_id, v::daterange FROM spm.plan, unnest('{"[2025-01-01,2025-02-01)","[2025-01-15,2025-03-01)"}'::text[]) v
                   WHERE name = 'rep plan'$$,
    '23P01', 'plan assignment overlaps an existing one', 'two overlapping assignments in one INSERT');
SELECT throws_ok($$UPDATE spm.assignment SET rep = 'ann' WHERE rep = 'mia'$$,
    '23P01', 'plan assignment overlaps an existing one', 'an UPDATE into an overlap');
SELECT throws_ok($$INSERT INTO spm.draw_agreement (rep, kind, amount, term) VALUES ('bob', 'advance', 500, '[2025-03-01,2025-06-01)')$$,
    '23P01', 'draw agreement overlaps an existing one', 'overlapping draw agreements');
SELECT throws_ok($$INSERT INTO spm.plan (name, version, schedule, valid) VALUES ('rep plan', 2, 'marginal(0: 0.07)', '[2025-06-01,)')$$,
    '23P01', 'plan version overlaps an existing one', 'overlapping plan versions');
SELECT throws_ok($$INSERT INTO spm.pay_period (label, period) VALUES ('mid-January', '[2025-01-15,2025-02-15)')$$,
    '23P01', 'pay period overlaps an existing one', 'overlapping pay periods');
SELECT throws_ok($$SELECT spm.add_pay_periods('2025-03-15', '2025-03-20')$$,
    '23P01', 'pay period overlaps an existing one', 'add_pay_periods over an existing period');
SELECT is((SELECT count(*)::int FROM spm.add_pay_periods('2025-05-01', '2025-05-31')), 1,
          'an adjacent period ([start, end) ranges touch) is not an overlap');

-- ===================================================== 2. concurrency
-- run_payout and close_period both begin with
--     pg_try_advisory_xact_lock(hashtext('spm.run_payout'), 0)
-- and raise 55P03 when it is taken; the lock is held until the running
-- transaction ends.  The test's own transaction cannot be committed, so the
-- second connection (dblink, same database) takes exactly that lock the way
-- a run in progress holds it.  The connection string names the socket and
-- port of this server explicitly (libpq inside the server does not inherit
-- the client's PGHOST/PGPORT).  This section comes before any successful run
-- of the main session: from then on the main session holds the lock itself.
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT is(dblink_connect('c2', format('dbname=''%s'' user=''%s'' port=%s host=''%s''', current_database(), current_user,
                                      current_setting('port'),
                                      coalesce(nullif(trim(split_part(current_setting('unix_socket_directories'), ',', 1)), ''), 'localhost'))),
          'OK', 'a second connection to the same database');
SELECT is(dblink_exec('c2', 'BEGIN'), 'BEGIN', 'second connection: a transaction');
SELECT is((SELECT x FROM dblink('c2', 'SELECT pg_advisory_xact_lock(hashtext(''spm.run_payout''), 0)::text') AS t(x text)),
          '', 'second connection: holds the run lock as a run in progress does');
SELECT pt.run_fails($$CALL spm.run_payout('2025-01-15')$$, '55P03', 'another spm payout run is in progress',
                    'run_payout while another run holds the lock');
SELECT pt.run_fails($$CALL spm.close_period('2025-01-15')$$, '55P03', 'another spm payout run is in progress',
                    'close_period while a run holds the lock');
SELECT is(dblink_exec('c2', 'ROLLBACK'), 'ROLLBACK', 'second connection: its run ends');
SELECT pt.run('2025-01-15') AS jan_run_id \gset
SELECT is((SELECT max(run_id) FROM spm.run), :jan_run_id::bigint, 'now the run succeeds; INOUT run_id is the logged run');
-- the other way round: this session's run holds the lock until its transaction ends
SELECT is((SELECT x FROM dblink('c2', 'SELECT pg_try_advisory_xact_lock(hashtext(''spm.run_payout''), 0)::text') AS t(x text)),
          'false', 'second connection: the lock of a finished but uncommitted run is still held');
SELECT throws_ok($$SELECT dblink_exec('c2', 'CALL spm.run_payout(''2025-01-15'')')$$, '55P03',
                 'another spm payout run is in progress', 'second connection: run_payout is refused at once, no interleaving');
SELECT throws_ok($$SELECT dblink_exec('c2', 'CALL spm.close_period(''2025-01-15'')')$$, '55P03',
                 'another spm payout run is in progress', 'second connection: close_period is refused too');
SELECT is(dblink_disconnect('c2'), 'OK', 'second connection closed');

-- ===================================================== 3. run and close errors (open periods)
SELECT pt.run_fails($$CALL spm.run_payout('nonsense')$$, '22023', $$no pay period is labelled 'nonsense'$$,
                    'run_payout: unknown period label');
SELECT pt.run_fails($$CALL spm.run_payout('2024-06-01')$$, '22023', 'no pay period contains 2024-06-01',
                    'run_payout: no period contains the date');
SELECT pt.run_fails($$CALL spm.run_payout('2025-02-30')$$, '22023', $$no pay period is labelled '2025-02-30'$$,
                    'run_payout: an impossible date is an unknown label');
SELECT pt.run_fails($$CALL spm.run_payout()$$, '22023', 'no pay period contains ' || to_char(current_date, 'YYYY-MM-DD'),
                    'run_payout: default period is today''s, and none contains today');
SELECT pt.run_fails($$CALL spm.run_payout(NULL)$$, '22023', 'no pay period contains ' || to_char(current_date, 'YYYY-MM-DD'),
                    'run_payout: NULL period is today''s');
-- a quota plan, and an attainment plan, without a quota for the period (the
-- assignment is made inside the failing statement and rolled back with it)
SELECT pt.run_fails($$INSERT INTO spm.assignment (rep, plan_id, valid)
                       SELECT 'cy', plan_id, '[2025-01-01,2025-02-01)' FROM spm.plan WHERE name = 'rep plan';
                     CALL spm.run_payout('2025-01-15')$$,
                    '22023', 'rep cy has no quota for pay period 2025-01-01..2025-01-31', 'run_payout: quota plan, no quota');
SELECT pt.run_fails($$INSERT INTO spm.plan (name, schedule, base, target_incentive) VALUES ('curve', 'marginal(0: 1)', 'attainment', 1000);
                     INSERT INTO spm.assignment (rep, plan_id, valid)
                       SELECT 'cy', plan_id, '[2025-01-20,2025-03-01)' FROM spm.plan WHERE name = 'curve';
                     CALL spm.run_payout('2025-01-15')$$,
                    '22023', 'rep cy has no quota for pay period 2025-01-01..2025-01-31', 'run_payout: attainment plan, no quota');
SELECT pt.run_fails($$DELETE FROM spm.quota WHERE rep = 'ann' AND period_id = pt.per(1); CALL spm.run_payout('2025-01-15')$$,
                    '22023', 'rep ann has no quota for pay period 2025-01-01..2025-01-31',
                    'run_payout: a deleted quota fails the rerun and the earlier results stay');
-- a registered table or column that disappeared after registration
SELECT pt.run_fails($$ALTER TABLE pt.sales RENAME seller TO rep; CALL spm.run_payout('2025-01-15')$$,
                    '42703', NULL, 'run_payout: a mapped column renamed since registration is 42703');
-- Fixed: a registered table dropped since registration gave a syntax error
-- (42601, "syntax error at or near "<oid>"": the dangling regclass prints as
-- a number into the generated SQL) instead of an unknown-table error 42P01.
SELECT pt.run_fails($$DROP TABLE pt.splits; CALL spm.run_payout('2025-01-15')$$,
                    '42P01', NULL, 'run_payout: a registered table dropped since registration is 42P01');
-- closing
SELECT pt.run_fails($$CALL spm.close_period(NULL)$$, '22023', 'period must not be NULL', 'close_period: NULL period');
SELECT pt.run_fails($$CALL spm.close_period('nonsense')$$, '22023', $$no pay period is labelled 'nonsense'$$,
                    'close_period: unknown label');
SELECT pt.run_fails($$CALL spm.close_period('2030-01-01')$$, '22023', 'no pay period contains 2030-01-01',
                    'close_period: no period contains the date');
SELECT pt.run_fails($$CALL spm.close_period('2025-05-01..2025-05-31')$$, '55000', 'pay period 2025-05-01..2025-05-31 has never been run',
                    'close_period: a period never run');

-- ===================================================== 4. January, hand-checked
-- ann: 12000 + 500.00 (her share of 999.99: 499.995 each, the odd cent to
--      the earlier rep) = 12500.00; 10000*0.05 + 2500*0.10 = 750.00
-- bob: 4000 + 499.99 = 4499.99; *0.05 = 224.9995 -> 225.00
-- mia: 12500 + 4499.99 = 16999.99 rolled up; *0.01 = 169.9999 -> 170.00
SELECT results_eq($$SELECT rep, plan, plan_version, line_kind, for_period, credited, quota, attainment, earned
                      FROM spm.payout_statement WHERE period_start = '2025-01-01' ORDER BY rep$$,
    $$VALUES ('ann', 'rep plan', 1, 'commission', '2025-01-01..2025-01-31', 12500.00, 10000.00, 1.25, 750.00),
             ('bob', 'rep plan', 1, 'commission', '2025-01-01..2025-01-31', 4499.99, 10000.00, 0.449999, 225.00),
             ('mia', 'mgr plan', 1, 'commission', '2025-01-01..2025-01-31', 16999.99, NULL, NULL, 170.00)$$,
    'January: credited, quota, attainment and earned per rep');
-- bob: guarantee 1000, earned 225 -> top-up 775, balance 775
SELECT results_eq($$SELECT rep, earned, draw, draw_kind, draw_paid, recovered, forgiven, balance, payout
                      FROM spm.payout_summary_view WHERE period_start = '2025-01-01' ORDER BY rep$$,
    $$VALUES ('ann', 750.00, 0::numeric, NULL, 0::numeric, 0::numeric, 0::numeric, 0::numeric, 750.00),
             ('bob', 225.00, 1000, 'recoverable', 775.00, 0, 0, 775.00, 1000.00),
             ('mia', 170.00, 0, NULL, 0, 0, 0, 0, 170.00)$$,
    'January: draws and payouts');
SELECT results_eq($$SELECT rep, deal, via, amount FROM spm.credit_line WHERE period_id = pt.per(1) ORDER BY rep, deal, via$$,
    $$VALUES ('ann', '1', 'direct', 12000.00), ('ann', '3', 'split', 500.00),
             ('bob', '2', 'direct', 4000.00), ('bob', '3', 'split', 499.99),
             ('mia', '1', 'rollup depth 1 from ann', 12000.00), ('mia', '2', 'rollup depth 1 from bob', 4000.00),
             ('mia', '3', 'rollup depth 1 from ann', 500.00), ('mia', '3', 'rollup depth 1 from bob', 499.99)$$,
    'January: credit deal by deal (the internal deal 9 is filtered out)');
SELECT results_eq($$SELECT period, run_by, credit_rows, lines, adjustment_lines, reps, finished_at >= started_at, duration >= '0'
                      FROM spm.run_log ORDER BY run_id DESC LIMIT 1$$,
    $$VALUES ('2025-01-01..2025-01-31', session_user::text COLLATE "default", 8, 3, 0, 3, true, true)$$,
    'the run is logged: period, who, 8 credit rows, 3 lines, 3 reps');
SELECT is((SELECT count(DISTINCT run_id)::int FROM spm.payout_line WHERE period_id = pt.per(1)), 1, 'all January lines carry one run id');

-- ===================================================== 5. rerun idempotence
CREATE TEMP TABLE jan_lines1 AS
SELECT rep, plan_id, for_period_id, line_kind, credited, quota, attainment, earned, cause FROM spm.payout_line WHERE period_id = pt.per(1);
CREATE TEMP TABLE jan_credit1 AS
SELECT rep, plan_id, for_period_id, source_id, deal, deal_date, via, amount FROM spm.credit_line WHERE period_id = pt.per(1);
CREATE TEMP TABLE jan_summary1 AS
SELECT rep, earned, draw, draw_kind, draw_paid, recovered, forgiven, balance, payout FROM spm.payout_summary WHERE period_id = pt.per(1);
SELECT lives_ok($$CALL spm.run_payout('2025-01-01..2025-01-31')$$, 'January again, by its label');
SELECT bag_eq($$SELECT rep, plan_id, for_period_id, line_kind, credited, quota, attainment, earned, cause
                  FROM spm.payout_line WHERE period_id = pt.per(1)$$, 'TABLE jan_lines1', 'rerun: the same lines');
SELECT bag_eq($$SELECT rep, plan_id, for_period_id, source_id, deal, deal_date, via, amount
                  FROM spm.credit_line WHERE period_id = pt.per(1)$$, 'TABLE jan_credit1', 'rerun: the same credit rows');
SELECT bag_eq($$SELECT rep, earned, draw, draw_kind, draw_paid, recovered, forgiven, balance, payout
                  FROM spm.payout_summary WHERE period_id = pt.per(1)$$, 'TABLE jan_summary1', 'rerun: the same summaries');
SELECT results_eq($$SELECT count(*)::int, count(DISTINCT input_hash)::int FROM spm.run WHERE period_id = pt.per(1)$$,
    $$VALUES (2, 1)$$, 'rerun: two runs logged, one input hash');
SELECT is((SELECT array_agg(DISTINCT run_id) FROM spm.payout_line WHERE period_id = pt.per(1)),
          (SELECT ARRAY[max(run_id)] FROM spm.run WHERE period_id = pt.per(1)),
          'rerun: the lines were replaced, not added (all from the last run)');
-- the hash follows the inputs: a new deal changes it, removing it restores it
INSERT INTO sales VALUES (10, 'bob', 100, '2025-01-25', 'new');
SELECT lives_ok($$CALL spm.run_payout('2025-01-15')$$, 'January with one more deal');
SELECT isnt((SELECT input_hash FROM spm.run ORDER BY run_id DESC LIMIT 1), (SELECT input_hash FROM spm.run WHERE period_id = pt.per(1) ORDER BY run_id LIMIT 1),
            'a changed input changes the input hash');
-- bob 4499.99 + 100 = 4599.99 -> 229.9995 -> 230.00
SELECT is((SELECT earned FROM spm.payout_line WHERE period_id = pt.per(1) AND rep = 'bob'), 230.00, 'and the numbers');
DELETE FROM sales WHERE id = 10;
SELECT lives_ok($$CALL spm.run_payout('2025-01-15')$$, 'January without it again');
SELECT is((SELECT input_hash FROM spm.run ORDER BY run_id DESC LIMIT 1), (SELECT input_hash FROM spm.run WHERE period_id = pt.per(1) ORDER BY run_id LIMIT 1),
          'the same inputs give the same hash again');
SELECT bag_eq($$SELECT rep, plan_id, for_period_id, line_kind, credited, quota, attainment, earned, cause
                  FROM spm.payout_line WHERE period_id = pt.per(1)$$, 'TABLE jan_lines1', 'and the same lines');

-- ===================================================== 6. close January; closed is closed
SELECT lives_ok($$CALL spm.close_period('2025-01-01..2025-01-31')$$, 'close January');
SELECT results_eq($$SELECT status, closed_by, closed_at IS NOT NULL FROM spm.pay_period WHERE period_id = pt.per(1)$$,
    $$VALUES ('closed', session_user::text COLLATE "default", true)$$, 'January is closed, by whom, when');
CREATE TEMP TABLE jan_frozen AS SELECT * FROM spm.payout_line WHERE period_id = pt.per(1);
CREATE TEMP TABLE jan_frozen_credit AS SELECT * FROM spm.credit_line WHERE period_id = pt.per(1);
CREATE TEMP TABLE jan_frozen_summary AS SELECT * FROM spm.payout_summary WHERE period_id = pt.per(1);
SELECT pt.run_fails($$CALL spm.run_payout('2025-01-01..2025-01-31')$$, '55000', 'pay period 2025-01-01..2025-01-31 is closed',
                    'run_payout refuses a closed period (label)');
SELECT pt.run_fails($$CALL spm.run_payout('2025-01-31')$$, '55000', 'pay period 2025-01-01..2025-01-31 is closed',
                    'run_payout refuses a closed period (date)');
SELECT pt.run_fails($$CALL spm.close_period('2025-01-15')$$, '55000', 'pay period 2025-01-01..2025-01-31 is already closed',
                    'close_period: already closed');
-- quotas and adjustments of a closed period
SELECT throws_ok($$INSERT INTO spm.quota SELECT 'zed', pt.per(1), 5000$$,
    '55000', 'pay period 2025-01-01..2025-01-31 is closed', 'quota: no INSERT into a closed period');
SELECT throws_ok($$UPDATE spm.quota SET amount = 20000 WHERE rep = 'ann' AND period_id = pt.per(1)$$,
    '55000', 'pay period 2025-01-01..2025-01-31 is closed', 'quota: no UPDATE in a closed period');
SELECT throws_ok($$DELETE FROM spm.quota WHERE rep = 'ann' AND period_id = pt.per(1)$$,
    '55000', 'pay period 2025-01-01..2025-01-31 is closed', 'quota: no DELETE in a closed period');
SELECT throws_ok($$UPDATE spm.quota SET period_id = pt.per(1) WHERE rep = 'ann' AND period_id = pt.per(2)$$,
    '55000', 'pay period 2025-01-01..2025-01-31 is closed', 'quota: not moved into a closed period');
SELECT throws_ok($$INSERT INTO spm.adjustment (rep, period_id, amount, reason) SELECT 'ann', pt.per(1), 10, 'too late'$$,
    '55000', 'pay period 2025-01-01..2025-01-31 is closed', 'adjustment: no INSERT into a closed period');
INSERT INTO spm.adjustment (rep, period_id, amount, reason, author) SELECT 'ann', pt.per(2), 50, 'spiff: first renewal', 'ops';
SELECT throws_ok($$UPDATE spm.adjustment SET period_id = pt.per(1) WHERE rep = 'ann'$$,
    '55000', 'pay period 2025-01-01..2025-01-31 is closed', 'adjustment: not moved into a closed period');
-- results of a closed period
SELECT pt.run_fails($$UPDATE spm.payout_line SET earned = 0 WHERE period_id = pt.per(1)$$,
    '55000', 'results of a closed pay period cannot change (payout_line)', 'payout_line: no UPDATE of closed rows');
SELECT pt.run_fails($$DELETE FROM spm.payout_line WHERE period_id = pt.per(1)$$,
    '55000', 'results of a closed pay period cannot change (payout_line)', 'payout_line: no DELETE of closed rows');
SELECT pt.run_fails($$INSERT INTO spm.payout_line (run_id, period_id, for_period_id, rep, line_kind, earned)
                      SELECT max(run_id), pt.per(1), pt.per(1), 'ann', 'manual', 1 FROM spm.run$$,
    '55000', 'results of a closed pay period cannot change (payout_line)', 'payout_line: no INSERT into a closed period');
SELECT pt.run_fails($$UPDATE spm.payout_summary SET payout = 0 WHERE period_id = pt.per(1)$$,
    '55000', 'results of a closed pay period cannot change (payout_summary)', 'payout_summary: no UPDATE of closed rows');
SELECT pt.run_fails($$DELETE FROM spm.payout_summary WHERE period_id = pt.per(1)$$,
    '55000', 'results of a closed pay period cannot change (payout_summary)', 'payout_summary: no DELETE of closed rows');
SELECT pt.run_fails($$UPDATE spm.credit_line SET amount = 0 WHERE period_id = pt.per(1)$$,
    '55000', 'results of a closed pay period cannot change (credit_line)', 'credit_line: no UPDATE of closed rows');
SELECT pt.run_fails($$DELETE FROM spm.credit_line WHERE period_id = pt.per(1)$$,
    '55000', 'results of a closed pay period cannot change (credit_line)', 'credit_line: no DELETE of closed rows');

-- ===================================================== 7. late deal and cancellation after the close
INSERT INTO sales VALUES (4, 'bob', 2000, '2025-01-28', 'renewal');  -- late
DELETE FROM sales WHERE id = 1;                                        -- cancelled
INSERT INTO sales VALUES (5, 'ann', 8000, '2025-02-05', 'new'), (6, 'bob', 11000, '2025-02-10', 'new');
SELECT lives_ok($$CALL spm.run_payout('2025-02-01..2025-02-28')$$, 'February');
-- regular: ann 8000 -> 400.00; bob 11000 -> 500 + 100 = 600.00; mia 19000 -> 190.00
-- January now: ann 500.00 -> 25.00, attainment 0.05 (was 750.00: -725.00, credit -12000)
--   bob 4000 + 499.99 + 2000 = 6499.99 -> 324.9995 -> 325.00, attainment 0.649999 (was 225.00: +100.00, credit +2000)
--   mia 6999.99 -> 70.00 (was 170.00: -100.00, credit -10000)
-- manual: ann +50
SELECT results_eq($$SELECT rep, plan, line_kind, for_period, credited, quota, attainment, earned, reason
                      FROM spm.payout_statement WHERE period_start = '2025-02-01' ORDER BY rep, line_kind, for_period$$,
    $$VALUES ('ann', 'rep plan', 'commission', '2025-02-01..2025-02-28', 8000.00, 10000.00, 0.8, 400.00, NULL),
             ('ann', NULL, 'manual', '2025-02-01..2025-02-28', NULL, NULL, NULL, 50, 'spiff: first renewal'),
             ('ann', 'rep plan', 'prior_period', '2025-01-01..2025-01-31', -12000.00, 10000.00, 0.05, -725.00,
              'credit of a closed period changed after it was closed'),
             ('bob', 'rep plan', 'commission', '2025-02-01..2025-02-28', 11000.00, 10000.00, 1.1, 600.00, NULL),
             ('bob', 'rep plan', 'prior_period', '2025-01-01..2025-01-31', 2000.00, 10000.00, 0.649999, 100.00,
              'credit of a closed period changed after it was closed'),
             ('mia', 'mgr plan', 'commission', '2025-02-01..2025-02-28', 19000.00, NULL, NULL, 190.00, NULL),
             ('mia', 'mgr plan', 'prior_period', '2025-01-01..2025-01-31', -10000.00, NULL, NULL, -100.00,
              'credit of a closed period changed after it was closed')$$,
    'February: commission, prior-period adjustments for January, the manual spiff');
SELECT results_eq($$SELECT rep, cause ->> 'for_period', jsonb_path_query_array(cause, '$.deals[*].deal'),
                           jsonb_path_query_array(cause, '$.deals[*].credit_change')
                      FROM spm.payout_line WHERE line_kind = 'prior_period' ORDER BY rep$$,
    $$VALUES ('ann', '2025-01-01..2025-01-31', '["1"]'::jsonb, '[-12000.00]'::jsonb),
             ('bob', '2025-01-01..2025-01-31', '["4"]', '[2000.00]'),
             ('mia', '2025-01-01..2025-01-31', '["1", "4"]', '[-12000.00, 2000.00]')$$,
    'prior-period lines are traceable to the deals that changed');
SELECT results_eq($$SELECT rep, deal, via, amount FROM spm.credit_line
                     WHERE period_id = pt.per(2) AND for_period_id = pt.per(1) ORDER BY rep, deal$$,
    $$VALUES ('ann', '1', 'direct', -12000.00), ('bob', '4', 'direct', 2000.00),
             ('mia', '1', 'rollup depth 1 from ann', -12000.00), ('mia', '4', 'rollup depth 1 from bob', 2000.00)$$,
    'the credit deltas are booked in February for January, deal by deal');
-- ann: 400 - 725 + 50 = -275: a clawback, nothing paid, 275 owed
-- bob: 600 + 100 = 700 < 1000: top-up 300, balance 775 + 300 = 1075
-- mia: 190 - 100 = 90
SELECT results_eq($$SELECT rep, earned, draw, draw_kind, draw_paid, recovered, forgiven, balance, payout
                      FROM spm.payout_summary_view WHERE period_start = '2025-02-01' ORDER BY rep$$,
    $$VALUES ('ann', -275.00, 0::numeric, NULL, 0::numeric, 0::numeric, 0::numeric, 275.00, 0::numeric),
             ('bob', 700.00, 1000, 'recoverable', 300.00, 0, 0, 1075.00, 1000.00),
             ('mia', 90.00, 0, NULL, 0, 0, 0, 0, 90.00)$$,
    'February: the adjustments flow into earned, draws and payouts');
SELECT results_eq('SELECT * FROM spm.payout_line WHERE period_id = pt.per(1) ORDER BY line_id',
                  'SELECT * FROM jan_frozen ORDER BY line_id', 'closed January: lines untouched');
SELECT results_eq('SELECT * FROM spm.credit_line WHERE period_id = pt.per(1) ORDER BY rep, deal, via',
                  'SELECT * FROM jan_frozen_credit ORDER BY rep, deal, via', 'closed January: credit rows untouched');
SELECT results_eq('SELECT * FROM spm.payout_summary WHERE period_id = pt.per(1) ORDER BY rep',
                  'SELECT * FROM jan_frozen_summary ORDER BY rep', 'closed January: summaries untouched');
CREATE TEMP TABLE feb_lines1 AS
SELECT rep, plan_id, for_period_id, line_kind, credited, quota, attainment, earned, cause FROM spm.payout_line WHERE period_id = pt.per(2);
SELECT lives_ok($$CALL spm.run_payout('2025-02-15')$$, 'February again');
SELECT bag_eq($$SELECT rep, plan_id, for_period_id, line_kind, credited, quota, attainment, earned, cause
                  FROM spm.payout_line WHERE period_id = pt.per(2)$$, 'TABLE feb_lines1',
              'a second February run books the same adjustments once, not twice');
SELECT results_eq($$SELECT line_kind, count(*)::int, sum(earned) FROM spm.payout_line WHERE period_id = pt.per(2) GROUP BY 1 ORDER BY 1$$,
    $$VALUES ('commission', 3, 1190.00), ('manual', 1, 50), ('prior_period', 3, -725.00)$$, 'February totals by kind');
SELECT results_eq('SELECT * FROM spm.payout_line WHERE period_id = pt.per(1) ORDER BY line_id',
                  'SELECT * FROM jan_frozen ORDER BY line_id', 'closed January: still untouched');
-- SPEC draws: payout - earned = change of balance + forgiven, row by row,
-- also across the close (January's frozen balance is February's opening one)
SELECT is_empty($$SELECT f.rep FROM spm.payout_summary f
                    LEFT JOIN spm.payout_summary j ON j.rep = f.rep AND j.period_id = pt.per(1)
                   WHERE f.period_id = pt.per(2)
                     AND f.balance <> coalesce(j.balance, 0) + f.payout - f.earned - f.forgiven$$,
    'February continues the draw ledger from January''s frozen balances');

-- ===================================================== 8. March; a plan change reaches back
INSERT INTO sales VALUES (7, 'ann', 20000, '2025-03-03', 'new');
SELECT lives_ok($$CALL spm.run_payout('2025-03-31')$$, 'March');
-- ann 20000 -> 500 + 1000 = 1500; recovers 275 -> payout 1225, balance 0
-- bob 0 -> top-up 1000, balance 2075; mia 200
SELECT results_eq($$SELECT rep, earned, draw_paid, recovered, balance, payout
                      FROM spm.payout_summary_view WHERE period_start = '2025-03-01' ORDER BY rep$$,
    $$VALUES ('ann', 1500.00, 0, 275.00, 0, 1225.00), ('bob', 0, 1000.00, 0, 2075.00, 1000.00), ('mia', 200.00, 0, 0, 0, 200.00)$$,
    'March: ann''s clawback is recovered, bob tops up again');
SELECT results_eq($$SELECT line_kind, count(*)::int FROM spm.payout_line WHERE period_id = pt.per(3) GROUP BY 1$$,
    $$VALUES ('commission', 3)$$, 'March: no second booking of January''s differences');
UPDATE spm.plan SET schedule = 'marginal(0: 0.02)' WHERE name = 'mgr plan';
SELECT lives_ok($$CALL spm.run_payout('2025-03-31')$$, 'March after a plan change');
-- January now pays mia 6999.99 * 0.02 = 139.9998 -> 140.00; accounted 170.00 - 100.00 = 70.00
SELECT results_eq($$SELECT line_kind, for_period, credited, earned, reason, cause::jsonb -> 'deals'
                      FROM spm.payout_statement WHERE period_start = '2025-03-01' AND rep = 'mia' ORDER BY line_kind$$,
    $$VALUES ('commission', '2025-03-01..2025-03-31', 20000.00, 400.00, NULL, NULL::jsonb),
             ('prior_period', '2025-01-01..2025-01-31', 0, 70.00,
              'earnings of a closed period changed after it was closed (plan, assignment or quota)', '[]')$$,
    'a plan change after the close: an earnings-only adjustment for January, no deal changed');

-- ===================================================== 9. audit
SELECT results_eq($$SELECT operation, who, as_role, old_row ->> 'schedule', new_row ->> 'schedule', old_row ->> 'name', new_row ->> 'name'
                      FROM spm.audit_log WHERE table_name = 'plan' AND operation = 'UPDATE' AND audit_id > (SELECT id FROM audit_base)$$,
    $$VALUES ('UPDATE', session_user::text COLLATE "default", current_user::text COLLATE "default", 'marginal(0: 0.01)', 'marginal(0: 0.02)', 'mgr plan', 'mgr plan')$$,
    'audit: the plan update, by whom, old and new schedule');
SELECT set_eq($$SELECT DISTINCT table_name FROM spm.audit_log WHERE operation = 'INSERT' AND audit_id > (SELECT id FROM audit_base)$$,
    ARRAY['pay_period', 'source', 'split_rule', 'hierarchy_rule', 'plan', 'assignment', 'quota', 'draw_agreement', 'adjustment'],
    'audit: inserts into every catalog table');
SELECT results_eq($$SELECT count(*)::int, count(*) FILTER (WHERE old_row IS NULL AND (new_row ->> 'amount')::numeric = 10000)::int
                      FROM spm.audit_log WHERE table_name = 'quota' AND audit_id > (SELECT id FROM audit_base)$$,
    $$VALUES (8, 8)$$, 'audit: the 8 quotas inserted (no old row), and no rejected one');
SELECT is_empty($$SELECT 1 FROM spm.audit_log WHERE audit_id > (SELECT id FROM audit_base)
                   AND (new_row ->> 'name' IN ('bad', 'empty', 'curve') OR new_row ->> 'rep' IN ('zed', 'zoe', 'cy'))$$,
    'audit: rejected or rolled-back changes left no audit rows');
SELECT results_eq($$SELECT old_row ->> 'status', new_row ->> 'status', new_row ->> 'closed_by', new_row ->> 'label'
                      FROM spm.audit_log WHERE table_name = 'pay_period' AND operation = 'UPDATE' AND audit_id > (SELECT id FROM audit_base)$$,
    $$VALUES ('open', 'closed', session_user::text COLLATE "default", '2025-01-01..2025-01-31')$$, 'audit: the close of January');
INSERT INTO spm.draw_agreement (rep, kind, amount, term) VALUES ('zed', 'advance', 100, '[2026-01-01,2026-02-01)');
DELETE FROM spm.draw_agreement WHERE rep = 'zed';
SELECT results_eq($$SELECT operation, old_row ->> 'rep', new_row ->> 'rep', (coalesce(new_row, old_row) ->> 'amount')::numeric
                      FROM spm.audit_log WHERE table_name = 'draw_agreement' AND audit_id > (SELECT id FROM audit_base)
                       AND coalesce(new_row, old_row) ->> 'rep' = 'zed' ORDER BY audit_id$$,
    $$VALUES ('INSERT', NULL, 'zed', 100::numeric), ('DELETE', 'zed', NULL, 100)$$, 'audit: a delete keeps the old row');

-- ===================================================== 10. SECURITY DEFINER, views for BI
SELECT results_eq($$SELECT oid::regprocedure::text FROM pg_proc WHERE pronamespace = 'spm'::regnamespace AND prosecdef ORDER BY 1$$,
    ARRAY['spm.audit()', 'spm.can_see_rep(text,name)', 'spm.close_period(text)', 'spm.run_payout(text,bigint)'],
    'the SECURITY DEFINER functions');
SELECT results_eq($$SELECT proname::text COLLATE "default", prosecdef, proconfig::text[] COLLATE "default" FROM pg_proc
                     WHERE oid IN ('spm.run_payout(text,bigint)'::regprocedure, 'spm.close_period(text)'::regprocedure) ORDER BY 1$$,
    $$VALUES ('close_period', true, '{"search_path=pg_catalog, pg_temp"}'::text[]),
             ('run_payout', true, '{"search_path=pg_catalog, pg_temp"}'::text[])$$,
    'run_payout and close_period: SECURITY DEFINER with a fixed search_path');
SELECT is_empty($$SELECT oid::regprocedure FROM pg_proc WHERE pronamespace = 'spm'::regnamespace AND prosecdef
                   AND NOT coalesce(proconfig @> '{"search_path=pg_catalog, pg_temp"}', false)$$,
    'every SECURITY DEFINER function has a fixed search_path');
SELECT is((SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE oid = 'spm.run_payout(text,bigint)'::regprocedure),
          (SELECT pg_get_userbyid(extowner) FROM pg_extension WHERE extname = 'spm'), 'run_payout runs as the extension owner');
SELECT ok(NOT has_function_privilege('public', 'spm.run_payout(text,bigint)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'spm.close_period(text)', 'EXECUTE'),
          'EXECUTE on run_payout and close_period is revoked from PUBLIC');
SELECT is_empty($$SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'spm'::regnamespace AND c.relkind = 'v'
                   AND NOT coalesce(c.reloptions @> '{security_invoker=true}', false)$$,
    'every view is security_invoker (row-level security applies to the reader)');
SELECT results_eq($$SELECT relname::text COLLATE "default", relrowsecurity FROM pg_class WHERE oid IN ('spm.payout_line'::regclass,
                     'spm.payout_summary'::regclass, 'spm.credit_line'::regclass) ORDER BY 1$$,
    $$VALUES ('credit_line', true), ('payout_line', true), ('payout_summary', true)$$, 'row-level security on the result tables');
CREATE TEMP TABLE view_cols (v text, c text, t text, n int);
INSERT INTO view_cols VALUES
  ('payout_statement', 'period', 'text', 1), ('payout_statement', 'period_start', 'date', 2),
  ('payout_statement', 'period_end', 'date', 3), ('payout_statement', 'period_status', 'text', 4),
  ('payout_statement', 'rep', 'text', 5), ('payout_statement', 'plan', 'text', 6),
  ('payout_statement', 'plan_version', 'integer', 7), ('payout_statement', 'line_kind', 'text', 8),
  ('payout_statement', 'for_period', 'text', 9), ('payout_statement', 'credited', 'numeric', 10),
  ('payout_statement', 'quota', 'numeric', 11), ('payout_statement', 'attainment', 'numeric', 12),
  ('payout_statement', 'earned', 'numeric', 13), ('payout_statement', 'reason', 'text', 14),
  ('payout_statement', 'cause', 'text', 15), ('payout_statement', 'run_id', 'bigint', 16),
  ('payout_statement', 'line_id', 'bigint', 17),
  ('payout_summary_view', 'period', 'text', 1), ('payout_summary_view', 'period_start', 'date', 2),
  ('payout_summary_view', 'period_end', 'date', 3), ('payout_summary_view', 'period_status', 'text', 4),
  ('payout_summary_view', 'rep', 'text', 5), ('payout_summary_view', 'earned', 'numeric', 6),
  ('payout_summary_view', 'draw', 'numeric', 7), ('payout_summary_view', 'draw_kind', 'text', 8),
  ('payout_summary_view', 'draw_paid', 'numeric', 9), ('payout_summary_view', 'recovered', 'numeric', 10),
  ('payout_summary_view', 'forgiven', 'numeric', 11), ('payout_summary_view', 'balance', 'numeric', 12),
  ('payout_summary_view', 'payout', 'numeric', 13), ('payout_summary_view', 'run_id', 'bigint', 14),
  ('attainment_by_rep', 'period', 'text', 1), ('attainment_by_rep', 'period_start', 'date', 2),
  ('attainment_by_rep', 'rep', 'text', 3), ('attainment_by_rep', 'plan', 'text', 4),
  ('attainment_by_rep', 'credited', 'numeric', 5), ('attainment_by_rep', 'quota', 'numeric', 6),
  ('attainment_by_rep', 'attainment', 'numeric', 7),
  ('draw_balance', 'period', 'text', 1), ('draw_balance', 'period_start', 'date', 2),
  ('draw_balance', 'rep', 'text', 3), ('draw_balance', 'draw_kind', 'text', 4),
  ('draw_balance', 'draw', 'numeric', 5), ('draw_balance', 'draw_paid', 'numeric', 6),
  ('draw_balance', 'recovered', 'numeric', 7), ('draw_balance', 'forgiven', 'numeric', 8),
  ('draw_balance', 'balance', 'numeric', 9),
  ('leaderboard', 'period', 'text', 1), ('leaderboard', 'period_start', 'date', 2),
  ('leaderboard', 'rep', 'text', 3), ('leaderboard', 'plan', 'text', 4),
  ('leaderboard', 'credited', 'numeric', 5), ('leaderboard', 'quota', 'numeric', 6),
  ('leaderboard', 'attainment', 'numeric', 7), ('leaderboard', 'rank', 'integer', 8),
  ('run_log', 'run_id', 'bigint', 1), ('run_log', 'period', 'text', 2), ('run_log', 'run_by', 'text', 3),
  ('run_log', 'started_at', 'timestamp with time zone', 4), ('run_log', 'finished_at', 'timestamp with time zone', 5),
  ('run_log', 'duration', 'interval', 6), ('run_log', 'credit_rows', 'integer', 7), ('run_log', 'lines', 'integer', 8),
  ('run_log', 'adjustment_lines', 'integer', 9), ('run_log', 'reps', 'integer', 10), ('run_log', 'input_hash', 'text', 11);
SELECT columns_are('spm', v, array_agg(c ORDER BY n), 'view spm.' || v || ': column names')
  FROM view_cols GROUP BY v ORDER BY v;
SELECT col_type_is('spm', v, c, t, format('spm.%s.%s is %s', v, c, t)) FROM view_cols ORDER BY v, n;
SELECT results_eq($$SELECT c.relname::text COLLATE "default", string_agg(a.attname::text, ',' ORDER BY a.attnum) COLLATE "default"
                      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                     WHERE c.relnamespace = 'spm'::regnamespace AND c.relkind = 'v' AND a.attnum > 0 GROUP BY 1 ORDER BY 1$$,
    'SELECT v, string_agg(c, '','' ORDER BY n) FROM view_cols GROUP BY 1 ORDER BY 1',
    'the six views, their columns in a stable order');

-- ===================================================== 11. roles and row-level security
SELECT lives_ok('SELECT spm.create_roles()', 'create_roles');
SELECT lives_ok('SELECT spm.create_roles()', 'create_roles a second time (roles exist)');
CREATE ROLE tap_rep_ann LOGIN IN ROLE spm_rep;
CREATE ROLE tap_rep_none LOGIN IN ROLE spm_rep;
CREATE ROLE tap_analyst LOGIN IN ROLE spm_analyst;
CREATE ROLE tap_admin LOGIN IN ROLE spm_admin;
INSERT INTO spm.rep_login VALUES ('ann', 'tap_rep_ann');
-- what the owner sees, readable by every role
CREATE TABLE pt.seen_by_owner AS
SELECT 'payout_statement' AS v, count(*) AS n FROM spm.payout_statement
UNION ALL SELECT 'payout_summary_view', count(*) FROM spm.payout_summary_view
UNION ALL SELECT 'attainment_by_rep', count(*) FROM spm.attainment_by_rep
UNION ALL SELECT 'draw_balance', count(*) FROM spm.draw_balance
UNION ALL SELECT 'leaderboard', count(*) FROM spm.leaderboard
UNION ALL SELECT 'run_log', count(*) FROM spm.run_log;
GRANT SELECT ON pt.seen_by_owner TO PUBLIC;

-- ann, a rep: ann has 5 lines (January, February: commission + manual +
-- prior period, March) and 3 summaries; the others have more.
SET LOCAL ROLE tap_rep_ann;
SELECT is(current_user::text COLLATE "default", 'tap_rep_ann', 'now reading as the rep ann');
-- Fixed: spm.can_see_rep is SECURITY DEFINER, so current_user inside it was the
-- function owner (a superuser), never the reader: it was true for everybody
-- and the policies let every rep read every rep's rows.  The policy now
-- passes current_user in.
SELECT ok(NOT spm.can_see_rep('bob', current_user), 'rep ann: can_see_rep(bob) is false');
SELECT ok(spm.can_see_rep('ann', current_user), 'rep ann: can_see_rep(ann) is true');
SELECT set_eq('SELECT DISTINCT rep FROM spm.payout_statement', ARRAY['ann'], 'rep ann: payout_statement shows only ann');  -- Fixed
SELECT is((SELECT count(*)::int FROM spm.payout_statement), 5, 'rep ann: her 5 statement lines');                            -- Fixed
SELECT set_eq('SELECT DISTINCT rep FROM spm.payout_summary_view', ARRAY['ann'], 'rep ann: payout_summary_view shows only ann');  -- Fixed
SELECT is((SELECT count(*)::int FROM spm.payout_summary_view), 3, 'rep ann: her 3 summaries');                                -- Fixed
SELECT set_eq('SELECT DISTINCT rep FROM spm.attainment_by_rep', ARRAY['ann'], 'rep ann: attainment_by_rep shows only ann');      -- Fixed
SELECT is((SELECT count(*)::int FROM spm.attainment_by_rep), 3, 'rep ann: her 3 attainment rows');                            -- Fixed
SELECT set_eq('SELECT DISTINCT rep FROM spm.draw_balance', ARRAY['ann'], 'rep ann: draw_balance shows only ann');                -- Fixed
SELECT is((SELECT count(*)::int FROM spm.draw_balance), 3, 'rep ann: her 3 draw balance rows');                               -- Fixed
SELECT set_eq('SELECT DISTINCT rep FROM spm.payout_line', ARRAY['ann'], 'rep ann: the base table payout_line too');             -- Fixed
SELECT set_eq('SELECT DISTINCT rep FROM spm.payout_summary', ARRAY['ann'], 'rep ann: the base table payout_summary too');       -- Fixed
SELECT results_eq($$SELECT period_start, earned, payout FROM spm.payout_summary_view WHERE rep = 'ann' ORDER BY period_start$$,
    $$VALUES ('2025-01-01'::date, 750.00, 750.00), ('2025-02-01', -275.00, 0), ('2025-03-01', 1500.00, 1225.00)$$,
    'rep ann: reads her own numbers');
SELECT throws_ok('SELECT * FROM spm.leaderboard', '42501', 'permission denied for view leaderboard', 'rep: no leaderboard');
SELECT throws_ok('SELECT * FROM spm.run_log', '42501', 'permission denied for view run_log', 'rep: no run log');
SELECT throws_ok(format('SELECT * FROM spm.%I', t), '42501', format('permission denied for table %s', t),
                 format('rep: cannot read spm.%s', t))
  FROM unnest(ARRAY['source', 'split_rule', 'hierarchy_rule', 'assignment', 'quota', 'draw_agreement', 'adjustment',
                    'rep_login', 'audit_log', 'run', 'credit_line']) t;
SELECT throws_ok($$INSERT INTO spm.adjustment (rep, period_id, amount, reason) SELECT 'ann', pt.per(3), 1000000, 'mine'$$,
    '42501', 'permission denied for table adjustment', 'rep: cannot add an adjustment');
SELECT throws_ok($$UPDATE spm.payout_line SET earned = earned * 2$$,
    '42501', 'permission denied for table payout_line', 'rep: cannot change a result');
SELECT pt.run_fails($$CALL spm.run_payout('2025-03-31')$$, '42501', 'permission denied for procedure run_payout', 'rep: cannot run');
SELECT pt.run_fails($$CALL spm.close_period('2025-02-28')$$, '42501', 'permission denied for procedure close_period', 'rep: cannot close');
RESET ROLE;

-- a rep login mapped to no rep sees nothing
SET LOCAL ROLE tap_rep_none;
SELECT is((SELECT count(*)::int FROM spm.payout_statement), 0, 'unmapped rep login: no statement lines');  -- Fixed (same cause)
SELECT is((SELECT count(*)::int FROM spm.payout_summary_view), 0, 'unmapped rep login: no summaries');     -- Fixed (same cause)
RESET ROLE;

-- an analyst, like a BI tool: plain SELECT on every view, every rep
SET LOCAL ROLE tap_analyst;
SELECT results_eq($$SELECT 'payout_statement', count(*) FROM spm.payout_statement
                    UNION ALL SELECT 'payout_summary_view', count(*) FROM spm.payout_summary_view
                    UNION ALL SELECT 'attainment_by_rep', count(*) FROM spm.attainment_by_rep
                    UNION ALL SELECT 'draw_balance', count(*) FROM spm.draw_balance
                    UNION ALL SELECT 'leaderboard', count(*) FROM spm.leaderboard
                    UNION ALL SELECT 'run_log', count(*) FROM spm.run_log$$,
    'SELECT v, n FROM pt.seen_by_owner', 'analyst: every view, every row the owner sees');
SELECT set_eq('SELECT DISTINCT rep FROM spm.payout_statement', ARRAY['ann', 'bob', 'mia'], 'analyst: all reps');
-- March: ann 20000/10000 = 2, bob 0, mia no quota (NULLS LAST)
SELECT results_eq($$SELECT rep, rank FROM spm.leaderboard WHERE period_start = '2025-03-01' ORDER BY rank$$,
    $$VALUES ('ann', 1), ('bob', 2), ('mia', 3)$$, 'analyst: the March leaderboard');
SELECT throws_ok($$INSERT INTO spm.plan (name, schedule) VALUES ('mine', 'marginal(0: 0.5)')$$,
    '42501', 'permission denied for table plan', 'analyst: cannot insert into the catalog (plan)');
SELECT throws_ok($$INSERT INTO spm.quota SELECT 'ann', pt.per(3), 1$$,
    '42501', 'permission denied for table quota', 'analyst: cannot insert into the catalog (quota)');
SELECT throws_ok($$SELECT spm.add_pay_periods('2025-06-01', '2025-06-30')$$,
    '42501', 'permission denied for table pay_period', 'analyst: cannot add pay periods');
SELECT pt.run_fails($$CALL spm.run_payout('2025-03-31')$$, '42501', 'permission denied for procedure run_payout', 'analyst: cannot run');
SELECT pt.run_fails($$CALL spm.close_period('2025-02-28')$$, '42501', 'permission denied for procedure close_period', 'analyst: cannot close');
RESET ROLE;

-- an admin: edits the catalog, runs; cannot touch results or the audit log
SET LOCAL ROLE tap_admin;
UPDATE spm.draw_agreement SET recovery_limit = 1 WHERE rep = 'bob';
-- Fixed: spm.audit() is SECURITY DEFINER, so audit_log.as_role (then DEFAULT
-- current_user) named the function owner, never the role that made the
-- change (here tap_admin).  It now records spm.acting_role().
SELECT results_eq($$SELECT who, as_role FROM spm.audit_log WHERE table_name = 'draw_agreement' AND operation = 'UPDATE'$$,
    $$VALUES (session_user::text COLLATE "default", 'tap_admin')$$, 'admin: the audit log names the login and the role');
SELECT lives_ok($$CALL spm.run_payout('2025-03-31')$$, 'admin: runs a period');
SELECT is((SELECT count(*) FROM spm.payout_statement), (SELECT n FROM pt.seen_by_owner WHERE v = 'payout_statement'), 'admin: sees every line');
SELECT throws_ok($$UPDATE spm.payout_line SET earned = 0$$, '42501', 'permission denied for table payout_line', 'admin: cannot edit results');
SELECT throws_ok($$DELETE FROM spm.audit_log$$, '42501', 'permission denied for table audit_log', 'admin: cannot erase the audit log');
SELECT throws_ok($$UPDATE spm.run SET input_hash = ''$$, '42501', 'permission denied for table run', 'admin: cannot rewrite the run log');
RESET ROLE;

-- ===================================================== 12. draws across a close
SELECT lives_ok($$CALL spm.close_period('2025-02-28')$$, 'close February');
SELECT lives_ok($$CALL spm.run_payout('2025-03-31')$$, 'March after February''s close');
-- bob: February's frozen balance 1075 + March's top-up 1000 = 2075
SELECT is((SELECT balance FROM spm.payout_summary WHERE period_id = pt.per(3) AND rep = 'bob'), 2075.00, 'March continues from February''s frozen balance');
-- The draw agreement is changed after January and February were closed and
-- paid (bob was paid top-ups of 775 and 300 on a 1000 draw).  March must
-- continue from what February froze: 1075 owed, + March's top-up of 500 =
-- 1575.
UPDATE spm.draw_agreement SET amount = 500 WHERE rep = 'bob';
SELECT lives_ok($$CALL spm.run_payout('2025-03-31')$$, 'March after a change of bob''s draw');
SELECT is((SELECT balance FROM spm.payout_summary WHERE period_id = pt.per(2) AND rep = 'bob'), 1075.00, 'February''s frozen balance is still 1075');
-- Fixed: the run replayed the draw ledger from the first period with the draw
-- agreement as it is now (500), so March showed 575 owed and 1000 of paid
-- draws vanished.  A run now starts from the balance of the latest earlier
-- period's stored summary.
SELECT is((SELECT balance FROM spm.payout_summary WHERE period_id = pt.per(3) AND rep = 'bob'), 1575.00,
          'a draw change after a close does not rewrite what closed periods paid');

-- ===================================================== 13. a period without sales
-- Fixed: with no credit rows the input hash was md5(NULL) = NULL, and the run
-- failed on spm.run.input_hash NOT NULL (23502).
SELECT lives_ok($$CALL spm.run_payout('2025-04-15')$$, 'April, a period without any sale, can be run');

SELECT * FROM finish();
ROLLBACK;
