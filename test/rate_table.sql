-- pgTAP: rate tables of plan components (docs/components.md, "Rate
-- tables").  Every number is worked out by hand in the comment next to it.
-- Roles are real (SET ROLE), with names unique to this backend, and
-- everything is rolled back.
--
--   a. bad input: a rate column under base quota, with a gate, without a
--      source, missing; rates of a component without a rate column, NULL
--      and duplicate rows, a bad schedule
--   b. January, marginal (Ann) and retroactive (Bob) rate tables: each deal
--      at its own rates, the tiers counted on the component's total
--   c. February: Ann's next deal continues in the upper tier; Bob's
--      cancellation falls back into the lower tier of its own schedule
--   d. deal lines add up to the lines
--   e. a deal whose value has no rate row, or no value: P0002
--   f. a changed rate refuses the close; a paid version's rates are frozen
--   g. rights, audit, pg_dump mark
BEGIN;
SELECT plan(37);
SET client_min_messages = warning;

SELECT format('rtb%s_adm', pg_backend_pid()) AS adm, format('rtb%s_ann', pg_backend_pid()) AS ann \gset
SELECT spm_payout.create_roles();
CREATE ROLE :"adm" NOLOGIN IN ROLE spm_admin;
CREATE ROLE :"ann" NOLOGIN IN ROLE spm_rep;
CREATE SCHEMA rtb AUTHORIZATION :"adm";
GRANT USAGE ON SCHEMA rtb TO PUBLIC;

SET ROLE :"adm";
CREATE TABLE rtb.sales (id int, seller text, amount numeric(12,2), line text, closed date);
INSERT INTO rtb.sales VALUES
  (1, 'ann', 6000, 'hardware', '2025-01-10'), (2, 'ann', 6000, 'software', '2025-01-20'),
  (4, 'bob', 6000, 'hardware', '2025-01-11'), (5, 'bob', 6000, 'software', '2025-01-21');
SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods('2025-01-01', '2025-06-30')), 6, 'setup: January to June');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('rtb', 'rtb.sales', 'seller', 'id', 'amount', 'closed');
INSERT INTO spm_payout.plan (name) VALUES ('marg'), ('retro');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule) SELECT plan_id, 1, 'marginal(0: 0)' FROM spm_payout.plan;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT CASE p.name WHEN 'marg' THEN 'ann' ELSE 'bob' END, p.plan_id, '[2025-01-01,)' FROM spm_payout.plan p;

-- ============================================================ a. bad input
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, source_id, base, schedule, rate_column)
                   SELECT min(version_id), 'x', (SELECT source_id FROM spm_payout.source), 'quota', 'marginal(0: 0)', 'line'
                     FROM spm_payout.plan_version$$, '23514', NULL, 'a: a rate table under base quota is refused');
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, schedule, rate_column)
                   SELECT min(version_id), 'x', 'marginal(0: 0)', 'line' FROM spm_payout.plan_version$$,
                 '23514', NULL, 'a: a rate column without a source is refused');
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, source_id, schedule, rate_column)
                   SELECT min(version_id), 'x', (SELECT source_id FROM spm_payout.source), 'marginal(0: 0)', 'nope'
                     FROM spm_payout.plan_version$$, '42703', NULL, 'a: a rate column the source does not have');
INSERT INTO spm_payout.plan_component (version_id, name, source_id, schedule, rate_column)
SELECT v.version_id, 'revenue', s.source_id, 'marginal(0: 0)', 'line' FROM spm_payout.plan_version v, spm_payout.source s;
SELECT throws_ok($$INSERT INTO spm_payout.plan_component (version_id, name, source_id, schedule, rate_column, gate_component, gate_attainment)
                   SELECT min(version_id), 'x', (SELECT source_id FROM spm_payout.source), 'marginal(0: 0)', 'line', 'revenue', 0.5
                     FROM spm_payout.plan_version$$, '23514', NULL, 'a: a gated rate table is refused');
