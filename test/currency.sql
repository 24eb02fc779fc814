-- pgTAP: multi-currency (docs/currency.md).  Every number is worked out by
-- hand in the comment next to it.  Roles are real (SET ROLE), with names
-- unique to this backend, and everything is rolled back.
--
--   a. bad input: currency codes, policies, rates (NULL, zero, negative,
--      NaN, infinite, same currency, two rates for one day), registration
--      of the currency column
--   b. without currencies nothing changes: no rate table, the same SQL
--   c. January: deal_date (with the rate carried to later days), period_end
--      (a manager's plan), plan_rate, same currency, a plan without a
--      currency; cents rounded half away from zero per credit row
--   d. payouts in the rep's currency at the period-end rate
--   e. errors: a missing rate, a missing fixed rate, a NULL currency, a
--      missing payout rate, a rep paid in a currency whose plan has none,
--      a rep on plans in two currencies in one period
--   f. a corrected rate of a closed period: re-examined, booked as late
--      credit; split shares converted one by one; closed periods recomputed
--      with splits and rates
--   g. rights and row-level security from real roles; audit; pg_dump marks
BEGIN;
SELECT plan(80);
SET client_min_messages = warning;

-- ================================================================= setup
SELECT format('fxt%s_adm', pg_backend_pid()) AS adm, format('fxt%s_ana', pg_backend_pid()) AS ana,
       format('fxt%s_ann', pg_backend_pid()) AS ann, format('fxt%s_bob', pg_backend_pid()) AS bob \gset
SELECT spm_payout.create_roles();
CREATE ROLE :"adm" NOLOGIN IN ROLE spm_admin;
CREATE ROLE :"ana" NOLOGIN IN ROLE spm_analyst;
CREATE ROLE :"ann" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"bob" NOLOGIN IN ROLE spm_rep;
CREATE SCHEMA fxt AUTHORIZATION :"adm";
GRANT USAGE ON SCHEMA fxt TO PUBLIC;
-- a table whose currency column the admin may not read
CREATE SCHEMA fxt_private;
GRANT USAGE ON SCHEMA fxt_private TO PUBLIC;
CREATE TABLE fxt_private.sales (id int, seller text, amt numeric, closed date, cur text);
GRANT SELECT (id, seller, amt, closed) ON fxt_private.sales TO spm_admin;

SET ROLE :"adm";
CREATE TABLE fxt.sales (id int, seller text, amt numeric(12,2), closed date, cur text, cur_n int);
CREATE TABLE fxt.org (rep text, manager text, valid daterange);
INSERT INTO fxt.org VALUES ('ann', 'mia', '(,)'), ('bob', 'mia', '(,)');
CREATE FUNCTION fxt.run(period text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
BEGIN
    CALL spm_payout.run_payout(period, r);
    RETURN r;
END $$;
SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods('2025-01-01', '2025-03-31')), 3,
          'setup: January to March');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('fxs', 'fxt.sales', 'seller', 'id', 'amt', 'closed');
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column)
VALUES ('fxt.org', 'rep', 'manager', 'valid');
INSERT INTO spm_payout.plan (name) VALUES ('fx usd'), ('fx gbp'), ('fx eur fixed'), ('fx none');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule) SELECT plan_id, 1, 'marginal(0: 0.10)' FROM spm_payout.plan;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, plan_id, '[2025-01-01,)'::daterange FROM spm_payout.plan, unnest('{ann,bob,eve}'::text[]) r WHERE name = 'fx usd'
UNION ALL SELECT 'mia', plan_id, '[2025-01-01,)' FROM spm_payout.plan WHERE name = 'fx gbp'
UNION ALL SELECT 'cy', plan_id, '[2025-01-01,)' FROM spm_payout.plan WHERE name = 'fx eur fixed'
UNION ALL SELECT 'zed', plan_id, '[2025-01-01,)' FROM spm_payout.plan WHERE name = 'fx none';
INSERT INTO spm_payout.rep_login VALUES (:'ann', 'ann'), (:'bob', 'bob');

