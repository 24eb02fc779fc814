-- pgTAP: quota cascading (docs/goals.md).  Every cascade is created,
-- computed and approved by a real admin role; analysts and reps read with
-- their own rights.  Every number asserted is computed by hand in the
-- comment next to it.
--
--   a. a headcount cascade with +10% per level, a ramp, a new hire and a
--      leaver: every goal to the cent; children add up to their parent's
--      goal x 1.1 at every node; the coverage view
--   b. drafts never change a run; approval writes days_on_plan quotas
--      (replacing hand-entered ones only on request) and the run uses them
--      unscaled (attainment = credit / cascaded goal), shared by days
--      between two plans
--   c. versions: a second version supersedes the first; approved cascades
--      are frozen; changed inputs are refused at approval
--   d. history and potential weights; a team goal of 0 passes 0 down
--   e. bad input, each with its SQLSTATE
--   f. rights: analysts read all, reps read their own approved rows
--   g. the fingerprint of a period includes the quota basis
BEGIN;
SELECT plan(79);
SET client_min_messages = warning;

-- ================================================================= setup
SELECT format('casc%s_adm', pg_backend_pid()) AS adm, format('casc%s_ana', pg_backend_pid()) AS ana,
       format('casc%s_ann', pg_backend_pid()) AS ann, format('casc%s_eon', pg_backend_pid()) AS eon \gset
SELECT spm_payout.create_roles();
CREATE ROLE :"adm" NOLOGIN IN ROLE spm_admin;
CREATE ROLE :"ana" NOLOGIN IN ROLE spm_analyst;
CREATE ROLE :"ann" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"eon" NOLOGIN IN ROLE spm_rep;   -- the manager of team e1, who is not on a plan
CREATE SCHEMA casc AUTHORIZATION :"adm";

SET ROLE :"adm";
-- acme -> regions east, west -> teams e1, e2, w1 -> reps
CREATE TABLE casc.org (rep text, manager text, valid daterange);
INSERT INTO casc.org VALUES
  ('east', 'acme', '(,)'), ('west', 'acme', '(,)'),
  ('e1', 'east', '(,)'), ('e2', 'east', '(,)'), ('w1', 'west', '(,)'),
  ('ann', 'e1', '(,)'), ('bob', 'e1', '(,)'), ('cat', 'e2', '(,)'), ('dan', 'e2', '(,)'),
  ('eve', 'w1', '(,)'), ('fay', 'w1', '(,)'), ('gus', 'w1', '(,)');
CREATE TABLE casc.sales (id int, seller text, amount numeric(12,2), closed date);
INSERT INTO casc.sales VALUES (1, 'ann', 100000, '2025-04-10'), (2, 'fay', 20000, '2025-04-20'),
                              (3, 'gus', 50000, '2025-04-22');
