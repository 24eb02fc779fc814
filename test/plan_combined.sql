-- test/plan_combined.sql — pgTAP: one plan version that combines the parts
-- of docs/components.md and docs/holdbacks.md: a filtered component with a
-- 20% holdback released one period later, an accelerator gated on it, a
-- rate table by product line and a SPIFF, over three monthly periods.
-- Every number is computed by hand in the comment above its assertion, and
-- money is conserved: what was paid plus what is still held equals what
-- was earned.
BEGIN;
SELECT plan(24);
SET client_min_messages = warning;

CREATE SCHEMA combo;
CREATE TABLE combo.sales (id int, seller text, amount numeric(12,2), line text, kind text, closed date);
INSERT INTO combo.sales VALUES
  (1, 'ann', 4000, 'hardware', 'renewal', '2025-01-10'),
  (2, 'ann', 2000, 'software', 'new',     '2025-01-20'),
  (3, 'ann', 6000, 'software', 'new',     '2025-02-05'),
  (4, 'ann', 1000, 'hardware', 'new',     '2025-02-15');
SELECT count(*) FROM spm_payout.add_pay_periods('2025-01-01', '2025-03-31') \gset
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('combo crm', 'combo.sales', 'seller', 'id', 'amount', 'closed');
SELECT source_id AS src FROM spm_payout.source WHERE name = 'combo crm' \gset
INSERT INTO spm_payout.plan (name) VALUES ('combo plan');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule)
SELECT plan_id, 1, 'marginal(0: 0)' FROM spm_payout.plan WHERE name = 'combo plan';
SELECT version_id AS v FROM spm_payout.plan_version JOIN spm_payout.plan USING (plan_id) WHERE name = 'combo plan' \gset
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT 'ann', plan_id, '[2025-01-01,)' FROM spm_payout.plan WHERE name = 'combo plan';
INSERT INTO spm_payout.quota (rep, period_id, amount) SELECT 'ann', period_id, 10000 FROM spm_payout.pay_period;

-- new logos: 5% of new deals, quota share 0.5, 20% held back one period
INSERT INTO spm_payout.plan_component (version_id, name, source_id, filter_column, filter_values, base, schedule,
                                       quota_share, holdback_share, holdback_release, holdback_periods)
VALUES (:v, 'new_logo', :src, 'kind', '{new}', 'amount', 'marginal(0: 0.05)', 0.5, 0.2, 'periods', 1);
-- 2% of every deal, only while new-logo attainment to date >= 50%
INSERT INTO spm_payout.plan_component (version_id, name, source_id, base, schedule, gate_component, gate_attainment)
VALUES (:v, 'accelerator', :src, 'amount', 'marginal(0: 0.02)', 'new_logo', 0.5);
-- every deal at its product line's rate: hardware 1%, software 3%
INSERT INTO spm_payout.plan_component (version_id, name, source_id, base, schedule, rate_column)
VALUES (:v, 'product', :src, 'amount', 'marginal(0: 0)', 'line');
SELECT component_id AS product FROM spm_payout.plan_component WHERE version_id = :v AND name = 'product' \gset
INSERT INTO spm_payout.component_rate (component_id, value, schedule)
VALUES (:product, 'hardware', 'marginal(0: 0.01)'), (:product, 'software', 'marginal(0: 0.03)');
-- 100.00 per new deal closed in February
INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, filter_column, filter_values,
                                       spiff_window, spiff_amount)
VALUES (:v, 'february spiff', 'spiff', :src, 'kind', '{new}', '[2025-02-01,2025-03-01)', 100);

CREATE FUNCTION combo.line(month date, component text) RETURNS numeric LANGUAGE sql AS $$
    SELECT l.earned FROM spm_payout.payout_statement l
     WHERE l.period_start = month AND l.rep = 'ann' AND l.component = line.component AND l.line_kind = 'commission'
$$;
CREATE FUNCTION combo.summary(month date) RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws('/', s.earned, s.held, s.released, s.payout) FROM spm_payout.payout_summary s
      JOIN spm_payout.pay_period p USING (period_id) WHERE lower(p.period) = month AND s.rep = 'ann'
$$;

-- ================================================================ January
CALL spm_payout.run_payout('2025-01-15');
-- new logos: deal 2, 2,000 x 5% = 100.00
SELECT is(combo.line('2025-01-01', 'new_logo'), 100.00, 'January new logos: 5% of 2,000 = 100.00');
-- the gate: new-logo attainment 2,000 / (10,000 x 0.5) = 0.4 < 0.5: nothing
SELECT is(combo.line('2025-01-01', 'accelerator'), 0.00, 'January accelerator: gated (new-logo attainment 0.4)');
-- product: 4,000 hardware x 1% = 40.00, 2,000 software x 3% = 60.00
SELECT is(combo.line('2025-01-01', 'product'), 100.00, 'January product lines: 40.00 + 60.00');
SELECT results_eq($$SELECT deal, commission FROM spm_payout.deal_statement WHERE rep = 'ann' AND period = '2025-01-01..2025-01-31' ORDER BY deal$$,
                  $$VALUES ('1', 40.00), ('2', 60.00)$$, 'January deal lines of the rate table: each deal at its own rate');
SELECT is(coalesce(combo.line('2025-01-01', 'february spiff'), 0), 0.00, 'January SPIFF: no deal in its window');
-- earned 200.00; 20% of new logos' 100.00 held: 20.00; paid 180.00
SELECT is(combo.summary('2025-01-01'), '200.00/20.00/0/180.00', 'January: earned 200.00, held 20.00, paid 180.00');
CALL spm_payout.close_period('2025-01-15');

