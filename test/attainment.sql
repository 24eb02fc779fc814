-- pgTAP: spm.attainment, spm.prorate, spm.pace, spm.ramp — every error with
-- its SQLSTATE and message, NULL handling, and properties on generated data.
BEGIN;
SELECT plan(58);

-- attainment ---------------------------------------------------------------
SELECT throws_ok('SELECT spm.attainment(1, -5)', '22023',
                 'quota must not be negative: -5', 'attainment: negative quota');
SELECT throws_ok('SELECT spm.attainment(1, -0.01)', '22023',
                 'quota must not be negative: -0.01', 'attainment: small negative quota');
SELECT throws_ok($$SELECT spm.attainment('NaN', 5)$$, '22023',
                 'actual must be a finite number, not NaN or infinity', 'attainment: NaN actual');
SELECT throws_ok($$SELECT spm.attainment('Infinity', 5)$$, '22023',
                 'actual must be a finite number, not NaN or infinity', 'attainment: infinite actual');
SELECT throws_ok($$SELECT spm.attainment(1, 'NaN')$$, '22023',
                 'quota must be a finite number, not NaN or infinity', 'attainment: NaN quota');
SELECT throws_ok($$SELECT spm.attainment(1, '-Infinity')$$, '22023',
                 'quota must be a finite number, not NaN or infinity', 'attainment: infinite quota');
SELECT throws_ok('SELECT spm.attainment(1e25, 1e-10)', '22003',
                 'value out of range for spm''s exact arithmetic', 'attainment: result beyond int128');
SELECT ok(spm.attainment(NULL, 1) IS NULL AND spm.attainment(1, NULL) IS NULL
          AND spm.attainment(1, 0) IS NULL AND spm.attainment(1, 0.000) IS NULL,
          'attainment: NULL in or zero quota gives NULL');
SELECT is(spm.attainment(7, 8), 0.875000000000, 'attainment: 7 / 8 = 0.875 at 12 places');
-- within half a unit of the 12th place: |a/q - x| <= 0.5e-12
SELECT is((SELECT count(*) FROM generate_series(1, 500) i,
                 LATERAL (SELECT (i * 7919 % 1000003 - 500000) / 100.0 AS a, (i * 104729 % 99991 + 1) / 10.0 AS q) v
           WHERE abs(spm.attainment(a, q) - a / q::numeric(40, 30)) > 0.5e-12), 0::bigint,
          'attainment: correctly rounded on 500 generated pairs');
SELECT is(scale(spm.attainment(1.123456789012345, 3)), 15, 'attainment: keeps the scale of actual above 12');

-- prorate ------------------------------------------------------------------
SELECT throws_ok($$SELECT spm.prorate('NaN', '[2025-01-01,2025-02-01)', '(,)')$$, '22023',
                 'amount must be a finite number, not NaN or infinity', 'prorate: NaN amount');
SELECT throws_ok($$SELECT spm.prorate(100, 'empty', '(,)')$$, '22023',
                 'period must not be empty', 'prorate: empty period');
SELECT throws_ok($$SELECT spm.prorate(100, '[2025-01-01,2025-01-01)', '(,)')$$, '22023',
                 'period must not be empty', 'prorate: zero-length period');
SELECT throws_ok($$SELECT spm.prorate(100, '[2025-01-01,)', '(,)')$$, '22023',
                 'period must have finite bounds, not unbounded or infinity', 'prorate: period without end');
SELECT throws_ok($$SELECT spm.prorate(100, '(,2025-01-01)', '(,)')$$, '22023',
                 'period must have finite bounds, not unbounded or infinity', 'prorate: period without start');
SELECT throws_ok($$SELECT spm.prorate(100, '[2025-01-01,infinity)', '(,)')$$, '22023',
                 'period must have finite bounds, not unbounded or infinity', 'prorate: period ending at infinity');
SELECT throws_ok($$SELECT spm.prorate(100, '[-infinity,2025-01-01)', '(,)')$$, '22023',
                 'period must have finite bounds, not unbounded or infinity', 'prorate: period from -infinity');
SELECT throws_ok($$SELECT spm.prorate(100, '[2025-01-01,2025-02-01)', '(,)', -1)$$, '22023',
                 'scale must be between 0 and 30: -1', 'prorate: negative scale');
SELECT throws_ok($$SELECT spm.prorate(100, '[2025-01-01,2025-02-01)', '(,)', 31)$$, '22023',
                 'scale must be between 0 and 30: 31', 'prorate: scale above 30');
SELECT throws_ok($$SELECT spm.prorate(100, 'empty', '(,)', 2)$$, '22023',
                 'period must not be empty', 'prorate with scale: empty period');