SELECT count(*) FROM spm_payout.add_pay_periods('2025-04-01', '2026-03-31', 'month', 4);
SELECT period_id AS apr FROM spm_payout.pay_period WHERE lower(period) = '2025-04-01' \gset
SELECT period_id AS may FROM spm_payout.pay_period WHERE lower(period) = '2025-05-01' \gset
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('casc', 'casc.sales', 'seller', 'id', 'amount', 'closed');
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column, override_rates)
VALUES ('casc.org', 'rep', 'manager', 'valid', '{}');
INSERT INTO spm_payout.plan (name, year_start_month) VALUES ('reps', 4), ('senior', 4);
INSERT INTO spm_payout.plan_version (plan_id, version, schedule, base)
SELECT plan_id, 1, 'marginal(0: 0.05, 1: 0.10)', 'quota' FROM spm_payout.plan;
-- cat started a month before April (month 2 of the ramp), fay on April 16
-- (15 of April's 30 days, month 1), gus leaves on April 25 (24 days); dan
-- moves to the senior plan on April 11 (10 + 20 days: on a plan all month)
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT a.r, p.plan_id, a.v::daterange FROM spm_payout.plan p JOIN
  (VALUES ('ann', 'reps', '[2024-01-01,)'), ('bob', 'reps', '[2024-01-01,)'), ('cat', 'reps', '[2025-03-01,)'),
          ('dan', 'reps', '[2024-06-01,2025-04-11)'), ('dan', 'senior', '[2025-04-11,)'),
          ('eve', 'reps', '[2024-01-01,)'), ('fay', 'reps', '[2025-04-16,)'),
          ('gus', 'reps', '[2024-01-01,2025-04-25)')) a(r, p, v) ON a.p = p.name;
-- hand-entered quotas (basis 'period'): 100,000 for every rep
INSERT INTO spm_payout.quota (rep, period_id, amount)
SELECT r, :apr, 100000 FROM unnest('{ann,bob,cat,dan,eve,fay,gus}'::text[]) r;
INSERT INTO spm_payout.rep_login VALUES (:'ann', 'ann'), (:'eon', 'e1');
CREATE FUNCTION casc.run(period text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
BEGIN
    CALL spm_payout.run_payout(period, r);
    RETURN r;
END $$;
CREATE FUNCTION casc.goals(cid int) RETURNS TABLE (node text, goal numeric) LANGUAGE sql STABLE AS
$$ SELECT g.node, g.goal FROM spm_payout.cascade_goal g WHERE g.cascade_id = cid ORDER BY g.depth, g.node COLLATE "C" $$;
CREATE FUNCTION casc.quota(r text) RETURNS numeric LANGUAGE sql STABLE AS
$$ SELECT sum(quota_to_date) FROM spm_payout.payout_statement WHERE rep = r AND period_start = '2025-04-01' $$;

-- ======================================== a. a headcount cascade, by hand
SELECT spm_payout.create_cascade('2025-04-15', 'acme', 1000000.00, over_assignment => 0.10,
                                 ramp => '{0.25,0.5,0.75}') AS c1 \gset
SELECT is((SELECT (version, status, weight_basis, created_by)::text FROM spm_payout.goal_cascade WHERE cascade_id = :c1),
          format('(1,draft,headcount,%s)', :'adm'), 'a: a new cascade is version 1, a draft, created by the admin');
-- leaves: effective weight = 1 x presence x ramp factor
--   ann, bob, dan, eve 1; cat 1 x 1 x 0.5 (month 2) = 0.5;
--   fay 1 x 15/30 x 0.25 (month 1) = 0.125; gus 1 x 24/30 x 1 = 0.8
SELECT results_eq($$SELECT node, days_on_plan, presence, ramp_factor, effective_weight FROM spm_payout.cascade_goal
                     WHERE cascade_id = $$ || :c1 || $$ AND leaf ORDER BY node$$,
    $$VALUES ('ann', 30, 1::numeric, 1::numeric, 1::numeric), ('bob', 30, 1, 1, 1), ('cat', 30, 1, 0.5, 0.5),
             ('dan', 30, 1, 1, 1), ('eve', 30, 1, 1, 1), ('fay', 15, 0.5, 0.25, 0.125), ('gus', 24, 0.8, 1, 0.8)$$,
    'a: presence (days on a plan / 30) and ramp factor (month of tenure) of each rep');
-- teams sum their children: e1 2, e2 1.5, east 3.5, w1 = west 1.925, acme 5.425
SELECT results_eq($$SELECT node, effective_weight FROM spm_payout.cascade_goal WHERE cascade_id = $$ || :c1 || $$ AND NOT leaf
                     ORDER BY node$$,
    $$VALUES ('acme', 5.425), ('e1', 2), ('e2', 1.5), ('east', 3.5), ('w1', 1.925), ('west', 1.925)$$,
    'a: a team''s effective weight is the sum of its children''s');
-- level 1: 1,100,000.00 by 3.5 : 1.925 = 20/31 : 11/31
--   east 709,677.419354.. -> 709,677.41 (+1 cent: larger remainder) = 709,677.42
--   west 390,322.580645.. -> 390,322.58
-- level 2: east 709,677.42 x 1.1 = 780,645.162 -> 780,645.16 by 2 : 1.5
--   e1 446,082.949714.. -> .94 (+1 cent) = 446,082.95; e2 334,562.212285.. -> 334,562.21
--   west 390,322.58 x 1.1 = 429,354.838 -> w1 429,354.84
-- level 3: e1 446,082.95 x 1.1 = 490,691.245 -> 490,691.25 by 1 : 1
--   ann, bob 245,345.6225 -> .62 each, the odd cent to the earlier node: ann .63
--   e2 334,562.21 x 1.1 = 368,018.431 -> 368,018.43 by 0.5 : 1
--   cat 122,672.810333.. -> 122,672.81; dan 245,345.620666.. -> 245,345.62 (no cent left)
--   w1 429,354.84 x 1.1 = 472,290.324 -> 472,290.32 by 1 : 0.125 : 0.8 (of 1.925)
--   eve 245,345.622857.. -> .62; fay 30,668.202857.. -> .20;
--   gus 196,276.498285.. -> .49 (+1 cent: largest remainder) = 196,276.50
SELECT results_eq($$SELECT * FROM casc.goals($$ || :c1 || $$)$$,
    $$VALUES ('acme', 1000000.00), ('east', 709677.42), ('west', 390322.58),
             ('e1', 446082.95), ('e2', 334562.21), ('w1', 429354.84),
             ('ann', 245345.63), ('bob', 245345.62), ('cat', 122672.81), ('dan', 245345.62),
             ('eve', 245345.62), ('fay', 30668.20), ('gus', 196276.50)$$,
    'a: every goal of the worked example, to the cent');
SELECT is((SELECT count(*)::int FROM spm_payout.cascade_goal t
            WHERE t.cascade_id = :c1 AND NOT t.leaf
              AND (SELECT sum(k.goal) FROM spm_payout.cascade_goal k WHERE k.cascade_id = :c1 AND k.parent = t.node)
                  IS DISTINCT FROM round(t.goal * 1.10, 2)), 0,
    'a: at every team node the children''s goals add up to round(goal x 1.1, 2)');
SELECT results_eq($$SELECT node, target_total, children_total, gap, shortfall FROM spm_payout.cascade_coverage
                     WHERE cascade_id = $$ || :c1 || $$ AND depth <= 1 ORDER BY node$$,
    -- acme: 1,100,000.00 - 1,000,000.00 = 100,000.00; east 780,645.16 - 709,677.42 = 70,967.74;
    -- west 429,354.84 - 390,322.58 = 39,032.26
    $$VALUES ('acme', 1100000.00, 1100000.00, 100000.00, 0.00), ('east', 780645.16, 780645.16, 70967.74, 0.00),
             ('west', 429354.84, 429354.84, 39032.26, 0.00)$$,
    'a: cascade_coverage: the children cover the parent by (1 + over_assignment), gap and no shortfall');
SELECT is((SELECT coverage FROM spm_payout.cascade_coverage WHERE cascade_id = :c1 AND node = 'acme'), 1.100000000000,
          'a: the root''s coverage is exactly 1.1');

-- ======================= b. drafts change nothing; approval writes quotas
SELECT ok(casc.run('2025-04-15') IS NOT NULL, 'b: the admin runs April with the hand-entered quotas and a draft cascade');
-- 'period' quotas are prorated: fay 100,000 x 15/30 = 50,000.00; gus x 24/30 = 80,000.00;
-- dan 100,000 x 10/30 = 33,333.33 (reps) + x 20/30 = 66,666.67 (senior)
SELECT results_eq($$SELECT rep, plan, quota_to_date FROM spm_payout.payout_statement
                     WHERE period_start = '2025-04-01' AND rep IN ('ann', 'dan', 'fay', 'gus') ORDER BY rep, plan$$,
    $$VALUES ('ann', 'reps', 100000.00), ('dan', 'reps', 33333.33), ('dan', 'senior', 66666.67),
             ('fay', 'reps', 50000.00), ('gus', 'reps', 80000.00)$$,
    'b: a draft cascade does not change a run: the hand-entered quotas, prorated');
SELECT throws_ok(format('SELECT spm_payout.approve_cascade(%s)', :c1), '55000',
    'rep ann has a quota of 100000 for pay period 2025-04-01..2025-04-30 entered by hand',
    'b: approval refuses to overwrite a hand-entered quota (55000)');
SELECT is(spm_payout.approve_cascade(:c1, replace_manual => true), 7,
          'b: approval with replace_manual writes the 7 reps'' quotas');
SELECT results_eq($$SELECT rep, amount, basis, cascade_id FROM spm_payout.quota WHERE period_id = $$ || :apr || $$ ORDER BY rep$$,
    format($$VALUES ('ann', 245345.63, 'days_on_plan', %1$s), ('bob', 245345.62, 'days_on_plan', %1$s),
                    ('cat', 122672.81, 'days_on_plan', %1$s), ('dan', 245345.62, 'days_on_plan', %1$s),
                    ('eve', 245345.62, 'days_on_plan', %1$s), ('fay', 30668.20, 'days_on_plan', %1$s),
                    ('gus', 196276.50, 'days_on_plan', %1$s)$$, :c1),
    'b: the quotas are the leaves'' goals, basis days_on_plan, naming the cascade');
SELECT is((SELECT (status, approved_by)::text FROM spm_payout.goal_cascade WHERE cascade_id = :c1), format('(approved,%s)', :'adm'),
          'b: the cascade is approved, by the admin');
SELECT ok(casc.run('2025-04-15') IS NOT NULL, 'b: the admin runs April again');
-- days_on_plan quotas are not scaled down: fay 30,668.20, gus 196,276.50;
-- dan 245,345.62 by 10 : 20 days = 81,781.873.. -> .87 and 163,563.746.. -> .74 (+1 cent) = .75
SELECT results_eq($$SELECT rep, plan, quota_to_date FROM spm_payout.payout_statement
                     WHERE period_start = '2025-04-01' AND rep IN ('ann', 'dan', 'fay', 'gus') ORDER BY rep, plan$$,
    $$VALUES ('ann', 'reps', 245345.63), ('dan', 'reps', 81781.87), ('dan', 'senior', 163563.75),
             ('fay', 'reps', 30668.20), ('gus', 'reps', 196276.50)$$,
    'b: the run uses the cascaded goals unscaled, shared by days between plans, penny-exact');
-- attainment = credit / cascaded goal, 12 places: 100,000 / 245,345.63 = 0.407588266398..,
-- 20,000 / 30,668.20 = 0.652141305978.., 50,000 / 196,276.50 = 0.254742671690..;
-- earned 5% (all below quota): 5,000.00, 1,000.00, 2,500.00
SELECT results_eq($$SELECT rep, credited, attainment_to_date, earned FROM spm_payout.payout_statement
                     WHERE period_start = '2025-04-01' AND rep IN ('ann', 'fay', 'gus') ORDER BY rep$$,
    $$VALUES ('ann', 100000.00, 0.407588266398, 5000.00), ('fay', 20000.00, 0.652141305978, 1000.00),
             ('gus', 50000.00, 0.254742671690, 2500.00)$$,
    'b: attainment to date is credit / cascaded goal');
SELECT is((SELECT attainment_to_date FROM spm_payout.payout_line WHERE rep = 'fay' AND period_id = :apr),
          round(20000.00 / 30668.20, 12), 'b: payout_line.attainment_to_date = credit / goal (fay)');

-- ============================================================ c. versions
SELECT throws_ok(format('SELECT spm_payout.approve_cascade(%s)', :c1), '55000', format('cascade %s is already approved', :c1),
    'c: approving twice is refused (55000)');
SELECT throws_ok(format('UPDATE spm_payout.goal_cascade SET goal = 2 WHERE cascade_id = %s', :c1), '55000', NULL,
    'c: an approved cascade cannot be changed (55000)');
SELECT throws_ok(format('DELETE FROM spm_payout.goal_cascade WHERE cascade_id = %s', :c1), '55000', NULL,
    'c: an approved cascade cannot be deleted (55000)');
SELECT throws_ok(format('UPDATE spm_payout.cascade_goal SET goal = 1 WHERE cascade_id = %s AND node = %L', :c1, 'ann'), '55000', NULL,
    'c: the goals of an approved cascade cannot be changed (55000)');
SELECT spm_payout.create_cascade('2025-04-15', 'acme', 1100000.00) AS c2 \gset
SELECT is((SELECT version FROM spm_payout.goal_cascade WHERE cascade_id = :c2), 2, 'c: the next cascade of April and acme is version 2');
SELECT throws_ok(format('UPDATE spm_payout.goal_cascade SET status = %L WHERE cascade_id = %s', 'approved', :c2), '55000',
    format('the status of cascade %s changes only through spm_payout.approve_cascade', :c2),
    'c: a draft is not approved by UPDATE (55000)');
-- version 2: no over-assignment, no ramp: acme 1,100,000.00 by 4 (east: 4 reps of
-- full presence) : 2.3 (west: eve 1, fay 0.5, gus 0.8) = 40/63 : 23/63
-- east 698,412.698412.. -> .69 (+1 cent: larger remainder) = 698,412.70;
-- west 401,587.301587.. -> .30; e1 = e2 = 349,206.35; ann 174,603.175 -> .17,
-- the odd cent to the earlier node: ann 174,603.18, bob 174,603.17
SELECT results_eq($$SELECT * FROM casc.goals($$ || :c2 || $$) WHERE node IN ('east', 'west', 'e1', 'ann', 'bob')$$,
    $$VALUES ('east', 698412.70), ('west', 401587.30), ('e1', 349206.35), ('ann', 174603.18), ('bob', 174603.17)$$,
    'c: version 2 computed (no ramp, no over-assignment)');
-- the inputs change after computing: a new rep under e1
INSERT INTO casc.org VALUES ('hal', 'e1', '(,)');
SELECT throws_ok(format('SELECT spm_payout.approve_cascade(%s)', :c2), '55000',
    format('the inputs of cascade %s changed since it was computed', :c2),
    'c: approval refuses a cascade whose inputs changed since it was computed (55000)');
DELETE FROM casc.org WHERE rep = 'hal';
SELECT is(spm_payout.approve_cascade(:c2), 7, 'c: version 2 is approved (no hand-entered quota left to replace)');
SELECT results_eq($$SELECT cascade_id, status FROM spm_payout.goal_cascade ORDER BY cascade_id$$,
    format($$VALUES (%s, 'superseded'), (%s, 'approved')$$, :c1, :c2), 'c: version 1 is superseded by version 2');
SELECT is((SELECT count(*)::int FROM spm_payout.quota WHERE period_id = :apr AND cascade_id = :c2), 7,
          'c: the quotas are version 2''s');

-- the hand-entered check: version 2's quotas under East (e2 349,206.35 by
-- 1 : 1 -> cat 174,603.18, dan 174,603.17): 174,603.18 + 174,603.17 + 174,603.18
-- + 174,603.17 = 698,412.70 against a goal of 700,000: coverage
-- 0.997732428571.., gap -1,587.30
SELECT results_eq($$SELECT node, reps, reps_without_quota, quota_total, goal, coverage, gap
                      FROM spm_payout.quota_coverage('2025-04-15', 'east', 700000) ORDER BY depth, node$$,
    $$VALUES ('east', 4::bigint, 0::bigint, 698412.70, 700000::numeric, 0.997732428571, -1587.30),
             ('e1', 2, 0, 349206.35, NULL, NULL, NULL), ('e2', 2, 0, 349206.35, NULL, NULL, NULL)$$,
    'c: quota_coverage adds up the quotas under each team and compares the root with a goal');

-- ============================================== d. history and potential
SELECT spm_payout.create_cascade('2025-05-15', 'acme', 1000, weight_basis => 'history') AS c3 \gset
SELECT is(spm_payout.history_weights(:c3, '2025-04-15'), 7, 'd: history weights for the 7 reps from April''s run');
-- April's credit: ann 100,000, fay 20,000, gus 50,000, the others 0
SELECT results_eq($$SELECT node, weight FROM spm_payout.cascade_weight WHERE cascade_id = $$ || :c3 || $$ AND weight > 0 ORDER BY node$$,
    $$VALUES ('ann', 100000.00), ('fay', 20000.00), ('gus', 50000.00)$$, 'd: history weights are April''s credit');
SELECT is(spm_payout.compute_cascade(:c3), 13, 'd: the history cascade is computed (13 nodes)');
-- May: gus has left (no days: weight 0). east 100,000 : west 20,000 = 5/6 : 1/6
-- east 833.333.. -> .33; west 166.666.. -> .66 (+1 cent) = 166.67; e2 (cat, dan: 0) gets 0
-- and passes 0 down; ann 833.33, fay 166.67
SELECT results_eq($$SELECT * FROM casc.goals($$ || :c3 || $$)$$,
    $$VALUES ('acme', 1000.00), ('east', 833.33), ('west', 166.67), ('e1', 833.33), ('e2', 0), ('w1', 166.67),
             ('ann', 833.33), ('bob', 0), ('cat', 0), ('dan', 0), ('eve', 0), ('fay', 166.67), ('gus', 0)$$,
    'd: history goals; a team whose weight is 0 gets 0 and passes 0 down');
-- the hierarchy as of a date: Hal joins E1 on May 10 (no plan yet: weight 0, goal 0)
INSERT INTO casc.org VALUES ('hal', 'e1', '[2025-05-10,)');
SELECT is((SELECT count(*)::int FROM spm_payout.cascade_rows(spm_payout.create_cascade('2025-05-15', 'acme', 10))), 13,
          'd: read as of the period''s first day, the tree has 13 nodes');
SELECT results_eq($$SELECT node, goal FROM spm_payout.cascade_rows(spm_payout.create_cascade('2025-05-15', 'acme', 10,
                                                                   as_of => '2025-05-20')) WHERE parent = 'e1'$$,
    -- May, on a plan all month: ann, bob, cat, dan, eve, fay (1 each); gus
    -- (left) and hal 0. acme 10 by east 4 : west 2 -> 6.666.. -> 6.66 (+1 cent:
    -- larger remainder) = 6.67 and 3.33; east 6.67 by e1 2 : e2 2 -> 3.335 each
    -- -> 3.33, the odd cent to the earlier node: e1 3.34; e1 by ann 1 : bob 1 :
    -- hal 0 -> 1.67, 1.67, 0.00
    $$VALUES ('ann', 1.67), ('bob', 1.67), ('hal', 0.00)$$,
    'd: read as of May 20, Hal is under E1, with a goal of 0');
DELETE FROM casc.org WHERE rep = 'hal';
SELECT spm_payout.create_cascade('2025-05-15', 'acme', 1000, weight_basis => 'potential') AS c4 \gset
SELECT throws_ok(format('SELECT spm_payout.compute_cascade(%s)', :c4), '22023',
    format('cascade %s: rep ann (under e1) has no potential weight', :c4), 'd: a missing weight names the rep (22023)');
-- potential: the regions' weights given (east 1, west 3); reps weigh 1 each
INSERT INTO spm_payout.cascade_weight (cascade_id, node, weight)
SELECT :c4, n, CASE n WHEN 'west' THEN 3 ELSE 1 END FROM unnest('{east,west,ann,bob,cat,dan,eve,fay,gus}'::text[]) n;
SELECT is(spm_payout.compute_cascade(:c4), 13, 'd: the potential cascade is computed');
-- acme 1,000 by east 1 : west 3 = 250.00 : 750.00 (the teams' own weights,
-- not their reps'); w1 750.00 to eve 1 : fay 1 (on plan all May) : gus 0 (left):
-- 375.00 each
SELECT results_eq($$SELECT * FROM casc.goals($$ || :c4 || $$) WHERE node IN ('east', 'west', 'eve', 'fay', 'gus')$$,
    $$VALUES ('east', 250.00), ('west', 750.00), ('eve', 375.00), ('fay', 375.00), ('gus', 0.00)$$,
    'd: a team with a weight of its own uses it');
UPDATE spm_payout.cascade_weight SET weight = 0 WHERE cascade_id = :c4;
SELECT throws_ok(format('SELECT spm_payout.compute_cascade(%s)', :c4), '22023',
    format('cascade %s: every effective weight under acme is zero', :c4), 'd: all weights zero (22023)');
SELECT throws_ok(format('INSERT INTO spm_payout.cascade_weight VALUES (%s, %L, -1)', :c4, 'zed'), '23514', NULL,
    'd: a negative weight is refused (23514)');
SELECT throws_ok(format('SELECT spm_payout.history_weights(%s, %L)', :c4, '2025-04-15'), '22023',
    format('cascade %s weighs by potential, not history', :c4), 'd: history weights for a potential cascade (22023)');
SELECT throws_ok(format('SELECT spm_payout.history_weights(%s, %L)', :c3, '2025-06-15'), '55000',
    'pay period 2025-06-01..2025-06-30 has never been run', 'd: history weights from a period never run (55000)');

-- ============================================================ e. bad input
-- a loop elsewhere in the table, and a rep with two managers (runs refuse
-- both; deleted at the end of this part)
INSERT INTO casc.org VALUES ('cy1', 'cy2', '(,)'), ('cy2', 'cy1', '(,)'), ('two', 'lone', '(,)'), ('two', 'pair', '(,)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', NULL)$$, '22023',
    'the goal of a cascade must be a positive finite amount, not NULL', 'e: a NULL goal (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', 0)$$, '22023',
    'the goal of a cascade must be a positive finite amount, not 0', 'e: a goal of 0 (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', -5)$$, '22023', NULL, 'e: a negative goal (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', 'NaN')$$, '22023', NULL, 'e: a NaN goal (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', 100, -0.1)$$, '22023', NULL,
    'e: a negative over_assignment (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', 100, NULL)$$, '22023', NULL,
    'e: a NULL over_assignment (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', 100, weight_basis => 'vibes')$$, '22023',
    'weight_basis must be headcount, history, potential or custom, not vibes', 'e: an unknown weight basis (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', NULL, 100)$$, '22023', NULL, 'e: a NULL root (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', 100, ramp => '{0.5,1.5}')$$, '22023', NULL,
    'e: a ramp factor above 1 (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', 100, ramp => '{-0.1}')$$, '22023', NULL,
    'e: a negative ramp factor (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', 100, ramp => '{0.5,NULL}')$$, '22023', NULL,
    'e: a NULL ramp factor (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', 100, ramp => '{{0.5},{0.7}}')$$, '22023', NULL,
    'e: a two-dimensional ramp (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', 100, ramp => '{}')$$, '22023', NULL,
    'e: an empty ramp (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', 100, ramp => '[0:0]={0.5}')$$, '22023', NULL,
    'e: a ramp not numbered from 1 (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'ann', 100)$$, '22023',
    'ann has no one reporting to it on 2025-05-01', 'e: a root with no children at as_of (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'nobody', 100)$$, '22023',
    'nobody has no one reporting to it on 2025-05-01', 'e: a root that is not in the hierarchy (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'cy1', 100)$$, '22023',
    'hierarchy rule: the hierarchy has a cycle on 2025-05-01: cy1 -> cy2 -> cy1', 'e: a cycle in the hierarchy (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'lone', 100)$$, '22023',
    'hierarchy rule: two has 2 managers on 2025-05-01', 'e: a rep with two managers at as_of (22023)');
