-- pgTAP: payroll export (docs/payroll.md).  Batches per pay date, lines per
-- rep, period and earning code; reruns of exported periods become
-- adjustment lines of the next batch; exported batches are locked; the
-- exported amounts of a rep add up to its payouts; bad input and rights
-- from real roles (created with backend-unique names, rolled back).
BEGIN;
SELECT plan(67);
SET client_min_messages = warning;

-- ================================================================= setup
SELECT format('pay%s_adm', pg_backend_pid()) AS adm, format('pay%s_ana', pg_backend_pid()) AS ana,
       format('pay%s_ann', pg_backend_pid()) AS ann, format('pay%s_bob', pg_backend_pid()) AS bob \gset
SELECT spm_payout.create_roles();
CREATE ROLE :"adm" NOLOGIN IN ROLE spm_admin;
CREATE ROLE :"ana" NOLOGIN IN ROLE spm_analyst;
CREATE ROLE :"ann" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"bob" NOLOGIN IN ROLE spm_rep;
CREATE SCHEMA pay AUTHORIZATION :"adm";
GRANT USAGE ON SCHEMA pay TO PUBLIC;

SET ROLE :"adm";
CREATE TABLE pay.sales (id int, seller text, amt numeric(12,2), closed date);
INSERT INTO pay.sales VALUES (1, 'ann', 12000, '2025-01-10'), (2, 'bob', 4000, '2025-01-15');
CREATE FUNCTION pay.run(period text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
BEGIN
    CALL spm_payout.run_payout(period, r);
    RETURN r;
END $$;
CREATE FUNCTION pay.per(m int) RETURNS int LANGUAGE sql STABLE AS
$$ SELECT period_id FROM spm_payout.pay_period WHERE lower(period) = make_date(2025, m, 1) $$;
-- the lines of a batch, comparable
CREATE FUNCTION pay.lines(b bigint) RETURNS TABLE (employee_id text, earning_code text, month int, amount numeric, kind text)
LANGUAGE sql STABLE AS $$
    SELECT employee_id, earning_code, extract(month FROM period_start)::int, amount, kind
      FROM spm_payout.payroll_file WHERE batch_id = b ORDER BY 1, 2, 3
$$;
SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods('2025-01-01', '2025-04-30')), 4, 'setup: four monthly periods');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('crm', 'pay.sales', 'seller', 'id', 'amt', 'closed');
INSERT INTO spm_payout.plan (name) VALUES ('pay plan');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule) SELECT plan_id, 1, 'marginal(0: 0.05)' FROM spm_payout.plan;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, plan_id, '[2025-01-01,)' FROM spm_payout.plan, unnest('{ann,bob}'::text[]) r;
INSERT INTO spm_payout.draw_agreement (rep, kind, amount, term) VALUES ('bob', 'recoverable', 300, '[2025-01-01,2025-04-01)');
INSERT INTO spm_payout.employee VALUES ('ann', 'E100'), ('bob', 'E200');
INSERT INTO spm_payout.earning_code (pays, code) VALUES
  ('commission', 'COMM'), ('prior_year', 'COMM'), ('manual', 'ADJ'), ('draw', 'DRAW'), ('recovery', 'DRREC');
INSERT INTO spm_payout.rep_login VALUES (:'ann', 'ann'), (:'bob', 'bob');
SELECT ok(pay.run('2025-01-15') IS NOT NULL, 'setup: January is run');
CALL spm_payout.close_period('2025-01-15');

-- ============================================ a. the first batch: January
SELECT spm_payout.export_payroll('2025-02-05') AS b1 \gset
-- Ann: 12,000 × 5% = 600.00.  Bob: 4,000 × 5% = 200.00 earned, topped up
-- to the 300 draw: draw paid 100.00, payout 300.00 = 200 + 100.
SELECT results_eq($$SELECT * FROM pay.lines($$ || :b1 || $$)$$,
    $$VALUES ('E100', 'COMM', 1, 600.00, 'regular'), ('E200', 'COMM', 1, 200.00, 'regular'),
             ('E200', 'DRAW', 1, 100.00, 'regular')$$,
    'a: January is exported per employee and earning code; the draw paid under DRAW');
SELECT results_eq($$SELECT status, created_by COLLATE "default", include_open, periods, exported_at IS NOT NULL
                      FROM spm_payout.payroll_batch WHERE batch_id = $$ || :b1,
    format($$VALUES ('exported', %L, false, ARRAY[pay.per(1)], true)$$, :'adm'),
    'a: the batch is exported by the admin, covering January');
