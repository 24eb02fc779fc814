-- test/coaching.sql — pgTAP: coaching signals and team distribution
-- (docs/coaching.md).  A small scenario: five reps on one plan, three pay
-- periods run (January 2024, December 2024, January 2025), deals on known
-- days; every number asserted is computed by hand in the comment next to
-- it.  Rights are tested from real roles with backend-unique names.
BEGIN;
SELECT plan(51);
SET client_min_messages = warning;

-- ================================================================= setup
SELECT format('coach%s_adm', pg_backend_pid()) AS adm, format('coach%s_ana', pg_backend_pid()) AS ana,
       format('coach%s_ann', pg_backend_pid()) AS ann, format('coach%s_nob', pg_backend_pid()) AS nob,
       format('coach%s_out', pg_backend_pid()) AS out \gset
SELECT spm_payout.create_roles();
CREATE ROLE :"adm" NOLOGIN IN ROLE spm_admin;
CREATE ROLE :"ana" NOLOGIN IN ROLE spm_analyst;
CREATE ROLE :"ann" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"nob" NOLOGIN IN ROLE spm_rep;      -- a rep role mapped to no rep
CREATE ROLE :"out" NOLOGIN;                      -- in none of the spm roles
CREATE SCHEMA coach AUTHORIZATION :"adm";
GRANT USAGE ON SCHEMA coach TO PUBLIC;

SET ROLE :"adm";
CREATE TABLE coach.sales (id int, seller text, amt numeric(12,2), closed date);
INSERT INTO coach.sales VALUES
  -- January 2025 (31 days); as of 2025-01-20, day 20, 11 days left
  (1, 'ann', 3000, '2025-01-05'), (2, 'ann', 2000, '2025-01-15'), (3, 'ann', 4000, '2025-01-25'),
  (4, 'bob', 8000, '2025-01-10'),
  (5, 'cat', 1000, '2025-01-02'),
  (6, 'dan', 4000, '2025-01-03'),
  (7, 'eve', 1600, '2025-01-20'),
  -- December 2024: the same point is 2024-12-20 (offset 19 days)
  (11, 'ann', 2000, '2024-12-10'), (12, 'ann', 3000, '2024-12-20'), (13, 'ann', 5000, '2024-12-21'),
  (14, 'bob', 1000, '2024-12-05'),
  -- January 2024: the same point is 2024-01-20
  (21, 'ann', 2000, '2024-01-20'), (22, 'ann', 6000, '2024-01-21'),
  -- February 2024 (29 days): its last day is the same point as 2024-03-31
  (31, 'ann', 500, '2024-02-29');
CREATE TABLE coach.org (rep text, mgr text, valid daterange);
INSERT INTO coach.org VALUES ('ann', 'm', '[2024-01-01,)'), ('bob', 'm', '[2024-01-01,)'),
                             ('cat', 'm', '[2024-01-01,)'), ('dan', 'n', '[2024-01-01,)');
SELECT count(*) FROM spm_payout.add_pay_periods('2024-01-01', '2025-01-31', 'month') \gset
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('coach crm', 'coach.sales', 'seller', 'id', 'amt', 'closed');
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column)
VALUES ('coach.org', 'rep', 'mgr', 'valid');
INSERT INTO spm_payout.plan (name) VALUES ('coach plan');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule)
SELECT plan_id, 1, 'marginal(0: 0.05)' FROM spm_payout.plan WHERE name = 'coach plan';
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, plan_id, '[2024-01-01,)' FROM spm_payout.plan, unnest('{ann,bob,cat,dan,eve}'::text[]) r
 WHERE name = 'coach plan';
INSERT INTO spm_payout.quota (rep, period_id, amount)
SELECT q.rep, p.period_id, q.amount
  FROM (VALUES ('ann', '2025-01-01'::date, 10000), ('bob', '2025-01-01', 10000), ('cat', '2025-01-01', 10000),
               ('dan', '2025-01-01', 4000), ('eve', '2025-01-01', 3100),
               ('ann', '2024-12-01', 10000), ('bob', '2024-12-01', 10000),
               ('ann', '2024-01-01', 8000), ('ann', '2024-02-01', 1000), ('ann', '2024-03-01', 1000)) q(rep, d, amount)
  JOIN spm_payout.pay_period p ON lower(p.period) = q.d;
