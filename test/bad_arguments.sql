-- pgTAP: bad arguments of the functions and procedures added in 0.3.0 (the
-- schemas spm and spm_payout), each pinned by SQLSTATE and exact message.
-- Cases already pinned with their message elsewhere (payout.sql,
-- payout_registration.sql, cascade.sql, inquiry.sql, payroll.sql,
-- acceptance.sql, next_tier.sql, fingerprint.sql) are not repeated here.
BEGIN;
SELECT plan(78);
SET client_min_messages = warning;

SELECT spm_payout.create_roles();
SELECT count(*) FROM spm_payout.add_pay_periods('2025-01-01', '2025-03-31');

-- a plan with one version and one rep on it (accept_plan, accept_plan_for)
INSERT INTO spm_payout.plan (name) VALUES ('field');
INSERT INTO spm_payout.plan_version (plan_id, version, valid, schedule)
SELECT plan_id, 1, '[2025-01-01,2026-01-01)', 'marginal(0: 0.05)' FROM spm_payout.plan WHERE name = 'field';
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT 'ann', plan_id, '[2025-01-01,2026-01-01)' FROM spm_payout.plan WHERE name = 'field';

-- one open inquiry (resolve_inquiry with an unknown adjustment period): set
-- up directly, its checks (the deal credited to the rep by a run) bypassed
CREATE SCHEMA badarg;
CREATE TABLE badarg.sales (id int, seller text, amt numeric(12,2), closed date);
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('crm', 'badarg.sales', 'seller', 'id', 'amt', 'closed');
SET LOCAL session_replication_role = replica;
INSERT INTO spm_payout.inquiry (rep, period_id, source_id, deal, question)
SELECT 'ann', k.period_id, s.source_id, '1', 'q'
  FROM spm_payout.pay_period k, spm_payout.source s
 WHERE k.label = '2025-01-01..2025-01-31' AND s.name = 'crm'
RETURNING inquiry_id AS q \gset
SET LOCAL session_replication_role = origin;

-- find_period, run_payout, close_period, add_pay_periods
SELECT throws_ok($$SELECT spm_payout.find_period('-infinity')$$,
    '22023', 'no pay period contains -infinity', 'find_period(''-infinity'') (22023)');
SELECT throws_ok($$SELECT spm_payout.find_period('2025-13-45')$$,
    '22023', 'no pay period is labelled ''2025-13-45''', 'find_period: a malformed date is an unknown label (22023)');
SELECT throws_ok($$SELECT spm_payout.find_period('2033-01-01')$$,
    '22023', 'no pay period contains 2033-01-01', 'find_period: a date in no period (22023)');
SELECT throws_ok($$CALL spm_payout.run_payout('infinity')$$,
    '22023', 'no pay period contains infinity', 'run_payout(''infinity'') (22023)');
SELECT throws_ok($$CALL spm_payout.close_period('nope')$$,
    '22023', 'no pay period is labelled ''nope''', 'close_period: an unknown label (22023)');
SELECT throws_ok($$CALL spm_payout.close_period('2033-01-01')$$,
    '22023', 'no pay period contains 2033-01-01', 'close_period: a date in no period (22023)');
SELECT throws_ok($$SELECT * FROM spm_payout.add_pay_periods('2031-01-01', '2031-02-01', 'month', 0)$$,
    '22023', 'fiscal_start_month must be between 1 and 12: 0', 'add_pay_periods: fiscal_start_month 0 (22023)');
-- an infinite bound used to walk the days forever; now refused at once
SELECT throws_ok($$SELECT * FROM spm_payout.add_pay_periods('2031-04-01', 'infinity')$$,
    '22023', 'add_pay_periods: first_day and last_day must be finite dates', 'add_pay_periods: infinite last day (22023)');
SELECT throws_ok($$SELECT * FROM spm_payout.add_pay_periods('-infinity', '2031-04-01')$$,
    '22023', 'add_pay_periods: first_day and last_day must be finite dates', 'add_pay_periods: infinite first day (22023)');

