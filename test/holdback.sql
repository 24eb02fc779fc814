-- pgTAP: component holdbacks and pay on collection (docs/holdbacks.md).
--
--   a. bad input, pinned SQLSTATEs: shares out of range, release rules
--      without their share or periods, collection on an MBO component or a
--      measure, bad collection rules, bad payment rows at a run
--   b. a 20% holdback released one period later, by hand over three
--      months, with a clawback that consumes what is still held
--   c. a 20% holdback released on collection: 60% paid, then the rest
--   d. a rerun gives the same held and released; closes; a payment dated
--      in the period after its run makes the close refuse
--   e. money is never lost or paid twice: sum paid + still held = sum earned
--   f. rights from real roles; a plan without holdbacks runs as before;
--      a version held by the acceptance policy is held once, not twice
BEGIN;
SELECT plan(56);
SET client_min_messages = warning;

-- ================================================================= setup
SELECT format('phb%s_adm', pg_backend_pid()) AS adm, format('phb%s_ana', pg_backend_pid()) AS ana,
       format('phb%s_ann', pg_backend_pid()) AS ann \gset
SELECT spm_payout.create_roles();
CREATE ROLE :"adm" NOLOGIN IN ROLE spm_admin;
CREATE ROLE :"ana" NOLOGIN IN ROLE spm_analyst;
CREATE ROLE :"ann" NOLOGIN IN ROLE spm_rep;

CREATE SCHEMA phb;
GRANT USAGE ON SCHEMA phb TO PUBLIC;
CREATE TABLE phb.sales (id int, seller text, amt numeric(12,2), margin numeric(12,2), closed date);
CREATE TABLE phb.paid (invoice int, paid_on date, paid numeric(12,2), paid_ts timestamptz);
GRANT SELECT, INSERT, DELETE ON phb.sales, phb.paid TO spm_admin;
CREATE FUNCTION phb.run(period text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
BEGIN
    CALL spm_payout.run_payout(period, r);
    RETURN r;
END $$;
-- one rep's holdback row of a month: earned, held, released, paid
CREATE FUNCTION phb.hb(r text, m int) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT concat_ws(' ', h.earned, h.held, h.released, h.paid) FROM spm_payout.holdback_statement h
     WHERE h.rep = r AND h.period_start = make_date(2025, m, 1)
$$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA phb TO PUBLIC;

SET ROLE :"adm";
SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods('2025-01-01', '2025-06-30', 'month')), 6,
          'setup: six months');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('crm', 'phb.sales', 'seller', 'id', 'amt', 'closed');
INSERT INTO spm_payout.plan (name) VALUES ('field'), ('collect'), ('plain');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule) SELECT plan_id, 1, 'marginal(0: 0.10)' FROM spm_payout.plan;
CREATE TEMP TABLE v AS
SELECT p.name, v.version_id, s.source_id FROM spm_payout.plan p JOIN spm_payout.plan_version v USING (plan_id), spm_payout.source s;