INSERT INTO spm_payout.rep_login VALUES (:'ann', 'ann');
-- February 2025 exists but is never run
SELECT count(*) FROM spm_payout.add_pay_periods('2025-02-01', '2025-02-28', 'month') \gset
-- the periods of a plan year run in order: all thirteen months
DO $$
DECLARE
    l text;
    r bigint;
BEGIN
    FOR l IN SELECT label FROM spm_payout.pay_period WHERE lower(period) BETWEEN '2024-01-01' AND '2025-01-01' ORDER BY lower(period) LOOP
        CALL spm_payout.run_payout(l, r);
    END LOOP;
END $$;
RESET ROLE;

-- ========================================= 1. per rep, as an analyst
SET ROLE :"ana";
-- The analyst may not read coach.org yet: no teams, every rep in one group.
SELECT is((SELECT count(*)::int FROM spm_payout.coaching('2025-01-20') WHERE manager IS NULL), 5,
          'without SELECT on the hierarchy table: no manager, one group');
SELECT is((SELECT max(team_size) FROM spm_payout.coaching('2025-01-20')), 5,
          'without the hierarchy: the group is every visible rep');
RESET ROLE;
SET ROLE :"adm";
GRANT SELECT ON coach.org TO :"ana";
RESET ROLE;
SET ROLE :"ana";
CREATE TEMP TABLE c20 AS SELECT * FROM spm_payout.coaching('2025-01-20');

-- The period and its days: January 2025 has 31 days; day 20 is the 20th
-- elapsed (inclusive), 31 - 20 = 11 days are left.
SELECT is((SELECT row(period, period_start, period_end, as_of_date, days_in_period, days_elapsed, days_left)::text
             FROM c20 WHERE rep = 'ann'),
          '(2025-01-01..2025-01-31,2025-01-01,2025-01-31,2025-01-20,31,20,11)', 'the period and its days');
SELECT is((SELECT string_agg(rep || ':' || coalesce(manager, '-'), ',' ORDER BY rep) FROM c20),
          'ann:m,bob:m,cat:m,dan:n,eve:-', 'one row per rep with a quota, the manager as of as_of');
-- The quota is the period's quota as the run prorated it (spm.prorate: 10000.00).
-- ann: deals 3000 (01-05) + 2000 (01-15) = 5000 up to 01-20 (4000 on 01-25 not yet);
-- attainment 5000 / 10000 = 0.5 (12 places); daily 5000 / 20 = 250.00;
-- run rate 5000 * 31 / 20 = 7750.00; pace 7750 / 10000 = 0.775;
-- required (10000 - 5000) / 11 = 454.5454... -> 454.55.
SELECT is((SELECT row(quota, credited, attainment, daily_rate, run_rate, projected_attainment, required_daily_rate)::text
             FROM c20 WHERE rep = 'ann'),
          '(10000.00,5000.00,0.500000000000,250.00,7750.00,0.775000000000,454.55)', 'ann: attainment, pace, required rate');
-- bob: 8000; 0.8; 400.00; 8000 * 31 / 20 = 12400.00; 1.24; 2000 / 11 = 181.8181... -> 181.82.
SELECT is((SELECT row(credited, attainment, daily_rate, run_rate, projected_attainment, required_daily_rate)::text
             FROM c20 WHERE rep = 'bob'),
          '(8000.00,0.800000000000,400.00,12400.00,1.240000000000,181.82)', 'bob');
-- cat: 1000; 0.1; 50.00; 1550.00; 0.155; 9000 / 11 = 818.1818... -> 818.18.
SELECT is((SELECT row(credited, attainment, daily_rate, run_rate, projected_attainment, required_daily_rate)::text
             FROM c20 WHERE rep = 'cat'),
          '(1000.00,0.100000000000,50.00,1550.00,0.155000000000,818.18)', 'cat');
-- dan: 4000 of 4000: 1.0; reached, so the required rate is 0.
SELECT is((SELECT row(credited, attainment, run_rate, required_daily_rate)::text FROM c20 WHERE rep = 'dan'),
          '(4000.00,1.000000000000,6200.00,0.00)', 'dan: quota reached, required rate 0');