-- compute_cascade, cascade_rows, history_weights, approve_cascade
SELECT throws_ok($$SELECT spm_payout.compute_cascade(NULL)$$,
    '22023', 'no cascade has id NULL', 'compute_cascade(NULL) (22023)');
SELECT throws_ok($$SELECT spm_payout.compute_cascade(-1)$$,
    '22023', 'no cascade has id -1', 'compute_cascade: an unknown id (22023)');
SELECT throws_ok($$SELECT * FROM spm_payout.cascade_rows(NULL)$$,
    '22023', 'no cascade has id NULL', 'cascade_rows(NULL) (22023)');
SELECT throws_ok($$SELECT * FROM spm_payout.cascade_rows(-1)$$,
    '22023', 'no cascade has id -1', 'cascade_rows: an unknown id (22023)');
SELECT throws_ok($$SELECT spm_payout.history_weights(NULL, '2025-01-15')$$,
    '22023', 'no cascade has id NULL', 'history_weights: a NULL cascade (22023)');
SELECT throws_ok($$SELECT spm_payout.history_weights(-1, '2025-01-15')$$,
    '22023', 'no cascade has id -1', 'history_weights: an unknown cascade (22023)');
SELECT throws_ok($$SELECT spm_payout.history_weights(-1, 'nope')$$,
    '22023', 'no pay period is labelled ''nope''', 'history_weights: an unknown reference period (22023)');
SELECT throws_ok($$SELECT spm_payout.approve_cascade(-1, NULL)$$,
    '22023', 'replace_manual must not be NULL', 'approve_cascade: a NULL replace_manual (22023)');
SELECT throws_ok($$SELECT spm_payout.approve_cascade(-1)$$,
    '22023', 'no cascade has id -1', 'approve_cascade: an unknown id (22023)');

-- create_cascade: the checks of spm_payout.goal_cascade's trigger
SELECT throws_ok($$SELECT spm_payout.create_cascade('nope', 'acme', 100)$$,
    '22023', 'no pay period is labelled ''nope''', 'create_cascade: an unknown period (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', 'acme', -5)$$,
    '22023', 'the goal of a cascade must be a positive finite amount, not -5', 'create_cascade: a negative goal (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', 'acme', 'NaN')$$,
    '22023', 'the goal of a cascade must be a positive finite amount, not NaN', 'create_cascade: a NaN goal (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', 'acme', 'Infinity')$$,
    '22023', 'the goal of a cascade must be a positive finite amount, not Infinity', 'create_cascade: an infinite goal (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', 'acme', 100, -0.1)$$,
    '22023', 'over_assignment must be a finite number >= 0 (0.10: each level''s children get 110% of their parent''s goal), not -0.1',
    'create_cascade: a negative over_assignment (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', 'acme', 100, NULL)$$,
    '22023', 'over_assignment must be a finite number >= 0 (0.10: each level''s children get 110% of their parent''s goal), not NULL',
    'create_cascade: a NULL over_assignment (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', 'acme', 100, 'Infinity')$$,
    '22023', 'over_assignment must be a finite number >= 0 (0.10: each level''s children get 110% of their parent''s goal), not Infinity',
    'create_cascade: an infinite over_assignment (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', NULL, 100)$$,
    '22023', 'the root of a cascade must be a node id of the hierarchy, not NULL or empty', 'create_cascade: a NULL root (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', '', 100)$$,
    '22023', 'the root of a cascade must be a node id of the hierarchy, not NULL or empty', 'create_cascade: an empty root (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', 'acme', 100, weight_basis => NULL)$$,
    '22023', 'weight_basis must be headcount, history, potential or custom, not NULL', 'create_cascade: a NULL weight_basis (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', 'acme', 100, ramp => '{0.5,1.5}')$$,
    '22023', 'ramp must be a one-dimensional, non-empty array of factors between 0 and 1 without NULLs, not {0.5,1.5}',
    'create_cascade: a ramp factor above 1 (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', 'acme', 100, ramp => '{-0.1}')$$,
    '22023', 'ramp must be a one-dimensional, non-empty array of factors between 0 and 1 without NULLs, not {-0.1}',
    'create_cascade: a negative ramp factor (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', 'acme', 100, ramp => '{0.5,NULL}')$$,
    '22023', 'ramp must be a one-dimensional, non-empty array of factors between 0 and 1 without NULLs, not {0.5,NULL}',
    'create_cascade: a NULL ramp factor (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', 'acme', 100, ramp => '{{0.5},{0.7}}')$$,
    '22023', 'ramp must be a one-dimensional, non-empty array of factors between 0 and 1 without NULLs, not {{0.5},{0.7}}',
    'create_cascade: a two-dimensional ramp (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', 'acme', 100, ramp => '{}')$$,
    '22023', 'ramp must be a one-dimensional, non-empty array of factors between 0 and 1 without NULLs, not {}',
    'create_cascade: an empty ramp (22023)');
