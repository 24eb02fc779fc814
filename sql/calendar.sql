-- Fiscal calendars: month-based years with any start month, and week-based
-- retail years (4-4-5, 4-5-4, 5-4-4; 52 and 53 weeks).  Hand-computed rows
-- show got next to want; whole ranges of days are compared with calendars
-- computed independently in plain SQL (mismatch counts must be 0).
SET search_path = spm, public;

-- The leap day 2024-02-29 in the quarter of a fiscal year starting in each
-- month (by hand: months since the year start = (2 - start + 12) % 12; the
-- year is named by the calendar year it ends in).
SELECT m AS fiscal_start_month, fiscal_period('2024-02-29', 'quarter', m) AS got, want::daterange,
       fiscal_label('2024-02-29', 'quarter', m) AS got_label, want_label
  FROM (VALUES (1, '[2024-01-01,2024-04-01)', 'FY2024-Q1'), (2, '[2024-02-01,2024-05-01)', 'FY2025-Q1'),
               (3, '[2023-12-01,2024-03-01)', 'FY2024-Q4'), (4, '[2024-01-01,2024-04-01)', 'FY2024-Q4'),
               (5, '[2024-02-01,2024-05-01)', 'FY2024-Q4'), (6, '[2023-12-01,2024-03-01)', 'FY2024-Q3'),
               (7, '[2024-01-01,2024-04-01)', 'FY2024-Q3'), (8, '[2024-02-01,2024-05-01)', 'FY2024-Q3'),
               (9, '[2023-12-01,2024-03-01)', 'FY2024-Q2'), (10, '[2024-01-01,2024-04-01)', 'FY2024-Q2'),
               (11, '[2024-02-01,2024-05-01)', 'FY2024-Q2'), (12, '[2023-12-01,2024-03-01)', 'FY2024-Q1')) v(m, want, want_label);
-- month, half and year of the leap day
SELECT m, fiscal_period('2024-02-29', 'month', m) AS month, fiscal_label('2024-02-29', 'month', m) AS month_label,
       fiscal_period('2024-02-29', 'half', m) AS half, fiscal_label('2024-02-29', 'half', m) AS half_label,
       fiscal_period('2024-02-29', 'year', m) AS year, fiscal_label('2024-02-29', 'year', m) AS year_label
  FROM (VALUES (1), (2), (3), (7), (10)) v(m);
-- want: m=1: P02, H1 [2024-01-01,2024-07-01), FY2024 [2024-01-01,2025-01-01);
--       m=2: P01, H1 [2024-02-01,2024-08-01), FY2025 [2024-02-01,2025-02-01);
--       m=3: P12, H2 [2023-09-01,2024-03-01), FY2024 [2023-03-01,2024-03-01);
--       m=7: P08, H2 [2024-01-01,2024-07-01), FY2024 [2023-07-01,2024-07-01);
--       m=10: P05, H1 [2023-10-01,2024-04-01), FY2024 [2023-10-01,2024-10-01)

-- First and last days of periods (fiscal years starting in April)
SELECT d, fiscal_period(d, 'quarter', 4) AS quarter, fiscal_label(d, 'quarter', 4) AS label,
       fiscal_year(d, 4) AS fy
  FROM (VALUES (date '2025-03-31'), ('2025-04-01'), ('2025-06-30'), ('2025-07-01'), ('2026-03-31')) v(d);
-- want: [2025-01-01,2025-04-01) FY2025-Q4; [2025-04-01,2025-07-01) FY2026-Q1 (twice);
--       [2025-07-01,2025-10-01) FY2026-Q2; [2026-01-01,2026-04-01) FY2026-Q4

-- The 2-argument forms mean January; the grain is case-insensitive; 'period' = 'month'
SELECT fiscal_period('2025-12-31', 'year') AS year, fiscal_period('2025-12-31', 'QUARTER') AS quarter,
       fiscal_label('2025-12-31', 'Month') AS label, fiscal_label('2025-12-31', 'period', 1) AS same,
       fiscal_year('2025-12-31') AS fy;
-- want: [2025-01-01,2026-01-01), [2025-10-01,2026-01-01), FY2025-P12, FY2025-P12, 2025

-- Every day of 2023-2025 (2024 is a leap year), every start month and grain,
-- against the calendar computed with date arithmetic in plain SQL
WITH g(grain, len) AS (VALUES ('month', 1), ('quarter', 3), ('half', 6), ('year', 12)),
ref AS (
  SELECT d::date AS d, m, grain, len, ys,
         ys + make_interval(months => ((extract(month FROM d)::int - m + 12) % 12) / len * len) AS ps,
         ((extract(month FROM d)::int - m + 12) % 12) / len + 1 AS num,
         extract(year FROM ys + interval '11 months')::int AS fy
    FROM generate_series(date '2023-01-01', date '2025-12-31', interval '1 day') d,
         generate_series(1, 12) m, g,
         LATERAL (SELECT make_date(extract(year FROM d)::int - (extract(month FROM d) < m)::int, m, 1) AS ys) y)
