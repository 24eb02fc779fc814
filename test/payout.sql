-- pgTAP: spm_payout (catalog, spm_payout.run_payout, spm_payout.close_period,
-- results and views).  Properties first, on a generated company run month
-- by month with closes, reruns, late deals, changed amounts, cancellations
-- and a plan-year boundary; then examples computed by hand; then every
-- error with its SQLSTATE.  Security, roles and row-level security are in
-- test/payout_security.sql; dump and restore in tools/test_dump.sh.
--
-- Identity columns are never assumed (sequences are not rolled back):
-- periods are found by a date inside them, versions by plan and number.
-- Bugs this file found, each fixed, each test failing before its fix:
--   late_credit of a commission line counted late credit of earlier plan years;
--   1. rerunning the period that booked a late change after a later period
--      ran dropped the late change (never paid);
--   2. a closed period recomputed to no credit at all kept its old credit;
--   3. a rep reporting to itself was not reported as a cycle;
--   4. a period crossing a plan year was computed without lines (its credit
--      never paid) when no earlier period of the year paid the rep;
--   5. a rerun of the open last period of a plan year paid again what a
--      prior-year line paid;
--   6. a plan version that ended kept paying a late change every later
--      period of the plan year (its paid_before ignored those periods).
BEGIN;
SELECT plan(97);
SET client_min_messages = warning;

-- ================================================================= setup
CREATE SCHEMA pt;
SET search_path = pt, public;
-- one row per source row: id is the row, deal the deal (a credit note
-- carries the deal it cancels, so a split deal's credit note is split alike)
CREATE TABLE sales (id int PRIMARY KEY, deal int, seller text, amt numeric, closed date, kind text);
CREATE TABLE splits (deal int, rep text, w numeric);
CREATE TABLE org (rep text, mgr text, valid daterange);
INSERT INTO org VALUES ('r1', 'm1', '(,)'), ('r2', 'm1', '(,)'), ('q1', 'm1', '(,)'),
  ('r3', 'm2', '(,)'), ('r4', 'm2', '(,)'), ('q2', 'm2', '(,)'), ('t1', 'm2', '(,)'),
  ('m1', 'vp', '(,)'), ('m2', 'vp', '(,)'), ('vp', NULL, '(,)');

-- 150 deals in 2025 spread over the year (53 is prime to 365), amounts with
-- cents; every 29th is internal (filtered out); every 8th split 2:1 with the
-- next seller (thirds: the split has remainders)
INSERT INTO sales
SELECT i, i, (ARRAY['r1','r2','r3','r4','q1','q2','t1'])[1 + i % 7],
       round(200 + (i * 7919) % 12000 + ((i * 37) % 100) / 100.0, 2),
       date '2025-01-01' + (i * 53) % 365,
       CASE WHEN i % 29 = 0 THEN 'internal' ELSE 'new' END
  FROM generate_series(1, 150) i;
INSERT INTO splits
SELECT i, (ARRAY['r1','r2','r3','r4','q1','q2','t1'])[1 + i % 7], 2 FROM generate_series(8, 150, 8) i
UNION ALL
SELECT i, (ARRAY['r1','r2','r3','r4','q1','q2','t1'])[1 + (i + 1) % 7], 1 FROM generate_series(8, 150, 8) i;

SELECT count(*) FROM spm_payout.add_pay_periods('2025-01-01', '2026-06-30', 'month') \gset
SELECT count(*) FROM spm_payout.add_pay_periods('2027-01-01', '2028-06-30', 'quarter') \gset
SELECT count(*) FROM spm_payout.add_pay_periods('2029-01-01', '2030-03-31', 'quarter') \gset
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column, filter_column, filter_values)
VALUES ('crm', 'pt.sales', 'seller', 'deal', 'amt', 'closed', 'kind', '{new,credit}');
INSERT INTO spm_payout.split_rule (source_id, relation, deal_column, rep_column, weight_column)
SELECT source_id, 'pt.splits', 'deal', 'rep', 'w' FROM spm_payout.source WHERE name = 'crm';
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column, override_rates)
VALUES ('pt.org', 'rep', 'mgr', 'valid', '{1, 0.25}');
INSERT INTO spm_payout.plan (name) VALUES ('A'), ('Q'), ('T'), ('M'), ('Z'), ('Y');
INSERT INTO spm_payout.plan_version (plan_id, version, valid, schedule, base, target_incentive)
SELECT plan_id, v, r::daterange, s::spm.schedule, b, t
  FROM (VALUES ('A', 1, '[2025-01-01,2025-06-16)', 'marginal(0: 0.02, 20000: 0.05)', 'amount', NULL),
               ('A', 2, '[2025-06-16,)', 'retroactive(0: 0.03, 50000: 0.06)', 'amount', NULL),
               ('Q', 1, '[2025-01-01,)', 'marginal(0: 0.04, 1: 0.08)', 'quota', NULL),
               ('T', 1, '[2025-01-01,)', 'curve(0: 0, 1: 1, 2: 3)', 'attainment', 1000),
               ('M', 1, '[2025-01-01,)', 'marginal(0: 0.005)', 'amount', NULL),
               ('Z', 1, '[2027-01-01,)', 'marginal(0: 0.03)', 'amount', NULL),
               ('Y', 1, '[2029-01-01,)', 'marginal(0: 0.03)', 'amount', NULL)) x(n, v, r, s, b, t)
  JOIN spm_payout.plan ON name = n;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, plan_id, '[2025-01-01,2026-07-01)'
  FROM (VALUES ('r1', 'A'), ('r2', 'A'), ('r3', 'A'), ('r4', 'A'), ('q1', 'Q'), ('q2', 'Q'), ('t1', 'T'),
               ('m1', 'M'), ('m2', 'M'), ('vp', 'M')) x(r, n) JOIN spm_payout.plan ON name = n;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT 'z', plan_id, '[2027-01-01,2029-01-01)' FROM spm_payout.plan WHERE name = 'Z';
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT 'y', plan_id, '[2029-01-01,)' FROM spm_payout.plan WHERE name = 'Y';
INSERT INTO spm_payout.quota (rep, period_id, amount)
SELECT r, period_id, 10000 FROM unnest('{q1,q2,t1}'::text[]) r, spm_payout.pay_period WHERE upper(period) <= '2026-07-01';
INSERT INTO spm_payout.draw_agreement (rep, kind, amount, term, forgive_at_end) VALUES
  ('r3', 'recoverable', 1500, '[2025-01-01,2026-01-01)', false),
  ('t1', 'non_recoverable', 800, '[2025-01-01,2026-01-01)', false),
  ('q2', 'advance', 500, '[2025-03-01,2025-09-01)', true);

