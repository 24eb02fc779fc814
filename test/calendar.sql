-- pgTAP: month-based and retail fiscal calendars — every error with its
-- SQLSTATE and message, NULL handling, and calendar properties.
BEGIN;
SELECT plan(72);

-- fiscal_period / fiscal_label / fiscal_year / fiscal_periods: errors -------------
SELECT throws_ok($$SELECT spm.fiscal_period('2025-01-01', 'week')$$, '22023',
                 'unknown grain "week"', 'fiscal_period: weeks do not tile months');
SELECT throws_ok($$SELECT spm.fiscal_period('2025-01-01', 'day', 4)$$, '22023',
                 'unknown grain "day"', 'fiscal_period: unknown grain');
SELECT throws_ok($$SELECT spm.fiscal_period('2025-01-01', '')$$, '22023',
                 'unknown grain ""', 'fiscal_period: empty grain');
SELECT throws_ok($$SELECT spm.fiscal_period('2025-01-01', ' month')$$, '22023',
                 'unknown grain " month"', 'fiscal_period: grain with a space');
SELECT throws_ok($$SELECT spm.fiscal_period('2025-01-01', 'month', 0)$$, '22023',
                 'fiscal_start_month must be between 1 and 12: 0', 'fiscal_period: start month 0');
SELECT throws_ok($$SELECT spm.fiscal_period('2025-01-01', 'month', 13)$$, '22023',
                 'fiscal_start_month must be between 1 and 12: 13', 'fiscal_period: start month 13');
SELECT throws_ok($$SELECT spm.fiscal_period('infinity', 'month')$$, '22023',
                 'd must be a date between 0001-01-01 and 9999-12-31: infinity', 'fiscal_period: infinite date');
SELECT throws_ok($$SELECT spm.fiscal_period('-infinity', 'month', 3)$$, '22023',
                 'd must be a date between 0001-01-01 and 9999-12-31: -infinity', 'fiscal_period: -infinity');
SELECT throws_ok($$SELECT spm.fiscal_period('10000-01-01', 'year')$$, '22023',
                 'd must be a date between 0001-01-01 and 9999-12-31: 10000-01-01', 'fiscal_period: year 10000');
SELECT throws_ok($$SELECT spm.fiscal_period('0044-03-15 BC', 'year')$$, '22023',
                 'd must be a date between 0001-01-01 and 9999-12-31: 0044-03-15 BC', 'fiscal_period: BC date');
SELECT throws_ok($$SELECT spm.fiscal_label('2025-01-01', 'week')$$, '22023',
                 'unknown grain "week"', 'fiscal_label: unknown grain');
SELECT throws_ok($$SELECT spm.fiscal_label('2025-01-01', 'quarter', 14)$$, '22023',
                 'fiscal_start_month must be between 1 and 12: 14', 'fiscal_label: start month 14');
SELECT throws_ok($$SELECT spm.fiscal_label('infinity', 'quarter', 2)$$, '22023',
                 'd must be a date between 0001-01-01 and 9999-12-31: infinity', 'fiscal_label: infinite date');
SELECT throws_ok($$SELECT spm.fiscal_year('2025-01-01', -1)$$, '22023',
                 'fiscal_start_month must be between 1 and 12: -1', 'fiscal_year: start month -1');
SELECT throws_ok($$SELECT spm.fiscal_year('infinity')$$, '22023',
                 'd must be a date between 0001-01-01 and 9999-12-31: infinity', 'fiscal_year: infinite date');
SELECT throws_ok($$SELECT * FROM spm.fiscal_periods(0, 'month')$$, '22023',
                 'fy must be between 1 and 9999: 0', 'fiscal_periods: year 0');
SELECT throws_ok($$SELECT * FROM spm.fiscal_periods(10000, 'month', 2)$$, '22023',
                 'fy must be between 1 and 9999: 10000', 'fiscal_periods: year 10000');
