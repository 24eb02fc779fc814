-- Bad arguments to the payout helpers that a user can call directly.
BEGIN;
SELECT plan(9);
SET client_min_messages = warning;

SELECT throws_ok($$SELECT * FROM spm.add_pay_periods('2025-01-01', '2025-02-01', 'week')$$,
    '22023', 'unknown grain "week"', 'add_pay_periods: unknown grain');
SELECT throws_ok($$SELECT * FROM spm.add_pay_periods('2025-01-01', '2025-02-01', 'month', 13)$$,
    '22023', 'fiscal_start_month must be between 1 and 12: 13', 'add_pay_periods: month out of range');
SELECT is((SELECT count(*)::int FROM spm.add_pay_periods(NULL, '2025-02-01')), 0, 'add_pay_periods: NULL adds nothing');
SELECT is((SELECT count(*)::int FROM spm.add_pay_periods('2025-01-01', '2025-03-31', 'month')), 3,
    'add_pay_periods: three months');
SELECT throws_ok($$SELECT * FROM spm.add_pay_periods('2025-03-01', '2025-03-31', 'month')$$,
    '23P01', 'pay period overlaps an existing one', 'add_pay_periods: periods never overlap');
SELECT throws_ok($$SELECT spm.check_column('pg_class'::regclass, 'nope', 'rep_column')$$,
    '42703', 'column nope of relation pg_class does not exist', 'check_column: unknown column');
SELECT throws_ok($$SELECT spm.check_column('pg_class'::regclass, NULL, 'rep_column')$$,
    '22023', 'rep_column must not be NULL', 'check_column: NULL column');
SELECT throws_ok($$SELECT spm.check_column('pg_class'::regclass, 'relname', 'amount_column', '{int4}')$$,
    '42804', 'column relname of relation pg_class has type name', 'check_column: wrong type');
SELECT throws_ok($$CALL spm.close_period(NULL)$$, '22023', 'period must not be NULL', 'close_period: NULL');

SELECT * FROM finish();
ROLLBACK;