-- helpers
CREATE FUNCTION pt.pid(d text) RETURNS int LANGUAGE sql STABLE AS
$$ SELECT (spm_payout.find_period(d)).period_id $$;
CREATE FUNCTION pt.lbl(d text) RETURNS text LANGUAGE sql STABLE AS
$$ SELECT (spm_payout.find_period(d)).label $$;
CREATE FUNCTION pt.run(d text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
BEGIN
    CALL spm_payout.run_payout(d, r);
    RETURN r;
END $$;
CREATE FUNCTION pt.close(d text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CALL spm_payout.close_period(d);
END $$;
-- run and close the months first..last of 2025
CREATE FUNCTION pt.months(first int, last int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR m IN first .. last LOOP
        PERFORM pt.run(make_date(2025, m, 15)::text);
        PERFORM pt.close(make_date(2025, m, 15)::text);
    END LOOP;
END $$;
-- every result row (run ids aside), as text
CREATE VIEW pt.all_results AS
SELECT 'line' AS t, concat_ws(' ', period_id, for_period_id, rep, plan_id, version_id, line_kind, credited, late_credit,
                              credited_to_date, quota_to_date, attainment_to_date, earned_to_date, paid_before, earned,
                              cause) AS r FROM spm_payout.payout_line
UNION ALL
SELECT 'credit', concat_ws(' ', period_id, for_period_id, rep, version_id, source_id, deal, deal_date, via, from_rep,
                           depth, amount) FROM spm_payout.credit_line
UNION ALL
SELECT 'summary', concat_ws(' ', period_id, rep, earned, draw, draw_kind, draw_paid, recovered, forgiven, balance,
                            payout) FROM spm_payout.payout_summary
UNION ALL
SELECT 'period_credit', concat_ws(' ', period_id, for_period_id, rep, version_id, credited, deals)
  FROM spm_payout.period_credit
UNION ALL
SELECT 'period_check', concat_ws(' ', period_id, for_period_id, fingerprint, changed) FROM spm_payout.period_check;

-- The oracle: credit per (credited person, plan version) of the deals dated
-- in [lo, hi), computed from the source without spm_payout: splits by
-- spm.split_share in rep order, roll-ups by the org table and the override
-- rates {1, 0.25}, the version valid on the deal date.
CREATE FUNCTION pt.oracle_credit(lo date, hi date) RETURNS TABLE (rep text, version_id int, credit numeric)
LANGUAGE sql STABLE AS $$
    WITH s AS (SELECT * FROM pt.sales s WHERE s.kind <> 'internal' AND s.closed >= lo AND s.closed < hi),
    base AS (
        SELECT s.closed, s.seller AS rep, s.amt FROM s
         WHERE NOT EXISTS (SELECT 1 FROM pt.splits p WHERE p.deal = s.deal)
        UNION ALL
        SELECT s.closed, p.rep, spm.split_share(s.amt, p.w) OVER (PARTITION BY s.id ORDER BY p.rep)
          FROM s JOIN pt.splits p ON p.deal = s.deal
    ), cr AS (
        SELECT b.rep, b.closed, b.amt FROM base b
        UNION ALL
        SELECT o.mgr, b.closed, b.amt FROM base b JOIN pt.org o ON o.rep = b.rep WHERE o.mgr IS NOT NULL
        UNION ALL
        SELECT o2.mgr, b.closed, b.amt * 0.25 FROM base b JOIN pt.org o ON o.rep = b.rep
          JOIN pt.org o2 ON o2.rep = o.mgr WHERE o2.mgr IS NOT NULL
    )
    SELECT c.rep, v.version_id, sum(c.amt)
      FROM cr c
      JOIN spm_payout.assignment a ON a.rep = c.rep AND a.valid @> c.closed
      JOIN spm_payout.plan_version v ON v.plan_id = a.plan_id AND v.valid @> c.closed
     GROUP BY 1, 2
$$;
-- CONSERVATION: for every rep and plan version, what the lines of plan year
-- y paid (commission lines of its periods starting before hi, plus the
-- prior-year lines booked for it later) against round(E(credit), 2) of the
-- oracle's credit of the year up to hi, E odd for a negative credit.  The
-- quota and attainment plans have one version over whole months: their
-- quota (target) to date is the sum over the year's periods before hi.
-- Returns the (rep, version) that do not balance.
CREATE FUNCTION pt.unbalanced(y int, hi date) RETURNS TABLE (rep text, version_id int, paid numeric, due numeric)
LANGUAGE sql STABLE AS $$
    WITH yr AS (SELECT make_date(y, 1, 1) AS lo, least(make_date(y + 1, 1, 1), hi) AS hi),
    credit AS (SELECT o.* FROM yr, pt.oracle_credit(yr.lo, yr.hi) o),
    todate AS (
        SELECT a.rep, v.version_id, sum(q.amount) AS quota, sum(v.target_incentive) AS target
          FROM yr JOIN spm_payout.pay_period p ON lower(p.period) >= yr.lo AND lower(p.period) < yr.hi
          JOIN spm_payout.assignment a ON a.valid @> lower(p.period)
          JOIN spm_payout.plan_version v ON v.plan_id = a.plan_id AND v.valid @> lower(p.period)
          LEFT JOIN spm_payout.quota q ON q.rep = a.rep AND q.period_id = p.period_id
         GROUP BY 1, 2
    ), due AS (
        SELECT c.rep, c.version_id,
               round(sign(c.credit) * CASE v.base
                   WHEN 'amount' THEN spm.apply(v.schedule, abs(c.credit))
                   WHEN 'quota' THEN spm.apply(v.schedule, abs(c.credit), t.quota)
                   ELSE t.target * spm.apply(v.schedule, spm.attainment(abs(c.credit), t.quota)) END, 2) AS due
          FROM credit c JOIN spm_payout.plan_version v ON v.version_id = c.version_id
          LEFT JOIN todate t ON t.rep = c.rep AND t.version_id = c.version_id
    ), paid AS (
        SELECT l.rep, l.version_id, sum(l.earned) AS paid
          FROM yr, spm_payout.payout_line l
          JOIN spm_payout.pay_period k ON k.period_id = l.period_id
          JOIN spm_payout.pay_period f ON f.period_id = l.for_period_id
         WHERE (l.line_kind = 'commission' AND lower(k.period) >= yr.lo AND lower(k.period) < yr.hi)
            OR (l.line_kind = 'prior_year' AND lower(f.period) >= yr.lo AND lower(f.period) < yr.hi)
         GROUP BY 1, 2
    )
    SELECT coalesce(d.rep, p.rep), coalesce(d.version_id, p.version_id), p.paid, d.due
      FROM due d FULL JOIN paid p ON p.rep = d.rep AND p.version_id = d.version_id
     WHERE coalesce(p.paid, 0) <> coalesce(d.due, 0)
$$;
-- the depth-0 credit booked for each period (wherever booked) against the
-- source rows dated in it: the periods where they differ
CREATE FUNCTION pt.depth0_mismatch(hi date) RETURNS TABLE (period text, booked numeric, source numeric)
LANGUAGE sql STABLE AS $$
    SELECT p.label, b.booked, s.total
      FROM spm_payout.pay_period p
      LEFT JOIN (SELECT c.for_period_id, sum(c.amount) AS booked FROM spm_payout.credit_line c
                  WHERE c.depth = 0 GROUP BY 1) b ON b.for_period_id = p.period_id
      LEFT JOIN (SELECT pp.period_id, sum(s.amt) AS total FROM pt.sales s
                   JOIN spm_payout.pay_period pp ON pp.period @> s.closed
                  WHERE s.kind <> 'internal' GROUP BY 1) s ON s.period_id = p.period_id
     WHERE upper(p.period) <= hi AND b.booked IS DISTINCT FROM s.total
$$;
-- roll-ups: every depth-0 credit (per period, deal, date and rep, net of
-- late rows) rolled up to the manager (depth 1, rate 1) and the manager's
-- manager (depth 2, rate 0.25), exactly, and nothing else
CREATE VIEW pt.rollup_mismatch AS
WITH z AS (SELECT for_period_id, deal, deal_date, rep, sum(amount) AS a FROM spm_payout.credit_line
            WHERE depth = 0 GROUP BY 1, 2, 3, 4),
exp AS (SELECT z.for_period_id, z.deal, z.deal_date, z.rep AS from_rep, 1 AS depth, o.mgr AS rep, z.a AS a
          FROM z JOIN pt.org o ON o.rep = z.rep WHERE o.mgr IS NOT NULL
        UNION ALL
        SELECT z.for_period_id, z.deal, z.deal_date, z.rep, 2, o2.mgr, z.a * 0.25
          FROM z JOIN pt.org o ON o.rep = z.rep JOIN pt.org o2 ON o2.rep = o.mgr WHERE o2.mgr IS NOT NULL),
act AS (SELECT for_period_id, deal, deal_date, from_rep, depth, rep, sum(amount) AS a FROM spm_payout.credit_line
         WHERE depth > 0 GROUP BY 1, 2, 3, 4, 5, 6)
SELECT for_period_id, deal, deal_date, from_rep, depth, rep, exp.a AS expected, act.a AS booked
  FROM exp FULL JOIN act USING (for_period_id, deal, deal_date, from_rep, depth, rep)
 WHERE exp.a IS DISTINCT FROM act.a;
-- the draw ledger of every rep, period after period: payout - earned =
-- balance - previous balance + forgiven (docs/draws.md, Rules)
CREATE VIEW pt.ledger_mismatch AS
SELECT * FROM (
    SELECT s.rep, p.label, s.earned, s.payout, s.forgiven, s.balance,
           lag(s.balance, 1, 0::numeric) OVER (PARTITION BY s.rep ORDER BY lower(p.period)) AS before
      FROM spm_payout.payout_summary s JOIN spm_payout.pay_period p USING (period_id)) x
 WHERE x.payout - x.earned <> x.balance - x.before + x.forgiven;
-- late credit booked in period d for closed period f, depth 0
CREATE FUNCTION pt.late(booked_in text, for_period text) RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(amount), 0) FROM spm_payout.credit_line
     WHERE period_id = pt.pid(booked_in) AND for_period_id = pt.pid(for_period) AND depth = 0
$$;

-- ====================================================== the first quarter
SELECT pt.months(1, 3) \gset
SELECT is((SELECT string_agg(label, ',' ORDER BY period) FROM spm_payout.pay_period WHERE status = 'closed'),
          '2025-01-01..2025-01-31,2025-02-01..2025-02-28,2025-03-01..2025-03-31', 'January to March run and closed');
SELECT is_empty($$SELECT * FROM pt.unbalanced(2025, '2025-04-01')$$, 'conservation: January to March');

-- ============================================================ reruns
SELECT pt.run('2025-04-15') AS run_apr1 \gset
CREATE TEMP TABLE snap AS SELECT * FROM pt.all_results;
SELECT pt.run('2025-04-15') AS run_apr2 \gset
SELECT bag_eq('SELECT * FROM pt.all_results', 'SELECT * FROM snap', 'a rerun of April changes no result row');
SELECT is((SELECT count(*)::int FROM spm_payout.run_log WHERE period = pt.lbl('2025-04-15') AND status = 'succeeded'), 2,
          'both runs are logged');

-- ============================================== late changes to closed periods
-- February: a late deal of r1 (4,321.09) and deal 1 (r2, 2025-02-23) 100 more;
-- March: a late deal of q1's split 1:1 with r2 (1,000.01: 500.01 + 500.00).
-- April (open): deal 7 (r1, 2025-01-07, 7,633.59) cancelled in full; 1,000
-- of the split deal 8 (r2 2 : r3 1) refunded: the credit note splits alike.
INSERT INTO sales VALUES
  (1001, 1001, 'r1',  4321.09,  '2025-02-14', 'new'),
  (1002, 1002, 'q1',  1000.01,  '2025-03-30', 'new'),
  (1003, 7,    'r1', -7633.59,  '2025-04-20', 'credit'),
  (1004, 8,    'r2', -1000.00,  '2025-04-25', 'credit');
INSERT INTO splits VALUES (1002, 'q1', 1), (1002, 'r2', 1);
UPDATE sales SET amt = amt + 100 WHERE id = 1;
SELECT is((SELECT amt FROM sales WHERE id = 7), 7633.59, 'deal 7 is 200 + 55,433 mod 12,000 + 0.59 = 7,633.59');
SELECT pt.run('2025-04-15') AS run_apr3 \gset
SELECT is((SELECT row(examined_periods, changed_periods)::text FROM spm_payout.run_log WHERE run_id = :run_apr3),
          '("2025-01-01..2025-01-31, 2025-02-01..2025-02-28, 2025-03-01..2025-03-31","2025-02-01..2025-02-28, 2025-03-01..2025-03-31")',
          'the run examines the closed periods and finds February and March changed');
SELECT is(pt.late('2025-04-15', '2025-02-15'), 4421.09, 'February''s late credit: 4,321.09 + 100 = 4,421.09');
SELECT is(pt.late('2025-04-15', '2025-03-15'), 1000.01, 'March''s late credit: 1,000.01');
SELECT set_eq($$SELECT rep, amount FROM spm_payout.credit_line WHERE deal = '1002' AND depth = 0$$,
              $$VALUES ('q1', 500.01), ('r2', 500.00)$$, 'the late split deal: 500.01 to q1 (earlier), 500.00 to r2');
SELECT set_eq($$SELECT rep, amount FROM spm_payout.credit_line WHERE deal = '8' AND depth = 0 AND deal_date = '2025-04-25'$$,
              $$VALUES ('r2', -666.67), ('r3', -333.33)$$,
              'the credit note of the split deal 8 splits like it: -666.67 (largest remainder) and -333.33');
SELECT is((SELECT late_credit FROM spm_payout.payout_line
             WHERE period_id = pt.pid('2025-04-15') AND rep = 'r1' AND line_kind = 'commission'), 4321.09,
          'r1''s April commission line shows the late credit');
CREATE TEMP TABLE snap_late AS SELECT * FROM pt.all_results;
SELECT pt.run('2025-04-15') AS run_apr4 \gset
SELECT bag_eq('SELECT * FROM pt.all_results', 'SELECT * FROM snap_late',
              'a rerun of the period that booked the late changes books them again, identically (not twice)');
SELECT pt.close('2025-04-15') \gset
SELECT pt.run('2025-05-15') AS run_may \gset
SELECT is((SELECT count(*)::int FROM spm_payout.credit_line WHERE period_id = pt.pid('2025-05-15') AND for_period_id <> period_id),
          0, 'the next period does not book the late changes again');
SELECT is((SELECT changed_periods FROM spm_payout.run_log WHERE run_id = :run_may), '', 'and finds nothing changed');
SELECT is((SELECT sum(amount) FROM spm_payout.credit_line WHERE for_period_id = pt.pid('2025-02-15') AND depth = 0),
          (SELECT sum(amt) FROM sales WHERE closed BETWEEN '2025-02-01' AND '2025-02-28' AND kind <> 'internal'),
          'February''s credit, wherever booked, is its source total');
SELECT is_empty($$SELECT * FROM pt.unbalanced(2025, '2025-06-01')$$,
                'conservation: January to May, with late deals, a changed amount and cancellations');
SELECT is_empty($$SELECT * FROM pt.depth0_mismatch('2025-06-01')$$, 'depth 0 credit = source total, period by period');
SELECT is_empty($$SELECT * FROM pt.rollup_mismatch$$, 'roll-ups exact: depth 1 at rate 1, depth 2 at rate 0.25');
SELECT is((SELECT count(*)::int FROM spm_payout.payout_line WHERE period_id = pt.pid('2025-05-15') AND rep = 'r1'), 1,
          'r1 has one line in May: version 2 of plan A starts 2025-06-16');

-- ================================================ the rest of 2025
SELECT pt.close('2025-05-15') \gset
SELECT pt.months(6, 7) \gset
-- a late deal in the closed July; r1's deal 140 (2025-05-01, version 1,
-- 4,860.80) cancelled in September (the credit note is dated under version
-- 2: it is credited there); t1 refunds 2,000 in August
INSERT INTO sales VALUES
  (1005, 1005, 'r4', 2500.50, '2025-07-31', 'new'),
  (1006, 140,  'r1', -4860.80, '2025-09-03', 'credit'),   -- deal 140: r1, 2025-05-01
  (1007, 1007, 't1', -2000, '2025-08-08', 'credit');
-- the split of deal 16 (2025-04-29, closed April) changes from 2:1 to 1:1
UPDATE splits SET w = 1 WHERE deal = 16;
SELECT pt.months(8, 12) \gset
SELECT is((SELECT changed_periods FROM spm_payout.run_log WHERE period = pt.lbl('2025-08-15') ORDER BY run_id DESC LIMIT 1),
          '2025-04-01..2025-04-30, 2025-07-01..2025-07-31', 'August finds April (the split) and July (the late deal) changed');
SELECT is((SELECT row(count(*), sum(amount))::text FROM spm_payout.credit_line
            WHERE deal = '16' AND depth = 0 AND period_id = pt.pid('2025-08-15')),
          '(2,0.00)', 'the new split of deal 16 moves credit between its two reps: two late rows adding up to 0');
SELECT is((SELECT count(*)::int FROM spm_payout.pay_period WHERE status = 'closed'), 12, '2025 is run and closed');
SELECT is_empty($$SELECT * FROM pt.unbalanced(2025, '2026-01-01')$$, 'conservation: the plan year 2025');
SELECT is_empty($$SELECT * FROM pt.depth0_mismatch('2026-01-01')$$, 'depth 0 credit = source total, every month of 2025');
SELECT is_empty($$SELECT * FROM pt.rollup_mismatch$$, 'roll-ups exact over 2025');
SELECT is((SELECT sum(amount) FROM spm_payout.credit_line WHERE depth = 0 AND for_period_id IN
             (SELECT period_id FROM spm_payout.pay_period WHERE period <@ '[2025-01-01,2026-01-01)')),
          (SELECT sum(amt) FROM sales WHERE kind <> 'internal' AND closed < '2026-01-01'),
          'the sum of credit over reps at depth 0 is the source total of the year');
SELECT ok((SELECT count(DISTINCT l.version_id) FROM spm_payout.payout_line l JOIN spm_payout.plan p ON p.plan_id = l.plan_id
            WHERE p.name = 'A' AND l.rep = 'r1' AND l.earned <> 0) = 2,
          'r1 was paid under both versions of plan A');
SELECT is_empty($$SELECT * FROM pt.ledger_mismatch$$, 'every draw ledger row: payout - earned = balance change + forgiven');
SELECT is((SELECT balance FROM spm_payout.draw_balance WHERE rep = 'q2' AND period_start = '2025-08-01'), 0::numeric,
          'the advance is forgiven in the period where its term ends');
SELECT ok((SELECT forgiven FROM spm_payout.draw_balance WHERE rep = 'q2' AND period_start = '2025-08-01') >= 3000,
          'at least the six advances of 500 (March to August) are forgiven');

-- ================================================ a new plan year
-- a late deal of q2 in the closed December; t1's deal 6 (2025-11-15,
-- 11,714.22) and r4's deal 3 (2025-06-09, 11,957.11, version 2) cancelled
-- in January 2026
INSERT INTO sales VALUES
  (1010, 6,    't1', -11714.22, '2026-01-10', 'credit'),
  (1011, 3,    'r4', -11957.11, '2026-01-12', 'credit'),
  (1012, 1012, 'q2',   2000.00, '2025-12-20', 'new');
