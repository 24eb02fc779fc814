-- Attainment, quotas and fiscal calendars (see docs/attainment.md).

CREATE FUNCTION spm.attainment(actual numeric, quota numeric) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_attainment' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.attainment(numeric, numeric) IS
    'actual / quota, rounded half away from zero to max(12, scale of actual) places; quota 0 gives NULL, a negative quota is an error';

CREATE FUNCTION spm.prorate(amount numeric, period daterange, active daterange) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_prorate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.prorate(numeric, daterange, daterange) IS
    'amount * days(period * active) / days(period), rounded half away from zero to max(2, scale of amount) places; no overlap gives 0';

CREATE FUNCTION spm.prorate(amount numeric, period daterange, active daterange, scale integer) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_prorate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.prorate(numeric, daterange, daterange, integer) IS
    'amount * days(period * active) / days(period), rounded half away from zero to scale (0..30) places';

CREATE FUNCTION spm.pace(actual numeric, quota numeric, period daterange, as_of date) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_pace' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.pace(numeric, numeric, daterange, date) IS
    'projected attainment at period end at the run-rate so far: actual * days(period) / days(period start .. as_of) / quota; NULL before the period, actual / quota from its last day on';

CREATE FUNCTION spm.ramp(quota numeric, month_in_role integer, steps numeric[]) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_ramp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.ramp(numeric, integer, numeric[]) IS
    'quota * steps[month_in_role] (month 1 is the first), exact; past the last step, or with no steps, the full quota';

-- Month-based fiscal calendars: years start on day 1 of fiscal_start_month
-- and are named by the calendar year in which they end.

CREATE FUNCTION spm.fiscal_period(d date, grain text) RETURNS daterange
    AS 'MODULE_PATHNAME', 'spm_fiscal_period' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.fiscal_period(date, text) IS
    'the [start, end) of the month, quarter, half or year holding d, fiscal years starting in January';

CREATE FUNCTION spm.fiscal_period(d date, grain text, fiscal_start_month integer) RETURNS daterange
    AS 'MODULE_PATHNAME', 'spm_fiscal_period' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.fiscal_period(date, text, integer) IS
    'the [start, end) of the month, quarter, half or year holding d, fiscal years starting on day 1 of fiscal_start_month';

CREATE FUNCTION spm.fiscal_label(d date, grain text) RETURNS text
    AS 'MODULE_PATHNAME', 'spm_fiscal_label' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.fiscal_label(date, text) IS
    'label of the period holding d (FY2026-P07, FY2026-Q1, FY2026-H1, FY2026), fiscal years starting in January';

CREATE FUNCTION spm.fiscal_label(d date, grain text, fiscal_start_month integer) RETURNS text
    AS 'MODULE_PATHNAME', 'spm_fiscal_label' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.fiscal_label(date, text, integer) IS
    'label of the period holding d (FY2026-P07, FY2026-Q1, FY2026-H1, FY2026); the year is named by the calendar year it ends in';

CREATE FUNCTION spm.fiscal_year(d date) RETURNS integer
    AS 'MODULE_PATHNAME', 'spm_fiscal_year' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.fiscal_year(date) IS
    'the fiscal year holding d, fiscal years starting in January (the calendar year)';

CREATE FUNCTION spm.fiscal_year(d date, fiscal_start_month integer) RETURNS integer
    AS 'MODULE_PATHNAME', 'spm_fiscal_year' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.fiscal_year(date, integer) IS
    'the fiscal year holding d, named by the calendar year it ends in';

CREATE FUNCTION spm.fiscal_periods(fy integer, grain text)
    RETURNS TABLE (label text, period daterange, fiscal_year integer, number integer)
    AS 'MODULE_PATHNAME', 'spm_fiscal_periods' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 12;
COMMENT ON FUNCTION spm.fiscal_periods(integer, text) IS
    'the months, quarters, halves or the whole of fiscal year fy as rows (label, period, fiscal_year, number), years starting in January';

CREATE FUNCTION spm.fiscal_periods(fy integer, grain text, fiscal_start_month integer)
    RETURNS TABLE (label text, period daterange, fiscal_year integer, number integer)
    AS 'MODULE_PATHNAME', 'spm_fiscal_periods' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 12;
COMMENT ON FUNCTION spm.fiscal_periods(integer, text, integer) IS
    'the months, quarters, halves or the whole of fiscal year fy as rows (label, period, fiscal_year, number)';

-- Week-based retail calendars: the year ends on year_end_dow (0 = Sunday ..
-- 6 = Saturday) nearest to, or last on or before, the end of year_end_month;
-- the defaults are the NRF calendar (Saturday nearest the end of January,
-- 4-4-5).  A 53rd week goes to the year's last period.

CREATE FUNCTION spm.retail_period(d date, grain text, pattern text DEFAULT '4-4-5',
                                  year_end_month integer DEFAULT 1, year_end_dow integer DEFAULT 6,
                                  rule text DEFAULT 'nearest') RETURNS daterange
    AS 'MODULE_PATHNAME', 'spm_retail_period' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.retail_period(date, text, text, integer, integer, text) IS
    'the [start, end) of the retail week, period, quarter, half or year holding d (52/53-week years, 4-4-5, 4-5-4 or 5-4-4 quarters)';

CREATE FUNCTION spm.retail_label(d date, grain text, pattern text DEFAULT '4-4-5',
                                 year_end_month integer DEFAULT 1, year_end_dow integer DEFAULT 6,
                                 rule text DEFAULT 'nearest') RETURNS text
    AS 'MODULE_PATHNAME', 'spm_retail_label' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.retail_label(date, text, text, integer, integer, text) IS
    'label of the retail period holding d (FY2026-W05, FY2026-P02, FY2026-Q1, FY2026-H1, FY2026)';

CREATE FUNCTION spm.retail_year(d date, year_end_month integer DEFAULT 1, year_end_dow integer DEFAULT 6,
                                rule text DEFAULT 'nearest') RETURNS integer
    AS 'MODULE_PATHNAME', 'spm_retail_year' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.retail_year(date, integer, integer, text) IS
    'the retail fiscal year holding d, named by the year of the month it ends in or near';

CREATE FUNCTION spm.retail_periods(fy integer, grain text, pattern text DEFAULT '4-4-5',
                                   year_end_month integer DEFAULT 1, year_end_dow integer DEFAULT 6,
                                   rule text DEFAULT 'nearest')
    RETURNS TABLE (label text, period daterange, fiscal_year integer, number integer)
    AS 'MODULE_PATHNAME', 'spm_retail_periods' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 12;
COMMENT ON FUNCTION spm.retail_periods(integer, text, text, integer, integer, text) IS
    'the weeks, periods, quarters, halves or the whole of retail fiscal year fy as rows (label, period, fiscal_year, number)';