SELECT ok(spm.prorate(NULL, '[2025-01-01,2025-02-01)', '(,)') IS NULL
          AND spm.prorate(1, NULL, '(,)') IS NULL AND spm.prorate(1, '[2025-01-01,2025-02-01)', NULL) IS NULL
          AND spm.prorate(1, '[2025-01-01,2025-02-01)', '(,)', NULL) IS NULL,
          'prorate: NULL in, NULL out');
SELECT is(spm.prorate(100, '[2025-01-01,2025-02-01)', 'empty'), 0.00, 'prorate: empty active range gives 0');
-- a period split into two active ranges: the two shares add up to the amount within a cent,
-- and exactly at 12 places when the shares are exact (days divide evenly)
SELECT is((SELECT count(*) FROM generate_series(0, 30) k,
                 LATERAL (SELECT date '2025-01-01' + k AS cut) c
           WHERE abs(spm.prorate(1000.00, '[2025-01-01,2025-02-01)', daterange(NULL, cut))
                   + spm.prorate(1000.00, '[2025-01-01,2025-02-01)', daterange(cut, NULL)) - 1000.00) > 0.01), 0::bigint,
          'prorate: shares of the two sides of any cut add up within a cent');
SELECT is((SELECT count(*) FROM generate_series(1, 400) i,
                 LATERAL (SELECT ((i * 7919 % 100000) / 100.0)::numeric(12, 2) AS amount, date '2024-01-01' + i % 366 AS hired) v
           WHERE spm.prorate(amount, '[2024-01-01,2025-01-01)', daterange(hired, NULL))
              <> round(amount * (date '2025-01-01' - hired) / 366.0, 2)), 0::bigint,
          'prorate: a 2024 hire''s share of a leap year equals plain SQL on 400 cases');
SELECT is(spm.prorate(1000.00, '[2025-01-01,2025-02-01)', '[2024-06-01,2026-01-01)'), 1000.00,
          'prorate: active covering the period gives the whole amount');

-- pace ---------------------------------------------------------------------
SELECT throws_ok($$SELECT spm.pace('NaN', 1, '[2025-01-01,2025-02-01)', '2025-01-10')$$, '22023',
                 'actual must be a finite number, not NaN or infinity', 'pace: NaN actual');
SELECT throws_ok($$SELECT spm.pace(1, -1, '[2025-01-01,2025-02-01)', '2025-01-10')$$, '22023',
                 'quota must not be negative: -1', 'pace: negative quota');
SELECT throws_ok($$SELECT spm.pace(1, 'NaN', '[2025-01-01,2025-02-01)', '2025-01-10')$$, '22023',
                 'quota must be a finite number, not NaN or infinity', 'pace: NaN quota');
SELECT throws_ok($$SELECT spm.pace(1, 1, 'empty', '2025-01-10')$$, '22023',
                 'period must not be empty', 'pace: empty period');
SELECT throws_ok($$SELECT spm.pace(1, 1, '[2025-01-01,)', '2025-01-10')$$, '22023',
                 'period must have finite bounds, not unbounded or infinity', 'pace: unbounded period');
SELECT throws_ok($$SELECT spm.pace(1, 1, '[2025-01-01,infinity]', '2025-01-10')$$, '22023',
                 'period must have finite bounds, not unbounded or infinity', 'pace: infinite period');
SELECT throws_ok($$SELECT spm.pace(1, 0, 'empty', '2025-01-10')$$, '22023',
                 'period must not be empty', 'pace: a zero quota does not hide an empty period');
SELECT ok(spm.pace(1, 1, '[2025-01-01,2025-02-01)', NULL) IS NULL
          AND spm.pace(1, 1, NULL, '2025-01-10') IS NULL AND spm.pace(NULL, 1, '[2025-01-01,2025-02-01)', '2025-01-10') IS NULL,
          'pace: NULL in, NULL out');
SELECT is((SELECT count(*) FROM generate_series(1, 200) i,
                 LATERAL (SELECT (i * 7919 % 100000) / 100.0 AS a, 1000 + i * 37 AS q) v
           WHERE spm.pace(a, q, '[2024-02-01,2024-03-01)', '2024-02-29') <> spm.attainment(a, q)
              OR spm.pace(a, q, '[2024-02-01,2024-03-01)', '2024-03-15') <> spm.attainment(a, q)), 0::bigint,
          'pace: on the last day and after, pace = attainment');
SELECT is((SELECT count(*) FROM generate_series(0, 90) k
           WHERE spm.pace(450, 1000, '[2025-01-01,2025-04-01)', date '2025-01-01' + k)
              <> round(450 * 90 / least(k + 1, 90)::numeric(40, 30) / 1000, 12)), 0::bigint,
          'pace: every day of a quarter and the day after equal plain SQL');
