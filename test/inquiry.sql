-- pgTAP: inquiries (docs/inquiries.md).  Reps raise inquiries about their
-- own payout lines and deals (row-level security, from real roles);
-- analysts and admins resolve them, with an adjustment the next run pays,
-- or reject them; bad input pinned by SQLSTATE; everything audited.
-- Roles are created with backend-unique names and rolled back.
BEGIN;
SELECT plan(53);
SET client_min_messages = warning;

-- ================================================================= setup
SELECT format('inq%s_adm', pg_backend_pid()) AS adm, format('inq%s_ana', pg_backend_pid()) AS ana,
       format('inq%s_ann', pg_backend_pid()) AS ann, format('inq%s_bob', pg_backend_pid()) AS bob,
       format('inq%s_nob', pg_backend_pid()) AS nob \gset
SELECT spm_payout.create_roles();
CREATE ROLE :"adm" NOLOGIN IN ROLE spm_admin;
CREATE ROLE :"ana" NOLOGIN IN ROLE spm_analyst;
CREATE ROLE :"ann" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"bob" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"nob" NOLOGIN IN ROLE spm_rep;     -- mapped to no rep
CREATE SCHEMA inq AUTHORIZATION :"adm";
GRANT USAGE ON SCHEMA inq TO PUBLIC;

SET ROLE :"adm";
CREATE TABLE inq.sales (id int, seller text, amt numeric(12,2), closed date);
INSERT INTO inq.sales VALUES (1, 'ann', 10000, '2025-01-10'), (2, 'bob', 4000, '2025-01-20'), (3, 'cy', 1000, '2025-01-25');
-- a second source where deal 1 of Ann's appears too
CREATE TABLE inq.services (id int, seller text, amt numeric(12,2), closed date);
INSERT INTO inq.services VALUES (1, 'ann', 100, '2025-01-12');
CREATE FUNCTION inq.run(period text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
BEGIN
    CALL spm_payout.run_payout(period, r);
    RETURN r;
END $$;
CREATE FUNCTION inq.per(m int) RETURNS int LANGUAGE sql STABLE AS
$$ SELECT period_id FROM spm_payout.pay_period WHERE lower(period) = make_date(2025, m, 1) $$;
SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods('2025-01-01', '2025-02-28')), 2, 'setup: two monthly periods');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('crm', 'inq.sales', 'seller', 'id', 'amt', 'closed'), ('svc', 'inq.services', 'seller', 'id', 'amt', 'closed');
INSERT INTO spm_payout.plan (name) VALUES ('inq plan');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule) SELECT plan_id, 1, 'marginal(0: 0.05)' FROM spm_payout.plan;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, plan_id, '[2025-01-01,)' FROM spm_payout.plan, unnest('{ann,bob,cy}'::text[]) r;
INSERT INTO spm_payout.rep_login VALUES (:'ann', 'ann'), (:'bob', 'bob');
SELECT ok(inq.run('2025-01-15') IS NOT NULL, 'setup: January is run');
-- the commission lines: Ann (10,000 + 100) × 5% = 505.00, Bob 4,000 × 5% = 200.00
SELECT line_id AS ann_line FROM spm_payout.payout_line WHERE rep = 'ann' AND period_id = inq.per(1) \gset
SELECT line_id AS bob_line FROM spm_payout.payout_line WHERE rep = 'bob' AND period_id = inq.per(1) \gset
RESET ROLE;

-- ============================================== a. a rep raises inquiries
SET ROLE :"ann";
SELECT spm_payout.raise_inquiry('2025-01-15', 'Is my 10,000 deal paid at 5%?', line_id => :ann_line) AS q1 \gset
SELECT results_eq($$SELECT rep, period_id, line_id, status, raised_by COLLATE "default", (line ->> 'earned')::numeric
                      FROM spm_payout.inquiry WHERE inquiry_id = $$ || :q1,
    format($$VALUES ('ann', %s, %s::bigint, 'open', %L, 505.00)$$, inq.per(1), :ann_line, :'ann'),
    'a: a rep raises an inquiry on its own line: open, raised by its role, the line as it was kept');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', 'Deal 1 closed on the 9th', deal => '1')$$, '22023',
    'deal 1 is in 2 sources', 'a: a deal in two sources needs the source (22023)');