-- ============================================================ a. bad input
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, holdback_share, holdback_release, holdback_periods)
                   SELECT version_id, 'x', 'marginal(0: 0.1)', 1, 'periods', 1 FROM v WHERE name = 'field'$$,
                 '23514', NULL, 'a share of 1 is refused');
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, holdback_share, holdback_release, holdback_periods)
                   SELECT version_id, 'x', 'marginal(0: 0.1)', 0, 'periods', 1 FROM v WHERE name = 'field'$$,
                 '23514', NULL, 'a share of 0 is refused');
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, holdback_share, holdback_release, holdback_periods)
                   SELECT version_id, 'x', 'marginal(0: 0.1)', -0.2, 'periods', 1 FROM v WHERE name = 'field'$$,
                 '23514', NULL, 'a negative share is refused');
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, holdback_share)
                   SELECT version_id, 'x', 'marginal(0: 0.1)', 0.2 FROM v WHERE name = 'field'$$,
                 '23514', NULL, 'a share without a release rule is refused');
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, holdback_release, holdback_periods)
                   SELECT version_id, 'x', 'marginal(0: 0.1)', 'periods', 1 FROM v WHERE name = 'field'$$,
                 '23514', NULL, 'a release rule without a share is refused');
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, holdback_share, holdback_release)
                   SELECT version_id, 'x', 'marginal(0: 0.1)', 0.2, 'periods' FROM v WHERE name = 'field'$$,
                 '23514', NULL, 'periods without a number of periods is refused');
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, holdback_share, holdback_release, holdback_periods)
                   SELECT version_id, 'x', 'marginal(0: 0.1)', 0.2, 'periods', 0 FROM v WHERE name = 'field'$$,
                 '23514', NULL, 'zero periods are refused');
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, holdback_share, holdback_release, holdback_periods)
                   SELECT version_id, 'x', 'marginal(0: 0.1)', 0.2, 'collection', 2 FROM v WHERE name = 'field'$$,
                 '23514', NULL, 'a number of periods with collection is refused');
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, holdback_share, holdback_release)
                   SELECT version_id, 'x', 'marginal(0: 0.1)', 0.2, 'later' FROM v WHERE name = 'field'$$,
                 '23514', NULL, 'an unknown release rule is refused');
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, kind, schedule, weight, holdback_share, holdback_release)
                   SELECT version_id, 'x', 'mbo', 'curve(0: 0, 1: 1)', 1, 0.2, 'collection' FROM v WHERE name = 'field'$$,
                 '23514', NULL, 'an MBO component cannot release on collection');
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, source_id, measure_column, schedule, holdback_share, holdback_release)
                   SELECT version_id, 'x', source_id, 'margin', 'marginal(0: 0.1)', 0.2, 'collection' FROM v WHERE name = 'field'$$,
                 '23514', NULL, 'a measure component cannot release on collection');
SELECT throws_ok($$INSERT INTO spm_payout.collection_rule (source_id, relation, deal_column, date_column, amount_column)
                   SELECT source_id, 'phb.paid', 'nope', 'paid_on', 'paid' FROM v WHERE name = 'field'$$,
                 '42703', NULL, 'a collection rule with a missing column is refused');
SELECT throws_ok($$INSERT INTO spm_payout.collection_rule (source_id, relation, deal_column, date_column, amount_column)
                   SELECT source_id, 'phb.paid', 'invoice', 'paid_ts', 'paid' FROM v WHERE name = 'field'$$,
                 '42804', NULL, 'a payment date that is not a date is refused');
SELECT throws_ok($$INSERT INTO spm_payout.collection_rule (source_id, relation, deal_column, date_column, amount_column)
                   SELECT source_id, 'phb.paid', 'invoice', 'paid_on', 'paid_on' FROM v WHERE name = 'field'$$,
                 '42804', NULL, 'a paid amount that is not a number is refused');
SELECT throws_ok($$INSERT INTO spm_payout.collection_rule (source_id, relation, deal_column, date_column, amount_column)
                   SELECT source_id, NULL, 'invoice', 'paid_on', 'paid' FROM v WHERE name = 'field'$$,
                 '23502', NULL, 'a collection rule without a table is refused');
-- the components: field holds 20% for one period, collect 20% until paid; a run
-- meeting a collection component whose source has no collection rule fails
INSERT INTO spm_payout.plan_component (version_id, name, source_id, schedule, holdback_share, holdback_release, holdback_periods)
SELECT version_id, 'revenue', source_id, 'marginal(0: 0.10)', 0.2,
       CASE name WHEN 'field' THEN 'periods' ELSE 'collection' END, CASE name WHEN 'field' THEN 1 END
  FROM v WHERE name IN ('field', 'collect');
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT x.rep, p.plan_id, '[2025-01-01,)' FROM spm_payout.plan p
  JOIN (VALUES ('ann', 'field'), ('cat', 'collect'), ('dom', 'plain')) x(rep, plan) ON x.plan = p.name;