SELECT throws_ok($$SELECT spm_payout.create_cascade('2025-01-15', 'acme', 100, ramp => '[0:0]={0.5}')$$,
    '22023', 'ramp must be a one-dimensional, non-empty array of factors between 0 and 1 without NULLs, not [0:0]={0.5}',
    'create_cascade: a ramp not numbered from 1 (22023)');

-- quota_coverage
SELECT throws_ok($$SELECT * FROM spm_payout.quota_coverage('nope', 'acme')$$,
    '22023', 'no pay period is labelled ''nope''', 'quota_coverage: an unknown period (22023)');
SELECT throws_ok($$SELECT * FROM spm_payout.quota_coverage('2025-01-15', 'acme', 0)$$,
    '22023', 'root_goal must be a positive finite amount, not 0', 'quota_coverage: a root_goal of 0 (22023)');
SELECT throws_ok($$SELECT * FROM spm_payout.quota_coverage('2025-01-15', 'acme', -1)$$,
    '22023', 'root_goal must be a positive finite amount, not -1', 'quota_coverage: a negative root_goal (22023)');
SELECT throws_ok($$SELECT * FROM spm_payout.quota_coverage('2025-01-15', 'acme', 'NaN')$$,
    '22023', 'root_goal must be a positive finite amount, not NaN', 'quota_coverage: a NaN root_goal (22023)');
SELECT throws_ok($$SELECT * FROM spm_payout.quota_coverage('2025-01-15', 'acme', 'Infinity')$$,
    '22023', 'root_goal must be a positive finite amount, not Infinity', 'quota_coverage: an infinite root_goal (22023)');

-- export_payroll
SELECT throws_ok($$SELECT spm_payout.export_payroll(NULL)$$,
    '22004', 'spm_payout.export_payroll: pay_date and include_open must not be NULL', 'export_payroll: a NULL pay date (22004)');
SELECT throws_ok($$SELECT spm_payout.export_payroll('2025-06-01', NULL)$$,
    '22004', 'spm_payout.export_payroll: pay_date and include_open must not be NULL', 'export_payroll: a NULL include_open (22004)');
SELECT throws_ok($$SELECT spm_payout.export_payroll('infinity')$$,
    '22023', 'pay date infinity is not a finite date', 'export_payroll: pay date infinity (22023)');
SELECT throws_ok($$SELECT spm_payout.export_payroll('-infinity')$$,
    '22023', 'pay date -infinity is not a finite date', 'export_payroll: pay date -infinity (22023)');

-- raise_inquiry
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', NULL, deal => '1')$$,
    '22004', 'spm_payout.raise_inquiry: period and question must not be NULL', 'raise_inquiry: a NULL question (22004)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry(NULL, 'q', deal => '1')$$,
    '22004', 'spm_payout.raise_inquiry: period and question must not be NULL', 'raise_inquiry: a NULL period (22004)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', '  ', deal => '1')$$,
    '22023', 'spm_payout.raise_inquiry: the question is empty', 'raise_inquiry: a blank question (22023)');