SELECT ok(spm.pace(1, 1, '[2025-01-01,2025-02-01)', '2024-12-31') IS NULL,
          'pace: the day before the period gives NULL');

-- ramp ---------------------------------------------------------------------
SELECT throws_ok($$SELECT spm.ramp(-100, 1, '{0.5}')$$, '22023',
                 'quota must not be negative: -100', 'ramp: negative quota');
SELECT throws_ok($$SELECT spm.ramp('NaN', 1, '{0.5}')$$, '22023',
                 'quota must be a finite number, not NaN or infinity', 'ramp: NaN quota');
SELECT throws_ok($$SELECT spm.ramp(100, 0, '{0.5}')$$, '22023',
                 'month_in_role must be at least 1: 0', 'ramp: month 0');
SELECT throws_ok($$SELECT spm.ramp(100, -3, '{0.5}')$$, '22023',
                 'month_in_role must be at least 1: -3', 'ramp: negative month');
SELECT throws_ok($$SELECT spm.ramp(100, 1, '{0.5,NULL}')$$, '22023',
                 'steps must not contain NULL (element 2 is NULL)', 'ramp: NULL step');
SELECT throws_ok($$SELECT spm.ramp(100, 5, '{NULL}')$$, '22023',
                 'steps must not contain NULL (element 1 is NULL)', 'ramp: NULL step past the month asked');
SELECT throws_ok($$SELECT spm.ramp(100, 1, '{-0.5}')$$, '22023',
                 'steps must not contain negative values (element 1 is -0.5)', 'ramp: negative step');
SELECT throws_ok($$SELECT spm.ramp(100, 1, '{{0.5},{1}}')$$, '2202E',
                 'steps must be a one-dimensional array', 'ramp: two-dimensional steps');
SELECT throws_ok($$SELECT spm.ramp(100, 1, '{NaN}')$$, '22023',
                 'steps must contain finite numbers (element 1 is NaN or infinity)', 'ramp: NaN step');
SELECT throws_ok($$SELECT spm.ramp(1.123456789012345678, 1, '{0.1234567890123456}')$$, '22003',
                 'value out of range for spm''s exact arithmetic', 'ramp: product beyond 30 places');
SELECT ok(spm.ramp(NULL, 1, '{0.5}') IS NULL AND spm.ramp(1, NULL, '{0.5}') IS NULL
          AND spm.ramp(1, 1, NULL) IS NULL, 'ramp: NULL in, NULL out');
SELECT results_eq(
    $$SELECT spm.ramp(90000.00, m, '{0.1,0.4,0.7,1}') FROM generate_series(1, 6) m ORDER BY m$$,
    $$VALUES (9000.000), (36000.000), (63000.000), (90000.00), (90000.00), (90000.00)$$,
    'ramp: 90000 over a 4-step ramp, by hand');
SELECT is(spm.ramp(100, 3, '{}'), 100::numeric, 'ramp: no steps means the full quota');

-- the SQL surface ------------------------------------------------------------
SELECT is((SELECT count(*) FROM pg_proc
            WHERE pronamespace = 'spm'::regnamespace
              AND proname IN ('attainment', 'prorate', 'pace', 'ramp')
              AND provolatile = 'i' AND proisstrict AND proparallel = 's'), 5::bigint,
          'attainment, prorate (2 forms), pace, ramp are IMMUTABLE STRICT PARALLEL SAFE');
SELECT has_function('spm', 'attainment', ARRAY['numeric', 'numeric'], 'spm.attainment(numeric, numeric)');
SELECT has_function('spm', 'prorate', ARRAY['numeric', 'daterange', 'daterange'], 'spm.prorate(numeric, daterange, daterange)');
SELECT has_function('spm', 'prorate', ARRAY['numeric', 'daterange', 'daterange', 'integer'], 'spm.prorate(..., scale)');
SELECT has_function('spm', 'pace', ARRAY['numeric', 'numeric', 'daterange', 'date'], 'spm.pace(numeric, numeric, daterange, date)');
SELECT has_function('spm', 'ramp', ARRAY['numeric', 'integer', 'numeric[]'], 'spm.ramp(numeric, integer, numeric[])');
SELECT is(spm.prorate(1000, '[2025-03-01,2025-04-01)', '[2025-03-15,)'), 548.39, 'prorate: 1000 * 17 / 31 by hand');
SELECT is(spm.pace(10000, 100000, '[2025-01-01,2025-04-01)', '2025-01-01'), 9.000000000000,
          'pace: first day of a 90-day quarter, by hand');

SELECT * FROM finish();
ROLLBACK;