SELECT throws_ok($$SELECT phb.run('2025-01-15')$$, '22023',
                 'component revenue of plan collect version 1 releases its holdback on collection, but source crm has no collection rule',
                 'a collection component whose source has no collection rule fails the run');
SELECT lives_ok($$INSERT INTO spm_payout.collection_rule (source_id, relation, deal_column, date_column, amount_column)
                  SELECT source_id, 'phb.paid', 'invoice', 'paid_on', 'paid' FROM v WHERE name = 'field'$$,
                'a good collection rule is registered');

INSERT INTO phb.sales VALUES (1, 'ann', 10000, 0, '2025-01-10'), (2, 'cat', 10000, 0, '2025-01-12'),
                             (5, 'dom', 3000, 0, '2025-01-20'), (7, 'eve', 10000, 0, '2025-01-25');
-- eve: a plan under the acceptance policy hold, with a 20% holdback released one period later
INSERT INTO spm_payout.plan (name, acceptance_policy) VALUES ('signed', 'hold');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule)
SELECT plan_id, 1, 'marginal(0: 0)' FROM spm_payout.plan WHERE name = 'signed';
INSERT INTO spm_payout.plan_component (version_id, name, source_id, schedule, holdback_share, holdback_release, holdback_periods)
SELECT v.version_id, 'revenue', s.source_id, 'marginal(0: 0.10)', 0.2, 'periods', 1
  FROM spm_payout.plan p JOIN spm_payout.plan_version v USING (plan_id), spm_payout.source s WHERE p.name = 'signed';
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT 'eve', plan_id, '[2025-01-01,)' FROM spm_payout.plan WHERE name = 'signed';

-- a payment row with a NULL amount fails the run (22023), nothing stored
INSERT INTO phb.paid VALUES (2, '2025-01-20', NULL);
SELECT throws_ok($$SELECT phb.run('2025-01-15')$$, '22023', NULL, 'a payment with a NULL amount fails the run');
DELETE FROM phb.paid;

-- ================================================= b, c. by hand, January
SELECT ok(phb.run('2025-01-15') IS NOT NULL, 'January runs');
-- ann: 10% of 10,000 = 1,000.00; 20% held = 200.00; paid 800.00
SELECT is(phb.hb('ann', 1), '1000.00 200.00 0 800.00', 'periods, January: earned 1,000.00, held 200.00, paid 800.00');
-- cat: the same 1,000.00, 200.00 held until the deal is paid
SELECT is(phb.hb('cat', 1), '1000.00 200.00 0 800.00', 'collection, January: nothing collected, 200.00 held');
SELECT is((SELECT concat_ws(' ', s.earned, s.held, s.released, s.payout) FROM spm_payout.payout_summary_view s
            WHERE s.rep = 'ann' AND s.period_start = '2025-01-01'),
          '1000.00 200.00 0 800.00', 'the summary and the draw ledger step on what is paid');
-- dom: no holdback (plain plan, no components): no holdback row, paid 300.00
SELECT is((SELECT count(*)::int FROM spm_payout.payout_holdback WHERE rep = 'dom'), 0, 'no holdback row without a holdback');
SELECT is((SELECT concat_ws(' ', s.held, s.released, s.payout) FROM spm_payout.payout_summary_view s
            WHERE s.rep = 'dom' AND s.period_start = '2025-01-01'), '0 0 300.00', 'a plan without holdback pays as before');
-- eve has not accepted: the acceptance step holds her 1,000.00 whole, the holdback nothing more
SELECT is((SELECT concat_ws(' ', s.earned, s.held, s.released, s.payout) FROM spm_payout.payout_summary_view s
            WHERE s.rep = 'eve' AND s.period_start = '2025-01-01'), '1000.00 1000.00 0 0.00',
          'a version held by acceptance: held whole once');