-- ======================================================== a. bad input
SELECT throws_ok($$UPDATE spm_payout.plan SET currency = 'usd' WHERE name = 'fx usd'$$,
    '23514', NULL, 'a: a lower-case currency code is refused (23514)');
SELECT throws_ok($$UPDATE spm_payout.plan SET currency = 'US' WHERE name = 'fx usd'$$,
    '23514', NULL, 'a: a two-letter code is refused (23514)');
SELECT throws_ok($$UPDATE spm_payout.plan SET currency = 'USDX' WHERE name = 'fx usd'$$,
    '23514', NULL, 'a: a four-letter code is refused (23514)');
SELECT throws_ok($$UPDATE spm_payout.plan SET fx_policy = 'spot' WHERE name = 'fx usd'$$,
    '23514', NULL, 'a: an unknown rate policy is refused (23514)');
SELECT throws_ok($$UPDATE spm_payout.plan SET fx_policy = NULL WHERE name = 'fx usd'$$,
    '23502', NULL, 'a: a NULL rate policy is refused (23502)');
SELECT throws_ok($$INSERT INTO spm_payout.fx_rate VALUES ('EUR', 'USD', '2025-01-10', NULL)$$,
    '23502', NULL, 'a: a NULL rate is refused (23502)');
SELECT throws_ok($$INSERT INTO spm_payout.fx_rate VALUES ('EUR', 'USD', '2025-01-10', 0)$$,
    '23514', NULL, 'a: a zero rate is refused (23514)');
SELECT throws_ok($$INSERT INTO spm_payout.fx_rate VALUES ('EUR', 'USD', '2025-01-10', -1.08)$$,
    '23514', NULL, 'a: a negative rate is refused (23514)');
SELECT throws_ok($$INSERT INTO spm_payout.fx_rate VALUES ('EUR', 'USD', '2025-01-10', 'NaN')$$,
    '23514', NULL, 'a: a NaN rate is refused (23514)');
SELECT throws_ok($$INSERT INTO spm_payout.fx_rate VALUES ('EUR', 'USD', '2025-01-10', 'Infinity')$$,
    '23514', NULL, 'a: an infinite rate is refused (23514)');
SELECT throws_ok($$INSERT INTO spm_payout.fx_rate VALUES ('EUR', 'EUR', '2025-01-10', 1)$$,
    '23514', NULL, 'a: a rate from a currency to itself is refused (23514)');
SELECT throws_ok($$INSERT INTO spm_payout.fx_rate VALUES ('eur', 'USD', '2025-01-10', 1.08)$$,
    '23514', NULL, 'a: a bad code in a rate is refused (23514)');
SELECT throws_ok($$INSERT INTO spm_payout.fx_rate VALUES ('EUR', 'USD', 'infinity', 1.08)$$,
    '23514', NULL, 'a: an infinite rate date is refused (23514)');
SELECT throws_ok($$INSERT INTO spm_payout.fx_rate VALUES ('EUR', 'USD', NULL, 1.08)$$,
    '23502', NULL, 'a: a NULL rate date is refused (23502)');
SELECT throws_ok($$INSERT INTO spm_payout.fx_rate VALUES ('EUR', 'USD', '2025-01-10', 1.08), ('EUR', 'USD', '2025-01-10', 1.09)$$,
    '23505', NULL, 'a: two rates of a pair for one day are refused (23505)');
SELECT throws_ok($$INSERT INTO spm_payout.plan_fx_rate SELECT version_id, 'USD', 0 FROM spm_payout.plan_version LIMIT 1$$,
    '23514', NULL, 'a: a zero fixed plan rate is refused (23514)');
SELECT throws_ok($$INSERT INTO spm_payout.plan_fx_rate VALUES (-1, 'USD', 0.9)$$,
    '23503', NULL, 'a: a fixed rate of an unknown plan version is refused (23503)');
SELECT throws_ok($$INSERT INTO spm_payout.rep_currency VALUES ('ann', 'Gbp')$$,
    '23514', NULL, 'a: a bad payout currency is refused (23514)');
SELECT throws_ok($$INSERT INTO spm_payout.rep_currency VALUES ('ann', NULL)$$,
    '23502', NULL, 'a: a NULL payout currency is refused (23502)');
