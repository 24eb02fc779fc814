-- pgTAP: plan components and MBO scores (docs/components.md).  Every number
-- is worked out by hand in the comment next to it.  Roles are real (SET
-- ROLE), with names unique to this backend, and everything is rolled back.
--
--   a. bad input: names, kinds, filters, gates, weights, quota shares,
--      measure and filter columns (missing, wrong type, unhashable,
--      unreadable), MBO scores (range, NULL, on a credit component)
--   b. without components nothing changes: no component part in the
--      fingerprint, no measures read
--   c. January: 70% of target incentive on revenue attainment through a
--      curve + 30% on an MBO score; a gate still closed; a margin measure
--      and a product-line filter; a missing MBO score counts 0
--   d. February: the curve above quota, the MBO average, the gate opens
--      and pays the catch-up
--   e. March: a cancellation closes the gate again: a clawback
--   f. a late deal in a closed period, booked per component
--   g. leaderboard per plan and component
--   h. inconsistent plans refused at the run (22023); closed periods and
--      paid versions protected (55000)
--   i. rights and row-level security from real roles; audit; pg_dump marks
BEGIN;
SELECT plan(81);
SET client_min_messages = warning;

-- ================================================================= setup
SELECT format('cpt%s_adm', pg_backend_pid()) AS adm, format('cpt%s_ana', pg_backend_pid()) AS ana,
       format('cpt%s_ann', pg_backend_pid()) AS ann, format('cpt%s_bob', pg_backend_pid()) AS bob \gset
SELECT spm_payout.create_roles();
CREATE ROLE :"adm" NOLOGIN IN ROLE spm_admin;
CREATE ROLE :"ana" NOLOGIN IN ROLE spm_analyst;
CREATE ROLE :"ann" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"bob" NOLOGIN IN ROLE spm_rep;
CREATE SCHEMA cpt AUTHORIZATION :"adm";
GRANT USAGE ON SCHEMA cpt TO PUBLIC;
-- a table whose margin column the admin may not read
CREATE SCHEMA cpt_private;
GRANT USAGE ON SCHEMA cpt_private TO PUBLIC;
CREATE TABLE cpt_private.sales (id int, seller text, amt numeric, closed date, margin numeric);
GRANT SELECT (id, seller, amt, closed) ON cpt_private.sales TO spm_admin;

SET ROLE :"adm";
CREATE TABLE cpt.sales (id int, seller text, amount numeric(12,2), margin numeric(12,2), line text, kind text,
                        closed date, note text, extra json);
CREATE FUNCTION cpt.run(period text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
BEGIN
    CALL spm_payout.run_payout(period, r);
    RETURN r;
END $$;
-- a line of the statement: earned to date and earned (paid before is implied)
CREATE FUNCTION cpt.line(p_start date, p_rep text, p_comp text) RETURNS text LANGUAGE sql AS $$
    SELECT format('%s/%s', s.earned_to_date, s.earned) FROM spm_payout.payout_statement s
     WHERE s.period_start = p_start AND s.rep = p_rep AND s.component IS NOT DISTINCT FROM p_comp AND s.line_kind = 'commission'
$$;
SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods('2025-01-01', '2025-06-30')), 6, 'setup: January to June');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('cps', 'cpt.sales', 'seller', 'id', 'amount', 'closed'),
       ('cpp', 'cpt_private.sales', 'seller', 'id', 'amt', 'closed');