-- eve: 1600 on 01-20 (as_of itself counts) of 3100: 1600 / 3100 = 0.516129032258...;
-- run rate 1600 * 31 / 20 = 2480.00; pace 2480 / 3100 = 0.8 exactly; 1500 / 11 = 136.3636... -> 136.36.
SELECT is((SELECT row(credited, attainment, run_rate, projected_attainment, required_daily_rate)::text
             FROM c20 WHERE rep = 'eve'),
          '(1600.00,0.516129032258,2480.00,0.800000000000,136.36)', 'eve: a deal on as_of counts');

-- At risk: projected attainment < 0.8.  ann 0.775 and cat 0.155 are; bob 1.24,
-- dan 1.55 are not; eve at exactly 0.8 is not (the boundary).
SELECT is((SELECT string_agg(rep || ':' || at_risk, ',' ORDER BY rep) FROM c20),
          'ann:true,bob:false,cat:true,dan:false,eve:false', 'at risk below 0.8, not at 0.8');

-- Trend.  December 2024 at the same offset (19 days after the start):
-- 2024-12-20.  ann: 2000 + 3000 (on 12-20, counted; 5000 on 12-21 not)
-- = 5000 of 10000 = 0.5, change 0.5 - 0.5 = 0; bob 1000 / 10000 = 0.1,
-- change 0.8 - 0.1 = 0.7; cat had no quota then: NULL.
SELECT is((SELECT row(prev_period, prev_attainment, prev_change)::text FROM c20 WHERE rep = 'ann'),
          '(2024-12-01..2024-12-31,0.500000000000,0.000000000000)', 'ann against December');
SELECT is((SELECT row(prev_attainment, prev_change)::text FROM c20 WHERE rep = 'bob'),
          '(0.100000000000,0.700000000000)', 'bob against December');
SELECT is((SELECT row(prev_period, prev_attainment, prev_change)::text FROM c20 WHERE rep = 'cat'),
          '(2024-12-01..2024-12-31,,)', 'cat had no December quota: no trend');
-- A year earlier: January 2024 up to 2024-01-20: ann 2000 of 8000 = 0.25
-- (6000 on 01-21 not counted); change 0.5 - 0.25 = 0.25.
SELECT is((SELECT row(year_ago_period, year_ago_attainment, year_ago_change)::text FROM c20 WHERE rep = 'ann'),
          '(2024-01-01..2024-01-31,0.250000000000,0.250000000000)', 'ann against January 2024');
-- The run's plan-year attainment: the January run credited all of January,
-- ann 3000 + 2000 + 4000 = 9000 of 10000 = 0.9.
SELECT is((SELECT run_attainment_to_date FROM c20 WHERE rep = 'ann'), 0.900000000000,
          'run_attainment_to_date: what the latest run computed for the plan year');

-- Rank in the team (m: bob 0.8, ann 0.5, cat 0.1); dan alone under n; eve,
-- without a manager, in the group of reps without one.
SELECT is((SELECT string_agg(rep || ':' || team_rank || '/' || team_size, ',' ORDER BY rep) FROM c20),
          'ann:2/3,bob:1/3,cat:3/3,dan:1/1,eve:1/1', 'rank and size of the team');

-- The last day: no day left.  As of 2025-01-31 ann has 9000 of 10000: the
-- required rate is NULL (a gap with no day left), days_left 0; the pace is
-- the attainment, 0.9.  dan (reached) still 0.
CREATE TEMP TABLE c31 AS SELECT * FROM spm_payout.coaching('2025-01-31');
SELECT is((SELECT row(days_elapsed, days_left, credited, projected_attainment, required_daily_rate)::text
             FROM c31 WHERE rep = 'ann'),
          '(31,0,9000.00,0.900000000000,)', 'last day: required rate NULL, pace = attainment');
SELECT is((SELECT required_daily_rate FROM c31 WHERE rep = 'dan'), 0.00, 'last day, quota reached: 0');
-- The first day: one day elapsed; cat's deal of 01-02 is not yet counted:
-- 0 credit, daily 0.00, run rate 0.00, pace 0 (at risk), required 10000 / 30 = 333.33.
SELECT is((SELECT row(days_elapsed, days_left, credited, daily_rate, run_rate, required_daily_rate, at_risk)::text
             FROM spm_payout.coaching('2025-01-01') WHERE rep = 'cat'),
          '(1,30,0,0.00,0.00,333.33,t)', 'first day');