SELECT throws_ok($$SELECT * FROM spm.fiscal_periods(2025, 'week')$$, '22023',
                 'unknown grain "week"', 'fiscal_periods: unknown grain');
SELECT throws_ok($$SELECT * FROM spm.fiscal_periods(2025, 'month', 13)$$, '22023',
                 'fiscal_start_month must be between 1 and 12: 13', 'fiscal_periods: start month 13');

-- retail: errors ---------------------------------------------------------------
SELECT throws_ok($$SELECT spm.retail_period('2025-01-01', 'day')$$, '22023',
                 'unknown grain "day"', 'retail_period: unknown grain');
SELECT throws_ok($$SELECT spm.retail_period('2025-01-01', 'week', '4-4-4')$$, '22023',
                 'unknown pattern "4-4-4"', 'retail_period: unknown pattern');
SELECT throws_ok($$SELECT spm.retail_period('2025-01-01', 'week', '445')$$, '22023',
                 'unknown pattern "445"', 'retail_period: pattern without dashes');
SELECT throws_ok($$SELECT spm.retail_period('2025-01-01', 'week', '')$$, '22023',
                 'unknown pattern ""', 'retail_period: empty pattern');
SELECT throws_ok($$SELECT spm.retail_period('2025-01-01', 'week', '4-4-5', 0)$$, '22023',
                 'year_end_month must be between 1 and 12: 0', 'retail_period: year end month 0');
SELECT throws_ok($$SELECT spm.retail_period('2025-01-01', 'week', '4-4-5', 13)$$, '22023',
                 'year_end_month must be between 1 and 12: 13', 'retail_period: year end month 13');
SELECT throws_ok($$SELECT spm.retail_period('2025-01-01', 'week', '4-4-5', 1, -1)$$, '22023',
                 'year_end_dow must be between 0 (Sunday) and 6 (Saturday): -1', 'retail_period: weekday -1');
SELECT throws_ok($$SELECT spm.retail_period('2025-01-01', 'week', '4-4-5', 1, 7)$$, '22023',
                 'year_end_dow must be between 0 (Sunday) and 6 (Saturday): 7', 'retail_period: weekday 7');
SELECT throws_ok($$SELECT spm.retail_period('2025-01-01', 'week', '4-4-5', 1, 6, 'first')$$, '22023',
                 'unknown rule "first"', 'retail_period: unknown rule');
SELECT throws_ok($$SELECT spm.retail_period('2025-01-01', 'week', rule => '')$$, '22023',
                 'unknown rule ""', 'retail_period: empty rule');
SELECT throws_ok($$SELECT spm.retail_period('infinity', 'week')$$, '22023',
                 'd must be a date between 0001-01-01 and 9999-12-31: infinity', 'retail_period: infinite date');
SELECT throws_ok($$SELECT spm.retail_label('2025-01-01', 'fortnight')$$, '22023',
                 'unknown grain "fortnight"', 'retail_label: unknown grain');
SELECT throws_ok($$SELECT spm.retail_label('2025-01-01', 'period', '5-5-3')$$, '22023',
                 'unknown pattern "5-5-3"', 'retail_label: unknown pattern');
SELECT throws_ok($$SELECT spm.retail_label('-infinity', 'period')$$, '22023',
                 'd must be a date between 0001-01-01 and 9999-12-31: -infinity', 'retail_label: -infinity');
SELECT throws_ok($$SELECT spm.retail_year('2025-01-01', 13)$$, '22023',
                 'year_end_month must be between 1 and 12: 13', 'retail_year: year end month 13');
SELECT throws_ok($$SELECT spm.retail_year('2025-01-01', 1, 9)$$, '22023',
                 'year_end_dow must be between 0 (Sunday) and 6 (Saturday): 9', 'retail_year: weekday 9');
