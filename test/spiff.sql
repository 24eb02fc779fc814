-- pgTAP: SPIFF components (docs/components.md, "SPIFFs").  Every number is
-- worked out by hand in the comment next to it.  Roles are real (SET ROLE),
-- with names unique to this backend, and everything is rolled back.
--
--   a. bad input: amount and rate both or neither, window NULL, empty or
--      unbounded, negative or zero amounts and rates, NaN and infinity, a
--      negative minimum, SPIFF columns on another kind, a weight, a gate or
--      a quota base on a SPIFF; a component gated on a SPIFF (at the run)
--   b. without SPIFFs: no SPIFF part in the fingerprint
--   c. January: a deal before the window pays nothing
--   d. February: $250 per new logo of at least 5,000: 3 deals -> 750.00; a
--      split deal qualifies for each rep whose share reaches the minimum; a
--      manager earns nothing on the roll-up; 1% of renewals (a rate)
--   e. March: a credit note stops a deal qualifying (-250.00), a partial one
--      lowers a rate SPIFF; a deal after the window pays nothing; a rerun
--      gives the same lines
--   f. April: a late deal dated in the (closed) window pays the catch-up
--   g. conservation: the lines of the year add up to the earned to date
--   h. rights from real roles
BEGIN;
SELECT plan(46);
SET client_min_messages = warning;

-- ================================================================= setup
SELECT format('spf%s_adm', pg_backend_pid()) AS adm, format('spf%s_eve', pg_backend_pid()) AS eve \gset
SELECT spm_payout.create_roles();
CREATE ROLE :"adm" NOLOGIN IN ROLE spm_admin;
CREATE ROLE :"eve" NOLOGIN IN ROLE spm_rep;
CREATE SCHEMA spf AUTHORIZATION :"adm";
GRANT USAGE ON SCHEMA spf TO PUBLIC;
SET ROLE :"adm";
CREATE TABLE spf.deals (id int, seller text, amount numeric(12,2), kind text, closed date);
CREATE TABLE spf.splits (deal int, rep text, weight numeric);
CREATE TABLE spf.org (rep text, manager text, valid daterange);
CREATE FUNCTION spf.run(period text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
BEGIN
    CALL spm_payout.run_payout(period, r);
    RETURN r;
END $$;
-- a commission line of the statement: earned to date / earned
CREATE FUNCTION spf.line(p_start date, p_rep text, p_comp text) RETURNS text LANGUAGE sql AS $$
    SELECT format('%s/%s', s.earned_to_date, s.earned) FROM spm_payout.payout_statement s
     WHERE s.period_start = p_start AND s.rep = p_rep AND s.component = p_comp AND s.line_kind = 'commission'
$$;
SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods('2025-01-01', '2025-06-30')), 6, 'setup: January to June');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('spf', 'spf.deals', 'seller', 'id', 'amount', 'closed');
INSERT INTO spm_payout.split_rule (source_id, relation, deal_column, rep_column, weight_column)
SELECT source_id, 'spf.splits', 'deal', 'rep', 'weight' FROM spm_payout.source WHERE name = 'spf';
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column)
VALUES ('spf.org', 'rep', 'manager', 'valid');
INSERT INTO spf.org VALUES ('eve', 'mia', '(,)'), ('fay', 'mia', '(,)'), ('gus', 'mia', '(,)');
INSERT INTO spm_payout.plan (name) VALUES ('field plan');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule)
SELECT plan_id, 1, 'marginal(0: 0)' FROM spm_payout.plan WHERE name = 'field plan';
SELECT version_id AS fv FROM spm_payout.plan_version JOIN spm_payout.plan USING (plan_id) WHERE name = 'field plan' \gset
SELECT source_id AS src FROM spm_payout.source WHERE name = 'spf' \gset
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, plan_id, '[2025-01-01,)' FROM spm_payout.plan, unnest('{eve,fay,gus,mia}'::text[]) r WHERE name = 'field plan';
RESET ROLE;
INSERT INTO spm_payout.rep_login VALUES (:'eve', 'eve');
SET ROLE :"adm";