SELECT throws_ok($$SELECT spm_payout.raise_inquiry('2025-01-15', 'q', line_id => 1, source => 'crm')$$,
    '22023', 'spm_payout.raise_inquiry: a source is given without a deal', 'raise_inquiry: a source without a deal (22023)');

-- resolve_inquiry and reject_inquiry (spm_payout_internal.settle_inquiry)
SELECT throws_ok($$SELECT spm_payout.resolve_inquiry(999999999, NULL)$$,
    '22004', 'inquiry_id and resolution must not be NULL', 'resolve_inquiry: a NULL resolution (22004)');
SELECT throws_ok($$SELECT spm_payout.resolve_inquiry(NULL, 'x')$$,
    '22004', 'inquiry_id and resolution must not be NULL', 'resolve_inquiry: a NULL inquiry (22004)');
SELECT throws_ok($$SELECT spm_payout.resolve_inquiry(999999999, ' ')$$,
    '22023', 'the resolution is empty', 'resolve_inquiry: a blank resolution (22023)');
SELECT throws_ok($$SELECT spm_payout.resolve_inquiry(999999999, 'x', 0)$$,
    '22023', 'adjustment 0 is not a finite, non-zero amount', 'resolve_inquiry: a zero adjustment (22023)');
SELECT throws_ok($$SELECT spm_payout.resolve_inquiry(999999999, 'x', 'NaN')$$,
    '22023', 'adjustment NaN is not a finite, non-zero amount', 'resolve_inquiry: a NaN adjustment (22023)');
SELECT throws_ok($$SELECT spm_payout.resolve_inquiry(999999999, 'x', 'Infinity')$$,
    '22023', 'adjustment Infinity is not a finite, non-zero amount', 'resolve_inquiry: an infinite adjustment (22023)');
SELECT throws_ok($$SELECT spm_payout.resolve_inquiry(999999999, 'x', '-Infinity')$$,
    '22023', 'adjustment -Infinity is not a finite, non-zero amount', 'resolve_inquiry: a -Infinity adjustment (22023)');
SELECT throws_ok($$SELECT spm_payout.resolve_inquiry(999999999, 'x', NULL, '2025-02-15')$$,
    '22023', 'an adjustment period is given without an adjustment', 'resolve_inquiry: an adjustment period without an amount (22023)');
SELECT throws_ok(format($$SELECT spm_payout.resolve_inquiry(%s, 'x', 10, '2031-01-01')$$, :q),
    '22023', 'no pay period contains 2031-01-01', 'resolve_inquiry: an adjustment period containing no date (22023)');
SELECT throws_ok(format($$SELECT spm_payout.resolve_inquiry(%s, 'x', 10, 'nope')$$, :q),
    '22023', 'no pay period is labelled ''nope''', 'resolve_inquiry: an unknown adjustment period label (22023)');
SELECT throws_ok($$SELECT spm_payout.reject_inquiry(NULL, 'x')$$,
    '22004', 'inquiry_id and resolution must not be NULL', 'reject_inquiry: a NULL inquiry (22004)');
SELECT throws_ok($$SELECT spm_payout.reject_inquiry(999999999, NULL)$$,
    '22004', 'inquiry_id and resolution must not be NULL', 'reject_inquiry: a NULL resolution (22004)');
SELECT throws_ok($$SELECT spm_payout.reject_inquiry(999999999, ' ')$$,
    '22023', 'the resolution is empty', 'reject_inquiry: a blank resolution (22023)');
SELECT throws_ok($$SELECT spm_payout.reject_inquiry(999999999, 'x')$$,
    '22023', 'no inquiry 999999999', 'reject_inquiry: an unknown inquiry (22023)');

-- accept_plan and accept_plan_for (spm_payout_internal.find_version)
SELECT throws_ok($$SELECT spm_payout.accept_plan(NULL, 1)$$,
    '22004', 'spm_payout.accept_plan: plan and version must not be NULL', 'accept_plan: a NULL plan (22004)');