SELECT is(spm_payout.export_payroll('2025-02-05'), :b1::bigint, 'a: exporting the same pay date again returns the same batch');
SELECT is((SELECT count(*)::int FROM spm_payout.payroll_line), 3, 'a: ... and adds nothing');
SELECT is((SELECT count(*)::int FROM spm_payout.payroll_batch), 1, 'a: ... and no batch');

-- ============================== b. February, open, exported on request
INSERT INTO pay.sales VALUES (3, 'bob', 10000, '2025-02-10');
INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason) VALUES ('ann', pay.per(2), 50, 'spiff');
SELECT ok(pay.run('2025-02-15') IS NOT NULL, 'b: February is run');
SELECT spm_payout.export_payroll('2025-02-20') AS b2 \gset
SELECT is((SELECT count(*)::int FROM spm_payout.payroll_line WHERE batch_id = :b2), 0,
          'b: February is open: a batch without include_open exports nothing of it');
SELECT spm_payout.export_payroll('2025-02-28', include_open => true) AS b3 \gset
-- Bob: 10,000 × 5% = 500.00 earned over a 300 draw: recovers min(balance
-- 100, 500 − 300) = 100.00, payout 400.00 = 500 − 100.  Ann: the 50 spiff.
SELECT results_eq($$SELECT * FROM pay.lines($$ || :b3 || $$)$$,
    $$VALUES ('E100', 'ADJ', 2, 50.00, 'regular'), ('E200', 'COMM', 2, 500.00, 'regular'),
             ('E200', 'DRREC', 2, -100.00, 'regular')$$,
    'b: include_open exports February: the manual line under ADJ, the recovery negative under DRREC');
SELECT is((SELECT count(*)::int FROM spm_payout.payroll_line
            WHERE batch_id = spm_payout.export_payroll('2025-03-01')), 0,
          'b: a later batch without include_open leaves the exported open period as it is (nothing reversed)');
-- rerun February with a late deal of Ann's: the exported batch does not change
INSERT INTO pay.sales VALUES (4, 'ann', 2000, '2025-02-20');
SELECT ok(pay.run('2025-02-15') IS NOT NULL, 'b: February is run again');
SELECT results_eq($$SELECT * FROM pay.lines($$ || :b3 || $$)$$,
    $$VALUES ('E100', 'ADJ', 2, 50.00, 'regular'), ('E200', 'COMM', 2, 500.00, 'regular'),
             ('E200', 'DRREC', 2, -100.00, 'regular')$$,
    'b: the exported batch keeps its amounts after the rerun');
SELECT is(spm_payout.export_payroll('2025-02-28', true), :b3::bigint, 'b: the same pay date still returns the same batch');
SELECT is((SELECT count(*)::int FROM spm_payout.payroll_line WHERE batch_id = :b3), 3, 'b: ... unchanged');
CALL spm_payout.close_period('2025-02-15');
SELECT spm_payout.export_payroll('2025-03-05') AS b4 \gset
-- Ann's 2,000 deal pays 100.00 more in February: an adjustment line
SELECT results_eq($$SELECT * FROM pay.lines($$ || :b4 || $$)$$,
    $$VALUES ('E100', 'COMM', 2, 100.00, 'adjustment')$$,
    'b: the rerun''s difference is an adjustment line of the next batch');

-- ==================== c. March: a clawback, paid nothing; draws carry it
INSERT INTO pay.sales VALUES (5, 'ann', -20000, '2025-03-05');
SELECT ok(pay.run('2025-03-15') IS NOT NULL, 'c: March is run');
-- Ann: credit to date 12,000 + 2,000 − 20,000 = −6,000 → −300.00 to date,
-- 700.00 paid before: a −1,000.00 line; payout 0, balance 1,000.00.  Bob:
-- no sales, the 300 draw is paid in full.
SELECT results_eq($$SELECT rep, earned, payout, balance FROM spm_payout.payout_summary WHERE period_id = pay.per(3) ORDER BY rep$$,
    $$VALUES ('ann', -1000.00, 0.00, 1000.00), ('bob', 0.00, 300.00, 300.00)$$,
    'c: (the results: Ann''s clawback goes to her balance, Bob draws 300)');
CALL spm_payout.close_period('2025-03-15');
SELECT spm_payout.export_payroll('2025-04-05') AS b5 \gset
SELECT results_eq($$SELECT * FROM pay.lines($$ || :b5 || $$)$$,
    $$VALUES ('E200', 'DRAW', 3, 300.00, 'regular')$$,
    'c: a period with negative earnings exports nothing of them (payout 0); the draw is exported');