INSERT INTO spm_payout.plan_component (version_id, name, source_id, schedule)
SELECT min(v.version_id), 'plain', min(s.source_id), 'marginal(0: 0.01)' FROM spm_payout.plan_version v, spm_payout.source s;
SELECT throws_ok($$INSERT INTO spm_payout.component_rate
                   SELECT component_id, 'hardware', 'marginal(0: 0.1)' FROM spm_payout.plan_component WHERE name = 'plain'$$,
                 '22023', NULL, 'a: rates for a component without a rate column are refused');
DELETE FROM spm_payout.plan_component WHERE name = 'plain';
SELECT throws_ok($$INSERT INTO spm_payout.component_rate
                   SELECT min(component_id), 'hardware', NULL FROM spm_payout.plan_component$$,
                 '23502', NULL, 'a: a NULL schedule is refused');
SELECT throws_ok($$INSERT INTO spm_payout.component_rate
                   SELECT min(component_id), NULL, 'marginal(0: 0.1)' FROM spm_payout.plan_component$$,
                 '23502', NULL, 'a: a NULL value is refused');
SELECT throws_ok($$INSERT INTO spm_payout.component_rate
                   SELECT min(component_id), 'hardware', 'marginal(0: x)' FROM spm_payout.plan_component$$,
                 '22P02', NULL, 'a: a schedule that does not parse is refused');

-- Ann's plan: marginal; Bob's: retroactive, same breaks and rates
INSERT INTO spm_payout.component_rate
SELECT c.component_id, x.v, (CASE p.name WHEN 'marg' THEN 'marginal' ELSE 'retroactive' END || x.s)::spm.schedule
  FROM spm_payout.plan_component c JOIN spm_payout.plan_version v USING (version_id) JOIN spm_payout.plan p USING (plan_id),
       (VALUES ('hardware', '(0: 0.05, 10000: 0.10)'), ('software', '(0: 0.08, 10000: 0.12)')) x(v, s);
SELECT throws_ok($$INSERT INTO spm_payout.component_rate
                   SELECT min(component_id), 'hardware', 'marginal(0: 0.1)' FROM spm_payout.plan_component$$,
                 '23505', NULL, 'a: a value listed twice is refused');

-- ============================================================ b. January
CALL spm_payout.run_payout('2025-01-15');
-- Ann (marginal): deal 1 (hardware) 0 -> 6,000: E_hw(6000) = 6000 x 5% = 300;
-- deal 2 (software) 6,000 -> 12,000: E_sw(12000) - E_sw(6000)
--   = (10000 x 8% + 2000 x 12%) - 6000 x 8% = 1040 - 480 = 560; total 860
SELECT is((SELECT earned_to_date || '/' || earned FROM spm_payout.payout_statement WHERE rep = 'ann' AND period_start = '2025-01-01'),
          '860.00/860.00', 'b: marginal: 300 + 560 = 860');
-- Bob (retroactive): deal 4 0 -> 6,000: 6000 x 5% = 300; deal 5 crosses
-- 10,000 at its own rates: 12000 x 12% - 6000 x 8% = 1440 - 480 = 960; total 1260
SELECT is((SELECT earned_to_date || '/' || earned FROM spm_payout.payout_statement WHERE rep = 'bob' AND period_start = '2025-01-01'),
          '1260.00/1260.00', 'b: retroactive: 300 + 960 = 1260');
SELECT results_eq($$SELECT rep, deal, credit_to_date, rate, commission FROM spm_payout.deal_statement
                     WHERE period_start = '2025-01-01' ORDER BY rep, deal$$,
                  $$VALUES ('ann', '1', 6000.00, 0.05, 300.00), ('ann', '2', 12000.00, 0.12, 560.00),
                           ('bob', '4', 6000.00, 0.05, 300.00), ('bob', '5', 12000.00, 0.12, 960.00)$$,
                  'b: each deal: its credit to date, the rate of its schedule reached, its commission');

-- ============================================================ c. February
INSERT INTO rtb.sales VALUES (3, 'ann', 4000, 'hardware', '2025-02-05'), (6, 'bob', -2000, 'hardware', '2025-02-03');
CALL spm_payout.close_period('2025-01-15');
CALL spm_payout.run_payout('2025-02-15');
-- Ann: 12,000 -> 16,000 on hardware: E_hw(16000) - E_hw(12000)
--   = (500 + 600) - (500 + 200) = 400; to date 860 + 400 = 1260
SELECT is((SELECT earned_to_date || '/' || earned FROM spm_payout.payout_statement WHERE rep = 'ann' AND period_start = '2025-02-01'),
          '1260.00/400.00', 'c: marginal: the next deal continues in the upper tier');