SELECT throws_ok($$UPDATE spm_payout.source SET currency_column = 'nope' WHERE name = 'fxs'$$,
    '42703', 'column nope of relation fxt.sales does not exist', 'a: a currency column that does not exist is refused (42703)');
SELECT throws_ok($$UPDATE spm_payout.source SET currency_column = 'cur_n' WHERE name = 'fxs'$$,
    '42804', 'column cur_n of relation fxt.sales has type integer', 'a: a currency column that is not text is refused (42804)');
SELECT throws_ok($$INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column, currency_column)
                   VALUES ('hidden', 'fxt_private.sales', 'seller', 'id', 'amt', 'closed', 'cur')$$,
    '42501', 'permission denied for column cur of relation fxt_private.sales',
    'a: a currency column the registering role cannot read is refused (42501)');

-- ============================== b. without currencies nothing changes
RESET ROLE;
DO $$ BEGIN
    PERFORM spm_payout_internal.stage();
    PERFORM spm_payout_internal.build_fx(ARRAY[(SELECT period_id FROM spm_payout.pay_period ORDER BY period LIMIT 1)]);
END $$;
SELECT ok(to_regclass('pg_temp.spm_fx') IS NULL
          AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'pg_temp.spm_stage_deal'::regclass AND attname = 'currency'),
    'b: no plan with a currency: a run builds no rate table and stages no currency');
SELECT unalike(spm_payout_internal.source_credit_sql(s, p, NULL), '%spm_fx%',
    'b: ... and reads a source without joining rates')
  FROM spm_payout.source s, spm_payout.pay_period p WHERE s.name = 'fxs' AND p.label = '2025-01-01..2025-01-31';
SELECT is(spm_payout_internal.credit_sql('{1}', NULL, false), spm_payout_internal.credit_sql('{1}', NULL, false, NULL),
    'b: ... and recomputes closed periods with the SQL of a single currency');
DROP TABLE pg_temp.spm_stage_deal, pg_temp.spm_stage_split, pg_temp.spm_stage_org;

-- ====================================================== c. January credit
SET ROLE :"adm";
UPDATE spm_payout.source SET currency_column = 'cur' WHERE name = 'fxs';
UPDATE spm_payout.plan SET currency = 'USD' WHERE name = 'fx usd';                       -- fx_policy deal_date (the default)
UPDATE spm_payout.plan SET currency = 'GBP', fx_policy = 'period_end' WHERE name = 'fx gbp';
UPDATE spm_payout.plan SET currency = 'EUR', fx_policy = 'plan_rate' WHERE name = 'fx eur fixed';
INSERT INTO spm_payout.plan_fx_rate
SELECT v.version_id, 'USD', 0.9 FROM spm_payout.plan_version v JOIN spm_payout.plan p USING (plan_id) WHERE p.name = 'fx eur fixed';
INSERT INTO spm_payout.fx_rate VALUES
    ('EUR', 'USD', '2025-01-01', 1.03), ('EUR', 'USD', '2025-01-10', 1.0835), ('EUR', 'USD', '2025-01-31', 1.05),
    ('EUR', 'GBP', '2025-01-31', 0.84), ('USD', 'GBP', '2025-01-31', 0.79), ('USD', 'GBP', '2025-01-01', 0.80);
INSERT INTO spm_payout.rep_currency VALUES ('ann', 'GBP');
INSERT INTO fxt.sales (id, seller, amt, closed, cur) VALUES
    (1, 'ann', 1000.00, '2025-01-10', 'EUR'),
    (2, 'ann',   10.00, '2025-01-12', 'EUR'),
    (3, 'ann',  -10.00, '2025-01-12', 'EUR'),   -- a credit note
    (4, 'bob',  500.00, '2025-01-20', 'USD'),
    (5, 'bob',  200.00, '2025-01-05', 'EUR'),
    (6, 'cy',   100.00, '2025-01-15', 'USD'),
    (7, 'cy',    50.00, '2025-01-15', 'EUR'),
    (8, 'zed',   70.00, '2025-01-15', 'CHF');