SELECT spm_payout.raise_inquiry('2025-01-15', 'Deal 1 closed on the 9th', deal => '1', source => 'crm') AS q2 \gset
SELECT results_eq($$SELECT rep, deal, source_id, line_id FROM spm_payout.inquiry WHERE inquiry_id = $$ || :q2,
    $$SELECT 'ann', '1', source_id, NULL::bigint FROM spm_payout.source WHERE name = 'crm'$$,
    'a: ... and on its own deal, naming the source');
SELECT lives_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', 'The service part', deal => '1', source => 'svc')$$,
    'a: ... the same deal number in the other source');
SELECT throws_ok(format($$SELECT spm_payout.raise_inquiry('2025-01-15', 'Why is Bob paid 200?', line_id => %s)$$, :bob_line),
    '42501', format('payout line %s is not a line of rep ann', :bob_line), 'a: on another rep''s line (42501)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', 'Bob''s deal', deal => '2')$$,
    '42501', 'deal 2 is not credited to rep ann in pay period 2025-01-01..2025-01-31', 'a: on another rep''s deal (42501)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', 'A deal never made', deal => '99')$$,
    '42501', NULL, 'a: on a deal never credited to the rep (42501)');
SELECT throws_ok(format($$INSERT INTO spm_payout.inquiry (rep, period_id, line_id, question) VALUES ('bob', %s, %s, 'as Bob')$$,
                        inq.per(1), :bob_line),
    '42501', NULL, 'a: inserting an inquiry for another rep directly is refused by row-level security (42501)');
SELECT throws_ok(format($$INSERT INTO spm_payout.inquiry (rep, period_id, line_id, question, status) VALUES ('ann', %s, %s, 'q', 'resolved')$$,
                        inq.per(1), :ann_line),
    '42501', NULL, 'a: a rep cannot set the status (42501)');
SELECT throws_ok(format($$UPDATE spm_payout.inquiry SET question = 'changed' WHERE inquiry_id = %s$$, :q1),
    '42501', NULL, 'a: a rep cannot change an inquiry (42501)');
SELECT throws_ok(format($$DELETE FROM spm_payout.inquiry WHERE inquiry_id = %s$$, :q1),
    '42501', NULL, 'a: ... nor delete one (42501)');
SELECT throws_ok(format($$SELECT spm_payout.resolve_inquiry(%s, 'I agree with myself', 1000)$$, :q1),
    '42501', NULL, 'a: ... nor resolve one (42501)');
RESET ROLE;
-- granted EXECUTE by mistake, a rep is still refused by the role check inside
GRANT EXECUTE ON FUNCTION spm_payout.resolve_inquiry(bigint, text, numeric, text) TO :"ann";
SET ROLE :"ann";
SELECT throws_ok(format($$SELECT spm_payout.resolve_inquiry(%s, 'I agree with myself', 1000)$$, :q1),
    '42501', format('role %s may not settle inquiries', :'ann'), 'a: resolve_inquiry checks the acting role (42501)');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION spm_payout.resolve_inquiry(bigint, text, numeric, text) FROM :"ann";
SET ROLE :"ann";
RESET ROLE;

-- ============================================================ b. bad input
SET ROLE :"ann";
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', NULL, deal => '1')$$, '22004', NULL, 'b: a NULL question (22004)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', '', deal => '1')$$, '22023',
    'spm_payout.raise_inquiry: the question is empty', 'b: an empty question (22023)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', '  ', deal => '1')$$, '22023', NULL, 'b: a blank question (22023)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry(NULL, 'q', deal => '1')$$, '22004', NULL, 'b: a NULL period (22004)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2031-01-15', 'q', deal => '1')$$, '22023',
    'no pay period contains 2031-01-15', 'b: an unknown period (22023, as run_payout)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('nope', 'q', deal => '1')$$, '22023',
    'no pay period is labelled ''nope''', 'b: an unknown label (22023)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', 'q')$$, '22023',
    'spm_payout.raise_inquiry: give a line_id or a deal', 'b: neither a line nor a deal (22023)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', 'q', line_id => 999999999)$$, '22023',
    'no payout line 999999999', 'b: an unknown line (22023)');