SELECT is((SELECT array_agg(amt ORDER BY id) FROM sales WHERE id IN (3, 6)), '{11957.11,11714.22}'::numeric[],
          'deals 3 and 6: 200 + 23,757 mod 12,000 + 0.11 and 200 + 47,514 mod 12,000 + 0.22');
SELECT pt.run('2026-01-15') AS run_jan26 \gset
SELECT set_eq($$SELECT rep FROM spm_payout.payout_line WHERE line_kind = 'prior_year'$$, $$VALUES ('q2'), ('m2'), ('vp')$$,
              'the late December deal settles 2025 again: prior-year lines for q2 and its managers');
SELECT is((SELECT for_period FROM spm_payout.payout_statement WHERE line_kind = 'prior_year' AND rep = 'q2'),
          pt.lbl('2025-12-15'), 'a prior-year line is for the last period of the year');
SELECT is_empty($$SELECT * FROM pt.unbalanced(2025, '2026-01-01')$$, 'conservation: 2025 with its prior-year lines');
SELECT is_empty($$SELECT * FROM pt.unbalanced(2026, '2026-02-01')$$, 'conservation: January 2026 (negative credit)');
-- the odd rule, by hand:
-- t1 (attainment, target 1,000, quota 10,000): -11,714.22 to date;
--   attainment 1.171422; curve: 1 + 2 * 0.171422 = 1.342844; * 1,000 = 1,342.844
--   -> -1,342.84
-- r4 (version 2, retroactive 3% below 50,000): -3% * 11,957.11 = -358.7133 -> -358.71
-- m2: -(11,714.22 + 11,957.11) = -23,671.33: -0.5% -> -118.35665 -> -118.36
-- vp: 0.25 * -23,671.33 = -5,917.8325: -0.5% -> -29.5891625 -> -29.59
SELECT set_eq($$SELECT rep, earned FROM spm_payout.payout_statement
                WHERE period = pt.lbl('2026-01-15') AND line_kind = 'commission' AND rep IN ('t1', 'r4', 'm2', 'vp')$$,
              $$VALUES ('t1', -1342.84), ('r4', -358.71), ('m2', -118.36), ('vp', -29.59)$$,
              'a cancellation in a new plan year: E is odd, -E(|credit to date|)');