-- =============================================================== February
CALL spm_payout.run_payout('2025-02-15');
-- new logos to date: 2,000 + 6,000 + 1,000 = 9,000 x 5% = 450.00, less 100.00
SELECT is(combo.line('2025-02-01', 'new_logo'), 350.00, 'February new logos: 450.00 to date less 100.00');
-- the gate opens: 9,000 / (20,000 x 0.5) = 0.9; all 13,000 to date x 2% = 260.00
SELECT is(combo.line('2025-02-01', 'accelerator'), 260.00, 'February accelerator: the gate opens and pays the catch-up 260.00');
-- product: 6,000 software x 3% = 180.00, 1,000 hardware x 1% = 10.00
SELECT is(combo.line('2025-02-01', 'product'), 190.00, 'February product lines: 180.00 + 10.00');
-- SPIFF: deals 3 and 4 are new and in February: 2 x 100.00
SELECT is(combo.line('2025-02-01', 'february spiff'), 200.00, 'February SPIFF: two new deals x 100.00');
-- earned 350 + 260 + 190 + 200 = 1,000.00; held 20% of 350.00 = 70.00;
-- January's 20.00 released; paid 1,000 - 70 + 20 = 950.00
SELECT is(combo.summary('2025-02-01'), '1000.00/70.00/20.00/950.00', 'February: earned 1,000.00, held 70.00, released 20.00, paid 950.00');
-- a rerun gives the same
CALL spm_payout.run_payout('2025-02-15');
SELECT is(combo.summary('2025-02-01'), '1000.00/70.00/20.00/950.00', 'a rerun of February gives the same amounts');
CALL spm_payout.close_period('2025-02-15');

-- ================================================================== March
CALL spm_payout.run_payout('2025-03-15');
-- no deals: every to-date amount is unchanged, so every line is 0; the
-- gate stays open (9,000 / 15,000 = 0.6); February's 70.00 is released
SELECT is(combo.line('2025-03-01', 'new_logo'), 0.00, 'March new logos: nothing new');
SELECT is(combo.line('2025-03-01', 'accelerator'), 0.00, 'March accelerator: the gate stays open, nothing new');
SELECT is(coalesce(combo.line('2025-03-01', 'product'), 0), 0.00, 'March product lines: nothing new');
SELECT is(coalesce(combo.line('2025-03-01', 'february spiff'), 0), 0.00, 'March SPIFF: its window is over, nothing new');
SELECT is((SELECT s.released || '/' || s.payout FROM spm_payout.payout_summary s JOIN spm_payout.pay_period p USING (period_id)
            WHERE lower(p.period) = '2025-03-01' AND s.rep = 'ann'), '70.00/70.00', 'March: February''s 70.00 released and paid');

-- ========================================================== conservation
-- over the quarter: earned 200 + 1,000 + 0 = 1,200.00; paid 180 + 950 + 70
SELECT is((SELECT sum(earned) FROM spm_payout.payout_line WHERE rep = 'ann'), 1200.00, 'earned over the quarter: 1,200.00');
SELECT is((SELECT sum(payout) FROM spm_payout.payout_summary WHERE rep = 'ann'), 1200.00,
          'paid over the quarter: 180.00 + 950.00 + 70.00 = 1,200.00, nothing still held');
SELECT is((SELECT sum(held) - sum(released) FROM spm_payout.payout_summary WHERE rep = 'ann'), 0.00,
          'everything held was released');
-- the deal lines of the rate table add up to its lines
SELECT is((SELECT sum(commission) FROM spm_payout.deal_statement WHERE rep = 'ann' AND component = 'product'), 290.00,
          'the rate table''s deal lines add up to its lines: 100.00 + 190.00');
-- one line per component and period
SELECT is((SELECT count(*)::int FROM spm_payout.payout_line WHERE rep = 'ann' AND line_kind = 'commission' AND component_id IS NULL), 0,
          'every line names its component');

-- ============================================ an earlier plan year changes
-- December 2024 (the plan year before) is run and closed; a late December
-- deal then changes it: the settlement of 2024 would give the rate-table
-- component a prior-year line, which the run refuses (0A000) rather than
-- pay by another rule than the rate table's
SELECT count(*) FROM spm_payout.add_pay_periods('2024-12-01', '2024-12-31') \gset
UPDATE spm_payout.assignment SET valid = '[2024-12-01,)' WHERE rep = 'ann';
INSERT INTO spm_payout.quota (rep, period_id, amount)
SELECT 'ann', period_id, 10000 FROM spm_payout.pay_period WHERE label = '2024-12-01..2024-12-31';
INSERT INTO combo.sales VALUES (5, 'ann', 1000, 'hardware', 'renewal', '2024-12-10');
CALL spm_payout.run_payout('2024-12-15');
-- December: product 1,000 hardware x 1% = 10.00 (the accelerator is gated)
SELECT is(combo.line('2024-12-01', 'product'), 10.00, 'December 2024: product line 10.00');
CALL spm_payout.close_period('2024-12-15');
INSERT INTO combo.sales VALUES (6, 'ann', 500, 'hardware', 'renewal', '2024-12-20');
SELECT throws_ok($$CALL spm_payout.run_payout('2025-03-15')$$, '0A000',
                 'component product of plan combo plan has a rate table, and a closed period of its plan year ending 2024-12-01..2024-12-31 changed',
                 'a changed closed period of an earlier plan year with a rate-table component: 0A000, not a wrong line');

SELECT * FROM finish();
ROLLBACK;