SELECT throws_ok($$SELECT spm.retail_year('2025-01-01', 1, 6, 'closest')$$, '22023',
                 'unknown rule "closest"', 'retail_year: unknown rule');
SELECT throws_ok($$SELECT spm.retail_year('infinity')$$, '22023',
                 'd must be a date between 0001-01-01 and 9999-12-31: infinity', 'retail_year: infinite date');
SELECT throws_ok($$SELECT * FROM spm.retail_periods(0, 'week')$$, '22023',
                 'fy must be between 1 and 9999: 0', 'retail_periods: year 0');
SELECT throws_ok($$SELECT * FROM spm.retail_periods(10000, 'week')$$, '22023',
                 'fy must be between 1 and 9999: 10000', 'retail_periods: year 10000');
SELECT throws_ok($$SELECT * FROM spm.retail_periods(2025, 'day')$$, '22023',
                 'unknown grain "day"', 'retail_periods: unknown grain');
SELECT throws_ok($$SELECT * FROM spm.retail_periods(2025, 'period', '4-4-4')$$, '22023',
                 'unknown pattern "4-4-4"', 'retail_periods: unknown pattern');
SELECT throws_ok($$SELECT * FROM spm.retail_periods(2025, 'period', '4-4-5', 0)$$, '22023',
                 'year_end_month must be between 1 and 12: 0', 'retail_periods: year end month 0');
SELECT throws_ok($$SELECT * FROM spm.retail_periods(2025, 'period', '4-4-5', 1, 7)$$, '22023',
                 'year_end_dow must be between 0 (Sunday) and 6 (Saturday): 7', 'retail_periods: weekday 7');
SELECT throws_ok($$SELECT * FROM spm.retail_periods(2025, 'period', '4-4-5', 1, 6, 'first')$$, '22023',
                 'unknown rule "first"', 'retail_periods: unknown rule');

-- NULLs ----------------------------------------------------------------------
SELECT ok(spm.fiscal_period(NULL, 'month') IS NULL AND spm.fiscal_period('2025-01-01', NULL) IS NULL
          AND spm.fiscal_period('2025-01-01', 'month', NULL) IS NULL AND spm.fiscal_label(NULL, 'month', 2) IS NULL
          AND spm.fiscal_year(NULL) IS NULL AND spm.fiscal_year('2025-01-01', NULL) IS NULL,
          'month-based calendar functions: NULL in, NULL out');
SELECT ok(spm.retail_period(NULL, 'week') IS NULL AND spm.retail_period('2025-01-01', 'week', NULL) IS NULL
          AND spm.retail_label('2025-01-01', 'week', '4-4-5', NULL) IS NULL
          AND spm.retail_year('2025-01-01', 1, NULL) IS NULL AND spm.retail_year('2025-01-01', 1, 6, NULL) IS NULL,
          'retail calendar functions: NULL in, NULL out');
SELECT is((SELECT count(*) FROM spm.fiscal_periods(NULL, 'month')), 0::bigint, 'fiscal_periods: NULL year, no rows');
SELECT is((SELECT count(*) FROM spm.retail_periods(2025, NULL)), 0::bigint, 'retail_periods: NULL grain, no rows');

-- month-based properties ----------------------------------------------------------
SELECT is((SELECT count(*) FROM generate_series(date '1999-12-01', date '2032-02-01', interval '1 day') d,
                 generate_series(1, 12) m, unnest('{month,quarter,half,year}'::text[]) g
           WHERE NOT (spm.fiscal_period(d::date, g, m) @> d::date)
              OR extract(day FROM lower(spm.fiscal_period(d::date, g, m))) <> 1), 0::bigint,
          'fiscal_period: the period holds d and starts on a first of month (1999-2032, all start months)');
SELECT is((SELECT count(*) FROM generate_series(date '2000-01-01', date '2031-12-31', interval '1 day') d,
                 generate_series(1, 12) m
           WHERE extract(year FROM upper(spm.fiscal_period(d::date, 'year', m)) - 1) <> spm.fiscal_year(d::date, m)),
          0::bigint, 'fiscal_year: the calendar year of the fiscal year''s last day');