SELECT is((SELECT attainment_to_date FROM spm_payout.attainment_by_rep WHERE rep = 't1' AND period_start = '2026-01-01'),
          -1.171422::numeric, 'attainment to date is negative too');
-- late_credit of a commission line is the late credit its plan year pays;
-- a late change of an earlier year is paid by the prior-year line
SELECT is_empty($$
    SELECT l.rep, l.late_credit,
           (SELECT coalesce(sum(c.amount), 0) FROM spm_payout.credit_line c
              JOIN spm_payout.pay_period f ON f.period_id = c.for_period_id
             WHERE c.period_id = l.period_id AND c.for_period_id <> l.period_id AND c.rep = l.rep
               AND c.version_id = l.version_id AND f.period <@ '[2026-01-01,2027-01-01)') AS same_year
      FROM spm_payout.payout_line l
     WHERE l.period_id = pt.pid('2026-01-15') AND l.line_kind = 'commission'
    EXCEPT
    SELECT l.rep, l.late_credit, l.late_credit FROM spm_payout.payout_line l$$,
    'January 2026: no commission line shows 2025''s late credit as its own');
CREATE TEMP TABLE snap_jan AS SELECT * FROM pt.all_results;
SELECT pt.run('2026-01-15') AS run_jan26b \gset
SELECT bag_eq('SELECT * FROM pt.all_results', 'SELECT * FROM snap_jan', 'a rerun of January 2026 changes no result row');
SELECT is_empty($$SELECT * FROM pt.unbalanced(2025, '2026-01-01')$$, 'the prior-year lines are not paid twice');
SELECT pt.close('2026-01-15') \gset