SELECT ok(fxt.run('2025-01-15') IS NOT NULL, 'c: the admin runs January');
SELECT results_eq($$SELECT rep, deal, amount, currency FROM spm_payout.credit_statement
                     WHERE period = '2025-01-01..2025-01-31' ORDER BY rep, deal::int$$,
    $$VALUES
      -- deal_date: 1,000.00 EUR on 2025-01-10 at 1.0835 = 1,083.50 USD
      ('ann', '1', 1083.50, 'USD'),
      -- 2025-01-12 has no rate: the 2025-01-10 rate holds; 10.00 * 1.0835 = 10.835 -> 10.84 (half away from zero)
      ('ann', '2', 10.84, 'USD'),
      -- the credit note: -10.835 -> -10.84
      ('ann', '3', -10.84, 'USD'),
      -- same currency: no conversion
      ('bob', '4', 500.00, 'USD'),
      -- 200.00 EUR on 2025-01-05: the 2025-01-01 rate, 1.03 -> 206.00
      ('bob', '5', 206.00, 'USD'),
      -- plan_rate: 100.00 USD at the fixed 0.9 = 90.00 EUR; 50.00 EUR is the plan currency
      ('cy', '6', 90.00, 'EUR'),
      ('cy', '7', 50.00, 'EUR'),
      -- Mia's plan is in GBP with period_end: every deal at the rate of 2025-01-31
      ('mia', '1', 840.00, 'GBP'),      -- 1,000.00 * 0.84
      ('mia', '2', 8.40, 'GBP'),        -- 10.00 * 0.84
      ('mia', '3', -8.40, 'GBP'),
      ('mia', '4', 395.00, 'GBP'),      -- 500.00 USD * 0.79
      ('mia', '5', 168.00, 'GBP'),      -- 200.00 * 0.84
      -- a plan without a currency: no conversion
      ('zed', '8', 70.00, NULL)$$,
    'c: each credit row is converted into the credited person''s plan currency by its policy, then rounded to the cent');
SELECT results_eq($$SELECT rep, credited, earned, currency FROM spm_payout.payout_statement
                     WHERE period = '2025-01-01..2025-01-31' ORDER BY rep$$,
    $$VALUES ('ann', 1083.50, 108.35, 'USD'),    -- 1,083.50 + 10.84 - 10.84; 10%
             ('bob', 706.00, 70.60, 'USD'),      -- 500.00 + 206.00
             ('cy', 140.00, 14.00, 'EUR'),       -- 90.00 + 50.00
             ('eve', 0, 0.00, 'USD'),            -- on a plan, no deal
             ('mia', 1403.00, 140.30, 'GBP'),    -- 840.00 + 8.40 - 8.40 + 395.00 + 168.00
             ('zed', 70.00, 7.00, NULL)$$,
    'c: earnings in the plan currency');

-- ========================================= d. payouts in the rep's currency
SELECT results_eq($$SELECT rep, payout, plan_currency, currency, fx_rate, payout_local FROM spm_payout.payout_summary_view
                     WHERE period = '2025-01-01..2025-01-31' ORDER BY rep$$,
    $$VALUES ('ann', 108.35, 'USD', 'GBP', 0.79, 85.60),     -- 108.35 * 0.79 (USD->GBP of 2025-01-31) = 85.5965 -> 85.60
             ('bob', 70.60, 'USD', 'USD', 1, 70.60),         -- no rep_currency: paid in the plan currency
             ('cy', 14.00, 'EUR', 'EUR', 1, 14.00),
             ('eve', 0.00, 'USD', 'USD', 1, 0.00),
             ('mia', 140.30, 'GBP', 'GBP', 1, 140.30),
             ('zed', 7.00, NULL, NULL, NULL, 7.00)$$,      -- no currency anywhere: payout as is
    'd: payouts converted into the reps'' currencies at the rate of the period''s last day, rounded to the cent');