-- ================= d. sub-cent amounts: rounded per rep, period and code
-- April, open: Bob gets a 10.005 adjustment; no draw any more; his balance
-- of 300 recovers it in full: payout 0.  Exported: ADJ round(10.005) =
-- 10.01, DRREC −10.01: the rep's total is 0 = payout.
INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason) VALUES ('bob', pay.per(4), 10.005, 'odd');
SELECT ok(pay.run('2025-04-15') IS NOT NULL, 'd: April is run');
SELECT spm_payout.export_payroll('2025-04-30', true) AS b6 \gset
SELECT results_eq($$SELECT * FROM pay.lines($$ || :b6 || $$)$$,
    $$VALUES ('E200', 'ADJ', 4, 10.01, 'regular'), ('E200', 'DRREC', 4, -10.01, 'regular')$$,
    'd: amounts are rounded to the cent, half away from zero');

-- ============================================= e. conservation, once only
-- Ann: 600 + 50 + 100 + 0 = 750.00; Bob: 300 + 400 + 300 + 0 = 1,000.00
SELECT results_eq($$SELECT rep, sum(amount) FROM spm_payout.payroll_line GROUP BY rep ORDER BY rep$$,
    $$VALUES ('ann', 750.00), ('bob', 1000.00)$$,
    'e: exported per rep (by hand)');
SELECT results_eq($$SELECT rep, sum(amount) FROM spm_payout.payroll_line GROUP BY rep ORDER BY rep$$,
    $$SELECT s.rep, sum(s.payout) FROM spm_payout.payout_summary s
       WHERE s.period_id IN (SELECT unnest(periods) FROM spm_payout.payroll_batch) GROUP BY s.rep ORDER BY s.rep$$,
    'e: exported per rep = the sum of payout_summary.payout of the exported periods as computed now');
SELECT is((SELECT count(*)::int FROM (SELECT 1 FROM spm_payout.payroll_line WHERE kind = 'regular'
                                        GROUP BY rep, period_id, earning_code HAVING count(*) > 1) d), 0,
          'e: no rep, period and code is exported as regular twice');
SELECT is((SELECT count(*)::int FROM spm_payout.payroll_line l
            WHERE kind = 'adjustment' AND NOT EXISTS (SELECT 1 FROM spm_payout.payroll_line e
                                                       WHERE e.rep = l.rep AND e.period_id = l.period_id AND e.batch_id < l.batch_id)), 0,
          'e: every adjustment line is for a rep and period an earlier batch exported');
SELECT ok(spm_payout.export_payroll('2025-05-05', true) > :b6, 'e: a batch when nothing changed ...');
SELECT is((SELECT count(*)::int FROM spm_payout.payroll_line l JOIN spm_payout.payroll_batch b USING (batch_id)
            WHERE b.pay_date = '2025-05-05'), 0, 'e: ... exports nothing');
-- the file, as COPY writes it
SELECT results_eq($$SELECT employee_id, earning_code, pay_date, amount::text, period_start, period_end, kind
                      FROM spm_payout.payroll_file WHERE batch_id = $$ || :b4,
    $$VALUES ('E100', 'COMM', '2025-03-05'::date, '100.00', '2025-02-01'::date, '2025-02-28'::date, 'adjustment')$$,
    'e: payroll_file: employee, code, pay date, amount with two decimals, period, kind');
SELECT results_eq($$SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                     WHERE attrelid = 'spm_payout.payroll_file'::regclass AND attname IN ('employee_id', 'earning_code', 'pay_date', 'amount')
                     ORDER BY attnum$$,
    $$VALUES ('date'), ('text'), ('text'), ('numeric(15,2)')$$,
    'e: payroll_file has plain typed columns');

-- ============================================================ f. bad input
SELECT throws_ok($$SELECT spm_payout.export_payroll(NULL)$$, '22004', NULL, 'f: a NULL pay date (22004)');
SELECT throws_ok($$SELECT spm_payout.export_payroll('2025-06-01', NULL)$$, '22004', NULL, 'f: a NULL include_open (22004)');
SELECT throws_ok($$SELECT spm_payout.export_payroll('infinity')$$, '22023', NULL, 'f: an infinite pay date (22023)');
SELECT throws_ok($$SELECT spm_payout.export_payroll('2025-03-02')$$, '22023',
    'pay date 2025-03-02 precedes the latest payroll batch (2025-05-05)', 'f: a pay date before the latest batch (22023)');