-- Bob: 12,000 -> 10,000 on hardware, retroactive: E_hw(10000) - E_hw(12000)
--   = 10000 x 10% - 12000 x 10% = -200; to date 1060
SELECT is((SELECT earned_to_date || '/' || earned FROM spm_payout.payout_statement WHERE rep = 'bob' AND period_start = '2025-02-01'),
          '1060.00/-200.00', 'c: retroactive: a cancellation at its own schedule');
SELECT results_eq($$SELECT rep, deal, credit, credit_to_date, commission FROM spm_payout.deal_statement
                     WHERE period_start = '2025-02-01' ORDER BY rep, deal$$,
                  $$VALUES ('ann', '3', 4000.00, 16000.00, 400.00), ('bob', '6', -2000.00, 10000.00, -200.00)$$,
                  'c: February''s deal lines');
-- a rerun replaces the period's deal lines
CALL spm_payout.run_payout('2025-02-15');
SELECT is((SELECT count(*)::int FROM spm_payout.deal_commission d JOIN spm_payout.pay_period p USING (period_id)
            WHERE lower(p.period) = '2025-02-01'), 2, 'c: a rerun replaces the period''s deal lines');

-- ============================================================ d. reconciliation
SELECT is((SELECT count(*)::int FROM spm_payout.payout_line l
            WHERE l.line_kind = 'commission'
              AND l.earned IS DISTINCT FROM (SELECT sum(d.commission) FROM spm_payout.deal_commission d
                                              WHERE d.period_id = l.period_id AND d.rep = l.rep
                                                AND d.component_id = l.component_id)), 0,
          'd: every line''s deal commissions add up to its earned');

-- ============================================================ e. a value without rate
INSERT INTO rtb.sales VALUES (7, 'ann', 1000, 'services', '2025-03-02');
CALL spm_payout.close_period('2025-02-15');
SELECT throws_ok($$CALL spm_payout.run_payout('2025-03-15')$$, 'P0002',
                 'component revenue of plan marg: deal 7 has value ''services'', which its rate table does not list',
                 'e: a deal whose value has no rate row fails the run (P0002), naming component, deal and value');
UPDATE rtb.sales SET line = NULL WHERE id = 7;
SELECT throws_ok($$CALL spm_payout.run_payout('2025-03-15')$$, 'P0002',
                 'component revenue of plan marg: deal 7 has no value, which its rate table does not list',
                 'e: ... or no value');
UPDATE rtb.sales SET line = 'software' WHERE id = 7;
CALL spm_payout.run_payout('2025-03-15');
-- Ann: 16,000 -> 17,000 on software: 1000 x 12% = 120
SELECT is((SELECT earned FROM spm_payout.payout_statement WHERE rep = 'ann' AND period_start = '2025-03-01'),
          120.00, 'e: with its value, the deal is paid at its schedule: 1000 x 12% = 120');

-- ============================================================ f. changes
SELECT throws_ok($$UPDATE spm_payout.component_rate SET schedule = 'marginal(0: 0.09, 10000: 0.13)'
                   WHERE value = 'software' AND schedule::text LIKE 'marginal%'$$,
                 '55000', NULL, 'f: the rates of a version that paid a closed period cannot change');
SELECT throws_ok($$DELETE FROM spm_payout.component_rate WHERE value = 'software'$$,
                 '55000', NULL, 'f: ... nor be deleted');
SELECT throws_ok($$INSERT INTO spm_payout.component_rate SELECT min(component_id), 'services', 'marginal(0: 0.2)'
                     FROM spm_payout.plan_component$$,
                 '55000', NULL, 'f: ... nor be added');

-- ============================================================ g. rights, audit, dump
SELECT is((SELECT count(*)::int FROM spm_payout.audit_log WHERE table_name = 'component_rate'), 4,
          'g: every rate row written is in the audit log (4 inserts)');