-- ======================================================== e. errors
INSERT INTO fxt.sales (id, seller, amt, closed, cur) VALUES (9, 'eve', 10.00, '2025-01-15', 'CHF');
SELECT throws_ok($$SELECT fxt.run('2025-01-15')$$, '22023', 'no exchange rate from CHF to USD on or before 2025-01-15',
    'e: a deal without a rate into its plan currency fails the run, naming the pair and the date (22023)');
UPDATE fxt.sales SET closed = '2024-12-31' WHERE id = 9;  -- out of the year
INSERT INTO fxt.sales (id, seller, amt, closed, cur) VALUES (10, 'cy', 10.00, '2025-01-15', 'CHF');
SELECT throws_ok($$SELECT fxt.run('2025-01-15')$$, '22023', 'no fixed rate from CHF to EUR for plan fx eur fixed version 1',
    'e: a deal without a fixed plan rate fails the run (22023)');
UPDATE fxt.sales SET cur = NULL WHERE id = 10;
SELECT throws_ok($$SELECT fxt.run('2025-01-15')$$, '23502', 'source fxs: deal 10 has a NULL currency',
    'e: a deal with a NULL currency credited under a plan with a currency fails the run (23502)');
UPDATE fxt.sales SET seller = 'zed' WHERE id = 10;
SELECT ok(fxt.run('2025-01-15') IS NOT NULL, 'e: ... under a plan without a currency the currency is not used');
DELETE FROM fxt.sales WHERE id = 10;
INSERT INTO spm_payout.rep_currency VALUES ('bob', 'JPY');
SELECT throws_ok($$SELECT fxt.run('2025-01-15')$$, '22023', 'no exchange rate from USD to JPY on or before 2025-01-31',
    'e: a payout without a rate into the rep''s currency fails the run (22023)');
UPDATE spm_payout.rep_currency SET rep = 'zed' WHERE rep = 'bob';
SELECT throws_ok($$SELECT fxt.run('2025-01-15')$$, '22023',
    'rep zed is to be paid in JPY, but its plans in pay period 2025-01-01..2025-01-31 have no currency',
    'e: a payout currency for a rep whose plan has none fails the run (22023)');
DELETE FROM spm_payout.rep_currency WHERE rep = 'zed';
SELECT ok(fxt.run('2025-01-15') IS NOT NULL, 'e: January runs again once fixed');
SELECT is((SELECT count(*)::int FROM spm_payout.run WHERE status = 'failed'), 0,
    'e: (failed runs inside this transaction left no trace: the caller has the error)');

-- ===================== f. a corrected rate of a closed period: late credit
CALL spm_payout.close_period('2025-01-15');
SELECT throws_ok($$UPDATE spm_payout.plan SET currency = 'EUR' WHERE name = 'fx usd'$$, '55000',
    'plan fx usd paid a closed pay period: its currency and rate policy cannot change',
    'f: the currency of a plan that paid a closed period cannot change (55000)');
SELECT throws_ok($$UPDATE spm_payout.plan SET fx_policy = 'period_end' WHERE name = 'fx usd'$$, '55000', NULL,
    'f: ... nor its rate policy (55000)');
SELECT lives_ok($$UPDATE spm_payout.plan SET year_start_month = 1 WHERE name = 'fx usd'$$,
    'f: ... other changes are not refused by this rule');
-- the rate of 2025-01-10 was wrong: 1.09, not 1.0835
UPDATE spm_payout.fx_rate SET rate = 1.09 WHERE (from_currency, to_currency, rate_date) = ('EUR', 'USD', '2025-01-10');
SELECT ok(fxt.run('2025-02-15') IS NOT NULL, 'f: the admin runs February');
SELECT is((SELECT changed_periods FROM spm_payout.run_log ORDER BY run_id DESC LIMIT 1), '2025-01-01..2025-01-31',
    'f: a changed rate of closed January is found');
SELECT results_eq($$SELECT rep, deal, amount FROM spm_payout.credit_statement
                     WHERE period = '2025-02-01..2025-02-28' AND for_period = '2025-01-01..2025-01-31' ORDER BY rep, deal::int$$,
    $$VALUES ('ann', '1', 6.50),      -- 1,000.00 * 1.09 = 1,090.00 - 1,083.50
             ('ann', '2', 0.06),      -- 10.00 * 1.09 = 10.90 - 10.84
             ('ann', '3', -0.06)$$,   -- -10.90 - -10.84
    'f: the differences are booked in February, deal by deal (other rates did not change)');