SELECT throws_ok($$SELECT spm_payout.approve_cascade(NULL)$$, '22023', 'no cascade has id NULL', 'e: approving no cascade (22023)');
SELECT spm_payout.create_cascade('2025-05-15', 'acme', 1000, weight_basis => 'custom') AS c5 \gset
SELECT throws_ok(format('SELECT spm_payout.approve_cascade(%s)', :c5), '55000', format('cascade %s has not been computed', :c5),
    'e: approving a draft that was never computed (55000)');
SELECT throws_ok($$INSERT INTO spm_payout.goal_cascade (period_id, root, goal, status) VALUES ($$ || :may || $$, 'acme', 1, 'approved')$$,
    '55000', 'a cascade is created as a draft', 'e: a cascade inserted as approved (55000)');
DELETE FROM casc.org WHERE rep IN ('cy1', 'cy2', 'two');

-- ================================================================ f. rights
RESET ROLE;
SET ROLE :"ana";
SELECT is((SELECT count(*)::int FROM spm_payout.cascade_goal), 79, 'f: an analyst reads every cascade''s goals (5 x 13 nodes + 14)');
SELECT is((SELECT count(*)::int FROM spm_payout.cascade_coverage), 36, 'f: ... and the coverage view (6 x 6 teams)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', 1)$$, '42501', NULL,
    'f: an analyst cannot create a cascade (42501)');