RESET ROLE;
SELECT ok((SELECT 'spm_payout.component_rate'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'spm_payout'),
          'g: component_rate is dumped by pg_dump');
SELECT ok((SELECT 'spm_payout.deal_commission'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'spm_payout'),
          'g: deal_commission is dumped by pg_dump');
SELECT ok(EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'spm_payout.component_rate'::regclass AND tgname = 'component_rate_audit'),
          'g: component_rate has the audit trigger');
SET ROLE :"ann";
SELECT is((SELECT count(*)::int FROM spm_payout.component_rate), 4, 'g: reps read the rate tables (4 rows)');
SELECT throws_ok($$INSERT INTO spm_payout.component_rate SELECT min(component_id), 'x', 'marginal(0: 1)' FROM spm_payout.plan_component$$,
                 '42501', NULL, 'g: reps cannot write rates');
-- Ann is not mapped to a rep: she reads no deal line
SELECT is((SELECT count(*)::int FROM spm_payout.deal_statement), 0, 'g: a login mapped to no rep reads no deal line');
RESET ROLE;
INSERT INTO spm_payout.rep_login VALUES (:'ann', 'ann');
SET ROLE :"ann";
-- deals 1, 2, 3, 7
SELECT is((SELECT string_agg(deal, ',' ORDER BY deal) FROM spm_payout.deal_statement), '1,2,3,7',
          'g: mapped to ann, she reads her 4 deal lines, none of Bob''s');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM spm_payout.run_phase p JOIN spm_payout.run r USING (run_id)
            WHERE r.status = 'succeeded' AND p.phase = 'deal lines'), 4, 'g: each of the 4 succeeded runs logged its deal lines phase');

-- ============================================================ h. fingerprint
-- a plan whose version paid no closed period: its rates may change, but
-- then March cannot close until it is run again
SET ROLE :"adm";
INSERT INTO rtb.sales VALUES (10, 'dan', 1000, 'hardware', '2025-03-05');
INSERT INTO spm_payout.plan (name) VALUES ('new');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule) SELECT plan_id, 1, 'marginal(0: 0)' FROM spm_payout.plan WHERE name = 'new';
INSERT INTO spm_payout.plan_component (version_id, name, source_id, schedule, rate_column)
SELECT v.version_id, 'revenue', s.source_id, 'marginal(0: 0)', 'line'
  FROM spm_payout.plan_version v JOIN spm_payout.plan p USING (plan_id), spm_payout.source s WHERE p.name = 'new';
INSERT INTO spm_payout.component_rate
SELECT c.component_id, 'hardware', 'marginal(0: 0.05)' FROM spm_payout.plan_component c
  JOIN spm_payout.plan_version v USING (version_id) JOIN spm_payout.plan p USING (plan_id) WHERE p.name = 'new';
INSERT INTO spm_payout.assignment (rep, plan_id, valid) SELECT 'dan', plan_id, '[2025-03-01,)' FROM spm_payout.plan WHERE name = 'new';
CALL spm_payout.run_payout('2025-03-15');
-- 1000 x 5% = 50
SELECT is((SELECT earned FROM spm_payout.payout_statement WHERE rep = 'dan' AND period_start = '2025-03-01'), 50.00,
          'h: dan: 1000 x 5% = 50');
UPDATE spm_payout.component_rate SET schedule = 'marginal(0: 0.06)'
 WHERE component_id = (SELECT c.component_id FROM spm_payout.plan_component c JOIN spm_payout.plan_version v USING (version_id)
                         JOIN spm_payout.plan p USING (plan_id) WHERE p.name = 'new');
SELECT throws_ok($$CALL spm_payout.close_period('2025-03-15')$$, '55000', NULL,
                 'h: a rate changed after the run: the close refuses (the rates are in the fingerprint)');
CALL spm_payout.run_payout('2025-03-15');
-- 1000 x 6% = 60
SELECT is((SELECT earned FROM spm_payout.payout_statement WHERE rep = 'dan' AND period_start = '2025-03-01'), 60.00,
          'h: rerun: 1000 x 6% = 60');
SELECT lives_ok($$CALL spm_payout.close_period('2025-03-15')$$, 'h: then March closes');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