SELECT results_eq($$SELECT m, lower(spm.fiscal_period('2025-06-15', 'year', m)) FROM generate_series(1, 12) m ORDER BY m$$,
                  $$VALUES (1, date '2025-01-01'), (2, '2025-02-01'), (3, '2025-03-01'), (4, '2025-04-01'),
                           (5, '2025-05-01'), (6, '2025-06-01'), (7, '2024-07-01'), (8, '2024-08-01'),
                           (9, '2024-09-01'), (10, '2024-10-01'), (11, '2024-11-01'), (12, '2024-12-01')$$,
                  'fiscal_period: the year holding 2025-06-15 for each start month, by hand');
SELECT results_eq($$SELECT m, spm.fiscal_year('2025-06-15', m) FROM generate_series(1, 12) m ORDER BY m$$,
                  $$VALUES (1, 2025), (2, 2026), (3, 2026), (4, 2026), (5, 2026), (6, 2026),
                           (7, 2025), (8, 2025), (9, 2025), (10, 2025), (11, 2025), (12, 2025)$$,
                  'fiscal_year: named by the year it ends in, by hand');
-- FY9999 from February is 9998-02-01 .. 9999-01-31; later dates are in FY10000 (22008)
SELECT is(spm.fiscal_period('9999-01-31', 'year', 2), '[9998-02-01,9999-02-01)'::daterange,
          'fiscal_period: the last accepted date with years from February');
SELECT is(spm.fiscal_label('0001-01-01', 'quarter', 2), 'FY0001-Q4', 'fiscal_label: the first accepted date');
SELECT results_eq($$SELECT label FROM spm.fiscal_periods(2026, 'half', 10)$$,
                  $$VALUES ('FY2026-H1'), ('FY2026-H2')$$, 'fiscal_periods: halves in order');
SELECT is((SELECT string_agg(lower(period)::text, ',' ORDER BY number) FROM spm.fiscal_periods(2024, 'quarter', 11)),
          '2023-11-01,2024-02-01,2024-05-01,2024-08-01', 'fiscal_periods: FY2024 quarters from November, by hand');

-- retail properties ----------------------------------------------------------------
-- 400 Gregorian years are exactly 20871 weeks, so every retail calendar has
-- 20871 - 400 * 52 = 71 years of 53 weeks per 400 years.
SELECT is((SELECT count(*) FILTER (WHERE upper(period) - lower(period) = 371)
             FROM generate_series(2001, 2400) y, LATERAL spm.retail_periods(y, 'year') p),
          71::bigint, 'retail: 71 years of 53 weeks in 400 (NRF rule)');
SELECT is((SELECT count(*) FILTER (WHERE upper(period) - lower(period) = 371)
             FROM generate_series(2001, 2400) y, LATERAL spm.retail_periods(y, 'year', '4-4-5', 9, 6, 'last') p),
          71::bigint, 'retail: 71 years of 53 weeks in 400 (last Saturday of September)');
SELECT is((SELECT count(*) FROM generate_series(2001, 2400) y, LATERAL spm.retail_periods(y, 'year', '4-4-5', 8, 0) p
            WHERE upper(period) - lower(period) NOT IN (364, 371) OR extract(dow FROM upper(period) - 1) <> 0),
          0::bigint, 'retail: every year has 52 or 53 weeks and ends on the chosen weekday');
SELECT is((SELECT count(*) FROM generate_series(2001, 2100) y, unnest('{week,period,quarter,half}'::text[]) g,
                 LATERAL (SELECT count(*) AS n, min(lower(period)) AS s, max(upper(period)) AS e,
                                 sum(upper(period) - lower(period)) AS days
                            FROM spm.retail_periods(y, g, '5-4-4', 11, 3, 'last')) p,
                 LATERAL spm.retail_periods(y, 'year', '5-4-4', 11, 3, 'last') yr
            WHERE p.s <> lower(yr.period) OR p.e <> upper(yr.period) OR p.days <> upper(yr.period) - lower(yr.period)),
          0::bigint, 'retail: weeks, periods, quarters and halves tile the year exactly');