SELECT results_eq($$SELECT late_credit, credited_to_date, earned_to_date, paid_before, earned FROM spm_payout.payout_statement
                     WHERE period = '2025-02-01..2025-02-28' AND rep = 'ann'$$,
    $$VALUES (6.50, 1090.00, 109.00, 108.35, 0.65)$$,
    'f: Ann is paid the difference: 10% of 1,090.00 = 109.00 - 108.35');
SELECT results_eq($$SELECT payout, fx_rate, payout_local FROM spm_payout.payout_summary_view
                     WHERE period = '2025-02-01..2025-02-28' AND rep = 'ann'$$,
    $$VALUES (0.65, 0.79, 0.51)$$,
    'f: February''s payout at the USD->GBP rate in force on 2025-02-28 (the rate of 2025-01-31, 0.79): 0.5135 -> 0.51');
-- a new rate dated in February does not touch closed January
CALL spm_payout.close_period('2025-02-15');
INSERT INTO spm_payout.fx_rate VALUES ('EUR', 'USD', '2025-02-10', 1.2);
SELECT ok(fxt.run('2025-03-15') IS NOT NULL, 'f: the admin runs March');
SELECT is((SELECT changed_periods FROM spm_payout.run_log ORDER BY run_id DESC LIMIT 1), '2025-02-01..2025-02-28',
    'f: a rate dated in February re-examines February only');
-- a rep on plans in two currencies in one period
UPDATE spm_payout.assignment SET valid = '[2025-01-01,2025-03-15)' WHERE rep = 'bob';
INSERT INTO spm_payout.assignment (rep, plan_id, valid) SELECT 'bob', plan_id, '[2025-03-15,)' FROM spm_payout.plan WHERE name = 'fx gbp';
SELECT throws_ok($$SELECT fxt.run('2025-03-15')$$, '22023',
    'rep bob is on plans in different currencies in pay period 2025-03-01..2025-03-31: fx gbp (GBP), fx usd (USD)',
    'e: a rep on plans in two currencies in one pay period fails the run (22023)');
DELETE FROM spm_payout.assignment WHERE rep = 'bob' AND lower(valid) = '2025-03-15';
UPDATE spm_payout.assignment SET valid = '[2025-01-01,)' WHERE rep = 'bob';
-- a late January deal in a currency without a rate: found while recomputing closed January
INSERT INTO fxt.sales (id, seller, amt, closed, cur) VALUES (12, 'eve', 5.00, '2025-01-20', 'SEK');
SELECT throws_ok($$SELECT fxt.run('2025-03-15')$$, '22023', 'no exchange rate from SEK to USD on or before 2025-01-20',
    'e: a late deal of a closed period without a rate fails the run (22023)');
DELETE FROM fxt.sales WHERE id = 12;

-- ============ split shares are converted one by one (and closed periods recomputed with splits)
CREATE TABLE fxt.splits (deal int, rep text, weight numeric);
INSERT INTO fxt.splits VALUES (11, 'ann', 1), (11, 'bob', 1);
INSERT INTO spm_payout.split_rule (source_id, relation, deal_column, rep_column, weight_column)
SELECT source_id, 'fxt.splits', 'deal', 'rep', 'weight' FROM spm_payout.source WHERE name = 'fxs';
INSERT INTO spm_payout.fx_rate VALUES ('EUR', 'USD', '2025-03-01', 1.0835);
INSERT INTO fxt.sales (id, seller, amt, closed, cur) VALUES (11, 'ann', 100.01, '2025-03-10', 'EUR');
SELECT ok(fxt.run('2025-03-15') IS NOT NULL, 'f: March runs with a split deal in EUR');
SELECT results_eq($$SELECT rep, via, from_rep, amount FROM spm_payout.credit_statement
                     WHERE period = '2025-03-01..2025-03-31' ORDER BY rep, from_rep$$,
    $$VALUES ('ann', 'split', NULL, 54.19),     -- 100.01 split in EUR: 50.01 (first rep), * 1.0835 = 54.185835 -> 54.19
             ('bob', 'split', NULL, 54.18),     -- 50.00 * 1.0835 = 54.175 -> 54.18 (half away from zero)
             ('mia', 'rollup', 'ann', 42.01),   -- 50.01 * 0.84 (period_end: the EUR->GBP rate in force on 2025-03-31) = 42.0084
             ('mia', 'rollup', 'bob', 42.00)$$, -- 50.00 * 0.84
    'f: each split share is converted and rounded: 54.19 + 54.18 = 108.37, not round(100.01 * 1.0835, 2) = 108.36');