SELECT throws_ok(format('SELECT spm_payout.approve_cascade(%s)', :c3), '42501', NULL, 'f: ... nor approve one (42501)');
SELECT throws_ok($$DELETE FROM spm_payout.cascade_weight$$, '42501', NULL, 'f: ... nor change weights (42501)');
RESET ROLE;
SET ROLE :"ann";
SELECT results_eq($$SELECT cascade_id, node, goal FROM spm_payout.cascade_goal ORDER BY cascade_id$$,
    -- her rows of the superseded (c1) and approved (c2) versions (goals in
    -- a. and c.); none of the drafts
    format($$VALUES (%s, 'ann', 245345.63), (%s, 'ann', 174603.18)$$, :c1, :c2),
    'f: a rep reads only her own goals, of approved and superseded cascades');
SELECT results_eq($$SELECT version, status FROM spm_payout.goal_cascade WHERE cascade_id = $$ || :c2,
    $$VALUES (2, 'approved')$$, 'f: ... and the version and status of cascades');
SELECT throws_ok($$SELECT goal FROM spm_payout.goal_cascade$$, '42501', NULL, 'f: ... not the goals of cascades (42501)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-05-15', 'acme', 1)$$, '42501', NULL,
    'f: a rep cannot create a cascade (42501)');
RESET ROLE;
SET ROLE :"eon";
SELECT results_eq($$SELECT node, goal FROM spm_payout.cascade_goal ORDER BY cascade_id$$,
    $$VALUES ('e1', 446082.95), ('e1', 349206.35)$$, 'f: a team manager mapped to its node reads the team''s goals');
