-- pgTAP: deal-level statements (docs/statements.md).  Every number is
-- worked out by hand in the comment next to it.  Roles are real (SET ROLE),
-- with names unique to this backend, and everything is rolled back.
--
--   a. a plan with deal_statements: each deal's credit to date, rate
--      reached and commission; cents by cumulative rounding; the deal lines
--      add up to the line; a plan without: no deal lines
--   b. February: the credit to date before the period offsets the deals
--   c. row-level security from real roles: a rep, a manager, the manager a
--      rep moved to (effective-dated), an analyst, a login with no rep
--   d. turning deal statements off: a rerun takes the period's lines back
BEGIN;
SELECT plan(22);
SET client_min_messages = warning;

SELECT format('dst%s_adm', pg_backend_pid()) AS adm, format('dst%s_ana', pg_backend_pid()) AS ana,
       format('dst%s_ann', pg_backend_pid()) AS ann, format('dst%s_mia', pg_backend_pid()) AS mia,
       format('dst%s_max', pg_backend_pid()) AS max, format('dst%s_nob', pg_backend_pid()) AS nob \gset
SELECT spm_payout.create_roles();
CREATE ROLE :"adm" NOLOGIN IN ROLE spm_admin;
CREATE ROLE :"ana" NOLOGIN IN ROLE spm_analyst;
CREATE ROLE :"ann" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"mia" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"max" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"nob" NOLOGIN IN ROLE spm_rep;
CREATE SCHEMA dst AUTHORIZATION :"adm";
GRANT USAGE ON SCHEMA dst TO PUBLIC;

SET ROLE :"adm";
CREATE TABLE dst.sales (id int, seller text, amount numeric(12,2), closed date);
INSERT INTO dst.sales VALUES
  (1, 'ann', 6000, '2025-01-10'), (2, 'bob', 4000, '2025-01-12'),
  (3, 'cy', 0.30, '2025-01-05'), (4, 'cy', 0.30, '2025-01-06'), (9, 'zed', 1000, '2025-01-07'),
  (11, 'qu', 12000, '2025-01-08');
-- ann and cy report to mia; bob to mia in January, to max from February 1
CREATE TABLE dst.org (rep text, manager text, valid daterange);
INSERT INTO dst.org VALUES ('ann', 'mia', '[2025-01-01,)'), ('cy', 'mia', '[2025-01-01,)'),
                           ('bob', 'mia', '[2025-01-01,2025-02-01)'), ('bob', 'max', '[2025-02-01,)');
SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods('2025-01-01', '2025-06-30')), 6, 'setup: January to June');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('dst', 'dst.sales', 'seller', 'id', 'amount', 'closed');
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column)
VALUES ('dst.org', 'rep', 'manager', 'valid');
INSERT INTO spm_payout.plan (name, deal_statements) VALUES ('std', true), ('quiet', false);
INSERT INTO spm_payout.plan_version (plan_id, version, schedule)
SELECT plan_id, 1, 'marginal(0: 0.05, 10000: 0.10)' FROM spm_payout.plan;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, p.plan_id, '[2025-01-01,)' FROM spm_payout.plan p,
       unnest(CASE p.name WHEN 'std' THEN '{ann,bob,cy}'::text[] ELSE '{zed}' END) r;
-- qu: a quota plan (10,000 a month), 5% up to quota, 10% above
INSERT INTO spm_payout.plan (name, deal_statements) VALUES ('qplan', true);
INSERT INTO spm_payout.plan_version (plan_id, version, schedule, base)
SELECT plan_id, 1, 'marginal(0: 0.05, 1: 0.10)', 'quota' FROM spm_payout.plan WHERE name = 'qplan';
INSERT INTO spm_payout.assignment (rep, plan_id, valid) SELECT 'qu', plan_id, '[2025-01-01,)' FROM spm_payout.plan WHERE name = 'qplan';
INSERT INTO spm_payout.quota (rep, period_id, amount) SELECT 'qu', period_id, 10000 FROM spm_payout.pay_period;
INSERT INTO spm_payout.rep_login VALUES (:'ann', 'ann'), (:'mia', 'mia'), (:'max', 'max');