SELECT throws_ok(format($$SELECT spm_payout.raise_inquiry('2025-02-15', 'q', line_id => %s)$$, :ann_line), '22023',
    format('payout line %s is not a line of pay period 2025-02-01..2025-02-28', :ann_line), 'b: a line of another period (22023)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', 'q', deal => '1', source => 'nope')$$, '22023',
    'no source is named ''nope''', 'b: an unknown source (22023)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', 'q', line_id => 1, source => 'crm')$$, '22023', NULL,
    'b: a source without a deal (22023)');
RESET ROLE;
SET ROLE :"nob";
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', 'q', deal => '1')$$, '42501', NULL,
    'b: a rep role mapped to no rep (42501)');
RESET ROLE;
SET ROLE :"bob";
SELECT spm_payout.raise_inquiry('2025-01-15', 'Deal 2 should be 4,500', deal => '2') AS q_bob \gset
RESET ROLE;

-- ==================================================== c. who sees what
SET ROLE :"ann";
SELECT results_eq($$SELECT DISTINCT rep FROM spm_payout.inquiry$$, $$VALUES ('ann')$$, 'c: a rep sees only its own inquiries');
SELECT is((SELECT count(*)::int FROM spm_payout.inquiry), 3, 'c: ... Ann''s three');
RESET ROLE;
SET ROLE :"bob";
SELECT is((SELECT count(*)::int FROM spm_payout.inquiry), 1, 'c: Bob sees his one');
RESET ROLE;
SET ROLE :"ana";
SELECT is((SELECT count(*)::int FROM spm_payout.inquiry), 4, 'c: an analyst sees all four');
SELECT throws_ok(format($$INSERT INTO spm_payout.inquiry (rep, period_id, line_id, question) VALUES ('ann', %s, %s, 'q')$$,
                        inq.per(1), :ann_line),
    '42501', NULL, 'c: an analyst cannot raise inquiries (42501)');
RESET ROLE;

-- ============================== d. resolving, with an adjustment paid
SET ROLE :"adm";
CALL spm_payout.close_period('2025-01-15');
RESET ROLE;
SET ROLE :"ana";
SELECT throws_ok(format($$SELECT spm_payout.resolve_inquiry(%s, 'Paid 25.00 goodwill', 25)$$, :q1), '55000',
    'pay period 2025-01-01..2025-01-31 is closed', 'd: an adjustment in the inquiry''s closed period is refused (55000)');
SELECT results_eq(format($$SELECT status, resolved_by COLLATE "default", adjustment_id IS NOT NULL
                             FROM spm_payout.resolve_inquiry(%s, 'Paid 25.00 goodwill', 25, '2025-02-15')$$, :q1),
    format($$VALUES ('resolved', %L, true)$$, :'ana'),
    'd: an analyst resolves with an adjustment in an open period');
SELECT throws_ok(format($$SELECT spm_payout.resolve_inquiry(%s, 'again')$$, :q1), '55000',
    format('inquiry %s is already resolved', :q1), 'd: resolving twice (55000)');
SELECT throws_ok(format($$SELECT spm_payout.reject_inquiry(%s, 'no')$$, :q1), '55000', NULL, 'd: rejecting a resolved inquiry (55000)');
SELECT results_eq(format($$SELECT status, adjustment_id FROM spm_payout.reject_inquiry(%s, 'Deal 1 is paid in January')$$, :q2),
    $$VALUES ('rejected', NULL::integer)$$, 'd: an analyst rejects an inquiry');