SELECT is((SELECT count(*)::int FROM spm_payout.payout_holdback WHERE rep = 'eve'), 0,
          'its component holds nothing more');
CALL spm_payout.close_period('2025-01-15');

-- ======================================================= February
INSERT INTO phb.sales VALUES (3, 'ann', 5000, 0, '2025-02-03'), (8, 'eve', 5000, 0, '2025-02-04');
SELECT is((SELECT rep FROM spm_payout.accept_plan_for('eve', 'signed', 1)), 'eve', 'eve accepts');
INSERT INTO phb.paid VALUES (2, '2025-02-10', 6000);           -- 60% of deal 2
SELECT ok(phb.run('2025-02-15') IS NOT NULL, 'February runs');
-- ann: 10% of 5,000 = 500.00, 100.00 held; January's 200.00 released: 400.00 + 200.00
SELECT is(phb.hb('ann', 2), '500.00 100.00 200.00 600.00', 'periods, February: 400.00 + 200.00 released');
-- cat: collected share 6,000 / 10,000 = 0.6; released to date round(200.00 * 0.6, 2) = 120.00
SELECT is(phb.hb('cat', 2), '0.00 0.00 120.00 120.00', 'collection, 60% paid: 120.00 of the 200.00 released');
-- eve: 500.00 earned, 100.00 held back; acceptance releases January's 1,000.00: 400.00 + 1,000.00
SELECT is(phb.hb('eve', 2), '500.00 100.00 0 400.00', 'after acceptance, the holdback applies');
SELECT is((SELECT concat_ws(' ', s.earned, s.held, s.released, s.payout) FROM spm_payout.payout_summary_view s
            WHERE s.rep = 'eve' AND s.period_start = '2025-02-01'), '500.00 100.00 1000.00 1400.00',
          'the summary adds acceptance releases and holdbacks');
CREATE TEMP TABLE feb AS SELECT rep, earned, held, released FROM spm_payout.payout_holdback h
 JOIN spm_payout.pay_period p USING (period_id) WHERE lower(p.period) = '2025-02-01';
SELECT ok(phb.run('2025-02-15') IS NOT NULL, 'February runs again');
SELECT set_eq($$SELECT rep, earned, held, released FROM spm_payout.payout_holdback h
                 JOIN spm_payout.pay_period p USING (period_id) WHERE lower(p.period) = '2025-02-01'$$,
              $$SELECT * FROM feb$$, 'a rerun gives the same held and released');
-- a payment dated in February arriving after the run changes the inputs: the close refuses
INSERT INTO phb.paid VALUES (2, '2025-02-20', 1000);
SELECT throws_ok($$CALL spm_payout.close_period('2025-02-15')$$, '55000', NULL,
                 'a payment dated in the period after its run makes the close refuse');
DELETE FROM phb.paid WHERE paid_on = '2025-02-20';
SELECT lives_ok($$CALL spm_payout.close_period('2025-02-15')$$, 'February closes');