SELECT is((SELECT count(*) FROM generate_series(2001, 2100) y, LATERAL spm.retail_periods(y, 'period', '4-5-4') p
            WHERE (upper(period) - lower(period)) / 7
               <> CASE WHEN number = 12 AND upper(spm.retail_period(lower(period), 'year')) - lower(spm.retail_period(lower(period), 'year')) = 371
                       THEN 5 ELSE (ARRAY[4, 5, 4])[(number - 1) % 3 + 1] END), 0::bigint,
          'retail: 4-5-4 periods, with week 53 in the last one');
SELECT is((SELECT count(*) FROM generate_series(date '2015-01-01', date '2031-12-31', interval '1 day') d,
                 unnest('{week,period,quarter,half,year}'::text[]) g
           WHERE NOT (spm.retail_period(d::date, g, '4-4-5', 12, 6, 'nearest') @> d::date)
              OR spm.retail_label(d::date, g, '4-4-5', 12, 6, 'nearest')
                 <> spm.retail_label(lower(spm.retail_period(d::date, g, '4-4-5', 12, 6, 'nearest')), g, '4-4-5', 12, 6, 'nearest')),
          0::bigint, 'retail: each day is in its period, and shares the label of the period''s first day');
SELECT is(spm.retail_period('2018-02-03', 'year'), '[2017-01-29,2018-02-04)'::daterange,
          'retail: NRF fiscal 2017 (spm FY2018) ended 2018-02-03 after 53 weeks');
SELECT is(spm.retail_period('2024-02-03', 'quarter', '4-5-4'), '[2023-10-29,2024-02-04)'::daterange,
          'retail: NRF fiscal 2023 (spm FY2024) Q4 has 14 weeks');
SELECT is(spm.retail_label('2024-02-03', 'week', '4-5-4'), 'FY2024-W53', 'retail: the 53rd week''s label');
SELECT is(spm.retail_label('2025-02-01', 'period', '4-5-4'), 'FY2025-P12', 'retail: 2025-02-01 closes FY2025');
SELECT is(spm.retail_label('2025-02-02', 'period', '4-5-4'), 'FY2026-P01', 'retail: 2025-02-02 opens FY2026');
SELECT is(spm.retail_label('2025-02-02', 'PERIOD'), spm.retail_label('2025-02-02', 'month'),
          'retail: grain is case-insensitive; month = period');
SELECT results_eq($$SELECT fiscal_year, number, label FROM spm.retail_periods(2026, 'half')$$,
                  $$VALUES (2026, 1, 'FY2026-H1'), (2026, 2, 'FY2026-H2')$$, 'retail_periods: row shape');

-- the SQL surface ---------------------------------------------------------------------
SELECT is((SELECT count(*) FROM pg_proc
            WHERE pronamespace = 'spm'::regnamespace
              AND proname IN ('fiscal_period', 'fiscal_label', 'fiscal_year', 'fiscal_periods',
                              'retail_period', 'retail_label', 'retail_year', 'retail_periods')
              AND provolatile = 'i' AND proisstrict AND proparallel = 's'), 12::bigint,
          'calendar functions (12 forms) are IMMUTABLE STRICT PARALLEL SAFE');
SELECT has_function('spm', 'fiscal_period', ARRAY['date', 'text'], 'spm.fiscal_period(date, text)');
SELECT has_function('spm', 'fiscal_period', ARRAY['date', 'text', 'integer'], 'spm.fiscal_period(date, text, integer)');

SELECT * FROM finish();
ROLLBACK;