SELECT count(*) AS checked,
       count(*) FILTER (WHERE fiscal_period(d, grain, m) <> daterange(ps::date, (ps + make_interval(months => len))::date)) AS bad_period,
       count(*) FILTER (WHERE fiscal_year(d, m) <> fy) AS bad_year,
       count(*) FILTER (WHERE fiscal_label(d, grain, m) <> 'FY' || fy ||
                        CASE grain WHEN 'month' THEN '-P' || lpad(num::text, 2, '0')
                                   WHEN 'quarter' THEN '-Q' || num WHEN 'half' THEN '-H' || num ELSE '' END) AS bad_label
  FROM ref;

-- The periods of a fiscal year as rows: FY2026 starting in July
SELECT * FROM fiscal_periods(2026, 'month', 7);
SELECT * FROM fiscal_periods(2026, 'quarter', 7);
SELECT * FROM fiscal_periods(2024, 'half');
SELECT * FROM fiscal_periods(2025, 'year', 2);
-- want: months Jul 2025 .. Jun 2026 as P01..P12; quarters from 2025-07-01 every 3 months;
--       2024 halves [2024-01-01,2024-07-01) [2024-07-01,2025-01-01); FY2025 from Feb: [2024-02-01,2025-02-01)
-- properties over 2020..2030, every start month and grain: contiguous, covering the year,
-- numbered 1..n, each period's label = fiscal_label of its first and last day
SELECT count(*) AS periods,
       count(*) FILTER (WHERE number <> rn) AS bad_number,
       count(*) FILTER (WHERE prev_upper IS NOT NULL AND prev_upper <> lower(period)) AS gaps,
       count(*) FILTER (WHERE label <> fiscal_label(lower(period), grain, m)
                           OR label <> fiscal_label(upper(period) - 1, grain, m)) AS bad_label,
       count(*) FILTER (WHERE rn = 1 AND lower(period) <> lower(fiscal_period(lower(period), 'year', m))) AS bad_start
  FROM (SELECT p.*, grain, m, row_number() OVER w AS rn, lag(upper(p.period)) OVER w AS prev_upper
          FROM generate_series(2020, 2030) y, generate_series(1, 12) m,
               unnest('{month,quarter,half,year}'::text[]) grain,
               LATERAL fiscal_periods(y, grain, m) p
        WINDOW w AS (PARTITION BY y, m, grain ORDER BY lower(p.period))) s;
-- 11 years * 12 start months * (12 + 4 + 2 + 1) = 2508 periods
-- a BI join: deals by fiscal quarter, quarters without deals included
SELECT p.label, count(s.close_date) AS deals
  FROM fiscal_periods(2026, 'quarter', 2) p
  LEFT JOIN (VALUES (date '2025-02-01'), ('2025-04-30'), ('2025-05-01'), ('2026-01-31'), ('2026-02-01')) s(close_date)
         ON p.period @> s.close_date
 GROUP BY p.label ORDER BY p.label;
-- want: Q1 2 (Feb 1, Apr 30), Q2 1, Q3 0, Q4 1 (Jan 31); Feb 1 2026 is FY2027

-- ---------------------------------------------------------------------------
-- Retail calendars.  Default: NRF, the year ends on the Saturday nearest the
-- end of January, 4-4-5.  spm names a year by the year it ends in: the year
-- NRF calls fiscal 2017 (ended 2018-02-03) is FY2018 here.

-- Fiscal years 2015..2030 against a year end found independently: the one
-- Saturday among January 28 .. February 3
WITH ends AS (
  SELECT y, (SELECT d::date FROM generate_series(make_date(y, 1, 28), make_date(y, 2, 3), interval '1 day') d
              WHERE extract(dow FROM d) = 6) AS ye
    FROM generate_series(2014, 2030) y),
years AS (
  SELECT y, lag(ye) OVER (ORDER BY y) + 1 AS ys, ye FROM ends)
SELECT y AS fy, retail_period(ye, 'year') AS got, daterange(ys, ye + 1) AS want,
       (ye + 1 - ys) / 7 AS weeks, retail_year(ys) = y AND retail_year(ye) = y AS year_ok,
       retail_label(ye, 'week') AS last_week
  FROM years WHERE y >= 2015 ORDER BY y;
-- 53-week years: FY2018 (NRF fiscal 2017, ended 2018-02-03), FY2024 (NRF fiscal 2023,
-- ended 2024-02-03) and FY2029 (ends 2029-02-03: Jan 31 2029 is a Wednesday)