-- bad input
SELECT throws_ok(format($$SELECT spm_payout.resolve_inquiry(%s, NULL)$$, :q_bob), '22004', NULL, 'd: a NULL resolution (22004)');
SELECT throws_ok(format($$SELECT spm_payout.resolve_inquiry(%s, ' ')$$, :q_bob), '22023', NULL, 'd: a blank resolution (22023)');
SELECT throws_ok($$SELECT spm_payout.resolve_inquiry(NULL, 'x')$$, '22004', NULL, 'd: a NULL inquiry (22004)');
SELECT throws_ok($$SELECT spm_payout.resolve_inquiry(999999999, 'x')$$, '22023', 'no inquiry 999999999', 'd: an unknown inquiry (22023)');
SELECT throws_ok(format($$SELECT spm_payout.resolve_inquiry(%s, 'x', 0)$$, :q_bob), '22023', NULL, 'd: a zero adjustment (22023)');
SELECT throws_ok(format($$SELECT spm_payout.resolve_inquiry(%s, 'x', 'NaN')$$, :q_bob), '22023', NULL, 'd: a NaN adjustment (22023)');
SELECT throws_ok(format($$SELECT spm_payout.resolve_inquiry(%s, 'x', NULL, '2025-02-15')$$, :q_bob), '22023', NULL,
    'd: an adjustment period without an amount (22023)');
SELECT throws_ok(format($$SELECT spm_payout.resolve_inquiry(%s, 'x', 10, '2031-01-01')$$, :q_bob), '22023', NULL,
    'd: an unknown adjustment period (22023)');
SELECT is((SELECT status FROM spm_payout.inquiry WHERE inquiry_id = :q_bob), 'open', 'd: ... Bob''s inquiry is still open');
RESET ROLE;
-- the adjustment: Ann, February, 25, reason naming the inquiry, author the analyst
SELECT results_eq(format($$SELECT a.rep, a.period_id, a.amount, a.reason, a.author COLLATE "default"
                             FROM spm_payout.adjustment a JOIN spm_payout.inquiry i USING (adjustment_id) WHERE i.inquiry_id = %s$$, :q1),
    format($$VALUES ('ann', %s, 25::numeric, 'inquiry %s: Paid 25.00 goodwill', %L)$$, inq.per(2), :q1, :'ana'),
    'd: the adjustment is booked for the inquiry''s rep, with its reason and the analyst as author');
SET ROLE :"adm";
SELECT is((SELECT status FROM spm_payout.resolve_inquiry(:q_bob, 'Deal 2 is 4,000 in the CRM')), 'resolved',
          'd: an admin resolves too');
SELECT ok(inq.run('2025-02-15') IS NOT NULL, 'd: the admin runs February');
RESET ROLE;
SET ROLE :"ann";
SELECT results_eq($$SELECT line_kind, earned, reason FROM spm_payout.payout_statement WHERE period_start = '2025-02-01' AND line_kind = 'manual'$$,
    format($$VALUES ('manual', 25::numeric, 'inquiry %s: Paid 25.00 goodwill')$$, :q1),
    'd: the next run pays the adjustment: Ann sees a manual line of 25 in February');
SELECT results_eq(format($$SELECT status, resolution FROM spm_payout.inquiry WHERE inquiry_id = %s$$, :q1),
    $$VALUES ('resolved', 'Paid 25.00 goodwill')$$, 'd: Ann reads the resolution');
RESET ROLE;

-- ============================================================ e. audit
SELECT results_eq(format($$SELECT as_role::text, table_name::text, operation, count(*)::int FROM spm_payout.audit_log
                            WHERE table_name IN ('inquiry', 'adjustment') AND as_role IN (%L, %L, %L, %L)
                            GROUP BY 1, 2, 3 ORDER BY 2, 1, 3$$, :'ann', :'bob', :'ana', :'adm'),
    format($$VALUES (%L, 'adjustment', 'INSERT', 1), (%L, 'inquiry', 'UPDATE', 1), (%L, 'inquiry', 'UPDATE', 2),
                    (%L, 'inquiry', 'INSERT', 3), (%L, 'inquiry', 'INSERT', 1)$$,
           :'ana', :'adm', :'ana', :'ann', :'bob'),
    'e: raising, resolving and the adjustment are audited with the acting role');
SELECT is((SELECT new_row ->> 'status' FROM spm_payout.audit_log
            WHERE table_name = 'inquiry' AND operation = 'UPDATE' AND (old_row ->> 'inquiry_id')::bigint = :q2),
          'rejected', 'e: the audit row has the new status');

SELECT * FROM finish();
ROLLBACK;