-- ================================================ lookback 0
-- With lookback_periods = 0 a run examines no closed period: a late deal
-- in the closed November 2025 is neither booked nor paid, and 2025 no
-- longer balances.  It is not lost: the fingerprint is compared with the
-- latest one recorded, so the first run with a lookback reaching November
-- books it.
INSERT INTO spm_payout.setting (lookback_periods) VALUES (0);
INSERT INTO sales VALUES (1013, 1013, 'r1', 1234.56, '2025-11-11', 'new');
SELECT pt.run('2026-02-15') AS run_feb26 \gset
SELECT is((SELECT row(examined_periods, changed_periods)::text FROM spm_payout.run_log WHERE run_id = :run_feb26),
          '("","")', 'lookback 0: no closed period examined');
SELECT is((SELECT count(*)::int FROM spm_payout.credit_line WHERE deal = '1013'), 0, 'lookback 0: the late deal is not booked');
SELECT set_eq($$SELECT rep FROM pt.unbalanced(2025, '2026-01-01')$$, $$VALUES ('r1'), ('m1'), ('vp')$$,
              'lookback 0: 2025 is short of the late deal for r1 and its managers');
UPDATE spm_payout.setting SET lookback_periods = 12;
SELECT pt.run('2026-02-15') AS run_feb26b \gset
SELECT is((SELECT changed_periods FROM spm_payout.run_log WHERE run_id = :run_feb26b), pt.lbl('2025-11-15'),
          'back to lookback 12: November is found changed');
SELECT is_empty($$SELECT * FROM pt.unbalanced(2025, '2026-01-01')$$, 'and 2025 balances again (prior-year lines)');
SELECT is_empty($$SELECT * FROM pt.unbalanced(2026, '2026-03-01')$$, 'conservation: January and February 2026');