-- ============================================================ a. January
CALL spm_payout.run_payout('2025-01-15');
-- ann 0 -> 6,000 at 5%: 300; bob 0 -> 4,000: 200
-- qu: E(12000, quota 10000) = 10000 x 5% + 2000 x 10% = 700, rate 10% (above quota)
-- cy: E(0.30) = 0.015 -> 0.02 (half away from zero); E(0.60) = 0.03:
--   deal 4 = round(0.030, 2) - round(0.015, 2) = 0.03 - 0.02 = 0.01
--   (rounding each deal would give 0.02 + 0.02 = 0.04, not the line's 0.03)
SELECT results_eq($$SELECT rep, plan, deal, credit, credit_to_date, rate, commission FROM spm_payout.deal_statement
                     WHERE period_start = '2025-01-01' ORDER BY rep, deal$$,
                  $$VALUES ('ann', 'std', '1', 6000.00, 6000.00, 0.05, 300.00), ('bob', 'std', '2', 4000.00, 4000.00, 0.05, 200.00),
                           ('cy', 'std', '3', 0.30, 0.30, 0.05, 0.02), ('cy', 'std', '4', 0.30, 0.60, 0.05, 0.01),
                           ('qu', 'qplan', '11', 12000.00, 12000.00, 0.10, 700.00)$$,
                  'a: January''s deal lines; none for the plan without deal statements (zed)');
SELECT is((SELECT earned FROM spm_payout.payout_statement WHERE rep = 'cy' AND period_start = '2025-01-01'), 0.03,
          'a: cy''s line: round(E(0.60), 2) = 0.03');
SELECT is((SELECT count(*)::int FROM spm_payout.payout_line l
            WHERE l.line_kind = 'commission' AND l.plan_id IN (SELECT plan_id FROM spm_payout.plan WHERE deal_statements)
              AND l.earned IS DISTINCT FROM (SELECT sum(d.commission) FROM spm_payout.deal_commission d
                                              WHERE d.period_id = l.period_id AND d.rep = l.rep AND d.version_id = l.version_id)), 0,
          'a: each line''s deal commissions add up to its earned');
SELECT is((SELECT count(*)::int FROM spm_payout.deal_commission WHERE rep IN ('mia', 'max', 'zed')), 0,
          'a: managers without a plan and plans without deal statements have no deal lines');

-- ============================================================ b. February
INSERT INTO dst.sales VALUES (5, 'bob', 8000, '2025-02-10'), (6, 'ann', 5000, '2025-02-15'), (12, 'qu', 4000, '2025-02-08');
CALL spm_payout.close_period('2025-01-15');
CALL spm_payout.run_payout('2025-02-15');
-- ann 6,000 -> 11,000: E(11000) - E(6000) = (500 + 100) - 300 = 300, rate 10%
-- bob 4,000 -> 12,000: E(12000) - E(4000) = (500 + 200) - 200 = 500, rate 10%
-- qu: quota to date 20,000, credit 12,000 -> 16,000 (80%: rate 5%); the line
--   = E(16000, 20000) - paid 700 = 800 - 700 = 100.  The deal alone:
--   E(16000, 20000) - E(12000, 20000) = 800 - 600 = 200; the line's residue
--   100 - 200 = -100 (January was paid against January's quota) is on the
--   period's last deal of the line: 200 - 100 = 100
SELECT results_eq($$SELECT rep, deal, credit, credit_to_date, rate, commission FROM spm_payout.deal_statement
                     WHERE period_start = '2025-02-01' ORDER BY rep, deal$$,
                  $$VALUES ('ann', '6', 5000.00, 11000.00, 0.10, 300.00), ('bob', '5', 8000.00, 12000.00, 0.10, 500.00),
                           ('qu', '12', 4000.00, 16000.00, 0.05, 100.00)$$,
                  'b: February''s deals start from the credit to date before the period');
SELECT is((SELECT string_agg(rep || ':' || earned, ',' ORDER BY rep) FROM spm_payout.payout_statement
            WHERE period_start = '2025-02-01' AND plan = 'std' AND earned <> 0), 'ann:300.00,bob:500.00',
          'b: ... and the lines say the same');
SELECT is((SELECT count(*)::int FROM spm_payout.payout_line l
            WHERE l.line_kind = 'commission' AND l.plan_id IN (SELECT plan_id FROM spm_payout.plan WHERE deal_statements)
              -- cy has a line without deals in February: 0 either way
              AND l.earned <> (SELECT coalesce(sum(d.commission), 0) FROM spm_payout.deal_commission d
                                WHERE d.period_id = l.period_id AND d.rep = l.rep AND d.version_id = l.version_id)), 0,
          'b: in February too (qu''s line with its residue): the deal lines add up to every line');

-- ============================================================ c. row-level security
RESET ROLE;
SET ROLE :"ann";
SELECT is((SELECT string_agg(deal, ',' ORDER BY deal) FROM spm_payout.deal_statement), '1,6', 'c: a rep reads her own deal lines');
SELECT is((SELECT count(*)::int FROM spm_payout.team_member), 0, 'c: ... and no team (she manages no one)');
RESET ROLE;
SET ROLE :"mia";
-- ann 1, 6; cy 3, 4; bob 2 (January, when bob reported to her), not bob 5 (February)
SELECT is((SELECT string_agg(deal, ',' ORDER BY deal) FROM spm_payout.deal_statement), '1,2,3,4,6',
          'c: a manager reads her team''s lines as of each deal''s date, not those of a rep after his transfer');
SELECT is((SELECT count(*)::int FROM spm_payout.deal_commission WHERE rep = 'bob'), 1, 'c: ... one of bob''s two lines');
SELECT is((SELECT string_agg(rep, ',' ORDER BY rep) FROM spm_payout.team_member), 'ann,bob,cy',
          'c: she reads only her own rows of the team snapshot');
RESET ROLE;
SET ROLE :"max";
SELECT is((SELECT string_agg(deal, ',' ORDER BY deal) FROM spm_payout.deal_statement), '5',
          'c: the manager bob moved to reads only his deals since the transfer');
RESET ROLE;
SET ROLE :"nob";
SELECT is((SELECT count(*)::int FROM spm_payout.deal_statement), 0, 'c: a login mapped to no rep reads nothing');
RESET ROLE;
SET ROLE :"ana";
SELECT is((SELECT count(*)::int FROM spm_payout.deal_statement), 8, 'c: an analyst reads every deal line (5 + 3)');
SELECT throws_ok($$DELETE FROM spm_payout.deal_commission$$, '42501', NULL, 'c: an analyst cannot change deal lines');
RESET ROLE;
SET ROLE :"adm";
SELECT throws_ok($$INSERT INTO spm_payout.team_member VALUES ('x', 'y', '[2025-01-01,)')$$, '42501', NULL,
                 'c: only the run writes the team snapshot');
-- the view runs with the reader's rights
RESET ROLE;
SELECT ok((SELECT 'security_invoker=true' = ANY (reloptions) FROM pg_class WHERE oid = 'spm_payout.deal_statement'::regclass),
          'c: deal_statement is security_invoker');

-- ============================================================ d. turned off
SET ROLE :"adm";
UPDATE spm_payout.plan SET deal_statements = false;
CALL spm_payout.run_payout('2025-02-15');
SELECT is((SELECT count(*)::int FROM spm_payout.deal_statement WHERE period_start = '2025-02-01'), 0,
          'd: turned off, a rerun takes the period''s deal lines back');
SELECT is((SELECT count(*)::int FROM spm_payout.deal_statement WHERE period_start = '2025-01-01'), 5,
          'd: ... and keeps the closed period''s');
-- without rate tables, deal statements or lines to take back, the run has no deal step
CALL spm_payout.run_payout('2025-02-15');
SELECT is((SELECT count(*)::int FROM spm_payout.run_phase p WHERE p.phase = 'deal lines'
              AND p.run_id = (SELECT max(run_id) FROM spm_payout.run)), 0, 'd: then runs skip the deal step');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