SELECT is((SELECT changed_periods FROM spm_payout.run_log ORDER BY run_id DESC LIMIT 1),
          '2025-01-01..2025-01-31, 2025-02-01..2025-02-28',
    'f: the new split rule re-examines the closed periods ...');
SELECT is((SELECT count(*)::int FROM spm_payout.credit_line l JOIN spm_payout.pay_period p ON p.period_id = l.period_id
            WHERE p.label = '2025-03-01..2025-03-31' AND l.for_period_id <> l.period_id), 0,
    'f: ... whose recomputation with splits and rates finds no difference');
-- a deal's currency is an input of its period: deal 5 was USD, not EUR
SELECT f.fingerprint AS fp_jan FROM spm_payout_internal.fingerprints(ARRAY[
    (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-01-01..2025-01-31')]) f \gset
UPDATE fxt.sales SET cur = 'USD' WHERE id = 5;
SELECT isnt((SELECT f.fingerprint FROM spm_payout_internal.fingerprints(ARRAY[
    (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-01-01..2025-01-31')]) f), :'fp_jan',
    'f: a deal''s currency is part of its period''s fingerprint');
SELECT f.fingerprint AS fp_jan FROM spm_payout_internal.fingerprints(ARRAY[
    (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-01-01..2025-01-31')]) f \gset
UPDATE spm_payout.rep_currency SET currency = 'CHF' WHERE rep = 'ann';
UPDATE spm_payout.plan_fx_rate SET rate = 0.91;
SELECT isnt((SELECT f.fingerprint FROM spm_payout_internal.fingerprints(ARRAY[
    (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-01-01..2025-01-31')]) f), :'fp_jan',
    'f: payout currencies and fixed plan rates are part of the fingerprint');
UPDATE spm_payout.rep_currency SET currency = 'GBP' WHERE rep = 'ann';
UPDATE spm_payout.plan_fx_rate SET rate = 0.9;
SELECT is((SELECT f.fingerprint FROM spm_payout_internal.fingerprints(ARRAY[
    (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-01-01..2025-01-31')]) f), :'fp_jan',
    'f: ... and set back, the fingerprint is the same');
SELECT ok(fxt.run('2025-03-15') IS NOT NULL, 'f: March runs again');
SELECT results_eq($$SELECT rep, deal, amount FROM spm_payout.credit_statement
                     WHERE period = '2025-03-01..2025-03-31' AND for_period <> period ORDER BY rep$$,
    $$VALUES ('bob', '5', -6.00),     -- 200.00 USD - 206.00 (200.00 EUR at 1.03)
             ('mia', '5', -10.00)$$,  -- 200.00 USD * 0.79 = 158.00 - 168.00 (200.00 EUR * 0.84)
    'f: ... and the differences of its credit are booked in March');
RESET ROLE;

-- ========================================= g. rights and row-level security
SET ROLE :"ann";
SELECT results_eq($$SELECT rep, currency FROM spm_payout.rep_currency$$, $$VALUES ('ann', 'GBP')$$,
    'g: a rep reads its own payout currency');
SELECT results_eq($$SELECT rep, currency, payout_local FROM spm_payout.payout_summary_view WHERE period = '2025-01-01..2025-01-31'$$,
    $$VALUES ('ann', 'GBP', 85.60)$$, 'g: ... and only its own payout in its currency');
SELECT throws_ok($$SELECT * FROM spm_payout.fx_rate$$, '42501', NULL, 'g: a rep cannot read the rate table (42501)');
SELECT throws_ok($$SELECT * FROM spm_payout.plan_fx_rate$$, '42501', NULL, 'g: ... nor fixed plan rates (42501)');
SELECT throws_ok($$INSERT INTO spm_payout.rep_currency VALUES ('bob', 'EUR')$$, '42501', NULL,
    'g: a rep cannot set a payout currency (42501)');
RESET ROLE;
SET ROLE :"bob";
SELECT is((SELECT count(*)::int FROM spm_payout.rep_currency), 0, 'g: a rep without a payout currency sees no row');
RESET ROLE;
SET ROLE :"ana";
SELECT is((SELECT count(*)::int FROM spm_payout.rep_currency), 1, 'g: an analyst reads every payout currency');
SELECT is((SELECT count(*)::int FROM spm_payout.fx_rate), 8, 'g: ... and every rate');
SELECT is((SELECT count(*)::int FROM spm_payout.plan_fx_rate), 1, 'g: ... and every fixed plan rate');
SELECT throws_ok($$INSERT INTO spm_payout.fx_rate VALUES ('EUR', 'USD', '2025-03-01', 1.1)$$, '42501', NULL,
    'g: an analyst cannot add a rate (42501)');
SELECT throws_ok($$UPDATE spm_payout.rep_currency SET currency = 'EUR'$$, '42501', NULL,
    'g: ... nor change a payout currency (42501)');
SELECT throws_ok($$UPDATE spm_payout.plan SET currency = 'EUR'$$, '42501', NULL,
    'g: ... nor a plan''s currency (42501)');
RESET ROLE;
SET ROLE :"adm";
SELECT lives_ok($$UPDATE spm_payout.fx_rate SET rate = 1.21 WHERE rate_date = '2025-02-10'$$, 'g: an admin changes a rate');
SELECT lives_ok($$DELETE FROM spm_payout.fx_rate WHERE rate_date = '2025-02-10'$$, 'g: ... deletes one');
SELECT lives_ok($$UPDATE spm_payout.rep_currency SET currency = 'EUR' WHERE rep = 'ann'$$, 'g: ... changes a payout currency');
SELECT lives_ok($$DELETE FROM spm_payout.plan_fx_rate WHERE currency = 'USD'$$, 'g: ... deletes a fixed plan rate');
SELECT is((SELECT count(*)::int FROM spm_payout.rep_currency), 1, 'g: an admin reads every payout currency');
RESET ROLE;
SELECT is((SELECT array_agg(DISTINCT operation ORDER BY operation) FROM spm_payout.audit_log
            WHERE table_name = 'fx_rate' AND as_role = :'adm'),
    '{DELETE,INSERT,UPDATE}'::text[], 'g: every change to the rates is audited, with the admin''s role');
-- plan_fx_rate: 1 insert (c), 2 updates (f), 1 delete (g); rep_currency: insert ann (c),
-- insert bob, update bob -> zed, delete zed (e), 2 updates of ann (f), update ann (g):
-- 11 (refused changes leave none)
SELECT is((SELECT count(*)::int FROM spm_payout.audit_log WHERE table_name IN ('plan_fx_rate', 'rep_currency')), 11,
    'g: ... and every change to fixed plan rates and payout currencies');
SELECT ok((SELECT extconfig @> ARRAY['spm_payout.fx_rate'::regclass, 'spm_payout.plan_fx_rate'::regclass,
                                     'spm_payout.rep_currency'::regclass]::oid[]
             FROM pg_extension WHERE extname = 'spm_payout'),
    'g: the currency tables are dumped by pg_dump');
SELECT ok(has_function_privilege(:'adm', 'spm_payout_internal.build_fx(integer[])', 'EXECUTE')
          AND NOT has_function_privilege(:'adm', 'spm_payout_internal.convert_payouts(integer)', 'EXECUTE')
          AND NOT has_function_privilege(:'adm', 'spm_payout_internal.grants_currency()', 'EXECUTE'),
    'g: an admin cannot call the function writing payouts, nor the grants');

SELECT * FROM finish();
ROLLBACK;