-- A shorter previous period: as of 2024-03-31 (offset 30 days) February 2024
-- has no day 31: its last day, 02-29, counts.  ann: 0 in March of 1000
-- (attainment 0, 12 places), 500 of 1000 in February = 0.5, change 0 - 0.5 = -0.5.
SELECT is((SELECT row(prev_period, attainment, prev_attainment, prev_change)::text
             FROM spm_payout.coaching('2024-03-31') WHERE rep = 'ann'),
          '(2024-02-01..2024-02-29,0.000000000000,0.500000000000,-0.500000000000)', 'a shorter previous period: its last day');

-- ========================================= 2. per team
CREATE TEMP TABLE d20 AS SELECT * FROM spm_payout.team_distribution('2025-01-20');
-- m: cat 0.1 below 50%; ann 0.5 (50% exactly) and bob 0.8 in 50-100%; none at
-- or above 100%.  Lower median of {0.1, 0.5, 0.8} = 0.5; mean 1.4 / 3 =
-- 0.466666666667; at risk ann, cat = 2.
SELECT is((SELECT row(reps, below_50, from_50_to_100, at_least_100, no_quota, median_attainment, avg_attainment, at_risk)::text
             FROM d20 WHERE manager = 'm'),
          '(3,1,2,0,0,0.500000000000,0.466666666667,2)', 'team m: 50% exactly is in 50-100%');
-- n: dan at exactly 100% counts as at or above 100%.
SELECT is((SELECT row(reps, below_50, from_50_to_100, at_least_100, median_attainment)::text
             FROM d20 WHERE manager = 'n'),
          '(1,0,0,1,1.000000000000)', 'team n: 100% exactly is in at_least_100');
SELECT is((SELECT row(reps, from_50_to_100)::text FROM d20 WHERE manager IS NULL),
          '(1,1)', 'reps without a manager form one group');
SELECT is((SELECT string_agg(period, ',') FROM d20), '2025-01-01..2025-01-31,2025-01-01..2025-01-31,2025-01-01..2025-01-31',
          'one row per team of the period');

-- ========================================= 3. edge input
SELECT is((SELECT count(*)::int FROM spm_payout.coaching(NULL)), 0, 'as_of NULL: no rows (STRICT)');
SELECT is((SELECT count(*)::int FROM spm_payout.coaching('2023-06-01')), 0, 'no pay period holds as_of: no rows');
SELECT is((SELECT count(*)::int FROM spm_payout.coaching('infinity')), 0, 'as_of infinity: no rows');
SELECT is((SELECT count(*)::int FROM spm_payout.team_distribution(NULL)), 0, 'team_distribution(NULL): no rows');
-- A period that was never run has no rows (nothing stored).
SELECT is((SELECT count(*)::int FROM spm_payout.coaching('2025-02-10')), 0, 'a period never run: no rows');
-- June 2024 was run but nobody had a quota: rows without attainment, pace,
-- required rate or risk (NULL), and counted as no_quota per team.
SELECT is((SELECT count(*)::int FROM spm_payout.coaching('2024-06-15')
            WHERE quota IS NULL AND attainment IS NULL AND projected_attainment IS NULL
              AND required_daily_rate IS NULL AND at_risk IS NULL), 5, 'no quota: NULL signals');
SELECT is((SELECT sum(no_quota)::int FROM spm_payout.team_distribution('2024-06-15')), 5, 'no quota: counted as no_quota');
-- The views are the functions at current_date.
SELECT is((SELECT count(*) FROM spm_payout.coaching_signals), (SELECT count(*) FROM spm_payout.coaching(current_date)),
          'coaching_signals = coaching(current_date)');