-- ======================================================= March
INSERT INTO phb.paid VALUES (2, '2025-03-05', 4000);            -- the rest
INSERT INTO phb.sales VALUES (4, 'ann', -8000, 0, '2025-03-03'); -- a credit note
SELECT ok(phb.run('2025-03-15') IS NOT NULL, 'March runs');
-- cat: 10,000 / 10,000 collected: released to date 200.00, 120.00 before: 80.00
SELECT is(phb.hb('cat', 3), '0.00 0.00 80.00 80.00', 'collection, the rest paid: the last 80.00 released');
-- ann: 10% of (15,000 - 8,000) = 700.00 to date - 1,500.00 paid = -800.00; still held 100.00
-- (February's) is consumed first: held -100.00, paid -800.00 + 100.00 = -700.00
SELECT is(phb.hb('ann', 3), '-800.00 -100.00 0 -700.00', 'a clawback first consumes what is still held');
CALL spm_payout.close_period('2025-03-15');

-- ======================================================= April: a sale, one period later
INSERT INTO phb.sales VALUES (6, 'ann', 2000, 0, '2025-04-08');
SELECT ok(phb.run('2025-04-15') IS NOT NULL, 'April runs');
-- ann: to date 900.00 - 700.00 paid = 200.00 earned; held 40.00; nothing due (Feb's 100.00
-- was consumed: held to date through March = 200 + 100 - 100 = 200 = released to date)
SELECT is(phb.hb('ann', 4), '200.00 40.00 0 160.00', 'April: 40.00 held, nothing left to release');
CALL spm_payout.close_period('2025-04-15');
SELECT ok(phb.run('2025-05-15') IS NOT NULL, 'May runs');
-- ann: nothing earned in May; April's 40.00 released
SELECT is(phb.hb('ann', 5), '0.00 0.00 40.00 40.00', 'May: April''s 40.00 released');

-- ===================================================== e. conservation
-- per rep: sum of paid (earned - held + released) + still held = sum of earned
SELECT is((SELECT count(*)::int FROM (
             SELECT h.rep, sum(h.paid) + sum(h.held) - sum(h.released) AS lhs, sum(h.earned) AS rhs
               FROM spm_payout.holdback_statement h GROUP BY 1) x WHERE x.lhs <> x.rhs), 0,
          'sum paid + still held = sum earned for every rep');
-- ann: earned 1000 + 500 - 800 + 200 + 0 = 900.00; paid 800 + 600 - 700 + 160 + 40 = 900.00; nothing held
SELECT is((SELECT concat_ws(' ', sum(h.earned), sum(h.paid), sum(h.held - h.released))
             FROM spm_payout.holdback_statement h WHERE h.rep = 'ann'), '900.00 900.00 0.00', 'ann: all 900.00 paid, nothing held');
-- cat: earned 1,000.00, paid 800 + 120 + 80 = 1,000.00
SELECT is((SELECT concat_ws(' ', sum(h.earned), sum(h.paid), sum(h.held - h.released))
             FROM spm_payout.holdback_statement h WHERE h.rep = 'cat'), '1000.00 1000.00 0.00', 'cat: all 1,000.00 paid once collected');
SELECT is((SELECT sum(s.held) - sum(s.released) FROM spm_payout.payout_summary s WHERE s.rep IN ('ann', 'cat')), 0.00::numeric,
          'the summaries hold and release the same amounts');
SELECT ok(EXISTS (SELECT 1 FROM spm_payout.run_phase ph JOIN spm_payout.run r USING (run_id) WHERE ph.phase = 'holdbacks'),
          'runs report a holdbacks phase');
SELECT ok(EXISTS (SELECT 1 FROM spm_payout.audit_log a WHERE a.table_name = 'collection_rule'),
          'collection rules are audited');
RESET ROLE;

-- ===================================================== f. rights
INSERT INTO spm_payout.rep_login VALUES (:'ann', 'ann');
SET ROLE :"ann";
SELECT is((SELECT array_agg(DISTINCT rep) FROM spm_payout.payout_holdback), '{ann}'::text[], 'a rep reads only its own holdbacks');
SELECT is((SELECT array_agg(DISTINCT rep) FROM spm_payout.holdback_statement), '{ann}'::text[], 'and its own holdback statement');
SELECT throws_ok($$SELECT * FROM spm_payout.collection_rule$$, '42501', NULL, 'a rep cannot read collection rules');
RESET ROLE;
SET ROLE :"ana";
SELECT is((SELECT count(DISTINCT rep)::int FROM spm_payout.payout_holdback), 3, 'an analyst reads every holdback');
SELECT throws_ok($$DELETE FROM spm_payout.collection_rule$$, '42501', NULL, 'an analyst cannot edit collection rules');
RESET ROLE;
SET ROLE :"adm";
SELECT throws_ok($$DELETE FROM spm_payout.payout_holdback$$, '42501', NULL, 'nobody writes holdback results but the run');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