INSERT INTO spm_payout.plan (name) VALUES ('ae plan'), ('hunter plan'), ('margin plan');
-- the version's own schedule and base are not used once it has components
INSERT INTO spm_payout.plan_version (plan_id, version, schedule, target_incentive)
SELECT plan_id, 1, 'marginal(0: 0.5)', CASE name WHEN 'ae plan' THEN 1000 END FROM spm_payout.plan;
SELECT version_id AS ae FROM spm_payout.plan_version JOIN spm_payout.plan USING (plan_id) WHERE name = 'ae plan' \gset
SELECT version_id AS hunter FROM spm_payout.plan_version JOIN spm_payout.plan USING (plan_id) WHERE name = 'hunter plan' \gset
SELECT version_id AS mp FROM spm_payout.plan_version JOIN spm_payout.plan USING (plan_id) WHERE name = 'margin plan' \gset
SELECT source_id AS src FROM spm_payout.source WHERE name = 'cps' \gset
SELECT source_id AS priv FROM spm_payout.source WHERE name = 'cpp' \gset
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT x.r, p.plan_id, '[2025-01-01,)' FROM spm_payout.plan p
  JOIN (VALUES ('ann', 'ae plan'), ('dan', 'ae plan'), ('bob', 'hunter plan'), ('cat', 'margin plan')) x(r, pn) ON p.name = x.pn;
INSERT INTO spm_payout.quota (rep, period_id, amount)
SELECT r, period_id, 10000 FROM spm_payout.pay_period, unnest('{ann,dan,bob}'::text[]) r;
INSERT INTO spm_payout.rep_login VALUES (:'ann', 'ann'), (:'bob', 'bob');
INSERT INTO cpt.sales VALUES
  (1, 'ann',  8000, 3000, 'hardware', 'renewal', '2025-01-10'),
  (2, 'bob',  6000, 1000, 'hardware', 'renewal', '2025-01-12'),
  (3, 'bob',  2000,  500, 'software', 'new',     '2025-01-20'),
  (4, 'cat', 10000, 2000, 'hardware', 'new',     '2025-01-05'),
  (5, 'cat',  5000, 4000, 'software', 'renewal', '2025-01-25'),
  (9, 'dan', 12000, 1000, 'hardware', 'renewal', '2025-01-07');

