-- Attainment, proration, pace and ramps: hand-computed cases and the rules of docs/attainment.md.
-- Each row shows what spm computes (got) next to the value worked out by hand
-- (want), or an independent computation in plain SQL.
SET search_path = spm, public;

-- attainment = actual / quota, rounded half away from zero to max(12, scale of actual)
SELECT attainment(120000, 100000) AS got, 1.2 AS want;
SELECT a, q, attainment(a, q) AS got, want
  FROM (VALUES (1, 3, 0.333333333333), (2, 3, 0.666666666667), (-2, 3, -0.666666666667),
               (50, 0.4, 125), (80000.00, 100000.00, 0.8), (0, 100, 0),
               -- exactly half a unit in the 13th place rounds away from zero
               (1, 2000000000000, 0.000000000001), (-1, 2000000000000, -0.000000000001),
               -- more places in actual than 12: kept
               (1.00000000000001, 1, 1.00000000000001)) v(a, q, want);
-- quota 0 or NULL: NULL (no attainment without a quota); actual NULL: NULL
SELECT attainment(5, 0) IS NULL AS zero_quota, attainment(5, NULL) IS NULL AS null_quota,
       attainment(NULL, 5) IS NULL AS null_actual;
-- against numeric division carried to 30 places, then rounded to 12
SELECT count(*) AS mismatches
  FROM generate_series(-50, 50) a, generate_series(1, 37) q
 WHERE attainment(a * 1234.57, q * 7.3) <> round((a * 1234.57)::numeric(40, 30) / (q * 7.3), 12);

-- prorate = amount * days(period * active) / days(period), rounded half away
-- from zero to max(2, scale of amount) places (or the scale given)
-- March 2025 has 31 days; a rep active from the 15th (still active) has 17:
-- 1000 * 17 / 31 = 548.387096... -> 548.39
SELECT prorate(1000, '[2025-03-01,2025-04-01)', '[2025-03-15,)') AS got, 548.39 AS want;
SELECT prorate(1000.00, '[2025-03-01,2025-04-01)', '[2025-03-15,)', 6) AS got, 548.387097 AS want;
-- leap February 2024 has 29 days: 10 of them -> 2900 * 10 / 29 = 1000
SELECT prorate(2900.00, '[2024-02-01,2024-03-01)', '[2024-02-10,2024-02-20)') AS got, 1000.00 AS want;
-- February 2025 has 28: hired the 15th -> 14 days -> half
SELECT prorate(1000.00, '[2025-02-01,2025-03-01)', '[2025-02-15,)') AS got, 500.00 AS want;
-- hired on the leap day: 1 day of 29 -> 29 / 29 = 1
SELECT prorate(29.00, '[2024-02-01,2024-03-01)', '[2024-02-29,)') AS got, 1.00 AS want;
-- across a period boundary: Q1 2025 has 90 days; active Dec 1 .. Jan 30 covers Jan 1..30 = 30
-- days -> 9000 * 30 / 90 = 3000
SELECT prorate(9000.00, '[2025-01-01,2025-04-01)', '[2024-12-01,2025-01-31)') AS got, 3000.00 AS want;
-- and the same rep's December share of a Dec-Jan period split at the boundary:
-- [2024-12-01, 2025-02-01) has 62 days; active 61 of them -> 6200 * 61 / 62 = 6100
SELECT prorate(6200.00, '[2024-12-01,2025-02-01)', '[2024-12-01,2025-01-31)') AS got, 6100.00 AS want;
-- no overlap, an empty active range: 0; active unbounded or infinite on both sides: all
SELECT prorate(1000.00, '[2025-03-01,2025-04-01)', '[2025-04-01,)') AS no_overlap,
       prorate(1000.00, '[2025-03-01,2025-04-01)', 'empty') AS empty_active,
       prorate(1000.00, '[2025-03-01,2025-04-01)', '(,)') AS unbounded,
       prorate(1000.00, '[2025-03-01,2025-04-01)', '[-infinity,infinity]') AS infinite,
       prorate(1000.00, '[2025-03-01,2025-04-01)', '(,2025-03-02)') AS first_day_only;
-- want: 0.00, 0.00, 1000.00, 1000.00, 1000 / 31 = 32.258... -> 32.26
-- half a cent rounds away from zero: 0.05 over 1 day of 2 = 0.025
SELECT prorate(0.05, '[2025-01-01,2025-01-03)', '[2025-01-02,)') AS got, 0.03 AS want,
       prorate(-0.05, '[2025-01-01,2025-01-03)', '[2025-01-02,)') AS got_neg, -0.03 AS want_neg,
       prorate(0.05, '[2025-01-01,2025-01-03)', '[2025-01-02,)', 3) AS got_3, 0.025 AS want_3;