-- ================================================ errors
-- Each error is raised inside the statement given to throws_ok (a DO block
-- when the error needs a change first): the change rolls back with it.
SELECT throws_ok($$CALL spm_payout.run_payout('2025-03-15')$$, '55000',
                 'pay period 2025-03-01..2025-03-31 is closed', 'running a closed period');
SELECT throws_ok($$CALL spm_payout.run_payout('2026-04-15')$$, '55000',
                 'pay period 2026-03-01..2026-03-31 of the same plan year has never been run',
                 'running a period while an earlier one of the plan year was never run');
SELECT throws_ok($q$DO $d$BEGIN DELETE FROM spm_payout.quota WHERE rep = 'q1' AND period_id = pt.pid('2026-03-15');
                               PERFORM pt.run('2026-03-15'); RAISE EXCEPTION 'no error was raised'; END$d$$q$, '22023',
                 'rep q1 has no quota for pay period 2026-03-01..2026-03-31 or an earlier period of the plan year',
                 'a quota plan without a quota');
SELECT throws_ok($q$DO $d$BEGIN INSERT INTO pt.sales VALUES (9001, 9001, NULL, 10, '2026-03-10', 'new');
                               PERFORM pt.run('2026-03-15'); RAISE EXCEPTION 'no error was raised'; END$d$$q$, '23502',
                 'source crm: deal 9001 has a NULL rep', 'a source row with a NULL rep');
SELECT throws_ok($q$DO $d$BEGIN INSERT INTO pt.sales VALUES (9002, 9002, 'r1', NULL, '2026-03-10', 'new');
                               PERFORM pt.run('2026-03-15'); RAISE EXCEPTION 'no error was raised'; END$d$$q$, '23502',
                 'source crm: deal 9002 has a NULL amount', 'a source row with a NULL amount');
SELECT throws_ok($q$DO $d$BEGIN INSERT INTO pt.sales VALUES (9003, 9003, 'r1', 'NaN', '2026-03-10', 'new');
                               PERFORM pt.run('2026-03-15'); RAISE EXCEPTION 'no error was raised'; END$d$$q$, '22023',
                 'source crm: deal 9003 has amount NaN', 'a NaN amount');
SELECT throws_ok($q$DO $d$BEGIN INSERT INTO pt.sales VALUES (9004, 9004, 'r1', '-Infinity', '2026-03-10', 'credit');
                               PERFORM pt.run('2026-03-15'); RAISE EXCEPTION 'no error was raised'; END$d$$q$, '22023',
                 'source crm: deal 9004 has amount -Infinity', 'an infinite amount');
SELECT throws_ok($$CALL spm_payout.run_payout('no such period')$$, '22023',
                 'no pay period is labelled ''no such period''', 'an unknown period label');
SELECT throws_ok($$CALL spm_payout.run_payout('2033-01-01')$$, '22023',
                 'no pay period contains 2033-01-01', 'a date in no period');
SELECT throws_ok($$SELECT spm_payout.find_period('infinity')$$, '22023',
                 'no pay period contains infinity', 'find_period(''infinity''): 22023 with a message');
SELECT throws_ok($$INSERT INTO spm_payout.pay_period (label, period) VALUES ('overlap', '[2025-01-15,2025-02-15)')$$,
                 '23P01', NULL, 'overlapping pay periods');
SELECT throws_ok($$INSERT INTO spm_payout.assignment (rep, plan_id, valid)
                   SELECT 'r1', plan_id, '[2026-06-01,2026-08-01)' FROM spm_payout.plan WHERE name = 'Q'$$,
                 '23P01', NULL, 'overlapping assignments of a rep');
SELECT throws_ok($$INSERT INTO spm_payout.plan_version (plan_id, version, valid, schedule)
                   SELECT plan_id, 3, '[2026-01-01,)', 'marginal(0: 0.1)' FROM spm_payout.plan WHERE name = 'A'$$,
                 '23P01', NULL, 'overlapping versions of a plan');
SELECT throws_ok($$INSERT INTO spm_payout.draw_agreement (rep, kind, amount, term)
                   VALUES ('r3', 'advance', 10, '[2025-12-01,2026-02-01)')$$,
                 '23P01', NULL, 'overlapping draws of a rep');
SELECT throws_ok($q$DO $d$BEGIN UPDATE pt.org SET mgr = 'r1' WHERE rep = 'vp';
                               PERFORM pt.run('2026-03-15'); RAISE EXCEPTION 'no error was raised'; END$d$$q$, '22023', NULL,
                 'a cycle in the hierarchy');
SELECT throws_like($q$DO $d$BEGIN UPDATE pt.org SET mgr = 'r1' WHERE rep = 'vp';
                                 PERFORM pt.run('2026-03-15'); RAISE EXCEPTION 'no error was raised'; END$d$$q$,
                   'hierarchy rule: the hierarchy has a cycle: % reports to %', 'the cycle is named');
SELECT throws_ok($q$DO $d$BEGIN UPDATE pt.org SET mgr = 'r1' WHERE rep = 'r1';
                               PERFORM pt.run('2026-03-15'); RAISE EXCEPTION 'no error was raised'; END$d$$q$, '22023', NULL,
                 'a rep reporting to itself is a cycle');
SELECT throws_ok($q$DO $d$BEGIN DROP TABLE pt.sales CASCADE; PERFORM pt.run('2026-03-15'); RAISE EXCEPTION 'no error was raised'; END$d$$q$, '42P01',
                 'the table of source crm no longer exists', 'a dropped source table');
SELECT throws_ok($$CALL spm_payout.close_period('2026-01-15')$$, '55000',
                 'pay period 2026-01-01..2026-01-31 is already closed', 'closing twice');
SELECT throws_ok($$CALL spm_payout.close_period('2026-03-15')$$, '55000',
                 'pay period 2026-03-01..2026-03-31 has never been run', 'closing a period never run');
SELECT throws_ok($q$DO $d$BEGIN INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason)
                               VALUES ('r1', pt.pid('2026-02-15'), 100, 'late spiff');
                               CALL spm_payout.close_period('2026-02-15'); RAISE EXCEPTION 'no error was raised'; END$d$$q$, '55000',
                 format('the inputs of pay period 2026-02-01..2026-02-28 changed since its last run (run %s)', :run_feb26b),
                 'closing after an adjustment inserted after the run');
SELECT throws_ok($$INSERT INTO spm_payout.quota (rep, period_id, amount) VALUES ('r1', pt.pid('2025-03-15'), 1)$$,
                 '55000', 'pay period 2025-03-01..2025-03-31 is closed', 'a quota for a closed period');