-- ================================================================= b. no components yet
SELECT spm_payout_internal.stage() \gset
SELECT f.fingerprint AS fp_plain FROM spm_payout_internal.fingerprints(ARRAY[
    (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-01-01..2025-01-31')]) f \gset
SELECT ok(position('components:' IN :'fp_plain') = 0 AND position('mbo:' IN :'fp_plain') = 0,
          'no components: the fingerprint has no component or MBO part (unchanged from 0.2.0)');
SELECT ok(position('measures' IN spm_payout_internal.source_sql(s, '2025-01-01', '2025-02-01')) = 0,
          'no components: a source is read without component measures')
  FROM spm_payout.source s WHERE s.name = 'cps';

-- ================================================================= a. bad input
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, schedule) VALUES (%s, '', 'marginal(0: 0.1)')$$, :ae),
                 '23514', NULL, 'an empty component name is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, schedule) VALUES (%s, NULL, 'marginal(0: 0.1)')$$, :ae),
                 '23502', NULL, 'a NULL component name is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, schedule) VALUES (%s, 'x', 'bonus', 'marginal(0: 0.1)')$$, :ae),
                 '23514', NULL, 'an unknown kind is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, source_id, filter_column, schedule) VALUES (%s, 'x', %s, 'line', 'marginal(0: 0.1)')$$, :ae, :src),
                 '23514', NULL, 'a filter column without values is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, source_id, filter_column, filter_values, schedule) VALUES (%s, 'x', %s, 'line', '{}', 'marginal(0: 0.1)')$$, :ae, :src),
                 '23514', NULL, 'an empty array of filter values is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, source_id, filter_column, filter_values, schedule) VALUES (%s, 'x', %s, 'line', '{a,NULL}', 'marginal(0: 0.1)')$$, :ae, :src),
                 '23514', NULL, 'a NULL among the filter values is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, filter_column, filter_values, schedule) VALUES (%s, 'x', 'line', '{a}', 'marginal(0: 0.1)')$$, :ae),
                 '23514', NULL, 'a filter without a source is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, gate_component) VALUES (%s, 'x', 'marginal(0: 0.1)', 'y')$$, :ae),
                 '23514', NULL, 'a gate without its attainment is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, gate_component, gate_attainment) VALUES (%s, 'x', 'marginal(0: 0.1)', 'x', 0.5)$$, :ae),
                 '23514', NULL, 'a component gated on itself is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, gate_component, gate_attainment) VALUES (%s, 'x', 'marginal(0: 0.1)', 'y', -0.1)$$, :ae),
                 '23514', NULL, 'a negative gate attainment is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, base, schedule) VALUES (%s, 'x', 'attainment', 'marginal(0: 0.1)')$$, :ae),
                 '23514', NULL, 'an attainment component without a weight is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, schedule) VALUES (%s, 'x', 'mbo', 'curve(0: 0, 1: 1)')$$, :ae),
                 '23514', NULL, 'an MBO component without a weight is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, weight) VALUES (%s, 'x', 'marginal(0: 0.1)', 0)$$, :ae),
                 '23514', NULL, 'a weight of 0 is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, weight) VALUES (%s, 'x', 'marginal(0: 0.1)', 1.5)$$, :ae),
                 '23514', NULL, 'a weight above 1 is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, quota_share) VALUES (%s, 'x', 'marginal(0: 0.1)', 0)$$, :ae),
                 '23514', NULL, 'a quota share of 0 is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, schedule, weight) VALUES (%s, 'x', 'mbo', %s, 'curve(0: 0, 1: 1)', 0.3)$$, :ae, :src),
                 '23514', NULL, 'an MBO component with a source is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, measure_column, schedule) VALUES (%s, 'x', 'margin', 'marginal(0: 0.1)')$$, :ae),
                 '23514', NULL, 'a measure column without a source is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, source_id, measure_column, schedule) VALUES (%s, 'x', %s, 'profit', 'marginal(0: 0.1)')$$, :ae, :src),
                 '42703', NULL, 'a measure column that does not exist is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, source_id, measure_column, schedule) VALUES (%s, 'x', %s, 'note', 'marginal(0: 0.1)')$$, :ae, :src),
                 '42804', NULL, 'a measure column that is not a number is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, source_id, filter_column, filter_values, schedule) VALUES (%s, 'x', %s, 'extra', '{a}', 'marginal(0: 0.1)')$$, :ae, :src),
                 '42804', NULL, 'a filter column without a hash function (json) is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, source_id, measure_column, schedule) VALUES (%s, 'x', %s, 'margin', 'marginal(0: 0.1)')$$, :ae, :priv),
                 '42501', NULL, 'a measure column the writing role cannot read is refused');

-- the plans of the worked example (docs/components.md)
INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, base, schedule, weight) VALUES
  (:ae, 'revenue', 'credit', :src, 'attainment', 'curve(0: 0, 0.5: 0.25, 1: 1, 1.5: 2)', 0.7);
INSERT INTO spm_payout.plan_component (version_id, name, kind, schedule, weight) VALUES
  (:ae, 'objectives', 'mbo', 'curve(0: 0, 1: 1)', 0.3);
INSERT INTO spm_payout.plan_component (version_id, name, source_id, filter_column, filter_values, base, schedule, quota_share) VALUES
  (:hunter, 'new_logo', :src, 'kind', '{new}', 'amount', 'marginal(0: 0.05)', 0.5);
INSERT INTO spm_payout.plan_component (version_id, name, source_id, base, schedule, gate_component, gate_attainment) VALUES
  (:hunter, 'accelerator', :src, 'amount', 'marginal(0: 0.02)', 'new_logo', 0.5);
INSERT INTO spm_payout.plan_component (version_id, name, source_id, measure_column, base, schedule) VALUES
  (:mp, 'margin', :src, 'margin', 'amount', 'marginal(0: 0.10)');
INSERT INTO spm_payout.plan_component (version_id, name, source_id, filter_column, filter_values, base, schedule) VALUES
  (:mp, 'software', :src, 'line', '{software}', 'amount', 'marginal(0: 0.03)');
SELECT component_id AS obj FROM spm_payout.plan_component WHERE name = 'objectives' \gset
SELECT component_id AS rev FROM spm_payout.plan_component WHERE name = 'revenue' \gset

SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, schedule) VALUES (%s, 'revenue', 'marginal(0: 0.1)')$$, :ae),
                 '23505', NULL, 'two components of one version with the same name are refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.mbo_score VALUES ('ann', (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-01-01..2025-01-31'), %s, 1.2)$$, :obj),
                 '23514', NULL, 'a score above 1 (100%) is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.mbo_score VALUES ('ann', (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-01-01..2025-01-31'), %s, -0.1)$$, :obj),
                 '23514', NULL, 'a negative score is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.mbo_score VALUES ('ann', (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-01-01..2025-01-31'), %s, NULL)$$, :obj),
                 '23502', NULL, 'a NULL score is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.mbo_score VALUES ('ann', (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-01-01..2025-01-31'), %s, 0.5)$$, :rev),
                 '22023', NULL, 'a score for a credit component is refused');

-- Ann's objective scores: 90% in January, 50% in February (Dan has none: 0)
INSERT INTO spm_payout.mbo_score (rep, period_id, component_id, score)
SELECT 'ann', k.period_id, :obj, x.score FROM spm_payout.pay_period k
  JOIN (VALUES ('2025-01-01'::date, 0.9), ('2025-02-01', 0.5)) x(d, score) ON lower(k.period) = x.d;

SELECT spm_payout_internal.stage() \gset
SELECT f.fingerprint AS fp_comp FROM spm_payout_internal.fingerprints(ARRAY[
    (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-01-01..2025-01-31')]) f \gset
SELECT ok(position('components:' IN :'fp_comp') > 0 AND position('mbo:' IN :'fp_comp') > 0
          AND :'fp_comp' <> :'fp_plain', 'components and MBO scores are inputs of the period''s fingerprint');

-- ================================================================= c. January
SELECT ok(cpt.run('2025-01-15') > 0, 'January runs');
-- Ann, revenue: credit 8,000 / quota 10,000 = 0.8; the curve between
-- (0.5, 0.25) and (1, 1): 0.25 + 0.3/0.5 * 0.75 = 0.7; target to date
-- 1,000 * 0.7 = 700.00; 700 * 0.7 = 490.00
SELECT is(cpt.line('2025-01-01', 'ann', 'revenue'), '490.00/490.00', 'January, Ann revenue: 700.00 x curve(0.8) = 490.00');
-- Ann, objectives: target 1,000 * 0.3 = 300.00 x E(0.9) = 0.9 -> 270.00
SELECT is(cpt.line('2025-01-01', 'ann', 'objectives'), '270.00/270.00', 'January, Ann objectives: 300.00 x 0.9 = 270.00');
SELECT is((SELECT attainment_to_date FROM spm_payout.payout_statement WHERE period_start = '2025-01-01' AND rep = 'ann' AND component = 'objectives'),
          0.9000, 'the MBO line shows the score to date');
-- Dan: 12,000 / 10,000 = 1.2: curve 1 + 0.2/0.5 * 1 = 1.4; 700 * 1.4 = 980.00; no score: 0
SELECT is(cpt.line('2025-01-01', 'dan', 'revenue'), '980.00/980.00', 'January, Dan revenue above quota: 700.00 x 1.4 = 980.00');
SELECT is(cpt.line('2025-01-01', 'dan', 'objectives'), '0.00/0.00', 'a missing MBO score counts 0');
-- Bob: new logos 2,000 (deal 3) / quota 10,000 * 0.5 = 5,000: 0.4 < 0.5,
-- the accelerator (2% of all 8,000 = 160.00) is gated: 0
SELECT is(cpt.line('2025-01-01', 'bob', 'new_logo'), '100.00/100.00', 'January, Bob new logos (filtered): 5% of 2,000 = 100.00');
SELECT is(cpt.line('2025-01-01', 'bob', 'accelerator'), '0/0', 'January, the accelerator is gated (new-logo attainment 0.4 < 0.5)');
SELECT is((SELECT quota_to_date FROM spm_payout.payout_statement WHERE period_start = '2025-01-01' AND rep = 'bob' AND component = 'new_logo'),
          5000.00, 'a component''s quota is the quota times its quota share');
-- Cat: margins 2,000 + 4,000 = 6,000 x 10% = 600.00; software 5,000 x 3% = 150.00
SELECT is(cpt.line('2025-01-01', 'cat', 'margin'), '600.00/600.00', 'January, Cat margin (measure column): 10% of 6,000 = 600.00');
SELECT is(cpt.line('2025-01-01', 'cat', 'software'), '150.00/150.00', 'January, Cat software (filter): 3% of 5,000 = 150.00');
SELECT results_eq($$SELECT rep, component, deal, amount FROM spm_payout.credit_statement
                     WHERE period = '2025-01-01..2025-01-31' AND rep IN ('bob', 'cat') ORDER BY rep, component, deal$$,
                  $$VALUES ('bob', 'accelerator', '2', 6000.00), ('bob', 'accelerator', '3', 2000.00), ('bob', 'new_logo', '3', 2000.00),
                           ('cat', 'margin', '4', 2000.00), ('cat', 'margin', '5', 4000.00), ('cat', 'software', '5', 5000.00)$$,
                  'credit rows carry the component: a deal credits every component it matches, with its measure');
SELECT is((SELECT count(*)::int FROM spm_payout.payout_line WHERE component_id IS NULL AND line_kind = 'commission'), 0,
          'every line of a version with components names its component');
-- coaching counts one credit component per version (docs/coaching.md, "Plan
-- components"): Bob's accelerator (every deal at its amount): quota 10,000 x 1,
-- credit 6,000 + 2,000 = 8,000 (not new_logo's 5,000 and 2,000 on top); Ann and
-- Dan: revenue (the MBO has no credit); Cat's components are all filtered or
-- measured: Cat is not in coaching
SELECT results_eq($$SELECT rep, quota, credited FROM spm_payout.coaching('2025-01-31') ORDER BY rep$$,
                  $$VALUES ('ann', 10000.00, 8000.00), ('bob', 10000.00, 8000.00), ('dan', 10000.00, 12000.00)$$,
                  'coaching counts one credit component per version: no deal or quota counted twice');

-- ================================================================= d. February
INSERT INTO cpt.sales VALUES
  (6, 'ann', 16000, 5000, 'software', 'new', '2025-02-10'),
  (7, 'bob',  4000, 1000, 'software', 'new', '2025-02-11');
CALL spm_payout.close_period('2025-01-15');
SELECT ok(cpt.run('2025-02-15') > 0, 'February runs');
-- Ann: 24,000 / 20,000 = 1.2 -> 1.4; target to date 1,400.00; 1,960.00 - 490.00 = 1,470.00
SELECT is(cpt.line('2025-02-01', 'ann', 'revenue'), '1960.00/1470.00', 'February, Ann revenue: 1,400 x 1.4 = 1,960.00, minus 490.00');
-- objectives: 270.00 + 300.00 x 0.5 = 420.00, minus 270.00 = 150.00
SELECT is(cpt.line('2025-02-01', 'ann', 'objectives'), '420.00/150.00', 'February, Ann objectives: 270 + 150 = 420.00, minus 270.00');
-- the score to date: (300 x 0.9 + 300 x 0.5) / 600 = 0.7
SELECT is((SELECT attainment_to_date FROM spm_payout.payout_statement WHERE period_start = '2025-02-01' AND rep = 'ann' AND component = 'objectives'),
          0.7000, 'the MBO score to date is the average weighted by target');
-- Bob: new logos 6,000 / 10,000 = 0.6 >= 0.5: the gate opens; the
-- accelerator pays 2% of 12,000 = 240.00 at once (the catch-up)
SELECT is(cpt.line('2025-02-01', 'bob', 'new_logo'), '300.00/200.00', 'February, Bob new logos: 300.00 - 100.00');
SELECT is(cpt.line('2025-02-01', 'bob', 'accelerator'), '240.00/240.00', 'February, the gate opens: the accelerator pays the catch-up 240.00');

-- ================================================================= e. March: the gate closes again
INSERT INTO cpt.sales VALUES (7, 'bob', -3000, -750, 'software', 'new', '2025-03-04');
CALL spm_payout.close_period('2025-02-15');
SELECT ok(cpt.run('2025-03-15') > 0, 'March runs');
-- new logos 3,000 / 15,000 = 0.2 < 0.5: accelerator to date 0, line -240.00
SELECT is(cpt.line('2025-03-01', 'bob', 'accelerator'), '0/-240.00', 'March, the gate closes: the accelerator takes back 240.00');
SELECT is(cpt.line('2025-03-01', 'bob', 'new_logo'), '150.00/-150.00', 'March, Bob new logos: 5% of 3,000 = 150.00, minus 300.00');

-- ================================================================= f. a late deal in closed January
INSERT INTO cpt.sales VALUES (8, 'cat', 1000, 300, 'software', 'renewal', '2025-01-31');
CALL spm_payout.close_period('2025-03-15');
SELECT ok(cpt.run('2025-04-15') > 0, 'April runs');
-- margin: 6,300 x 10% = 630.00 - 600.00; software 6,000 x 3% = 180.00 - 150.00
SELECT is(cpt.line('2025-04-01', 'cat', 'margin'), '630.00/30.00', 'a late deal of a closed period: margin 630.00 - 600.00');
SELECT is(cpt.line('2025-04-01', 'cat', 'software'), '180.00/30.00', 'a late deal of a closed period: software 180.00 - 150.00');
SELECT results_eq($$SELECT for_period, component, deal, amount FROM spm_payout.credit_statement
                     WHERE period <> for_period ORDER BY component$$,
                  $$VALUES ('2025-01-01..2025-01-31', 'margin', '8', 300.00), ('2025-01-01..2025-01-31', 'software', '8', 1000.00)$$,
                  'the late rows are booked per component');

-- ================================================================= g. leaderboard per plan and component
-- January, ae plan: revenue Dan (1.2) before Ann (0.8); objectives Ann (0.9) before Dan (0)
SELECT results_eq($$SELECT component, rep, rank FROM spm_payout.leaderboard
                     WHERE period_start = '2025-01-01' AND plan = 'ae plan' ORDER BY component, rank$$,
                  $$VALUES ('objectives', 'ann', 1), ('objectives', 'dan', 2), ('revenue', 'dan', 1), ('revenue', 'ann', 2)$$,
                  'the leaderboard ranks within each plan and component');

-- ================================================================= h. inconsistent plans; protection
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, schedule) VALUES (%s, 'extra', 'marginal(0: 0.1)')$$, :ae),
                 '55000', NULL, 'a version that paid a closed period keeps its components');
SELECT throws_ok(format($$UPDATE spm_payout.plan_component SET weight = 0.6 WHERE component_id = %s$$, :rev),
                 '55000', NULL, 'a component of a version that paid a closed period cannot change');
SELECT throws_ok(format($$INSERT INTO spm_payout.mbo_score VALUES ('ann', (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-01-01..2025-01-31'), %s, 1)$$, :obj),
                 '55000', NULL, 'a score of a closed period cannot be entered');
SELECT throws_ok(format($$UPDATE spm_payout.mbo_score SET score = 1 WHERE component_id = %s$$, :obj),
                 '55000', NULL, 'a score of a closed period cannot change');
CALL spm_payout.close_period('2025-04-15');
INSERT INTO spm_payout.plan (name) VALUES ('bad plan');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule, target_incentive)
SELECT plan_id, 1, 'marginal(0: 0.1)', 1000 FROM spm_payout.plan WHERE name = 'bad plan';
SELECT version_id AS bad FROM spm_payout.plan_version JOIN spm_payout.plan USING (plan_id) WHERE name = 'bad plan' \gset
INSERT INTO spm_payout.assignment (rep, plan_id, valid) SELECT 'eve', plan_id, '[2025-05-01,)' FROM spm_payout.plan WHERE name = 'bad plan';
INSERT INTO spm_payout.quota (rep, period_id, amount) SELECT 'eve', period_id, 10000 FROM spm_payout.pay_period WHERE lower(period) >= '2025-05-01';
INSERT INTO spm_payout.plan_component (version_id, name, source_id, base, schedule, weight) VALUES
  (:bad, 'a', :src, 'attainment', 'curve(0: 0, 1: 1)', 0.7), (:bad, 'b', :src, 'attainment', 'curve(0: 0, 1: 1)', 0.4);
SELECT throws_ok($$SELECT cpt.run('2025-05-15')$$, '22023', 'the component weights of plan bad plan version 1 sum to 1.1, not 1',
                 'weights that do not sum to 1 are refused at the run');
UPDATE spm_payout.plan_component SET weight = 0.3 WHERE version_id = :bad AND name = 'b';
UPDATE spm_payout.plan_version SET target_incentive = NULL WHERE version_id = :bad;
SELECT throws_ok($$SELECT cpt.run('2025-05-15')$$, '22023', 'plan bad plan version 1 has weighted components but no target incentive',
                 'weighted components without a target incentive are refused at the run');
UPDATE spm_payout.plan_version SET target_incentive = 1000 WHERE version_id = :bad;
UPDATE spm_payout.plan_component SET gate_component = 'c', gate_attainment = 0.5 WHERE version_id = :bad AND name = 'b';
SELECT throws_ok($$SELECT cpt.run('2025-05-15')$$, '22023', 'component b of plan bad plan version 1 is gated on a component the version does not have',
                 'a gate on a missing component is refused at the run');
UPDATE spm_payout.plan_component SET gate_component = 'a', gate_attainment = 0.5 WHERE version_id = :bad AND name = 'b';
UPDATE spm_payout.plan_component SET gate_component = 'b', gate_attainment = 0.5 WHERE version_id = :bad AND name = 'a';
SELECT throws_ok($$SELECT cpt.run('2025-05-15')$$, '22023', NULL,
                 'a gate cycle (a gated on b, b gated on a) is refused at the run');
UPDATE spm_payout.plan_component SET gate_component = NULL, gate_attainment = NULL WHERE version_id = :bad AND name = 'a';
-- splits and roll-ups with components: a second source with a split table,
-- and a hierarchy (Fay reports to Mia); every closed period is re-examined
-- (the registrations changed) and recomputed with its components
CREATE TABLE cpt.sales2 (id int, seller text, amount numeric(12,2), margin numeric(12,2), closed date);
CREATE TABLE cpt.splits (deal int, rep text, weight numeric);
CREATE TABLE cpt.org (rep text, manager text, valid daterange);
INSERT INTO cpt.sales2 VALUES (20, 'fay', 1000, 333.33, '2025-05-06');
INSERT INTO cpt.splits VALUES (20, 'fay', 1), (20, 'gus', 1);
INSERT INTO cpt.org VALUES ('fay', 'mia', '(,)');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('cps2', 'cpt.sales2', 'seller', 'id', 'amount', 'closed');
INSERT INTO spm_payout.split_rule (source_id, relation, deal_column, rep_column, weight_column)
SELECT source_id, 'cpt.splits', 'deal', 'rep', 'weight' FROM spm_payout.source WHERE name = 'cps2';
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column)
VALUES ('cpt.org', 'rep', 'manager', 'valid');
INSERT INTO spm_payout.plan (name) VALUES ('split plan');
INSERT INTO spm_payout.plan_version (plan_id, version, valid, schedule)
SELECT plan_id, 1, '[2025-05-01,)', 'marginal(0: 0)' FROM spm_payout.plan WHERE name = 'split plan';
INSERT INTO spm_payout.plan_component (version_id, name, source_id, measure_column, base, schedule)
SELECT v.version_id, 'margin', s.source_id, 'margin', 'amount', 'marginal(0: 0.10)'
  FROM spm_payout.plan_version v JOIN spm_payout.plan p USING (plan_id), spm_payout.source s
 WHERE p.name = 'split plan' AND s.name = 'cps2';
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, plan_id, '[2025-05-01,)' FROM spm_payout.plan, unnest('{fay,gus,mia}'::text[]) r WHERE name = 'split plan';
SELECT ok(cpt.run('2025-05-15') > 0, 'a consistent plan runs');
-- the margin 333.33 split in two: 166.67 to Fay (the odd cent to the first
-- rep in rep order), 166.66 to Gus; Mia is credited Fay's share
SELECT results_eq($$SELECT rep, via, component, amount FROM spm_payout.credit_statement
                     WHERE source = 'cps2' ORDER BY rep$$,
                  $$VALUES ('fay', 'split', 'margin', 166.67), ('gus', 'split', 'margin', 166.66), ('mia', 'rollup', 'margin', 166.67)$$,
                  'a component measure is split penny-exact and rolled up like the amount');
SELECT is(cpt.line('2025-05-01', 'fay', 'margin'), '16.67/16.67', 'Fay: 10% of 166.67 = 16.667 -> 16.67');
SELECT is((SELECT changed_periods FROM spm_payout.run_log ORDER BY run_id DESC LIMIT 1),
          '2025-01-01..2025-01-31, 2025-02-01..2025-02-28, 2025-03-01..2025-03-31, 2025-04-01..2025-04-30',
          'the new registrations re-examine every closed period');
SELECT is((SELECT count(*)::int FROM spm_payout.credit_statement WHERE period = '2025-05-01..2025-05-31' AND for_period <> period), 0,
          'closed periods recomputed with their components book no difference');
SELECT is((SELECT run_id FROM spm_payout.run_log WHERE error_sqlstate = '22023' ORDER BY run_id DESC LIMIT 1), NULL::bigint,
          'failed runs inside a transaction block roll back with it (nothing logged here)');

-- ================================================================= i. rights, RLS, audit, dump
RESET ROLE;
SET ROLE :"ann";
SELECT is((SELECT array_agg(DISTINCT rep) FROM spm_payout.mbo_score), '{ann}'::text[], 'a rep reads its own MBO scores only');
SELECT is((SELECT count(*)::int FROM spm_payout.plan_component WHERE version_id = :ae), 2, 'a rep reads the components of plans');
SELECT is((SELECT array_agg(DISTINCT component ORDER BY component) FROM spm_payout.payout_statement), '{objectives,revenue}'::text[],
          'a rep reads its own component lines');
SELECT throws_ok(format($$INSERT INTO spm_payout.mbo_score VALUES ('ann', (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-06-01..2025-06-30'), %s, 1)$$, :obj),
                 '42501', NULL, 'a rep cannot enter scores');
RESET ROLE;
SET ROLE :"bob";
SELECT is((SELECT count(*)::int FROM spm_payout.mbo_score), 0, 'another rep sees none of Ann''s scores');
RESET ROLE;
SET ROLE :"ana";
SELECT is((SELECT count(*)::int FROM spm_payout.mbo_score), 2, 'an analyst reads every score');
SELECT throws_ok(format($$UPDATE spm_payout.plan_component SET quota_share = 2 WHERE version_id = %s$$, :bad),
                 '42501', NULL, 'an analyst cannot edit components');
RESET ROLE;
SELECT ok((SELECT count(*) FROM spm_payout.audit_log WHERE table_name = 'plan_component' AND operation = 'INSERT') >= 8
          AND EXISTS (SELECT 1 FROM spm_payout.audit_log WHERE table_name = 'mbo_score'),
          'component and score changes are audited');
SELECT ok((SELECT count(*) FROM pg_extension e, unnest(e.extconfig) c
            WHERE e.extname = 'spm_payout'
              AND c::regclass::text IN ('spm_payout.plan_component', 'spm_payout.mbo_score', 'spm_payout.plan_component_component_id_seq')) = 3,
          'components, scores and the identity sequence are dumped by pg_dump');

SELECT * FROM finish();
ROLLBACK;