-- ================================================================= b. no SPIFF yet
INSERT INTO spm_payout.plan_component (version_id, name, source_id, schedule)
VALUES (:fv, 'commission', :src, 'marginal(0: 0.05)');
SELECT spm_payout_internal.stage() \gset
SELECT f.fingerprint AS fp_plain FROM spm_payout_internal.fingerprints(ARRAY[
    (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-02-01..2025-02-28')]) f \gset
SELECT ok(position('spiffs:' IN :'fp_plain') = 0, 'no SPIFF: the fingerprint has no SPIFF part');

-- ================================================================= a. bad input
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_amount, spiff_rate)
                          VALUES (%s, 'x', 'spiff', %s, '[2025-02-01,2025-03-01)', 250, 0.01)$$, :fv, :src),
                 '23514', 'SPIFF x needs exactly one of spiff_amount and spiff_rate', 'a SPIFF with both an amount and a rate is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window)
                          VALUES (%s, 'x', 'spiff', %s, '[2025-02-01,2025-03-01)')$$, :fv, :src),
                 '23514', NULL, 'a SPIFF with neither an amount nor a rate is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_amount)
                          VALUES (%s, 'x', 'spiff', %s, 250)$$, :fv, :src),
                 '23514', NULL, 'a SPIFF without a window is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_amount)
                          VALUES (%s, 'x', 'spiff', %s, '[2025-02-01,2025-02-01)', 250)$$, :fv, :src),
                 '23514', NULL, 'an empty window is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_amount)
                          VALUES (%s, 'x', 'spiff', %s, '[2025-02-01,)', 250)$$, :fv, :src),
                 '23514', 'SPIFF x needs a window with a first and a last day, not [2025-02-01,)', 'a window without an end is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_amount)
                          VALUES (%s, 'x', 'spiff', %s, '(,2025-03-01)', 250)$$, :fv, :src),
                 '23514', NULL, 'a window without a start is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_amount)
                          VALUES (%s, 'x', 'spiff', %s, '[2025-02-01,2025-03-01)', -250)$$, :fv, :src),
                 '23514', NULL, 'a negative amount is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_rate)
                          VALUES (%s, 'x', 'spiff', %s, '[2025-02-01,2025-03-01)', 0)$$, :fv, :src),
                 '23514', NULL, 'a zero rate is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_amount)
                          VALUES (%s, 'x', 'spiff', %s, '[2025-02-01,2025-03-01)', 'NaN')$$, :fv, :src),
                 '23514', NULL, 'a NaN amount is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_rate)
                          VALUES (%s, 'x', 'spiff', %s, '[2025-02-01,2025-03-01)', 'Infinity')$$, :fv, :src),
                 '23514', NULL, 'an infinite rate is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_amount, spiff_min)
                          VALUES (%s, 'x', 'spiff', %s, '[2025-02-01,2025-03-01)', 250, -1)$$, :fv, :src),
                 '23514', NULL, 'a negative minimum is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, source_id, schedule, spiff_amount)
                          VALUES (%s, 'x', %s, 'marginal(0: 0.1)', 250)$$, :fv, :src),
                 '23514', NULL, 'a credit component with a SPIFF amount is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_amount, weight)
                          VALUES (%s, 'x', 'spiff', %s, '[2025-02-01,2025-03-01)', 250, 0.5)$$, :fv, :src),
                 '23514', NULL, 'a SPIFF with a weight is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_amount, base)
                          VALUES (%s, 'x', 'spiff', %s, '[2025-02-01,2025-03-01)', 250, 'quota')$$, :fv, :src),
                 '23514', NULL, 'a SPIFF with base quota is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_amount, gate_component, gate_attainment)
                          VALUES (%s, 'x', 'spiff', %s, '[2025-02-01,2025-03-01)', 250, 'commission', 0.5)$$, :fv, :src),
                 '23514', NULL, 'a gated SPIFF is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, filter_column, filter_values, spiff_window, spiff_amount)
                          VALUES (%s, 'x', 'spiff', %s, 'nosuch', '{a}', '[2025-02-01,2025-03-01)', 250)$$, :fv, :src),
                 '42703', NULL, 'a SPIFF condition on a column that does not exist is refused');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, source_id, schedule) VALUES (%s, 'x', %s, NULL)$$, :fv, :src),
                 '23502', NULL, 'a credit component still needs a schedule');

-- the SPIFFs: $250 per new logo of at least 5,000 closed in February, 1%
-- of renewals closed in February (no schedule: stored as marginal(0: 0))
INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, filter_column, filter_values,
                                       spiff_window, spiff_amount, spiff_rate, spiff_min)