INSERT INTO pay.sales VALUES (6, 'bob', 1000, '2025-04-10');
SELECT ok(pay.run('2025-04-15') IS NOT NULL, 'f: April is run again (Bob owed more)');
DELETE FROM spm_payout.employee WHERE rep = 'bob';
SELECT throws_ok($$SELECT spm_payout.export_payroll('2025-06-05', true)$$, '22023', 'no employee id for rep bob',
    'f: a rep owed money without an employee id is refused, named (22023)');
INSERT INTO spm_payout.employee VALUES ('bob', 'E200');
DELETE FROM spm_payout.earning_code WHERE pays = 'commission';
SELECT throws_ok($$SELECT spm_payout.export_payroll('2025-06-05', true)$$, '22023', 'no earning code for commission lines of plan ''pay plan''',
    'f: a line without an earning code is refused (22023)');
SELECT is((SELECT count(*)::int FROM spm_payout.payroll_batch WHERE pay_date = '2025-06-05'), 0, 'f: ... and nothing is written');
SELECT throws_ok($$INSERT INTO spm_payout.earning_code (pays, plan_id, code) SELECT 'draw', plan_id, 'X' FROM spm_payout.plan$$, '23514', NULL,
    'f: a draw code cannot be per plan (23514)');
SELECT throws_ok($$INSERT INTO spm_payout.earning_code (pays, code) VALUES ('draw', 'DRAW2')$$, '23505', NULL,
    'f: one code per use (23505)');
SELECT throws_ok($$INSERT INTO spm_payout.employee VALUES ('cy', 'E100')$$, '23505', NULL, 'f: an employee id maps one rep (23505)');
SELECT throws_ok($$INSERT INTO spm_payout.employee VALUES ('cy', '')$$, '23514', NULL, 'f: an empty employee id (23514)');
-- a per-plan code wins over the code for every plan
INSERT INTO spm_payout.earning_code (pays, code) VALUES ('commission', 'COMM');
INSERT INTO spm_payout.earning_code (pays, plan_id, code) SELECT 'commission', plan_id, 'COMMP' FROM spm_payout.plan;
SELECT spm_payout.export_payroll('2025-06-05', true) AS b8 \gset
-- Bob's 1,000 April deal: 50.00 commission, all recovered from his balance
-- (300 − 10.005 left): recovered 10.005 + 50 = 60.005 → −60.01 rounded,
-- already exported −10.01: −50.00 more.
SELECT results_eq($$SELECT * FROM pay.lines($$ || :b8 || $$)$$,
    $$VALUES ('E200', 'COMMP', 4, 50.00, 'adjustment'), ('E200', 'DRREC', 4, -50.00, 'adjustment')$$,
    'f: the plan''s own code is used; the April changes are adjustments');

-- ============ k. plan acceptance: held earnings are not exported until released
-- Dee, on a plan whose policy is hold, sells 2,000 in April: 5% = 100.00
-- earned and held (payout 0); she accepts; May's run releases the 100.00.
INSERT INTO spm_payout.plan (name, acceptance_policy) VALUES ('held plan', 'hold');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule)
SELECT plan_id, 1, 'marginal(0: 0.05)' FROM spm_payout.plan WHERE name = 'held plan';
INSERT INTO spm_payout.assignment (rep, plan_id, valid) SELECT 'dee', plan_id, '[2025-04-01,)' FROM spm_payout.plan WHERE name = 'held plan';
INSERT INTO spm_payout.employee VALUES ('dee', 'E400');
INSERT INTO pay.sales VALUES (7, 'dee', 2000, '2025-04-20');
SELECT ok(pay.run('2025-04-15') IS NOT NULL, 'k: April is run again (Dee''s deal, held)');
SELECT results_eq($$SELECT earned, held, payout FROM spm_payout.payout_summary WHERE rep = 'dee'$$,
    $$VALUES (100.00, 100.00, 0.00)$$, 'k: (the results: 100.00 earned, held, payout 0)');
SELECT is((SELECT count(*)::int FROM spm_payout.payroll_line
            WHERE batch_id = spm_payout.export_payroll('2025-06-10', true)), 0,
          'k: held earnings are not exported (Dee''s commission line and the hold net to 0)');
SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods('2025-05-01', '2025-05-31')), 1, 'k: May is added');
SELECT ok((SELECT count(*) FROM spm_payout.accept_plan_for('dee', 'held plan', 1)) = 1, 'k: Dee accepts (recorded by the admin)');
SELECT ok(pay.run('2025-05-15') IS NOT NULL, 'k: May is run');
SELECT spm_payout.export_payroll('2025-06-15', true) AS b10 \gset
SELECT results_eq($$SELECT * FROM pay.lines($$ || :b10 || $$)$$,
    $$VALUES ('E400', 'COMM', 5, 100.00, 'regular')$$,
    'k: the release is exported in May under the plan''s commission code');