SELECT is((SELECT count(*) FROM spm_payout.team_distribution_view),
          (SELECT count(*) FROM spm_payout.team_distribution(current_date)),
          'team_distribution_view = team_distribution(current_date)');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM pg_class WHERE oid IN ('spm_payout.coaching_signals'::regclass,
                                                            'spm_payout.team_distribution_view'::regclass)
              AND reloptions @> '{security_invoker=true}'), 2, 'both views are security_invoker');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE oid IN ('spm_payout.coaching(date)'::regprocedure,
                                                           'spm_payout.team_distribution(date)'::regprocedure)
              AND NOT prosecdef AND provolatile = 's' AND proisstrict), 2, 'SECURITY INVOKER, STABLE, STRICT');

-- ========================================= 4. rights from real roles
-- The admin reads everything, teams included (it owns coach.org).
SET ROLE :"adm";
SELECT is((SELECT string_agg(rep || ':' || coalesce(manager, '-'), ',' ORDER BY rep) FROM spm_payout.coaching('2025-01-20')),
          'ann:m,bob:m,cat:m,dan:n,eve:-', 'spm_admin reads every rep');
RESET ROLE;
-- A rep reads its own row only: ann; the numbers are its own.
SET ROLE :"ann";
SELECT is((SELECT string_agg(rep, ',') FROM spm_payout.coaching('2025-01-20')), 'ann', 'spm_rep: its own row only');
SELECT is((SELECT row(quota, credited, attainment, required_daily_rate, prev_attainment, year_ago_attainment)::text
             FROM spm_payout.coaching('2025-01-20')),
          '(10000.00,5000.00,0.500000000000,454.55,0.500000000000,0.250000000000)', 'spm_rep: its own numbers');
-- it cannot read the hierarchy rule: no manager, rank among what it sees (1 of 1)
SELECT is((SELECT row(manager, team_rank, team_size)::text FROM spm_payout.coaching('2025-01-20')),
          '(,1,1)', 'spm_rep: no team, rank among the rows it sees');
SELECT is((SELECT row(manager, reps, from_50_to_100)::text FROM spm_payout.team_distribution('2025-01-20')),
          '(,1,1)', 'spm_rep: the distribution of its own rows');
SELECT is((SELECT count(*)::int FROM spm_payout.coaching_signals WHERE rep <> 'ann'), 0, 'spm_rep: the view too');
SELECT throws_ok($$SELECT count(*) FROM spm_payout.period_credit WHERE rep = 'bob' AND quota IS NULL AND false
                   UNION ALL SELECT 1/0$$, '22012', NULL, 'spm_rep may read period_credit (then fails on 1/0)');
SELECT is((SELECT count(*)::int FROM spm_payout.period_credit WHERE rep <> 'ann'), 0,
          'spm_rep: period_credit shows its own rows only');
SELECT throws_ok($$SELECT * FROM spm_payout.quota$$, '42501', NULL, 'spm_rep still cannot read spm_payout.quota');
RESET ROLE;
-- A rep role mapped to no rep sees nothing.
SET ROLE :"nob";
SELECT is((SELECT count(*)::int FROM spm_payout.coaching('2025-01-20')), 0, 'a rep role mapped to no rep: no rows');
SELECT is((SELECT count(*)::int FROM spm_payout.team_distribution('2025-01-20')), 0, '... and no team');
RESET ROLE;
-- A role in none of the spm roles cannot call them.
SET ROLE :"out";
SELECT throws_ok($$SELECT * FROM spm_payout.coaching('2025-01-20')$$, '42501', NULL,
                 'a role outside spm: coaching is refused (42501)');
SELECT throws_ok($$SELECT * FROM spm_payout.team_distribution('2025-01-20')$$, '42501', NULL,
                 'a role outside spm: team_distribution is refused (42501)');
SELECT throws_ok($$SELECT * FROM spm_payout.coaching_signals$$, '42501', NULL,
                 'a role outside spm: coaching_signals is refused (42501)');
RESET ROLE;
-- Analysts and reps write nothing through them (they are functions and views over SELECTs);
-- the views are not updatable (55000).
SET ROLE :"ana";
SELECT throws_ok($$DELETE FROM spm_payout.coaching_signals$$, '55000', NULL,
                 'spm_analyst cannot delete through coaching_signals');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM pg_proc WHERE oid = 'spm_payout_internal.grants_coaching()'::regprocedure
              AND has_function_privilege('public', oid, 'EXECUTE')), 0, 'grants_coaching is not PUBLIC');

SELECT * FROM finish();
ROLLBACK;