-- a whole-number amount is still prorated to cents; a scale below the amount's rounds it
SELECT prorate(120000, '[2025-01-01,2025-04-01)', '[2025-02-15,)') AS got, 60000.00 AS want,
       prorate(1234.5678, '[2025-01-01,2025-01-02)', '(,)', 2) AS got_2, 1234.57 AS want_2;
-- (Feb 15 .. Mar 31 = 14 + 31 = 45 days of 90)
-- every month of 2024 for a rep hired on the leap day, against plain SQL
SELECT count(*) AS months, count(*) FILTER (WHERE got <> want) AS mismatches, sum(got) AS total
  FROM (SELECT prorate(1200.00, m, '[2024-02-29,)') AS got,
               round(1200.00 * greatest(0, upper(m) - greatest(lower(m), date '2024-02-29'))
                     / (upper(m) - lower(m)), 2) AS want
          FROM (SELECT daterange(s::date, (s + interval '1 month')::date) AS m
                  FROM generate_series(timestamp '2024-01-01', '2024-12-01', '1 month') s) mm) t;
-- 10 full months (12000.00) + 1 day of February (1200 / 29 = 41.379... -> 41.38)

-- pace = actual * days(period) / days(period start .. as_of) / quota
-- Q1 2025 = [2025-01-01, 2025-04-01), 90 days; 10000 sold against 100000
SELECT as_of, pace(10000, 100000, '[2025-01-01,2025-04-01)', as_of) AS got, want
  FROM (VALUES (date '2024-12-31', NULL),      -- before the period: no run-rate
               ('2025-01-01', 9),               -- first day: 10000 * 90 / 1 / 100000
               ('2025-01-30', 0.3),             -- 30 days: 10000 * 90 / 30 / 100000
               ('2025-03-31', 0.1),             -- last day: actual / quota
               ('2025-04-01', 0.1),             -- after: actual / quota
               ('infinity', 0.1), ('-infinity', NULL)) v(as_of, want);
-- 7-day period, day 3: 100 * 7 / 3 / 300 = 0.7777... -> 0.777777777778
SELECT pace(100, 300, '[2025-01-01,2025-01-08)', '2025-01-03') AS got, 0.777777777778 AS want;
-- leap February 2024: 10 days in, 1000 of 2000 -> 1000 * 29 / 10 / 2000 = 1.45; last day -> 0.5
SELECT pace(1000, 2000, '[2024-02-01,2024-03-01)', '2024-02-10') AS got, 1.45 AS want,
       pace(1000, 2000, '[2024-02-01,2024-03-01)', '2024-02-29') AS got_last, 0.5 AS want_last;
-- quota 0: NULL, like attainment
SELECT pace(1000, 0, '[2024-02-01,2024-03-01)', '2024-02-10') IS NULL AS zero_quota;

-- ramp = quota * steps[month_in_role]; past the last step the full quota
SELECT m, ramp(120000.00, m, '{0.25,0.5,0.75}') AS got, want
  FROM (VALUES (1, 30000), (2, 60000), (3, 90000), (4, 120000), (100, 120000)) v(m, want);
SELECT ramp(100, 1, '{}') AS empty_steps, ramp(100, 1, '{0}') AS zero_step,
       ramp(0, 2, '{0.5,0.5}') AS zero_quota, ramp(1000.50, 1, '{0.333}') AS exact;
-- want: 100, 0, 0.0, 1000.50 * 0.333 = 333.16650

-- Errors (every one is pinned with its SQLSTATE in test/attainment.sql)
SELECT attainment(1, -5);
SELECT attainment('NaN', 5);
SELECT prorate(100, 'empty', '(,)');
SELECT prorate(100, '[2025-01-01,)', '(,)');
SELECT prorate(100, '[2025-01-01,infinity)', '(,)');
SELECT pace(1, 1, '(,2025-01-01)', '2025-01-01');
SELECT ramp(100, 0, '{0.5}');
SELECT ramp(100, 1, '{0.5,NULL}');
SELECT ramp(-100, 1, '{0.5}');

-- Reporting patterns of docs/attainment.md ("Attainment patterns") on a small book of business.
-- Fiscal years start in February: FY2026 = 2025-02-01 .. 2026-01-31,
-- Q1 = Feb-Apr (89 days in 2025), Q2 = May-Jul, Q3 = Aug-Oct, Q4 = Nov-Jan.
CREATE TABLE reps (rep_id int, rep_name text, hired_on date, annual_quota numeric(12,2));
INSERT INTO reps VALUES (1, 'Ann', '2024-06-01', 400000.00), (2, 'Bob', '2025-03-15', 360000.00);
CREATE TABLE deals (rep_id int, close_date date, amount numeric(12,2));
INSERT INTO deals VALUES
  (1, '2025-02-10', 30000.00), (1, '2025-04-30', 50000.00),  -- Q1 (the 30th is its last day)
  (1, '2025-05-01', 20000.00), (1, '2025-07-15', -5000.00),  -- Q2 (the 1st is its first day)
  (1, '2026-01-31', 40000.00),                               -- Q4, last day of FY2026
  (1, '2026-02-01', 10000.00),                               -- FY2027 Q1
  (2, '2025-04-01', 45000.00), (2, '2025-06-20', 60000.00), (2, '2025-12-01', 30000.00);