-- Every day of FY2015..FY2030, three patterns, every grain, against plain SQL:
-- week = (d - year start) / 7 + 1; quarters of 13 weeks and halves of 26 (the last
-- one takes week 53); periods split quarters by the pattern, the last period of the
-- year takes week 53.  Bounds are the first and last day of each group of days.
WITH ends AS (
  SELECT y, (SELECT d::date FROM generate_series(make_date(y, 1, 28), make_date(y, 2, 3), interval '1 day') d
              WHERE extract(dow FROM d) = 6) AS ye
    FROM generate_series(2014, 2030) y),
years AS (SELECT y, lag(ye) OVER (ORDER BY y) + 1 AS ys, ye FROM ends),
days AS (
  SELECT y, d::date AS d, ((d::date - ys) / 7 + 1) AS wk
    FROM years, generate_series(ys, ye, interval '1 day') d WHERE y >= 2015),
pats(pattern, a, b) AS (VALUES ('4-4-5', 4, 4), ('4-5-4', 4, 5), ('5-4-4', 5, 4)),
nums AS (
  SELECT y, d, pattern, wk, least((wk - 1) / 13 + 1, 4) AS q, least((wk - 1) / 26 + 1, 2) AS h,
         3 * (least((wk - 1) / 13 + 1, 4) - 1)
         + CASE WHEN wk - 13 * (least((wk - 1) / 13 + 1, 4) - 1) <= a THEN 1
                WHEN wk - 13 * (least((wk - 1) / 13 + 1, 4) - 1) <= a + b THEN 2 ELSE 3 END AS p
    FROM days, pats),
ref AS (
  SELECT y, d, pattern, grain, num,
         daterange(min(d) OVER w, max(d) OVER w + 1) AS want
    FROM nums, LATERAL (VALUES ('week', wk), ('period', p), ('quarter', q), ('half', h), ('year', 1)) g(grain, num)
  WINDOW w AS (PARTITION BY y, pattern, grain, num))
SELECT count(*) AS checked,
       count(*) FILTER (WHERE retail_period(d, grain, pattern) <> want) AS bad_period,
       count(*) FILTER (WHERE retail_label(d, grain, pattern) <> 'FY' || y ||
                        CASE grain WHEN 'week' THEN '-W' || lpad(num::text, 2, '0')
                                   WHEN 'period' THEN '-P' || lpad(num::text, 2, '0')
                                   WHEN 'quarter' THEN '-Q' || num WHEN 'half' THEN '-H' || num
                                   ELSE '' END) AS bad_label,
       count(*) FILTER (WHERE retail_year(d) <> y) AS bad_year
  FROM ref;

-- A 53-week year: the 53rd week is added to the last period (4-4-5 -> P12 has 6 weeks),
-- so Q4 has 14 weeks and H2 27
SELECT label, period, (upper(period) - lower(period)) / 7 AS weeks FROM retail_periods(2018, 'period');
SELECT label, period, (upper(period) - lower(period)) / 7 AS weeks FROM retail_periods(2018, 'quarter');
SELECT label, period, (upper(period) - lower(period)) / 7 AS weeks FROM retail_periods(2018, 'half');
-- the NRF 4-5-4 calendar of its fiscal 2023 (spm FY2024): February 4 weeks from
-- 2023-01-29, March 5, April 4, ..., January 5 weeks (Dec 31 .. Feb 3) with week 53
SELECT label, period, (upper(period) - lower(period)) / 7 AS weeks FROM retail_periods(2024, 'period', '4-5-4');
-- a 52-week year, 5-4-4
SELECT label, period, (upper(period) - lower(period)) / 7 AS weeks FROM retail_periods(2025, 'period', '5-4-4');
-- weeks: the first and last of a 53-week year, and the year after
SELECT d, retail_period(d, 'week') AS week, retail_label(d, 'week') AS label
  FROM (VALUES (date '2017-01-29'), ('2017-02-04'), ('2017-02-05'), ('2018-01-28'), ('2018-02-03'), ('2018-02-04')) v(d);
-- want: W01 [2017-01-29,2017-02-05) twice, W02, W53 [2018-01-28,2018-02-04) twice, FY2019-W01
SELECT count(*) AS weeks, min(label) AS first, max(label) AS last FROM retail_periods(2018, 'week');
SELECT count(*) AS weeks, min(label) AS first, max(label) AS last FROM retail_periods(2019, 'week');