SELECT results_eq($$SELECT sum(amount) FROM spm_payout.payroll_line WHERE rep = 'dee'$$,
    $$SELECT sum(s.payout) FROM spm_payout.payout_summary s
       WHERE s.rep = 'dee' AND s.period_id IN (SELECT unnest(periods) FROM spm_payout.payroll_batch)$$,
    'k: Dee''s exported total = her payouts (0 + 100.00)');
RESET ROLE;

-- ============================================================= g. locks
SELECT throws_ok($$UPDATE spm_payout.payroll_line SET amount = amount + 1$$, '55000', NULL,
    'g: even the owner cannot change an exported line (55000)');
SELECT throws_ok($$DELETE FROM spm_payout.payroll_line$$, '55000', NULL, 'g: ... nor delete one (55000)');
SELECT throws_ok(format($$INSERT INTO spm_payout.payroll_line (batch_id, rep, employee_id, earning_code, period_id, amount, kind, pays)
                          VALUES (%s, 'ann', 'E100', 'XX', %s, 1, 'regular', 'manual')$$, :b1, pay.per(1)),
    '55000', NULL, 'g: ... nor add one to an exported batch (55000)');
SELECT throws_ok($$UPDATE spm_payout.payroll_batch SET pay_date = pay_date + 1$$, '55000', NULL, 'g: ... nor change a batch (55000)');
SELECT throws_ok($$DELETE FROM spm_payout.payroll_batch$$, '55000', NULL, 'g: ... nor delete a batch (55000)');
SELECT throws_ok($$TRUNCATE spm_payout.payroll_line$$, '55000', NULL, 'g: ... nor truncate the lines (55000)');

-- ============================================================ h. rights
SET ROLE :"ann";
SELECT results_eq($$SELECT DISTINCT rep, employee_id FROM spm_payout.payroll_line$$, $$VALUES ('ann', 'E100')$$,
    'h: a rep reads only its own payroll lines');
SELECT is((SELECT sum(amount) FROM spm_payout.payroll_file), 750.00, 'h: ... and its own file rows (750.00)');
SELECT throws_ok($$SELECT spm_payout.export_payroll('2025-07-01')$$, '42501', NULL, 'h: a rep cannot export (42501)');
SELECT throws_ok($$SELECT * FROM spm_payout.employee$$, '42501', NULL, 'h: a rep cannot read employee ids (42501)');
RESET ROLE;
SET ROLE :"bob";
SELECT is((SELECT count(*)::int FROM spm_payout.payroll_file), 9, 'h: Bob reads his 9 lines');
RESET ROLE;
SET ROLE :"ana";
SELECT is((SELECT count(*)::int FROM spm_payout.payroll_line), 13, 'h: an analyst reads every line (3 of Ann''s, 9 of Bob''s, 1 of Dee''s)');
SELECT throws_ok($$SELECT spm_payout.export_payroll('2025-07-01')$$, '42501', NULL, 'h: an analyst cannot export (42501)');
SELECT throws_ok($$INSERT INTO spm_payout.employee VALUES ('cy', 'E300')$$, '42501', NULL, 'h: ... nor map employees (42501)');
RESET ROLE;
SET ROLE :"adm";
SELECT throws_ok($$UPDATE spm_payout.payroll_line SET amount = 1$$, '42501', NULL, 'h: an admin cannot write payroll lines (42501)');
RESET ROLE;

-- ============================================================ i. audit
SELECT results_eq(format($$SELECT table_name::text, operation, count(*)::int FROM spm_payout.audit_log
                            WHERE as_role = %L AND table_name IN ('employee', 'earning_code', 'payroll_batch')
                            GROUP BY 1, 2 ORDER BY 1, 2$$, :'adm'),
    $$VALUES ('earning_code', 'DELETE', 1), ('earning_code', 'INSERT', 7), ('employee', 'DELETE', 1),
             ('employee', 'INSERT', 4), ('payroll_batch', 'INSERT', 11), ('payroll_batch', 'UPDATE', 11)$$,
    'i: mappings and batches are audited with the acting role (a batch: created, then exported)');

-- ====================================== j. restoring: the locks step aside
SET check_function_bodies = off;
SET row_security = off;
SELECT lives_ok($$DELETE FROM spm_payout.payroll_line WHERE batch_id = $$ || :b8, 'j: while a dump is restored, the lock trigger is a no-op');
RESET row_security;
RESET check_function_bodies;

SELECT * FROM finish();
ROLLBACK;