SELECT throws_ok($$INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason) VALUES ('r1', pt.pid('2025-03-15'), 1, 'x')$$,
                 '55000', 'pay period 2025-03-01..2025-03-31 is closed', 'an adjustment for a closed period');
SELECT throws_ok($$CALL spm_payout.close_period(NULL)$$, '22004',
                 'spm_payout.close_period: period must not be NULL', 'close_period(NULL)');
SELECT throws_ok($$UPDATE spm_payout.hierarchy_rule SET override_rates = '{1,-0.5}'$$, '22023',
                 'override_rates must be a one-dimensional array of finite rates >= 0 without NULLs', 'a negative override rate');
SELECT throws_ok($$UPDATE spm_payout.hierarchy_rule SET override_rates = '{{1},{0.5}}'$$, '22023',
                 'override_rates must be a one-dimensional array of finite rates >= 0 without NULLs', 'two-dimensional override rates');
SELECT throws_ok($$UPDATE spm_payout.hierarchy_rule SET override_rates = '{1,NULL}'$$, '22023',
                 'override_rates must be a one-dimensional array of finite rates >= 0 without NULLs', 'a NULL override rate');
CREATE TEMP TABLE tmp_sales (seller text, id int, amt numeric, closed date);
SELECT throws_ok($$INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
                   VALUES ('tmp', 'tmp_sales', 'seller', 'id', 'amt', 'closed')$$, '42809',
                 'relation tmp_sales is a temporary relation', 'registering a temporary table');
SELECT throws_ok($$INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column, time_zone)
                   VALUES ('tz', 'pt.sales', 'seller', 'id', 'amt', 'closed', 'Mars/Olympus')$$, '22023',
                 'time zone ''Mars/Olympus'' is not known', 'an unknown time zone');
SELECT is((SELECT count(*)::int FROM spm_payout.run WHERE status = 'failed'), 0,
          'inside a transaction block a failed run leaves no row (it rolls back with the block)');

-- ================================================ bugs found by this file, fixed (each test failed before its fix)
-- Plan Z pays z 3% of credit; quarters of 2027 and 2028.
--
-- Bug 1: a late change booked by a period, and that period rerun after a later
-- period ran: the rerun compares the closed period with the later run's
-- check (already the new fingerprint), finds it unchanged and drops the
-- late rows it had booked; the later period then finds it unchanged too.
-- The late deal is never paid.
INSERT INTO sales VALUES (2001, 2001, 'z', 100000, '2027-02-01', 'new');
SELECT pt.run('2027-02-01') AS z1 \gset
SELECT pt.close('2027-02-01') \gset
INSERT INTO sales VALUES (2002, 2002, 'z', 10000, '2027-03-15', 'new');   -- late, in the closed 2027Q1
SELECT pt.run('2027-05-01') AS z2 \gset
-- 110,000 to date: 3,300.00; paid 3,000.00 before: 300.00
SELECT is((SELECT earned FROM spm_payout.payout_line WHERE period_id = pt.pid('2027-05-01') AND rep = 'z'), 300.00,
          'the late deal is paid in 2027Q2: 3% of 110,000 - 3,000 = 300.00');
SELECT pt.run('2027-08-01') AS z3 \gset
SELECT pt.run('2027-05-01') AS z4 \gset
SELECT pt.run('2027-08-01') AS z5 \gset
SELECT is(pt.late('2027-05-01', '2027-02-01'), 10000::numeric, 'the rerun of 2027Q2 keeps the late credit of 2027Q1');
SELECT is((SELECT sum(earned) FROM spm_payout.payout_line WHERE rep = 'z' AND period_id IN
             (pt.pid('2027-02-01'), pt.pid('2027-05-01'), pt.pid('2027-08-01'))), 3300.00,
          'conservation: 2027 pays E(110,000) = 3,300.00');
-- Bug 2: a closed period whose every deal is removed: the recomputation has no
-- credit row, so nothing records it, and the older computation (with the
-- deal) stays the latest one: credit to date keeps the removed deal.
INSERT INTO sales VALUES (2003, 2003, 'z', 50000, '2028-02-01', 'new');
-- z's manager changes on 2028-02-15: the deal of 2028-02-01 rolls up to zm1
INSERT INTO org VALUES ('z', 'zm1', '[2028-01-01,2028-02-15)'), ('z', 'zm2', '[2028-02-15,)');
SELECT pt.run('2028-02-01') AS z6 \gset
SELECT set_eq($$SELECT rep, depth, amount FROM spm_payout.credit_line WHERE deal = '2003'$$,
              $$VALUES ('z', 0, 50000), ('zm1', 1, 50000)$$, 'a deal rolls up to the manager of its date');
SELECT pt.close('2028-02-01') \gset
DELETE FROM sales WHERE id = 2003;   -- booked by mistake
-- h joins plan Q on 2028-05-16 with a quota of 30,000 for 2028Q2: prorated
-- to 46 of its 91 days: 30,000 * 46 / 91 = 15,164.835... -> 15,164.84; a
-- deal of 10,000 on 2028-06-01 earns 4% (below quota) = 400.00
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT 'h', plan_id, '[2028-05-16,2028-07-01)' FROM spm_payout.plan WHERE name = 'Q';
INSERT INTO spm_payout.quota (rep, period_id, amount) VALUES ('h', pt.pid('2028-05-01'), 30000);
INSERT INTO sales VALUES (2004, 2004, 'h', 10000, '2028-06-01', 'new');
SELECT pt.run('2028-05-01') AS z7 \gset
SELECT is((SELECT late_credit FROM spm_payout.payout_line WHERE period_id = pt.pid('2028-05-01') AND rep = 'z'),
          -50000::numeric, 'the removal is booked as late credit: -50,000');
SELECT is((SELECT row(quota_to_date, earned)::text FROM spm_payout.payout_line WHERE rep = 'h' AND period_id = pt.pid('2028-05-01')),
          '(15164.84,400.00)', 'a quota prorated to the days on the plan');
SELECT is((SELECT credited_to_date FROM spm_payout.payout_line WHERE period_id = pt.pid('2028-05-01') AND rep = 'z'),
          0::numeric, 'credit to date without the removed deal: 0');
SELECT is((SELECT earned FROM spm_payout.payout_line WHERE period_id = pt.pid('2028-05-01') AND rep = 'z'),
          -1500.00, 'the removal claws back 3% of 50,000: -1,500.00');