-- per quarter: bookings against a quarter of the annual quota
SELECT d.rep_id, fiscal_label(d.close_date, 'quarter', 2) AS quarter, sum(d.amount) AS bookings,
       attainment(sum(d.amount), r.annual_quota / 4) AS attainment
  FROM deals d JOIN reps r USING (rep_id)
 GROUP BY d.rep_id, quarter, r.annual_quota ORDER BY 1, 2;
-- want: Ann Q1 80000/100000 = 0.8, Q2 15000 -> 0.15, Q4 40000 -> 0.4, FY2027-Q1 0.1;
--       Bob Q1 45000/90000 = 0.5, Q2 60000 -> 0.666666666667, Q4 30000 -> 0.333333333333

-- year to date: a running sum over the quarters of each rep's fiscal year
SELECT rep_id, fy, quarter, bookings,
       sum(bookings) OVER w AS ytd,
       attainment(sum(bookings) OVER w, annual_quota) AS ytd_attainment
  FROM (SELECT d.rep_id, fiscal_year(d.close_date, 2) AS fy,
               fiscal_label(d.close_date, 'quarter', 2) AS quarter,
               sum(d.amount) AS bookings, r.annual_quota
          FROM deals d JOIN reps r USING (rep_id)
         GROUP BY 1, 2, 3, r.annual_quota) q
WINDOW w AS (PARTITION BY rep_id, fy ORDER BY quarter)
 ORDER BY rep_id, quarter;
-- want: Ann 80000 (0.2), 95000 (0.2375), 135000 (0.3375); FY2027 10000 (0.025);
--       Bob 45000 (0.125), 105000 (0.291666666667), 135000 (0.375)

-- every quarter of FY2026 for every rep, with the quota prorated to the days
-- the rep was employed (Bob joined 2025-03-15: Q1 47 of 89 days ->
-- 90000 * 47 / 89 = 47528.0898... -> 47528.09), quarters without deals included
SELECT r.rep_id, p.label, coalesce(sum(d.amount), 0) AS bookings,
       prorate(round(r.annual_quota / 4, 2), p.period, daterange(r.hired_on, NULL)) AS quota,
       attainment(coalesce(sum(d.amount), 0),
                  prorate(round(r.annual_quota / 4, 2), p.period, daterange(r.hired_on, NULL))) AS attainment
  FROM reps r CROSS JOIN fiscal_periods(2026, 'quarter', 2) p
  LEFT JOIN deals d ON d.rep_id = r.rep_id AND p.period @> d.close_date
 GROUP BY r.rep_id, p.label, p.period, r.annual_quota, r.hired_on
 ORDER BY 1, 2;
-- Bob Q1 by plain SQL: 45000 / 47528.09 rounded to 12 places
SELECT round(45000.00::numeric(40, 30) / 47528.09, 12) AS want_bob_q1;
-- want: Ann quotas 100000.00, attainment 0.8, 0.15, 0, 0.4; Bob Q1 as above,
--       Q2 60000/90000 = 0.666666666667, Q3 0, Q4 0.333333333333

-- pace on 2025-03-01 for Q1: Ann has 30000 after 29 days of 89:
-- 30000 * 89 / 29 / 100000 = 0.920689655172 (0.92068965517241...)
SELECT r.rep_name, pace(coalesce(sum(d.amount) FILTER (WHERE d.close_date <= '2025-03-01'), 0),
                        r.annual_quota / 4, fiscal_period('2025-03-01', 'quarter', 2), '2025-03-01') AS pace
  FROM reps r LEFT JOIN deals d USING (rep_id)
 GROUP BY r.rep_name, r.annual_quota ORDER BY 1;
-- want: Ann 0.920689655172, Bob 0

-- a ramped quota: month_in_role counted from the hire month
SELECT r.rep_name, m.month, m.month_in_role,
       ramp(round(r.annual_quota / 12, 2), m.month_in_role, '{0.25,0.5,0.75}') AS monthly_quota
  FROM reps r,
       LATERAL (SELECT s::date AS month,
                       (extract(year FROM s) * 12 + extract(month FROM s))::int
                     - (extract(year FROM r.hired_on) * 12 + extract(month FROM r.hired_on))::int + 1 AS month_in_role
                  FROM generate_series(timestamp '2025-03-01', '2025-07-01', '1 month') s) m
 WHERE r.rep_id = 2 ORDER BY 2;
-- want: 30000 * 0.25 = 7500.0000, 15000.0000, 22500.0000, then 30000.00, 30000.00

DROP TABLE deals;
DROP TABLE reps;