VALUES (:fv, 'february new logos', 'spiff', :src, 'kind', '{new}', '[2025-02-01,2025-03-01)', 250, NULL, 5000),
       (:fv, 'february renewals', 'spiff', :src, 'kind', '{renewal}', '[2025-02-01,2025-02-28]', NULL, 0.01, NULL);
SELECT is((SELECT schedule::text FROM spm_payout.plan_component WHERE name = 'february new logos'),
          (SELECT 'marginal(0: 0)'::spm.schedule::text), 'a SPIFF written without a schedule gets marginal(0: 0)');

-- a component gated on a SPIFF is refused when a run meets it
INSERT INTO spm_payout.plan_component (version_id, name, source_id, schedule, gate_component, gate_attainment)
VALUES (:fv, 'gated', :src, 'marginal(0: 0.1)', 'february new logos', 0.5);
SELECT throws_ok($$CALL spm_payout.run_payout('2025-01-15')$$, '22023', NULL, 'a component gated on a SPIFF is refused at the run');
DELETE FROM spm_payout.plan_component WHERE name = 'gated';

SELECT f.fingerprint AS fp_spiff FROM spm_payout_internal.fingerprints(ARRAY[
    (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-02-01..2025-02-28')]) f \gset
SELECT ok(position('spiffs:' IN :'fp_spiff') > 0, 'with SPIFFs in force, the fingerprint has a SPIFF part');

-- ================================================================= c. January
INSERT INTO spf.deals VALUES (0, 'eve', 6000, 'new', '2025-01-20');
SELECT ok(spf.run('2025-01-15') > 0, 'January runs');
-- deal 0 is a new logo of 6,000 but closed before the window: nothing
SELECT is(spf.line('2025-01-01', 'eve', 'february new logos'), '0.00/0.00', 'January: a deal before the window pays nothing');
-- commission: 5% of 6,000 = 300.00
SELECT is(spf.line('2025-01-01', 'eve', 'commission'), '300.00/300.00', 'January: the commission component pays as before');
CALL spm_payout.close_period('2025-01-15');

-- ================================================================= d. February
INSERT INTO spf.deals VALUES
  (1, 'eve', 6000, 'new',     '2025-02-03'),
  (2, 'eve', 5000, 'new',     '2025-02-14'),
  (3, 'eve', 4000, 'new',     '2025-02-20'),
  (4, 'eve', 9000, 'renewal', '2025-02-21'),
  (5, 'eve', 7000, 'new',     '2025-02-27'),
  (7, 'fay', 10000, 'new',    '2025-02-25'),
  (8, 'fay', 8000, 'new',     '2025-02-26');
INSERT INTO spf.splits VALUES (7, 'fay', 1), (7, 'gus', 1), (8, 'fay', 1), (8, 'gus', 1);
SELECT ok(spf.run('2025-02-15') > 0, 'February runs');
-- new logos of Eve in the window: 1 (6,000), 2 (5,000: the minimum is
-- reached), 3 (4,000 < 5,000: no), 5 (7,000): 3 x 250 = 750.00
SELECT is(spf.line('2025-02-01', 'eve', 'february new logos'), '750.00/750.00', 'February: 3 qualifying deals x 250 = 750.00');
-- renewals: deal 4, 9,000 x 1% = 90.00
SELECT is(spf.line('2025-02-01', 'eve', 'february renewals'), '90.00/90.00', 'February: 1% of the 9,000 renewal = 90.00');
-- deal 7 (10,000) split half and half: 5,000 each >= 5,000, 250 each; deal
-- 8 (8,000): 4,000 each < 5,000, nothing
SELECT is(spf.line('2025-02-01', 'fay', 'february new logos'), '250.00/250.00', 'a split deal: its share reaches the minimum, the full 250');
SELECT is(spf.line('2025-02-01', 'gus', 'february new logos'), '250.00/250.00', 'a split deal qualifies for each rep sharing it');
-- Mia is credited the roll-up of the team's February new logos: Eve's
-- 6,000 + 5,000 + 4,000 + 7,000 and the shares of Fay and Gus, 5,000 +
-- 5,000 + 4,000 + 4,000: 40,000; she earns no SPIFF on it
SELECT is((SELECT credited FROM spm_payout.payout_statement
            WHERE period_start = '2025-02-01' AND rep = 'mia' AND component = 'february new logos'),
          40000.00, 'a manager is credited the roll-up (40,000)');
SELECT is(spf.line('2025-02-01', 'mia', 'february new logos'), '0.00/0.00', 'a manager earns no SPIFF on its team''s deals');
SELECT is((SELECT count(*)::int FROM spm_payout.payout_line l JOIN spm_payout.plan_component c USING (component_id)
            WHERE c.kind = 'spiff' AND l.line_kind = 'commission'
              AND l.period_id = (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-02-01..2025-02-28')),
          8, 'a line per rep and SPIFF (4 reps x 2 SPIFFs), of kind commission');
CALL spm_payout.close_period('2025-02-15');

-- ================================================================= e. March
INSERT INTO spf.deals VALUES
  (2, 'eve', -5000, 'new',     '2025-03-10'),   -- deal 2 cancelled
  (4, 'eve', -4000, 'renewal', '2025-03-11'),   -- deal 4 partly credited back
  (6, 'eve',  8000, 'new',     '2025-03-05');   -- after the window
SELECT ok(spf.run('2025-03-15') > 0, 'March runs');
-- deal 2 nets to 0: it stops qualifying; deal 6 is outside the window:
-- 2 x 250 = 500.00 to date, minus 750.00 paid = -250.00
SELECT is(spf.line('2025-03-01', 'eve', 'february new logos'), '500.00/-250.00', 'March: a cancelled deal is clawed back (-250.00)');
-- deal 4 nets to 5,000: 1% = 50.00, minus 90.00 = -40.00
SELECT is(spf.line('2025-03-01', 'eve', 'february renewals'), '50.00/-40.00', 'March: a partial credit note lowers a rate SPIFF');
CREATE TEMP TABLE march_lines AS
SELECT rep, component, earned_to_date, paid_before, earned FROM spm_payout.payout_statement
 WHERE period_start = '2025-03-01' AND line_kind = 'commission';
SELECT ok(spf.run('2025-03-15') > 0, 'March runs again');
SELECT set_eq($$SELECT rep, component, earned_to_date, paid_before, earned FROM spm_payout.payout_statement
                 WHERE period_start = '2025-03-01' AND line_kind = 'commission'$$,
              $$SELECT * FROM march_lines$$, 'a rerun gives the same lines');
CALL spm_payout.close_period('2025-03-15');

-- ================================================================= f. April: a late deal in the window
INSERT INTO spf.deals VALUES (10, 'eve', 5500, 'new', '2025-02-26');
SELECT ok(spf.run('2025-04-15') > 0, 'April runs');
-- deal 10 is dated in February (closed): booked as late credit in April,
-- it qualifies: 3 x 250 = 750.00 to date, minus 500.00 = 250.00
SELECT is(spf.line('2025-04-01', 'eve', 'february new logos'), '750.00/250.00', 'April: a late deal dated in the window pays');
SELECT is(spf.line('2025-04-01', 'eve', 'february renewals'), '50.00/0.00', 'April: nothing changed for renewals');

-- ================================================================= g. conservation
-- new logos: 0 + 750 - 250 + 250 = 750.00; renewals: 0 + 90 - 40 + 0 = 50.00
SELECT results_eq($$SELECT c.name, sum(l.earned) FROM spm_payout.payout_line l JOIN spm_payout.plan_component c USING (component_id)
                     WHERE l.rep = 'eve' AND c.kind = 'spiff' GROUP BY 1 ORDER BY 1$$,
                  $$VALUES ('february new logos'::text, 750.00), ('february renewals', 50.00)$$,
                  'the SPIFF lines of the year add up to the earned to date');

-- ================================================================= h. rights
SET ROLE :"eve";
SELECT is((SELECT array_agg(DISTINCT component ORDER BY component) FROM spm_payout.payout_statement),
          '{commission,"february new logos","february renewals"}'::text[], 'a rep reads its own SPIFF lines');
SELECT is((SELECT count(DISTINCT rep)::int FROM spm_payout.payout_statement), 1, 'a rep reads only its own lines');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_amount)
                          VALUES (%s, 'y', 'spiff', %s, '[2025-05-01,2025-06-01)', 100)$$, :fv, :src),
                 '42501', NULL, 'a rep cannot write SPIFFs');
RESET ROLE;
SET ROLE :"adm";
-- the version paid closed periods: its SPIFFs cannot change any more
SELECT throws_ok($$UPDATE spm_payout.plan_component SET spiff_amount = 300 WHERE name = 'february new logos'$$,
                 '55000', NULL, 'the SPIFF of a version that paid a closed period cannot change');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