RESET ROLE;

-- ==================================================== closed periods (55000)
SET ROLE :"adm";
SELECT spm_payout.create_cascade('2025-04-15', 'acme', 100) AS c6 \gset
SELECT ok(casc.run('2025-04-15') IS NOT NULL, 'closed: April is run again with version 2''s quotas ...');
CALL spm_payout.close_period('2025-04-15');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-04-15', 'acme', 100)$$, '55000',
    'pay period 2025-04-01..2025-04-30 is closed', 'closed: ... and closed: no new cascade of it (55000)');
SELECT throws_ok(format('SELECT spm_payout.approve_cascade(%s)', :c6), '55000',
    'pay period 2025-04-01..2025-04-30 is closed', 'closed: nor the approval of a draft of it (55000)');
SELECT throws_ok(format('SELECT spm_payout.compute_cascade(%s)', :c6), '55000',
    'pay period 2025-04-01..2025-04-30 is closed', 'closed: nor computing it again (55000)');
RESET ROLE;

-- ====================================== g. the basis is in the fingerprint
INSERT INTO spm_payout.quota (rep, period_id, amount) VALUES ('bob', :may, 5000);
SELECT spm_payout_internal.stage();
SELECT fingerprint AS fp1 FROM spm_payout_internal.fingerprints(ARRAY[:may]) \gset
UPDATE spm_payout.quota SET basis = 'days_on_plan' WHERE rep = 'bob' AND period_id = :may;
SELECT isnt((SELECT fingerprint FROM spm_payout_internal.fingerprints(ARRAY[:may])), :'fp1',
            'g: changing a quota''s basis changes the period''s fingerprint');
UPDATE spm_payout.quota SET basis = 'period' WHERE rep = 'bob' AND period_id = :may;
SELECT is((SELECT fingerprint FROM spm_payout_internal.fingerprints(ARRAY[:may])), :'fp1',
          'g: ... and changing it back restores it');

SELECT * FROM finish();
ROLLBACK;