-- ================================================ plan versions
-- Z version 1 paid the closed 2027Q1 and 2028Q1: it can only be ended,
-- not before 2028-04-01 (the end of the last closed period it paid).
SELECT version_id AS zv1 FROM spm_payout.plan_version JOIN spm_payout.plan USING (plan_id) WHERE name = 'Z' AND version = 1 \gset
SELECT throws_ok(format($$UPDATE spm_payout.plan_version SET schedule = 'marginal(0: 0.04)' WHERE version_id = %s$$, :zv1),
                 '55000', format('plan version %s paid a closed pay period', :zv1), 'a used version''s schedule cannot change');
SELECT throws_ok(format($$UPDATE spm_payout.plan_version SET valid = '[2027-01-01,2028-01-01)' WHERE version_id = %s$$, :zv1),
                 '55000', format('plan version %s paid a closed pay period', :zv1),
                 'a used version cannot end before the end of the last closed period it paid');
SELECT throws_ok(format($$UPDATE spm_payout.plan_version SET valid = '[2027-02-01,)' WHERE version_id = %s$$, :zv1),
                 '55000', format('plan version %s paid a closed pay period', :zv1), 'nor start later');
SELECT throws_ok(format($$DELETE FROM spm_payout.plan_version WHERE version_id = %s$$, :zv1),
                 '55000', format('plan version %s paid a closed pay period', :zv1), 'nor be deleted');
SELECT lives_ok(format($$UPDATE spm_payout.plan_version SET valid = '[2027-01-01,2028-07-01)' WHERE version_id = %s$$, :zv1),
                'a used version can be ended after its last closed period');
SELECT lives_ok($$INSERT INTO spm_payout.plan_version (plan_id, version, valid, schedule)
                  SELECT plan_id, 2, '[2028-07-01,)', 'marginal(0: 0.05)' FROM spm_payout.plan WHERE name = 'Z'$$,
                'and followed by a new version');
SELECT lives_ok($$UPDATE spm_payout.plan_version SET schedule = 'marginal(0: 0.06)'
                   WHERE version = 2 AND plan_id = (SELECT plan_id FROM spm_payout.plan WHERE name = 'Z')$$,
                'a version no closed period used can be edited');

-- Bug 5: a late change to a closed period of an earlier plan year whose last
-- period is still open: the run of the new year pays it as a prior-year
-- line, and a rerun of the open last period pays it again in its
-- commission line (it accumulates the closed period's new computation).
-- (2029Q4 is run once and stays open.)
-- Plan Y pays y 3%; 2029 in quarters, then 2030Q1.
INSERT INTO sales VALUES (3001, 3001, 'y', 100000, '2029-08-01', 'new');
SELECT pt.run('2029-02-01') AS y1 \gset
SELECT pt.close('2029-02-01') \gset
SELECT pt.run('2029-05-01') AS y2 \gset
SELECT pt.close('2029-05-01') \gset
SELECT pt.run('2029-08-01') AS y3 \gset
SELECT pt.close('2029-08-01') \gset
SELECT pt.run('2029-11-01') AS y4 \gset
SELECT pt.run('2030-02-01') AS y5 \gset
INSERT INTO sales VALUES (3002, 3002, 'y', 10000, '2029-09-01', 'new');   -- late, in the closed 2029Q3
SELECT pt.run('2030-02-01') AS y6 \gset
-- 2029 at its end: 110,000: 3,300.00; paid 3,000.00: a prior-year line of 300.00
SELECT is((SELECT earned FROM spm_payout.payout_line WHERE rep = 'y' AND line_kind = 'prior_year'), 300.00,
          'the late deal of 2029 is paid in 2030Q1 as a prior-year line of 300.00');
SELECT pt.run('2029-11-01') AS y7 \gset
SELECT is((SELECT earned FROM spm_payout.payout_line WHERE rep = 'y' AND period_id = pt.pid('2029-11-01')), 0.00,
          'the rerun of 2029Q4 does not pay the late deal again');
SELECT is((SELECT sum(earned) FROM spm_payout.payout_line l JOIN spm_payout.pay_period f ON f.period_id = l.for_period_id
            WHERE l.rep = 'y' AND f.period <@ '[2029-01-01,2030-01-01)'), 3300.00,
          'conservation: 2029 pays E(110,000) = 3,300.00');

-- ================================================ plan years and time zones
-- A period crossing the end of a plan year is refused when computing it
-- would accumulate credit over two plan years.
SELECT throws_ok($q$DO $d$BEGIN INSERT INTO spm_payout.pay_period (label, period) VALUES ('2030/31', '[2030-04-01,2031-02-01)');
                               PERFORM pt.run('2030/31'); RAISE EXCEPTION 'no error was raised'; END$d$$q$, '22023',
                 'pay period 2030/31 crosses the end of the plan year [2030-01-01,2031-01-01) of plan Y',
                 'a period crossing a plan year');
-- Bug 4: but only when the rep has a line earlier in the plan year: without one,
-- the crossing period is computed without any line, its credit never paid.
SELECT throws_ok($q$DO $d$BEGIN INSERT INTO spm_payout.pay_period (label, period) VALUES ('2031/32', '[2031-12-01,2032-02-01)');
                               INSERT INTO pt.sales VALUES (9010, 9010, 'y', 1000, '2031-12-10', 'new');
                               PERFORM pt.run('2031/32'); RAISE EXCEPTION 'no error was raised'; END$d$$q$, '22023',
                 'pay period 2031/32 crosses the end of the plan year [2031-01-01,2032-01-01) of plan Y',
                 'a period crossing a plan year, the first of its year');
-- a timestamptz date is read in the source's time zone: 2028-07-01 02:00 UTC
-- is 2028-06-30 in New York, inside 2028Q2
CREATE TABLE pt.web_orders (order_id int, seller text, total numeric, placed timestamptz);
INSERT INTO pt.web_orders VALUES (1, 'z', 2000, '2028-07-01 02:00+00'), (2, 'z', 3000, '2028-04-01 04:30+00');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column, time_zone)
VALUES ('web', 'pt.web_orders', 'seller', 'order_id', 'total', 'placed', 'America/New_York');
SELECT pt.run('2028-05-01') AS z8 \gset
SELECT set_eq($$SELECT deal, deal_date FROM spm_payout.credit_statement WHERE source = 'web'$$,
              $$VALUES ('1', date '2028-06-30'), ('2', date '2028-04-01')$$,
              'a timestamptz date is the date in the source''s time zone');

SELECT * FROM finish();
ROLLBACK;