-- Other year ends.  'last': the last given weekday on or before the month end.
-- A year ending on the last Saturday of September (Apple's): FY2022 ended
-- 2022-09-24, FY2023 on 2022-09-30 (53 weeks), FY2024 on 2024-09-28.
SELECT y, retail_period(make_date(y, 6, 15), 'year', '4-4-5', 9, 6, 'last') AS got, want::daterange,
       (upper(want::daterange) - lower(want::daterange)) / 7 AS weeks
  FROM (VALUES (2022, '[2021-09-26,2022-09-25)'), (2023, '[2022-09-25,2023-10-01)'),
               (2024, '[2023-10-01,2024-09-29)')) v(y, want);
-- ... and independently over 2000..2040: the Saturday among the last 7 days of September
WITH ends AS (
  SELECT y, (SELECT d::date FROM generate_series(make_date(y, 9, 24), make_date(y, 9, 30), interval '1 day') d
              WHERE extract(dow FROM d) = 6) AS ye
    FROM generate_series(1999, 2040) y),
years AS (SELECT y, lag(ye) OVER (ORDER BY y) + 1 AS ys, ye FROM ends)
SELECT count(*) AS years,
       count(*) FILTER (WHERE retail_period(ys, 'year', '4-4-5', 9, 6, 'last') <> daterange(ys, ye + 1)
                           OR retail_period(ye, 'year', '4-4-5', 9, 6, 'last') <> daterange(ys, ye + 1)
                           OR retail_year(ys, 9, 6, 'last') <> y OR retail_year(ye, 9, 6, 'last') <> y) AS mismatches,
       count(*) FILTER (WHERE ye + 1 - ys = 371) AS years_of_53_weeks
  FROM years WHERE y >= 2000;
-- A year ending on the Sunday nearest the end of December, against plain SQL
-- (December 28 .. January 3), 2000..2040; a year end can fall in January
WITH ends AS (
  SELECT y, (SELECT d::date FROM generate_series(make_date(y, 12, 28), make_date(y + 1, 1, 3), interval '1 day') d
              WHERE extract(dow FROM d) = 0) AS ye
    FROM generate_series(1999, 2040) y),
years AS (SELECT y, lag(ye) OVER (ORDER BY y) + 1 AS ys, ye FROM ends)
SELECT count(*) AS years,
       count(*) FILTER (WHERE retail_period(ys, 'year', '4-4-5', 12, 0) <> daterange(ys, ye + 1)
                           OR retail_period(ye, 'year', '4-4-5', 12, 0) <> daterange(ys, ye + 1)
                           OR retail_year(ys, 12, 0) <> y OR retail_year(ye, 12, 0) <> y) AS mismatches,
       count(*) FILTER (WHERE ye + 1 - ys = 371) AS years_of_53_weeks
  FROM years WHERE y >= 2000;
-- Saturday nearest December 31: 2021-12-31 is a Friday, so FY2021 ends on
-- Saturday 2022-01-01 and that day belongs to FY2021, not FY2022
SELECT d, retail_year(d, 12) AS fy, retail_period(d, 'year', '4-4-5', 12) AS year, retail_label(d, 'quarter', '4-4-5', 12) AS quarter
  FROM (VALUES (date '2021-12-31'), ('2022-01-01'), ('2022-01-02'), ('2022-12-31'), ('2023-01-01')) v(d);
-- want: FY2021 [2021-01-03,2022-01-02) Q4 twice; FY2022 [2022-01-02,2023-01-01) Q1, then Q4
--       (2022-12-31 is a Saturday: FY2022's last day); 2023-01-01 FY2023 Q1

-- The defaults can be named: a 4-5-4 calendar ending the Saturday nearest January 31
-- FY2026 starts on Sunday 2025-02-02 (Jan 31 2025 is a Friday, the year before ends Sat Feb 1);
-- 2025-03-30 is day 56, week 9: P02 (weeks 5-9) under 4-5-4, P03 (weeks 9-13) under 4-4-5
SELECT retail_label('2025-03-30', 'period', pattern => '4-5-4') AS got, 'FY2026-P02' AS want,
       retail_label('2025-03-30', 'period') AS got_default, 'FY2026-P03' AS want_default;
SELECT retail_label('2025-03-02', 'period', '4-4-5') AS p445, retail_label('2025-03-02', 'period', '5-4-4') AS p544;
-- 2025-03-02 starts week 5: P02 under 4-4-5, still P01 under 5-4-4

-- Errors (every one is pinned with its SQLSTATE in test/calendar.sql)
SELECT fiscal_period('2025-01-01', 'week');
SELECT fiscal_period('2025-01-01', 'month', 13);
SELECT fiscal_period('infinity', 'month');
SELECT fiscal_periods(0, 'month');
SELECT retail_period('2025-01-01', 'week', '4-4-4');
SELECT retail_period('2025-01-01', 'week', '4-4-5', 1, 7);
SELECT retail_period('2025-01-01', 'week', '4-4-5', 1, 6, 'first');