SELECT throws_ok($$SELECT spm_payout.accept_plan('field', NULL)$$,
    '22004', 'spm_payout.accept_plan: plan and version must not be NULL', 'accept_plan: a NULL version (22004)');
SELECT throws_ok($$SELECT spm_payout.accept_plan('field', 0)$$,
    '22023', 'plan ''field'' has no version 0', 'accept_plan: version 0 (22023)');
SELECT throws_ok($$SELECT spm_payout.accept_plan('', 1)$$,
    '22023', 'plan '''' has no version 1', 'accept_plan: an empty plan name (22023)');
SELECT throws_ok($$SELECT spm_payout.accept_plan_for(NULL, 'field', 1)$$,
    '22004', 'spm_payout.accept_plan_for: rep must not be NULL', 'accept_plan_for: a NULL rep (22004)');
SELECT throws_ok($$SELECT spm_payout.accept_plan_for('ann', NULL, 1)$$,
    '22004', 'spm_payout.accept_plan: plan and version must not be NULL', 'accept_plan_for: a NULL plan (22004)');
SELECT throws_ok($$SELECT spm_payout.accept_plan_for('ann', 'field', NULL)$$,
    '22004', 'spm_payout.accept_plan: plan and version must not be NULL', 'accept_plan_for: a NULL version (22004)');
SELECT throws_ok($$SELECT spm_payout.accept_plan_for('ann', 'nope', 1)$$,
    '22023', 'plan ''nope'' has no version 1', 'accept_plan_for: an unknown plan (22023)');
SELECT throws_ok($$SELECT spm_payout.accept_plan_for('zed', 'field', 1)$$,
    '22023', 'rep zed is not assigned to plan field during its version 1', 'accept_plan_for: an unknown rep (22023)');

-- spm.next_tier
SELECT throws_ok($$SELECT * FROM spm.next_tier('marginal(0: 0.05)', 1e40)$$,
    '22003', 'spm.next_tier: sold is out of range for spm''s exact arithmetic', 'next_tier: sold beyond the exact range (22003)');
SELECT throws_ok($$SELECT * FROM spm.next_tier('marginal(0: 0.05)', 1, 1e40)$$,
    '22003', 'spm.next_tier: quota is out of range for spm''s exact arithmetic', 'next_tier: quota beyond the exact range (22003)');
SELECT throws_ok($$SELECT * FROM spm.next_tier('marginal(0: 0.05)', 1, 'NaN')$$,
    '22023', 'quota must be a finite number, not NaN or infinity', 'next_tier: a NaN quota (22023)');
SELECT throws_ok($$SELECT * FROM spm.next_tier('marginal(0: 0.05)', 1, 'Infinity')$$,
    '22023', 'quota must be a finite number, not NaN or infinity', 'next_tier: an infinite quota (22023)');
SELECT throws_ok($$SELECT * FROM spm.next_tier('marginal(0: 0.05)', '-Infinity')$$,
    '22023', 'sold must be a finite number, not NaN or infinity', 'next_tier: sold -Infinity (22023)');

-- spm.fingerprint_merge
SELECT throws_ok($$SELECT spm.fingerprint_merge(f) FROM (VALUES ('0000000000000000000000000000000A/1')) v(f)$$,
    '22P02', 'invalid fingerprint: "0000000000000000000000000000000A/1"', 'fingerprint_merge: upper-case hex digits (22P02)');
SELECT throws_ok($$SELECT spm.fingerprint_merge(f) FROM (VALUES ('00000000000000000000000000000000/18446744073709551616')) v(f)$$,
    '22P02', 'invalid fingerprint: "00000000000000000000000000000000/18446744073709551616"',
    'fingerprint_merge: a row count beyond 2^64 - 1 (22P02)');
SELECT throws_ok($$SELECT spm.fingerprint_merge(f) FROM (VALUES ('00000000000000000000000000000000')) v(f)$$,
    '22P02', 'invalid fingerprint: "00000000000000000000000000000000"', 'fingerprint_merge: no row count (22P02)');

SELECT * FROM finish();
ROLLBACK;
