-- spm 0.1.0: generated from src/sql/*.sql by make; do not edit.
\echo Use "CREATE EXTENSION spm" to load this file. \quit

-- ---- src/sql/10_schedule.sql
-- spm.schedule: an earnings rule E(x) (see README "Schedules").

CREATE TYPE spm.schedule;

CREATE FUNCTION spm.schedule_in(cstring) RETURNS spm.schedule
    AS 'MODULE_PATHNAME', 'spm_schedule_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION spm.schedule_out(spm.schedule) RETURNS cstring
    AS 'MODULE_PATHNAME', 'spm_schedule_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION spm.schedule_recv(internal) RETURNS spm.schedule
    AS 'MODULE_PATHNAME', 'spm_schedule_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION spm.schedule_send(spm.schedule) RETURNS bytea
    AS 'MODULE_PATHNAME', 'spm_schedule_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE spm.schedule (
    INPUT = spm.schedule_in,
    OUTPUT = spm.schedule_out,
    RECEIVE = spm.schedule_recv,
    SEND = spm.schedule_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = main
);
COMMENT ON TYPE spm.schedule IS
    'An earnings rule E(x): marginal or retroactive tiers, or a piecewise-linear curve, wrapped by caps and gates. Text form e.g. cap(marginal(0: 0.02, 10000: 0.04), 3000)';
COMMENT ON FUNCTION spm.schedule_in(cstring) IS 'text input of spm.schedule';
COMMENT ON FUNCTION spm.schedule_out(spm.schedule) IS 'canonical text output of spm.schedule';
COMMENT ON FUNCTION spm.schedule_recv(internal) IS 'binary input of spm.schedule (checks every rule of text input)';
COMMENT ON FUNCTION spm.schedule_send(spm.schedule) IS 'binary output of spm.schedule';

-- Constructors
CREATE FUNCTION spm.tiers(breaks numeric[], rates numeric[]) RETURNS spm.schedule
    AS 'MODULE_PATHNAME', 'spm_tiers' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.tiers(numeric[], numeric[]) IS
    'marginal tiers: breaks are the tiers'' lower bounds (strictly increasing, first >= 0), rates the fraction paid on the part of the total inside each tier';

CREATE FUNCTION spm.tiers(breaks numeric[], rates numeric[], mode text) RETURNS spm.schedule
    AS 'MODULE_PATHNAME', 'spm_tiers' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.tiers(numeric[], numeric[], text) IS
    'tiers in mode ''marginal'' (each rate on its slice) or ''retroactive'' (the highest tier reached pays on everything)';

CREATE FUNCTION spm.curve(xs numeric[], ys numeric[]) RETURNS spm.schedule
    AS 'MODULE_PATHNAME', 'spm_curve' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.curve(numeric[], numeric[]) IS
    'piecewise-linear curve through (xs[i], ys[i]); 0 below xs[1], the last slope continues past the last point';

CREATE FUNCTION spm.cap(s spm.schedule, max numeric) RETURNS spm.schedule
    AS 'MODULE_PATHNAME', 'spm_cap' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.cap(spm.schedule, numeric) IS 'E''(x) = least(E(x), max)';

CREATE FUNCTION spm.gate(s spm.schedule, threshold numeric) RETURNS spm.schedule
    AS 'MODULE_PATHNAME', 'spm_gate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.gate(spm.schedule, numeric) IS 'E''(x) = 0 where x < threshold, else E(x)';

-- Evaluation
CREATE FUNCTION spm.apply(s spm.schedule, x numeric) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_apply' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.apply(spm.schedule, numeric) IS 'E(x), exact';

CREATE FUNCTION spm.apply(s spm.schedule, x numeric, quota numeric) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_apply' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.apply(spm.schedule, numeric, numeric) IS
    'quota * E(x / quota): breaks, curve points, caps and gates read as fractions of quota; quota 0 gives NULL, negative is an error';

-- Equality
CREATE FUNCTION spm.schedule_eq(spm.schedule, spm.schedule) RETURNS boolean
    AS 'MODULE_PATHNAME', 'spm_schedule_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.schedule_eq(spm.schedule, spm.schedule) IS 'same rule with numerically equal parameters';
CREATE FUNCTION spm.schedule_ne(spm.schedule, spm.schedule) RETURNS boolean
    AS 'MODULE_PATHNAME', 'spm_schedule_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.schedule_ne(spm.schedule, spm.schedule) IS 'negation of spm.schedule_eq';

CREATE OPERATOR spm.= (
    LEFTARG = spm.schedule, RIGHTARG = spm.schedule, PROCEDURE = spm.schedule_eq,
    COMMUTATOR = OPERATOR(spm.=), NEGATOR = OPERATOR(spm.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel
);
COMMENT ON OPERATOR spm.= (spm.schedule, spm.schedule) IS 'schedules are equal';
CREATE OPERATOR spm.<> (
    LEFTARG = spm.schedule, RIGHTARG = spm.schedule, PROCEDURE = spm.schedule_ne,
    COMMUTATOR = OPERATOR(spm.<>), NEGATOR = OPERATOR(spm.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR spm.<> (spm.schedule, spm.schedule) IS 'schedules differ';

-- jsonb casts
CREATE FUNCTION spm.schedule_to_jsonb(spm.schedule) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'spm_schedule_to_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.schedule_to_jsonb(spm.schedule) IS
    'the schedule as a jsonb tree: {"kind": ..., ...}; also the cast spm.schedule::jsonb';
CREATE FUNCTION spm.schedule_from_jsonb(jsonb) RETURNS spm.schedule
    AS 'MODULE_PATHNAME', 'spm_schedule_from_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.schedule_from_jsonb(jsonb) IS
    'a schedule from its jsonb tree; also the cast jsonb::spm.schedule';
CREATE CAST (spm.schedule AS jsonb) WITH FUNCTION spm.schedule_to_jsonb(spm.schedule);
CREATE CAST (jsonb AS spm.schedule) WITH FUNCTION spm.schedule_from_jsonb(jsonb);

-- ---- src/sql/20_commission.sql
-- Commission aggregates and windows (see README "Commission").

CREATE FUNCTION spm.commission_trans(internal, numeric, spm.schedule) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_commission_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.commission_trans(internal, numeric, spm.schedule, numeric) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_commission_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.commission_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_commission_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.commission_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_commission_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.commission_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'spm_commission_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION spm.commission_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_commission_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.commission_trans(internal, numeric, spm.schedule) IS 'transition function of spm.commission: int128 running sum';
COMMENT ON FUNCTION spm.commission_trans(internal, numeric, spm.schedule, numeric) IS 'transition function of spm.commission (quota form)';
COMMENT ON FUNCTION spm.commission_final(internal) IS 'final function of spm.commission: E(sum)';
COMMENT ON FUNCTION spm.commission_combine(internal, internal) IS 'combine function of spm.commission (parallel aggregation)';
COMMENT ON FUNCTION spm.commission_serialize(internal) IS 'serialize function of spm.commission (parallel aggregation)';
COMMENT ON FUNCTION spm.commission_deserialize(bytea, internal) IS 'deserialize function of spm.commission (validates its input)';

CREATE AGGREGATE spm.commission(amount numeric, s spm.schedule) (
    SFUNC = spm.commission_trans,
    STYPE = internal,
    SSPACE = 112,
    FINALFUNC = spm.commission_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = spm.commission_combine,
    SERIALFUNC = spm.commission_serialize,
    DESERIALFUNC = spm.commission_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE spm.commission(numeric, spm.schedule) IS
    'E(sum of amount) under schedule s; NULL amounts skipped; s must be the same on every row of the group';

CREATE AGGREGATE spm.commission(amount numeric, s spm.schedule, quota numeric) (
    SFUNC = spm.commission_trans,
    STYPE = internal,
    SSPACE = 112,
    FINALFUNC = spm.commission_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = spm.commission_combine,
    SERIALFUNC = spm.commission_serialize,
    DESERIALFUNC = spm.commission_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE spm.commission(numeric, spm.schedule, numeric) IS
    'quota * E(sum / quota); s and quota must be the same on every row of the group; quota NULL or 0 gives NULL';

CREATE FUNCTION spm.commission_increment(amount numeric, s spm.schedule) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_commission_increment' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.commission_increment(numeric, spm.schedule) IS
    'window function: E(C_i) - E(C_i-1), C_i the running sum row by row in window order; increments add up exactly to E(total)';

CREATE FUNCTION spm.commission_increment(amount numeric, s spm.schedule, quota numeric) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_commission_increment' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.commission_increment(numeric, spm.schedule, numeric) IS
    'window function, quota-relative: quota * (E(C_i / quota) - E(C_i-1 / quota))';

-- ---- src/sql/25_commission_types.sql
-- spm.commission over bigint, integer and double precision amounts (see
-- README "Commission", docs/bench.md "Other amount types").  The overloads
-- share spm.commission's state, final, combine, serialize and deserialize
-- functions; only the transition function reads the amount differently.

CREATE FUNCTION spm.commission_trans(internal, bigint, spm.schedule) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_commission_trans_int8' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.commission_trans(internal, bigint, spm.schedule, numeric) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_commission_trans_int8' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.commission_trans(internal, integer, spm.schedule) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_commission_trans_int4' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.commission_trans(internal, integer, spm.schedule, numeric) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_commission_trans_int4' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.commission_trans(internal, double precision, spm.schedule) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_commission_trans_float8' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.commission_trans(internal, double precision, spm.schedule, numeric) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_commission_trans_float8' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.commission_trans(internal, bigint, spm.schedule) IS
    'transition function of spm.commission for bigint amounts: whole units added to the int128 sum';
COMMENT ON FUNCTION spm.commission_trans(internal, bigint, spm.schedule, numeric) IS
    'transition function of spm.commission for bigint amounts (quota form)';
COMMENT ON FUNCTION spm.commission_trans(internal, integer, spm.schedule) IS
    'transition function of spm.commission for integer amounts: whole units added to the int128 sum';
COMMENT ON FUNCTION spm.commission_trans(internal, integer, spm.schedule, numeric) IS
    'transition function of spm.commission for integer amounts (quota form)';
COMMENT ON FUNCTION spm.commission_trans(internal, double precision, spm.schedule) IS
    'transition function of spm.commission for double precision amounts: each converted exactly as amount::numeric (15 significant digits)';
COMMENT ON FUNCTION spm.commission_trans(internal, double precision, spm.schedule, numeric) IS
    'transition function of spm.commission for double precision amounts (quota form)';

CREATE AGGREGATE spm.commission(amount bigint, s spm.schedule) (
    SFUNC = spm.commission_trans,
    STYPE = internal,
    SSPACE = 112,
    FINALFUNC = spm.commission_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = spm.commission_combine,
    SERIALFUNC = spm.commission_serialize,
    DESERIALFUNC = spm.commission_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE spm.commission(bigint, spm.schedule) IS
    'E(sum of amount) under schedule s, bigint amounts in whole units; NULL amounts skipped; s must be the same on every row of the group';

CREATE AGGREGATE spm.commission(amount bigint, s spm.schedule, quota numeric) (
    SFUNC = spm.commission_trans,
    STYPE = internal,
    SSPACE = 112,
    FINALFUNC = spm.commission_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = spm.commission_combine,
    SERIALFUNC = spm.commission_serialize,
    DESERIALFUNC = spm.commission_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE spm.commission(bigint, spm.schedule, numeric) IS
    'quota * E(sum / quota), bigint amounts; s and quota must be the same on every row of the group; quota NULL or 0 gives NULL';

CREATE AGGREGATE spm.commission(amount integer, s spm.schedule) (
    SFUNC = spm.commission_trans,
    STYPE = internal,
    SSPACE = 112,
    FINALFUNC = spm.commission_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = spm.commission_combine,
    SERIALFUNC = spm.commission_serialize,
    DESERIALFUNC = spm.commission_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE spm.commission(integer, spm.schedule) IS
    'E(sum of amount) under schedule s, integer amounts in whole units; NULL amounts skipped; s must be the same on every row of the group';

CREATE AGGREGATE spm.commission(amount integer, s spm.schedule, quota numeric) (
    SFUNC = spm.commission_trans,
    STYPE = internal,
    SSPACE = 112,
    FINALFUNC = spm.commission_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = spm.commission_combine,
    SERIALFUNC = spm.commission_serialize,
    DESERIALFUNC = spm.commission_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE spm.commission(integer, spm.schedule, numeric) IS
    'quota * E(sum / quota), integer amounts; s and quota must be the same on every row of the group; quota NULL or 0 gives NULL';

CREATE AGGREGATE spm.commission(amount double precision, s spm.schedule) (
    SFUNC = spm.commission_trans,
    STYPE = internal,
    SSPACE = 112,
    FINALFUNC = spm.commission_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = spm.commission_combine,
    SERIALFUNC = spm.commission_serialize,
    DESERIALFUNC = spm.commission_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE spm.commission(double precision, spm.schedule) IS
    'E(sum of amount) under schedule s, each double converted exactly as amount::numeric (15 significant digits); NaN and infinity refused; NULL amounts skipped';

CREATE AGGREGATE spm.commission(amount double precision, s spm.schedule, quota numeric) (
    SFUNC = spm.commission_trans,
    STYPE = internal,
    SSPACE = 112,
    FINALFUNC = spm.commission_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = spm.commission_combine,
    SERIALFUNC = spm.commission_serialize,
    DESERIALFUNC = spm.commission_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE spm.commission(double precision, spm.schedule, numeric) IS
    'quota * E(sum / quota), double amounts converted as amount::numeric; s and quota must be the same on every row of the group; quota NULL or 0 gives NULL';

-- ---- src/sql/30_calendar.sql
-- Attainment, quotas and fiscal calendars (see README "Attainment and calendars").

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

-- ---- src/sql/50_draws.sql
-- Draws: the recoupment ledger, its simulation and calibration (see README "Draws").

CREATE TYPE spm.draw_line AS (
    payout numeric,
    draw_paid numeric,
    recovered numeric,
    forgiven numeric,
    balance numeric
);
COMMENT ON TYPE spm.draw_line IS
    'one period of a draw ledger: what is paid, the part of it that is draw, what was recovered and forgiven, and the balance the rep owes afterwards';

CREATE FUNCTION spm.draw_ledger(earned numeric, draw numeric, kind text) RETURNS spm.draw_line
    AS 'MODULE_PATHNAME', 'spm_draw_ledger' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.draw_ledger(numeric, numeric, text) IS
    'window function: the draw ledger row by row in window order; kind ''recoverable'', ''non_recoverable'' or ''advance''; recovery limit 1, no forgiveness';

CREATE FUNCTION spm.draw_ledger(earned numeric, draw numeric, kind text,
                                recovery_limit numeric, forgive boolean) RETURNS spm.draw_line
    AS 'MODULE_PATHNAME', 'spm_draw_ledger' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.draw_ledger(numeric, numeric, text, numeric, boolean) IS
    'window function: the draw ledger with a recovery limit in [0,1] (share of the excess over the draw that may be recovered) and forgiveness of the balance where forgive is true';

-- Simulation
CREATE TYPE spm.draw_summary AS (
    periods int,
    earned numeric,
    paid numeric,
    draw_paid numeric,
    recovered numeric,
    forgiven numeric,
    ending_balance numeric,
    max_balance numeric,
    periods_topped_up int
);
COMMENT ON TYPE spm.draw_summary IS
    'a draw ledger summed up: periods, sums of earned, payout, draw paid, recovered and forgiven, the balance at the end and the largest balance after any period, and the number of periods with draw paid';

CREATE FUNCTION spm.draw_simulate_trans(internal, numeric, numeric, text) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_draw_simulate_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.draw_simulate_trans(internal, numeric, numeric, text, numeric, boolean) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_draw_simulate_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.draw_simulate_final(internal) RETURNS spm.draw_summary
    AS 'MODULE_PATHNAME', 'spm_draw_simulate_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.draw_simulate_trans(internal, numeric, numeric, text) IS
    'transition function of spm.draw_simulate: one ledger step';
COMMENT ON FUNCTION spm.draw_simulate_trans(internal, numeric, numeric, text, numeric, boolean) IS
    'transition function of spm.draw_simulate (recovery limit and forgive form)';
COMMENT ON FUNCTION spm.draw_simulate_final(internal) IS
    'final function of spm.draw_simulate: the spm.draw_summary';

CREATE AGGREGATE spm.draw_simulate(earned numeric, draw numeric, kind text) (
    SFUNC = spm.draw_simulate_trans,
    STYPE = internal,
    SSPACE = 144,
    FINALFUNC = spm.draw_simulate_final,
    FINALFUNC_MODIFY = READ_ONLY
);
COMMENT ON AGGREGATE spm.draw_simulate(numeric, numeric, text) IS
    'one rep''s draw ledger summed up; rows must be given in period order: draw_simulate(... ORDER BY period)';

CREATE AGGREGATE spm.draw_simulate(earned numeric, draw numeric, kind text,
                                   recovery_limit numeric, forgive boolean) (
    SFUNC = spm.draw_simulate_trans,
    STYPE = internal,
    SSPACE = 144,
    FINALFUNC = spm.draw_simulate_final,
    FINALFUNC_MODIFY = READ_ONLY
);
COMMENT ON AGGREGATE spm.draw_simulate(numeric, numeric, text, numeric, boolean) IS
    'one rep''s draw ledger (recovery limit and forgive form) summed up; rows in period order: draw_simulate(... ORDER BY period)';

-- Totals over reps: sum the summaries of spm.draw_simulate
CREATE FUNCTION spm.draw_total_step(a spm.draw_summary, b spm.draw_summary) RETURNS spm.draw_summary
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT ROW(a.periods + b.periods, a.earned + b.earned, a.paid + b.paid,
                     a.draw_paid + b.draw_paid, a.recovered + b.recovered,
                     a.forgiven + b.forgiven, a.ending_balance + b.ending_balance,
                     greatest(a.max_balance, b.max_balance),
                     a.periods_topped_up + b.periods_topped_up)::spm.draw_summary $$;
COMMENT ON FUNCTION spm.draw_total_step(spm.draw_summary, spm.draw_summary) IS
    'transition and combine function of spm.draw_total: adds two summaries';

CREATE AGGREGATE spm.draw_total(spm.draw_summary) (
    SFUNC = spm.draw_total_step,
    STYPE = spm.draw_summary,
    COMBINEFUNC = spm.draw_total_step,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE spm.draw_total(spm.draw_summary) IS
    'totals of per-rep draw summaries: every column summed, except max_balance, the largest balance any one rep reached';

-- Calibration
CREATE FUNCTION spm.draw_calibrate_budget_trans(internal, anyelement, numeric, text, numeric, numeric)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_draw_calibrate_budget_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.draw_calibrate_budget_trans(internal, anyelement, numeric, text, numeric, numeric, boolean)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_draw_calibrate_budget_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.draw_calibrate_budget_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_draw_calibrate_budget_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.draw_calibrate_budget_trans(internal, anyelement, numeric, text, numeric, numeric) IS
    'transition function of spm.draw_calibrate_budget: collects the history';
COMMENT ON FUNCTION spm.draw_calibrate_budget_trans(internal, anyelement, numeric, text, numeric, numeric, boolean) IS
    'transition function of spm.draw_calibrate_budget (balance_is_cost form)';
COMMENT ON FUNCTION spm.draw_calibrate_budget_final(internal) IS
    'final function of spm.draw_calibrate_budget: binary search over cents';

CREATE AGGREGATE spm.draw_calibrate_budget(rep anyelement, earned numeric, kind text,
                                           recovery_limit numeric, budget numeric) (
    SFUNC = spm.draw_calibrate_budget_trans,
    STYPE = internal,
    FINALFUNC = spm.draw_calibrate_budget_final,
    FINALFUNC_MODIFY = READ_ONLY
);
COMMENT ON AGGREGATE spm.draw_calibrate_budget(anyelement, numeric, text, numeric, numeric) IS
    'the largest draw, in cents, paid every period, whose company cost (forgiven plus balances still owed at the end) per rep-period is at most budget; rows ORDER BY rep, period';

CREATE AGGREGATE spm.draw_calibrate_budget(rep anyelement, earned numeric, kind text,
                                           recovery_limit numeric, budget numeric,
                                           balance_is_cost boolean) (
    SFUNC = spm.draw_calibrate_budget_trans,
    STYPE = internal,
    FINALFUNC = spm.draw_calibrate_budget_final,
    FINALFUNC_MODIFY = READ_ONLY
);
COMMENT ON AGGREGATE spm.draw_calibrate_budget(anyelement, numeric, text, numeric, numeric, boolean) IS
    'as the 5-argument form; balance_is_cost false counts only what is forgiven (non_recoverable draws only)';

CREATE FUNCTION spm.draw_calibrate_coverage_trans(internal, numeric, numeric) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_draw_calibrate_coverage_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.draw_calibrate_coverage_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_draw_calibrate_coverage_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.draw_calibrate_coverage_trans(internal, numeric, numeric) IS
    'transition function of spm.draw_calibrate_coverage: collects the earnings';
COMMENT ON FUNCTION spm.draw_calibrate_coverage_final(internal) IS
    'final function of spm.draw_calibrate_coverage: order statistic rounded to the cent';

CREATE AGGREGATE spm.draw_calibrate_coverage(earned numeric, share numeric) (
    SFUNC = spm.draw_calibrate_coverage_trans,
    STYPE = internal,
    FINALFUNC = spm.draw_calibrate_coverage_final,
    FINALFUNC_MODIFY = READ_ONLY
);
COMMENT ON AGGREGATE spm.draw_calibrate_coverage(numeric, numeric) IS
    'the smallest draw, in cents, that tops up at least share of the rep-periods (those earning less than the draw); one row per rep and period';

-- ---- src/sql/60_credit.sql
-- Credit allocation: penny-exact splits (see README, "Crediting").

CREATE FUNCTION spm.allocate(amount numeric, weights numeric[]) RETURNS numeric[]
    AS 'MODULE_PATHNAME', 'spm_allocate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.allocate(numeric, numeric[]) IS
    'shares of amount proportional to weights, in cents, by largest remainder: they add up exactly to round(amount, 2)';

CREATE FUNCTION spm.allocate(amount numeric, weights numeric[], scale integer) RETURNS numeric[]
    AS 'MODULE_PATHNAME', 'spm_allocate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.allocate(numeric, numeric[], integer) IS
    'shares of amount proportional to weights with scale decimals (0..30), by largest remainder: they add up exactly to round(amount, scale)';

CREATE FUNCTION spm.split_share(amount numeric, weight numeric) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_split_share' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.split_share(numeric, numeric) IS
    'window function: this row''s share in cents of the partition''s amount, split by weight like spm.allocate over the rows in window order';

CREATE FUNCTION spm.split_share(amount numeric, weight numeric, scale integer) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_split_share' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.split_share(numeric, numeric, integer) IS
    'window function: this row''s share with scale decimals of the partition''s amount, split by weight like spm.allocate over the rows in window order';

-- ---- src/sql/61_credit_tables.sql
-- Credit over the user's own tables: split validation and hierarchy
-- roll-ups (see README, "Crediting").  Table arguments are regclass (an unknown
-- table fails as 42P01 when the argument is read); column names are checked
-- against pg_attribute (42703) and only ever spliced into SQL by
-- format('%I'), so no identifier can inject SQL.  Both functions read the
-- caller's tables with the caller's rights (SECURITY INVOKER), are STABLE,
-- and PARALLEL RESTRICTED because a temporary table is readable only by the
-- leader.  They are not STRICT: a NULL argument is an error rather than an
-- empty, "all clear" result.

CREATE FUNCTION spm.split_problems(splits regclass, deal_column text, weight_column text,
                                   expected numeric DEFAULT 1)
RETURNS TABLE (deal text, total numeric, rows integer, problem text)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
AS $fn$
DECLARE
    col text;
BEGIN
    col := CASE WHEN splits IS NULL THEN 'splits'
                WHEN deal_column IS NULL THEN 'deal_column'
                WHEN weight_column IS NULL THEN 'weight_column'
                WHEN expected IS NULL THEN 'expected' END;
    IF col IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.split_problems: %s must not be NULL', col);
    END IF;
    IF expected <= 0 OR expected IN ('NaN', 'Infinity') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.split_problems: expected must be a positive finite number, not %s', expected);
    END IF;
    FOREACH col IN ARRAY ARRAY[deal_column, weight_column] LOOP
        PERFORM FROM pg_catalog.pg_attribute a
          WHERE a.attrelid = splits AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '42703',
                MESSAGE = format('column "%s" of relation "%s" does not exist', col,
                                 (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = splits));
        END IF;
    END LOOP;

    RETURN QUERY EXECUTE format($q$
        SELECT s.deal::text, s.total, s.n::integer,
               concat_ws('; ',
                   CASE WHEN s.deal IS NULL THEN 'deal is NULL' END,
                   CASE WHEN s.nulls > 0
                        THEN 'weight is NULL on ' || s.nulls || ' of ' || s.n || ' rows' END,
                   CASE WHEN s.negs > 0
                        THEN 'weight is negative on ' || s.negs || ' of ' || s.n || ' rows' END,
                   CASE WHEN s.total <> $1
                        THEN 'weights add up to ' || s.total || ', not ' || $1 END)
          FROM (SELECT t.deal, count(*) AS n, count(*) - count(t.w) AS nulls,
                       count(*) FILTER (WHERE t.w < 0) AS negs, sum(t.w) AS total
                  FROM (SELECT %1$I AS deal, (%2$I)::numeric AS w FROM %3$s) t
                 GROUP BY t.deal) s
         WHERE s.deal IS NULL OR s.nulls > 0 OR s.negs > 0 OR s.total <> $1
         ORDER BY s.deal
    $q$, deal_column, weight_column, splits) USING expected;
END
$fn$;
COMMENT ON FUNCTION spm.split_problems(regclass, text, text, numeric) IS
    'data-quality check of stored credit splits: one row per deal whose weights are NULL, negative or do not add up to expected (default 1)';

CREATE FUNCTION spm.rollup(hierarchy regclass, rep_column text, manager_column text, valid_column text,
                           credits regclass, credit_rep_column text, credit_date_column text,
                           credit_amount_column text,
                           override_rates numeric[] DEFAULT NULL, credit_key_column text DEFAULT NULL)
RETURNS TABLE (credit_key text, rep text, manager text, depth integer, credit_date date,
               amount numeric, override numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
AS $fn$
DECLARE
    arg text;
    col text;
    rel regclass;
    typ regtype;
    rates numeric[];
    bad record;
    pos integer;
    src text;
    walk text;
BEGIN
    arg := CASE WHEN hierarchy IS NULL THEN 'hierarchy'
                WHEN rep_column IS NULL THEN 'rep_column'
                WHEN manager_column IS NULL THEN 'manager_column'
                WHEN valid_column IS NULL THEN 'valid_column'
                WHEN credits IS NULL THEN 'credits'
                WHEN credit_rep_column IS NULL THEN 'credit_rep_column'
                WHEN credit_date_column IS NULL THEN 'credit_date_column'
                WHEN credit_amount_column IS NULL THEN 'credit_amount_column' END;
    IF arg IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.rollup: %s must not be NULL', arg);
    END IF;

    -- every named column exists; the effective range is a daterange
    FOR pos, rel, col IN
        SELECT v.i, v.rel, v.col
          FROM (VALUES (1, hierarchy, rep_column), (2, hierarchy, manager_column),
                       (3, hierarchy, valid_column), (4, credits, credit_rep_column),
                       (5, credits, credit_date_column), (6, credits, credit_amount_column),
                       (7, credits, credit_key_column)) v(i, rel, col)
         WHERE v.col IS NOT NULL ORDER BY v.i
    LOOP
        SELECT a.atttypid::regtype INTO typ FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '42703',
                MESSAGE = format('column "%s" of relation "%s" does not exist', col,
                                 (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = rel));
        END IF;
        IF pos = 3 AND typ <> 'daterange'::regtype THEN
            RAISE EXCEPTION USING ERRCODE = '42804',
                MESSAGE = format('spm.rollup: column "%s" of relation "%s" must be of type daterange, not %s',
                                 col, (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = rel), typ);
        END IF;
    END LOOP;

    -- override rates: one per level above the rep, each >= 0
    IF override_rates IS NOT NULL THEN
        IF array_ndims(override_rates) > 1 THEN
            RAISE EXCEPTION USING ERRCODE = '2202E',
                MESSAGE = 'spm.rollup: override_rates must be a one-dimensional array';
        END IF;
        rates := ARRAY(SELECT r FROM unnest(override_rates) r);
        pos := array_position(rates, NULL);
        IF pos IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('spm.rollup: override_rates must not contain NULL (element %s is NULL)', pos);
        END IF;
        SELECT o.i, o.r INTO bad FROM unnest(rates) WITH ORDINALITY o(r, i)
         WHERE o.r < 0 OR o.r IN ('NaN', 'Infinity') ORDER BY o.i LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('spm.rollup: override_rates must be finite and not negative (element %s is %s)',
                                 bad.i, bad.r);
        END IF;
    END IF;

    -- the hierarchy: every row names its rep and range, and one rep's ranges never overlap
    EXECUTE format('SELECT count(*) FILTER (WHERE %1$I IS NULL) AS no_rep,
                           min(%1$I::text) FILTER (WHERE %2$I IS NULL) AS no_valid,
                           count(*) FILTER (WHERE %1$I IS NOT NULL AND %2$I IS NULL) AS n_no_valid
                      FROM %3$s', rep_column, valid_column, hierarchy) INTO bad;
    IF bad.no_rep > 0 THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.rollup: the hierarchy has %s row(s) with a NULL rep', bad.no_rep);
    END IF;
    IF bad.n_no_valid > 0 THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.rollup: the effective range of rep "%s" is NULL', bad.no_valid),
            HINT = 'Use ''(,)'' for a range without bounds.';
    END IF;
    -- sorted by lower bound, a rep's ranges overlap somewhere iff two neighbours do
    EXECUTE format('SELECT s.r::text AS rep,
                           concat(CASE WHEN lower_inf(s.p) THEN ''('' ELSE ''['' END,
                                  to_char(lower(s.p), ''YYYY-MM-DD''), '','',
                                  to_char(upper(s.p), ''YYYY-MM-DD''), '')'') AS first,
                           concat(CASE WHEN lower_inf(s.v) THEN ''('' ELSE ''['' END,
                                  to_char(lower(s.v), ''YYYY-MM-DD''), '','',
                                  to_char(upper(s.v), ''YYYY-MM-DD''), '')'') AS second
                      FROM (SELECT %1$I AS r, %2$I AS v,
                                   lag(%2$I) OVER (PARTITION BY %1$I ORDER BY %2$I) AS p
                              FROM %3$s WHERE NOT isempty(%2$I)) s
                     WHERE s.p && s.v ORDER BY s.r::text, s.v LIMIT 1',
                   rep_column, valid_column, hierarchy) INTO bad;
    IF bad.rep IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.rollup: the effective ranges of rep "%s" overlap: %s and %s',
                             bad.rep, bad.first, bad.second),
            HINT = 'A rep has one manager on any date; end one range where the next begins.';
    END IF;

    -- the chain above each distinct (rep, date) of the credits, as of that date;
    -- a manager met twice on one chain is a cycle and stops that chain
    src := format('h AS (SELECT %I AS rep, %I AS mgr, %I AS valid FROM %s),
                   c AS (SELECT %I AS rep, (%I)::date AS d, (%I)::numeric AS amount, %s AS key FROM %s),',
                  rep_column, manager_column, valid_column, hierarchy,
                  credit_rep_column, credit_date_column, credit_amount_column,
                  CASE WHEN credit_key_column IS NULL THEN 'NULL::text'
                       ELSE format('(%I)::text', credit_key_column) END,
                  credits);
    walk := $w$
        s AS (SELECT DISTINCT c.rep, c.d FROM c WHERE c.rep IS NOT NULL AND c.d IS NOT NULL),
        walk AS (
            SELECT s.rep AS base, s.d, h.mgr, 1 AS depth,
                   ARRAY[s.rep::text, h.mgr::text] AS path, h.mgr::text = s.rep::text AS cyc
              FROM s JOIN h ON h.rep = s.rep AND h.valid @> s.d
             WHERE h.mgr IS NOT NULL
            UNION ALL
            SELECT w.base, w.d, h.mgr, w.depth + 1,
                   w.path || h.mgr::text, h.mgr::text = ANY (w.path)
              FROM walk w JOIN h ON h.rep = w.mgr AND h.valid @> w.d
             WHERE NOT w.cyc AND h.mgr IS NOT NULL)
    $w$;

    EXECUTE 'WITH RECURSIVE ' || src || walk ||
            'SELECT w.d, w.path FROM walk w WHERE w.cyc ORDER BY w.d, w.depth, w.base::text LIMIT 1'
       INTO bad;
    IF bad.d IS NOT NULL THEN
        pos := array_position(bad.path, bad.path[cardinality(bad.path)]);
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.rollup: the hierarchy has a cycle as of %s: %s', to_char(bad.d, 'YYYY-MM-DD'),
                             array_to_string(bad.path[pos:], ' -> ')),
            DETAIL = format('Reached from rep "%s": %s.', bad.path[1], array_to_string(bad.path, ' -> '));
    END IF;

    RETURN QUERY EXECUTE 'WITH RECURSIVE ' || src || walk || $q$
        SELECT c.key, c.rep::text, w.mgr::text, w.depth, c.d, c.amount,
               CASE WHEN $1 IS NOT NULL THEN c.amount * coalesce(($1)[w.depth], 0) END
          FROM c JOIN walk w ON w.base = c.rep AND w.d = c.d
    $q$ USING rates;
END
$fn$;
COMMENT ON FUNCTION spm.rollup(regclass, text, text, text, regclass, text, text, text, numeric[], text) IS
    'credits of each rep rolled up to every manager above the rep as of the credit date, with depth and override = amount * override_rates[depth]';

-- ---- src/sql/70_payout_catalog.sql
-- Payout runs, part 1: the catalog (see README "Payout runs").
--
-- Plain tables in schema spm, edited by admins with ordinary SQL.  Nothing
-- of the user's sales data is copied: a source names an existing table and
-- maps its columns.  Overlaps that a constraint cannot express without
-- btree_gist (assignments, plan versions, draw agreements, periods) are
-- rejected by triggers that serialize on an advisory lock.  Every change is
-- written to spm.audit_log.

-- Identifiers of the user's tables are checked once here and only ever
-- spliced into SQL with format('%I') / regclass output.
CREATE FUNCTION spm.check_column(rel regclass, col name, what text, types regtype[] DEFAULT NULL)
RETURNS void LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t regtype;
BEGIN
    IF col IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('%s must not be NULL', what);
    END IF;
    SELECT a.atttypid::regtype INTO t FROM pg_attribute a
     WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '42703',
            MESSAGE = format('column %I of relation %s does not exist', col, rel),
            DETAIL = format('%s names it.', what);
    END IF;
    IF types IS NOT NULL AND NOT t = ANY (types) THEN
        RAISE EXCEPTION USING ERRCODE = '42804',
            MESSAGE = format('column %I of relation %s has type %s', col, rel, t),
            DETAIL = format('%s must be one of: %s.', what, array_to_string(types, ', '));
    END IF;
END $$;
COMMENT ON FUNCTION spm.check_column(regclass, name, text, regtype[]) IS
    'raises 42703 if a column does not exist in a relation, 42804 if its type is not one of types';

CREATE TABLE spm.pay_period (
    period_id  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label      text NOT NULL UNIQUE,
    period     daterange NOT NULL
               CONSTRAINT pay_period_bounded CHECK (NOT isempty(period) AND NOT lower_inf(period) AND NOT upper_inf(period)),
    status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at  timestamptz,
    closed_by  text
);
COMMENT ON TABLE spm.pay_period IS 'payout periods: [start, end) date ranges that do not overlap; open or closed';

CREATE TABLE spm.source (
    source_id     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    relation      regclass NOT NULL,
    rep_column    name NOT NULL,
    deal_column   name NOT NULL,
    amount_column name NOT NULL,
    date_column   name NOT NULL,
    filter_column name,
    filter_values text[],
    CONSTRAINT source_filter_complete CHECK ((filter_column IS NULL) = (filter_values IS NULL))
);
COMMENT ON TABLE spm.source IS
    'a sales table of the user''s, by name, with the columns holding rep, deal, amount and date; optional filter: filter_column::text = ANY(filter_values)';

CREATE TABLE spm.split_rule (
    source_id     integer PRIMARY KEY REFERENCES spm.source ON DELETE CASCADE,
    relation      regclass NOT NULL,
    deal_column   name NOT NULL,
    rep_column    name NOT NULL,
    weight_column name NOT NULL
);
COMMENT ON TABLE spm.split_rule IS
    'split credit: a table (deal, rep, weight) whose rows share a deal of the source among reps, penny-exact (spm.allocate)';

CREATE TABLE spm.hierarchy_rule (
    only_one       boolean PRIMARY KEY DEFAULT true CHECK (only_one),
    relation       regclass NOT NULL,
    rep_column     name NOT NULL,
    manager_column name NOT NULL,
    valid_column   name NOT NULL,
    override_rates numeric[]
);
COMMENT ON TABLE spm.hierarchy_rule IS
    'manager roll-up: every manager above a rep as of the deal date is credited (spm.rollup); override_rates[d] scales the credit at depth d (NULL: full credit at every level)';

CREATE TABLE spm.plan (
    plan_id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL,
    version          integer NOT NULL DEFAULT 1,
    schedule         spm.schedule NOT NULL,
    base             text NOT NULL DEFAULT 'amount' CHECK (base IN ('amount', 'quota', 'attainment')),
    target_incentive numeric CHECK (target_incentive >= 0),
    valid            daterange NOT NULL DEFAULT '(,)' CHECK (NOT isempty(valid)),
    UNIQUE (name, version),
    CONSTRAINT plan_attainment_needs_target CHECK (base <> 'attainment' OR target_incentive IS NOT NULL)
);
COMMENT ON TABLE spm.plan IS
    'compensation plans: base amount = E(credited); quota = quota * E(credited / quota); attainment = target_incentive * E(attainment). Versions of one name must not overlap in time';

CREATE TABLE spm.assignment (
    assignment_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rep           text NOT NULL,
    plan_id       integer NOT NULL REFERENCES spm.plan,
    valid         daterange NOT NULL CHECK (NOT isempty(valid))
);
COMMENT ON TABLE spm.assignment IS 'which plan a rep is on, over which dates; one plan at a time per rep';

CREATE TABLE spm.quota (
    rep       text NOT NULL,
    period_id integer NOT NULL REFERENCES spm.pay_period,
    amount    numeric NOT NULL CONSTRAINT quota_must_be_positive CHECK (amount > 0),
    PRIMARY KEY (rep, period_id)
);
COMMENT ON TABLE spm.quota IS 'a rep''s quota for a pay period (prorated when the plan covers part of the period)';

CREATE TABLE spm.draw_agreement (
    draw_id        integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rep            text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('recoverable', 'non_recoverable', 'advance')),
    amount         numeric NOT NULL CHECK (amount >= 0),
    recovery_limit numeric NOT NULL DEFAULT 1 CHECK (recovery_limit BETWEEN 0 AND 1),
    term           daterange NOT NULL CHECK (NOT isempty(term)),
    forgive_at_end boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE spm.draw_agreement IS
    'a draw per pay period starting inside term; forgive_at_end forgives the balance in the period where term ends';

CREATE TABLE spm.adjustment (
    adjustment_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rep           text NOT NULL,
    period_id     integer NOT NULL REFERENCES spm.pay_period,
    amount        numeric NOT NULL,
    reason        text NOT NULL CHECK (reason <> ''),
    author        text NOT NULL DEFAULT current_user,
    created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE spm.adjustment IS 'manual adjustments: an amount added to a rep''s earnings in an open period, with reason and author';

CREATE TABLE spm.rep_login (
    rep        text NOT NULL,
    login      name NOT NULL PRIMARY KEY
);
COMMENT ON TABLE spm.rep_login IS 'maps database roles to rep ids: a role in spm_rep sees only the statement lines of its rep';

CREATE TABLE spm.audit_log (
    audit_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    who        text NOT NULL DEFAULT session_user,
    as_role    text NOT NULL,
    table_name text NOT NULL,
    operation  text NOT NULL,
    old_row    jsonb,
    new_row    jsonb
);
COMMENT ON TABLE spm.audit_log IS 'every change to the catalog: who, when, old and new values';

-- The role a person is acting as, also inside SECURITY DEFINER code (where
-- current_user is the owner): SET ROLE's role, else the login.
CREATE FUNCTION spm.acting_role() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(nullif(current_setting('role'), 'none'), session_user)::text
$$;
COMMENT ON FUNCTION spm.acting_role() IS
    'the role the session acts as (SET ROLE, else the login), even inside SECURITY DEFINER functions';

-- Audit: one generic trigger for every catalog table.
CREATE FUNCTION spm.audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO spm.audit_log (as_role, table_name, operation, old_row, new_row)
    VALUES (spm.acting_role(), TG_TABLE_NAME, TG_OP,
            CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    RETURN NULL;
END $$;
COMMENT ON FUNCTION spm.audit() IS 'trigger: records a catalog change in spm.audit_log';

-- Overlap checks: a generic trigger, told the key and range columns.
CREATE FUNCTION spm.reject_overlap() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    key_col   text := TG_ARGV[0];
    range_col text := TG_ARGV[1];
    what      text := TG_ARGV[2];
    pk_col    text := TG_ARGV[3];
    clash     text;
BEGIN
    -- serialize writers of this table so two concurrent inserts cannot both pass
    PERFORM pg_advisory_xact_lock(hashtext('spm.overlap'), TG_RELID::int);
    EXECUTE format('SELECT t.%4$I::text FROM %1$I.%2$I t
                     WHERE %3$s ($1).%5$I && t.%5$I AND t.%4$I <> ($1).%4$I LIMIT 1',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME,
                   CASE WHEN key_col = '' THEN ''
                        ELSE format('($1).%1$I IS NOT DISTINCT FROM t.%1$I AND', key_col) END,
                   pk_col, range_col)
       INTO clash USING NEW;
    IF clash IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '23P01',
            MESSAGE = format('%s overlaps an existing one', what),
            DETAIL = format('%s%s overlaps the one with %s %s.',
                            CASE WHEN key_col = '' THEN '' ELSE format('%s %s: ', key_col, to_jsonb(NEW) ->> key_col) END,
                            to_jsonb(NEW) ->> range_col, pk_col, clash);
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION spm.reject_overlap() IS
    'trigger: rejects (23P01) a row whose range overlaps another row with the same key';

CREATE TRIGGER pay_period_no_overlap BEFORE INSERT OR UPDATE ON spm.pay_period
    FOR EACH ROW EXECUTE FUNCTION spm.reject_overlap('', 'period', 'pay period', 'period_id');
CREATE TRIGGER plan_no_overlap BEFORE INSERT OR UPDATE ON spm.plan
    FOR EACH ROW EXECUTE FUNCTION spm.reject_overlap('name', 'valid', 'plan version', 'plan_id');
CREATE TRIGGER assignment_no_overlap BEFORE INSERT OR UPDATE ON spm.assignment
    FOR EACH ROW EXECUTE FUNCTION spm.reject_overlap('rep', 'valid', 'plan assignment', 'assignment_id');
CREATE TRIGGER draw_no_overlap BEFORE INSERT OR UPDATE ON spm.draw_agreement
    FOR EACH ROW EXECUTE FUNCTION spm.reject_overlap('rep', 'term', 'draw agreement', 'draw_id');

-- Column mappings are checked when they are written.
CREATE FUNCTION spm.check_mapping() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_NAME = 'source' THEN
        PERFORM spm.check_column(NEW.relation, NEW.rep_column, 'rep_column');
        PERFORM spm.check_column(NEW.relation, NEW.deal_column, 'deal_column');
        PERFORM spm.check_column(NEW.relation, NEW.amount_column, 'amount_column',
                                 '{numeric,integer,bigint,smallint,money}');
        PERFORM spm.check_column(NEW.relation, NEW.date_column, 'date_column',
                                 '{date,"timestamp without time zone","timestamp with time zone"}');
        IF NEW.filter_column IS NOT NULL THEN
            PERFORM spm.check_column(NEW.relation, NEW.filter_column, 'filter_column');
        END IF;
    ELSIF TG_TABLE_NAME = 'split_rule' THEN
        PERFORM spm.check_column(NEW.relation, NEW.deal_column, 'deal_column');
        PERFORM spm.check_column(NEW.relation, NEW.rep_column, 'rep_column');
        PERFORM spm.check_column(NEW.relation, NEW.weight_column, 'weight_column',
                                 '{numeric,integer,bigint,smallint}');
    ELSIF TG_TABLE_NAME = 'hierarchy_rule' THEN
        PERFORM spm.check_column(NEW.relation, NEW.rep_column, 'rep_column');
        PERFORM spm.check_column(NEW.relation, NEW.manager_column, 'manager_column');
        PERFORM spm.check_column(NEW.relation, NEW.valid_column, 'valid_column', '{daterange}');
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION spm.check_mapping() IS
    'trigger: checks that the columns a source, split rule or hierarchy rule names exist and have usable types';
CREATE TRIGGER source_check BEFORE INSERT OR UPDATE ON spm.source
    FOR EACH ROW EXECUTE FUNCTION spm.check_mapping();
CREATE TRIGGER split_rule_check BEFORE INSERT OR UPDATE ON spm.split_rule
    FOR EACH ROW EXECUTE FUNCTION spm.check_mapping();
CREATE TRIGGER hierarchy_rule_check BEFORE INSERT OR UPDATE ON spm.hierarchy_rule
    FOR EACH ROW EXECUTE FUNCTION spm.check_mapping();

-- Catalog rows that point into a closed period are frozen with it.
CREATE FUNCTION spm.reject_closed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    pid integer;
BEGIN
    FOREACH pid IN ARRAY ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.period_id END,
                               CASE WHEN TG_OP <> 'DELETE' THEN NEW.period_id END] LOOP
        IF EXISTS (SELECT 1 FROM spm.pay_period p WHERE p.period_id = pid AND p.status = 'closed') THEN
            RAISE EXCEPTION USING ERRCODE = '55000',
                MESSAGE = format('pay period %s is closed', (SELECT label FROM spm.pay_period WHERE period_id = pid)),
                HINT = 'Book the change in an open period; differences in closed periods become prior-period adjustments.';
        END IF;
    END LOOP;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
COMMENT ON FUNCTION spm.reject_closed() IS 'trigger: refuses (55000) changes to rows of a closed pay period';
-- A closed period stays closed (and is not deleted).
CREATE FUNCTION spm.keep_closed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF OLD.status = 'closed' AND (TG_OP = 'DELETE' OR NEW IS DISTINCT FROM OLD) THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('pay period %s is closed', OLD.label),
            DETAIL = 'A closed pay period cannot be reopened, changed or deleted.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
COMMENT ON FUNCTION spm.keep_closed() IS 'trigger: a closed pay period cannot be reopened, changed or deleted (55000)';
CREATE TRIGGER pay_period_keep_closed BEFORE UPDATE OR DELETE ON spm.pay_period
    FOR EACH ROW EXECUTE FUNCTION spm.keep_closed();

CREATE TRIGGER quota_closed BEFORE INSERT OR UPDATE OR DELETE ON spm.quota
    FOR EACH ROW EXECUTE FUNCTION spm.reject_closed();
CREATE TRIGGER adjustment_closed BEFORE INSERT OR UPDATE OR DELETE ON spm.adjustment
    FOR EACH ROW EXECUTE FUNCTION spm.reject_closed();

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['pay_period', 'source', 'split_rule', 'hierarchy_rule', 'plan',
                             'assignment', 'quota', 'draw_agreement', 'adjustment', 'rep_login'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON spm.%I
                        FOR EACH ROW EXECUTE FUNCTION spm.audit()', t || '_audit', t);
        PERFORM pg_catalog.pg_extension_config_dump(format('spm.%I', t)::regclass, '');
    END LOOP;
END $$;
SELECT pg_catalog.pg_extension_config_dump('spm.audit_log', '');

-- ---- src/sql/71_payout_run.sql
-- Payout runs, part 2: results, the run, closing (see README "Payout runs").
--
-- A run computes one pay period in one transaction: credit (sources,
-- splits, manager roll-ups) -> attainment -> commission -> prior-period
-- adjustments -> manual adjustments -> draws, and replaces the period's
-- results.  A failed run leaves nothing behind (not even its log row: the
-- caller, or pg_cron's job_run_details, sees the error).  Runs take one
-- advisory lock: a second run while one is in progress fails at once with
-- 55P03.  Closed periods are frozen by triggers; what a closed period would
-- compute now but did not pay is booked, deal by deal, as prior-period
-- adjustment lines in the period being run.

CREATE TABLE spm.run (
    run_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id        integer NOT NULL REFERENCES spm.pay_period,
    run_by           text NOT NULL DEFAULT spm.acting_role(),
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz NOT NULL,
    duration         interval NOT NULL,
    credit_rows      integer NOT NULL,
    lines            integer NOT NULL,
    adjustment_lines integer NOT NULL,
    reps             integer NOT NULL,
    input_hash       text NOT NULL
);
COMMENT ON TABLE spm.run IS 'one row per successful payout run: who, when, period, row counts, duration, md5 of its inputs';

CREATE TABLE spm.credit_line (
    run_id        bigint NOT NULL REFERENCES spm.run,
    period_id     integer NOT NULL REFERENCES spm.pay_period,
    for_period_id integer NOT NULL REFERENCES spm.pay_period,
    rep           text NOT NULL,
    plan_id       integer REFERENCES spm.plan,
    source_id     integer NOT NULL,
    deal          text,
    deal_date     date NOT NULL,
    via           text NOT NULL,
    amount        numeric NOT NULL
);
CREATE INDEX credit_line_for_period ON spm.credit_line (for_period_id);
CREATE INDEX credit_line_period ON spm.credit_line (period_id);
COMMENT ON TABLE spm.credit_line IS
    'what was credited to whom, deal by deal; rows with for_period_id <> period_id are prior-period deltas booked in period_id';

CREATE TABLE spm.payout_line (
    line_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        bigint NOT NULL REFERENCES spm.run,
    period_id     integer NOT NULL REFERENCES spm.pay_period,
    for_period_id integer NOT NULL REFERENCES spm.pay_period,
    rep           text NOT NULL,
    plan_id       integer REFERENCES spm.plan,
    line_kind     text NOT NULL CHECK (line_kind IN ('commission', 'prior_period', 'manual')),
    credited      numeric,
    quota         numeric,
    attainment    numeric,
    earned        numeric NOT NULL,
    cause         jsonb
);
CREATE INDEX payout_line_period ON spm.payout_line (period_id, rep);
CREATE INDEX payout_line_for_period ON spm.payout_line (for_period_id);
COMMENT ON TABLE spm.payout_line IS
    'earnings lines of a period: commission per rep and plan, prior-period adjustments (for_period_id, cause), manual adjustments';

CREATE TABLE spm.payout_summary (
    run_id     bigint NOT NULL REFERENCES spm.run,
    period_id  integer NOT NULL REFERENCES spm.pay_period,
    rep        text NOT NULL,
    earned     numeric NOT NULL,
    draw       numeric NOT NULL,
    draw_kind  text,
    draw_paid  numeric NOT NULL,
    recovered  numeric NOT NULL,
    forgiven   numeric NOT NULL,
    balance    numeric NOT NULL,
    payout     numeric NOT NULL,
    PRIMARY KEY (period_id, rep)
);
COMMENT ON TABLE spm.payout_summary IS
    'per rep and period: total earned, the draw ledger (spm.draw_ledger over the rep''s periods) and the payout';

-- Results of a closed period never change.
CREATE FUNCTION spm.freeze_closed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM spm.pay_period p
                WHERE p.period_id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.period_id END,
                                      CASE WHEN TG_OP <> 'DELETE' THEN NEW.period_id END)
                  AND p.status = 'closed') THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('results of a closed pay period cannot change (%s)', TG_TABLE_NAME);
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
COMMENT ON FUNCTION spm.freeze_closed() IS 'trigger: refuses (55000) any change to results of a closed pay period';
CREATE TRIGGER credit_line_frozen BEFORE INSERT OR UPDATE OR DELETE ON spm.credit_line
    FOR EACH ROW EXECUTE FUNCTION spm.freeze_closed();
CREATE TRIGGER payout_line_frozen BEFORE INSERT OR UPDATE OR DELETE ON spm.payout_line
    FOR EACH ROW EXECUTE FUNCTION spm.freeze_closed();
CREATE TRIGGER payout_summary_frozen BEFORE INSERT OR UPDATE OR DELETE ON spm.payout_summary
    FOR EACH ROW EXECUTE FUNCTION spm.freeze_closed();

-- The pay period a run or a close addresses: a label, or any date inside it
-- (NULL: today).
CREATE FUNCTION spm.find_period(period text) RETURNS spm.pay_period
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p spm.pay_period;
    d date;
BEGIN
    SELECT * INTO p FROM spm.pay_period pp WHERE pp.label = find_period.period;
    IF FOUND THEN
        RETURN p;
    END IF;
    BEGIN
        d := coalesce(find_period.period::date, current_date);
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('no pay period is labelled %L', find_period.period),
            HINT = 'Give a label of spm.pay_period or a date inside the period.';
    END;
    SELECT * INTO p FROM spm.pay_period pp WHERE pp.period @> d;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('no pay period contains %s', to_char(d, 'YYYY-MM-DD')),
            HINT = 'Add the period to spm.pay_period (see spm.add_pay_periods).';
    END IF;
    RETURN p;
END $$;
COMMENT ON FUNCTION spm.find_period(text) IS
    'the pay period with this label, or containing this date (NULL: today); 22023 if none';

-- Credit rows of a date range into pg_temp.spm_credit: every source, split
-- by its split rule, rolled up the hierarchy, and matched to the plan each
-- rep is assigned on the deal date.  Shared by the run and by the
-- recomputation of closed periods.
CREATE FUNCTION spm.compute_credits(period daterange) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s   record;
    sp  spm.split_rule;
    h   spm.hierarchy_rule;
BEGIN
    IF to_regclass('pg_temp.spm_raw') IS NOT NULL THEN
        DROP TABLE pg_temp.spm_raw, pg_temp.spm_credit0, pg_temp.spm_credit;
    END IF;
    -- a table registered earlier may have been dropped since
    SELECT x.what INTO s FROM (
        SELECT format('source %s', o.name) AS what, o.relation FROM spm.source o
        UNION ALL SELECT format('split rule of source %s', r.source_id), r.relation FROM spm.split_rule r
        UNION ALL SELECT 'hierarchy rule', hr.relation FROM spm.hierarchy_rule hr) x
     WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = x.relation) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '42P01',
            MESSAGE = format('the table of %s no longer exists', s.what),
            HINT = 'Update or delete the registration in the spm catalog.';
    END IF;
    CREATE TEMP TABLE spm_raw (row_id bigint GENERATED ALWAYS AS IDENTITY, source_id integer,
                               deal text, rep text, amount numeric, deal_date date) ON COMMIT DROP;
    CREATE TEMP TABLE spm_credit0 (row_key text, source_id integer, deal text, rep text,
                                   amount numeric, deal_date date, via text) ON COMMIT DROP;
    FOR s IN SELECT * FROM spm.source ORDER BY source_id LOOP
        EXECUTE format('INSERT INTO pg_temp.spm_raw (source_id, deal, rep, amount, deal_date)
                        SELECT $1, (%I)::text, (%I)::text, (%I)::numeric, (%I)::date FROM %s
                         WHERE (%4$I)::date >= $2 AND (%4$I)::date < $3 %6$s',
                       s.deal_column, s.rep_column, s.amount_column, s.date_column, s.relation,
                       CASE WHEN s.filter_column IS NULL THEN ''
                            ELSE format('AND (%I)::text = ANY ($4)', s.filter_column) END)
          USING s.source_id, lower(period), upper(period), s.filter_values;
        SELECT * INTO sp FROM spm.split_rule r WHERE r.source_id = s.source_id;
        IF FOUND THEN
            -- deals with split rows: penny-exact shares in rep order
            EXECUTE format('INSERT INTO pg_temp.spm_credit0
                SELECT r.row_id::text, r.source_id, r.deal, x.rep, x.share, r.deal_date, ''split''
                  FROM pg_temp.spm_raw r
                  CROSS JOIN LATERAL (
                       SELECT (t.%2$I)::text AS rep,
                              spm.split_share(r.amount, (t.%3$I)::numeric) OVER (ORDER BY (t.%2$I)::text) AS share
                         FROM %4$s t WHERE (t.%1$I)::text = r.deal) x
                 WHERE r.source_id = $1', sp.deal_column, sp.rep_column, sp.weight_column, sp.relation)
              USING s.source_id;
            EXECUTE format('INSERT INTO pg_temp.spm_credit0
                SELECT r.row_id::text, r.source_id, r.deal, r.rep, r.amount, r.deal_date, ''direct''
                  FROM pg_temp.spm_raw r
                 WHERE r.source_id = $1
                   AND NOT EXISTS (SELECT 1 FROM %s t WHERE (t.%I)::text = r.deal)',
                sp.relation, sp.deal_column)
              USING s.source_id;
        ELSE
            INSERT INTO pg_temp.spm_credit0
            SELECT r.row_id::text, r.source_id, r.deal, r.rep, r.amount, r.deal_date, 'direct'
              FROM pg_temp.spm_raw r WHERE r.source_id = s.source_id;
        END IF;
    END LOOP;

    SELECT * INTO h FROM spm.hierarchy_rule;
    IF FOUND THEN
        EXECUTE format('CREATE OR REPLACE TEMP VIEW spm_hierarchy AS
                        SELECT (%I)::text AS rep, (%I)::text AS manager, %I AS valid FROM %s',
                       h.rep_column, h.manager_column, h.valid_column, h.relation);
        INSERT INTO pg_temp.spm_credit0
        SELECT c.row_key, c.source_id, c.deal, u.manager,
               coalesce(u.override, u.amount), c.deal_date,
               format('rollup depth %s from %s', u.depth, u.rep)
          FROM spm.rollup('pg_temp.spm_hierarchy'::regclass, 'rep', 'manager', 'valid',
                          'pg_temp.spm_credit0'::regclass, 'rep', 'deal_date', 'amount',
                          h.override_rates, 'row_key') u
          JOIN pg_temp.spm_credit0 c ON c.row_key = u.credit_key AND c.rep = u.rep
                                    AND c.via IN ('direct', 'split');
    END IF;

    CREATE TEMP TABLE spm_credit ON COMMIT DROP AS
    SELECT c.rep, a.plan_id, c.source_id, c.deal, c.deal_date, c.via, c.amount
      FROM pg_temp.spm_credit0 c
      LEFT JOIN spm.assignment a ON a.rep = c.rep AND a.valid @> c.deal_date;
END $$;
COMMENT ON FUNCTION spm.compute_credits(daterange) IS
    'internal: fills pg_temp.spm_credit with the credit rows of a date range from every registered source';

-- Earnings lines (rep, plan) of a period from pg_temp.spm_credit.
CREATE FUNCTION spm.compute_lines(p spm.pay_period) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing record;
BEGIN
    IF to_regclass('pg_temp.spm_lines') IS NOT NULL THEN
        DROP TABLE pg_temp.spm_lines;
    END IF;
    CREATE TEMP TABLE spm_lines ON COMMIT DROP AS
    WITH pieces AS (              -- each assignment's part of the period
        SELECT a.rep, a.plan_id, a.valid * p.period AS part
          FROM spm.assignment a WHERE a.valid && p.period
    ), per_plan AS (
        SELECT pc.rep, pc.plan_id,
               sum(spm.prorate(q.amount, p.period, pc.part)) AS quota,
               bool_or(q.amount IS NULL) AS no_quota
          FROM pieces pc LEFT JOIN spm.quota q ON q.rep = pc.rep AND q.period_id = p.period_id
         GROUP BY pc.rep, pc.plan_id
    ), credited AS (
        SELECT c.rep, c.plan_id, sum(c.amount) AS credited
          FROM pg_temp.spm_credit c WHERE c.plan_id IS NOT NULL GROUP BY 1, 2
    )
    SELECT pp.rep, pp.plan_id, pl.base, coalesce(cr.credited, 0) AS credited,
           pp.quota, pp.no_quota,
           spm.attainment(coalesce(cr.credited, 0), pp.quota) AS attainment,
           round(CASE pl.base
                   WHEN 'amount' THEN spm.apply(pl.schedule, coalesce(cr.credited, 0))
                   WHEN 'quota' THEN spm.apply(pl.schedule, coalesce(cr.credited, 0), pp.quota)
                   ELSE pl.target_incentive
                        * spm.apply(pl.schedule, spm.attainment(coalesce(cr.credited, 0), pp.quota))
                 END, 2) AS earned
      FROM per_plan pp
      JOIN spm.plan pl USING (plan_id)
      LEFT JOIN credited cr USING (rep, plan_id);

    SELECT l.rep, pl.name INTO missing
      FROM pg_temp.spm_lines l JOIN spm.plan pl USING (plan_id)
     WHERE l.base <> 'amount' AND l.no_quota LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('rep %s has no quota for pay period %s', missing.rep, p.label),
            DETAIL = format('Plan %s pays on quota or attainment.', missing.name),
            HINT = 'Insert the quota into spm.quota.';
    END IF;
END $$;
COMMENT ON FUNCTION spm.compute_lines(spm.pay_period) IS
    'internal: fills pg_temp.spm_lines with credited, quota, attainment and earned per rep and plan';

CREATE PROCEDURE spm.run_payout(period text DEFAULT NULL, INOUT run_id bigint DEFAULT NULL)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    p       spm.pay_period;
    c       spm.pay_period;
    t0      timestamptz := clock_timestamp();
    n_adj   integer := 0;
    n       integer;
    hash    text;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('spm.run_payout'), 0) THEN
        RAISE EXCEPTION USING ERRCODE = '55P03',
            MESSAGE = 'another spm payout run is in progress',
            HINT = 'Wait for it to finish, then run again.';
    END IF;
    p := spm.find_period(period);
    IF p.status = 'closed' THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('pay period %s is closed', p.label),
            HINT = 'A closed period is never recomputed; late changes are booked as prior-period adjustments in the next open period.';
    END IF;

    INSERT INTO spm.run (period_id, started_at, finished_at, duration, credit_rows, lines,
                         adjustment_lines, reps, input_hash)
    VALUES (p.period_id, t0, t0, '0', 0, 0, 0, 0, '') RETURNING run.run_id INTO run_id;
    DELETE FROM spm.payout_summary s WHERE s.period_id = p.period_id;
    DELETE FROM spm.payout_line l WHERE l.period_id = p.period_id;
    DELETE FROM spm.credit_line l WHERE l.period_id = p.period_id;

    -- 1. this period
    PERFORM spm.compute_credits(p.period);
    PERFORM spm.compute_lines(p);
    INSERT INTO spm.credit_line (run_id, period_id, for_period_id, rep, plan_id, source_id, deal, deal_date, via, amount)
    SELECT run_id, p.period_id, p.period_id, c.rep, c.plan_id, c.source_id, c.deal, c.deal_date, c.via, c.amount
      FROM pg_temp.spm_credit c;
    SELECT md5(coalesce(string_agg(format('%s|%s|%s|%s|%s|%s|%s', c.rep, c.plan_id, c.source_id, c.deal, c.deal_date, c.via, c.amount),
                          ',' ORDER BY c.rep, c.source_id, c.deal, c.via, c.amount), '')) INTO hash
      FROM pg_temp.spm_credit c;
    INSERT INTO spm.payout_line (run_id, period_id, for_period_id, rep, plan_id, line_kind, credited, quota, attainment, earned)
    SELECT run_id, p.period_id, p.period_id, l.rep, l.plan_id, 'commission', l.credited, l.quota, l.attainment, l.earned
      FROM pg_temp.spm_lines l;

    -- 2. closed periods: book what they would compute now but did not pay
    FOR c IN SELECT * FROM spm.pay_period WHERE status = 'closed' ORDER BY lower(pay_period.period) LOOP
        PERFORM spm.compute_credits(c.period);
        PERFORM spm.compute_lines(c);
        CREATE TEMP TABLE spm_delta ON COMMIT DROP AS
        SELECT rep, plan_id, source_id, deal, deal_date, via, sum(amount) AS amount
          FROM (SELECT x.rep, x.plan_id, x.source_id, x.deal, x.deal_date, x.via, x.amount FROM pg_temp.spm_credit x
                UNION ALL
                SELECT a.rep, a.plan_id, a.source_id, a.deal, a.deal_date, a.via, -a.amount
                  FROM spm.credit_line a WHERE a.for_period_id = c.period_id) u
         GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(amount) <> 0;
        INSERT INTO spm.credit_line (run_id, period_id, for_period_id, rep, plan_id, source_id, deal, deal_date, via, amount)
        SELECT run_id, p.period_id, c.period_id, d.rep, d.plan_id, d.source_id, d.deal, d.deal_date, d.via, d.amount
          FROM pg_temp.spm_delta d;
        WITH accounted AS (
            SELECT a.rep, a.plan_id, sum(a.credited) AS credited, sum(a.earned) AS earned
              FROM spm.payout_line a
             WHERE a.for_period_id = c.period_id AND a.line_kind IN ('commission', 'prior_period')
             GROUP BY 1, 2
        ), now AS (
            SELECT l.rep, l.plan_id, l.credited, l.quota, l.attainment, l.earned FROM pg_temp.spm_lines l
        ), diff AS (
            SELECT coalesce(n.rep, a.rep) AS rep, coalesce(n.plan_id, a.plan_id) AS plan_id,
                   coalesce(n.credited, 0) - coalesce(a.credited, 0) AS credited,
                   n.quota, n.attainment,
                   coalesce(n.earned, 0) - coalesce(a.earned, 0) AS earned
              FROM now n FULL JOIN accounted a ON a.rep = n.rep AND a.plan_id = n.plan_id
        )
        INSERT INTO spm.payout_line (run_id, period_id, for_period_id, rep, plan_id, line_kind,
                                     credited, quota, attainment, earned, cause)
        SELECT run_id, p.period_id, c.period_id, d.rep, d.plan_id, 'prior_period',
               d.credited, d.quota, d.attainment, d.earned,
               jsonb_build_object('for_period', c.label,
                   'reason', CASE WHEN d.credited <> 0
                                  THEN 'credit of a closed period changed after it was closed'
                                  ELSE 'earnings of a closed period changed after it was closed (plan, assignment or quota)' END,
                   'deals', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                         'source', x.source_id, 'deal', x.deal, 'date', x.deal_date,
                                         'via', x.via, 'credit_change', x.amount)
                                     ORDER BY x.deal_date, x.deal), '[]')
                               FROM pg_temp.spm_delta x
                              WHERE x.rep = d.rep AND x.plan_id IS NOT DISTINCT FROM d.plan_id))
          FROM diff d
         WHERE d.credited <> 0 OR d.earned <> 0;
        GET DIAGNOSTICS n = ROW_COUNT;
        n_adj := n_adj + n;
        SELECT md5(hash || coalesce(string_agg(format('%s|%s|%s|%s', x.rep, x.source_id, x.deal, x.amount), ','
                                               ORDER BY x.rep, x.source_id, x.deal, x.via), ''))
          INTO hash FROM pg_temp.spm_delta x;
        DROP TABLE pg_temp.spm_delta;
    END LOOP;

    -- 3. manual adjustments
    INSERT INTO spm.payout_line (run_id, period_id, for_period_id, rep, line_kind, earned, cause)
    SELECT run_id, p.period_id, p.period_id, a.rep, 'manual', a.amount,
           jsonb_build_object('adjustment_id', a.adjustment_id, 'reason', a.reason,
                              'author', a.author, 'created_at', a.created_at)
      FROM spm.adjustment a WHERE a.period_id = p.period_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    n_adj := n_adj + n;

    -- 4. draws: one ledger step per rep, from the balance the rep carried out
    -- of the latest earlier period (its stored summary: frozen once closed).
    -- The carried balance is replayed as a first, synthetic row (a clawback of
    -- that size with no draw), whose line is discarded.
    INSERT INTO spm.payout_summary (run_id, period_id, rep, earned, draw, draw_kind, draw_paid,
                                    recovered, forgiven, balance, payout)
    WITH reps AS (
        SELECT l.rep FROM spm.payout_line l WHERE l.period_id = p.period_id
        UNION
        SELECT d.rep FROM spm.draw_agreement d WHERE d.term @> lower(p.period)
    ), carried AS (
        SELECT r.rep,
               coalesce((SELECT s.balance FROM spm.payout_summary s
                           JOIN spm.pay_period pp ON pp.period_id = s.period_id
                          WHERE s.rep = r.rep AND lower(pp.period) < lower(p.period)
                          ORDER BY lower(pp.period) DESC LIMIT 1), 0) AS balance
          FROM reps r
    ), steps AS (
        SELECT c.rep, 0 AS step, -c.balance AS earned, 0::numeric AS draw, NULL::text AS kind,
               1::numeric AS recovery_limit, false AS forgive
          FROM carried c
        UNION ALL
        SELECT c.rep, 1,
               coalesce((SELECT sum(l.earned) FROM spm.payout_line l
                          WHERE l.rep = c.rep AND l.period_id = p.period_id), 0),
               coalesce(d.amount, 0), d.kind, coalesce(d.recovery_limit, 1),
               coalesce(d.forgive_at_end AND p.period @> (upper(d.term) - 1), false)
          FROM carried c
          LEFT JOIN spm.draw_agreement d ON d.rep = c.rep AND d.term @> lower(p.period)
    ), ledger AS (
        SELECT s.*, spm.draw_ledger(s.earned, s.draw, coalesce(s.kind, 'recoverable'),
                                    s.recovery_limit, s.forgive)
                      OVER (PARTITION BY s.rep ORDER BY s.step) AS line
          FROM steps s
    )
    SELECT run_id, p.period_id, l.rep, l.earned, l.draw, l.kind,
           (l.line).draw_paid, (l.line).recovered, (l.line).forgiven, (l.line).balance, (l.line).payout
      FROM ledger l WHERE l.step = 1;
    GET DIAGNOSTICS n = ROW_COUNT;

    SELECT md5(hash || coalesce((SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.plan_id) FROM spm.plan x), '')
                    || coalesce((SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.assignment_id) FROM spm.assignment x), '')
                    || coalesce((SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.rep) FROM spm.quota x WHERE x.period_id = p.period_id), '')
                    || coalesce((SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.draw_id) FROM spm.draw_agreement x), '')
                    || coalesce((SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.adjustment_id) FROM spm.adjustment x WHERE x.period_id = p.period_id), ''))
      INTO hash;
    UPDATE spm.run r
       SET finished_at = clock_timestamp(), duration = clock_timestamp() - t0,
           credit_rows = (SELECT count(*) FROM spm.credit_line l WHERE l.run_id = r.run_id),
           lines = (SELECT count(*) FROM spm.payout_line l WHERE l.run_id = r.run_id),
           adjustment_lines = n_adj, reps = n, input_hash = hash
     WHERE r.run_id = run_payout.run_id;
END $$;
COMMENT ON PROCEDURE spm.run_payout(text, bigint) IS
    'computes a pay period (a label or a date inside it; NULL: today) and replaces its results; refuses closed periods; one run at a time (55P03)';

CREATE PROCEDURE spm.close_period(period text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    p spm.pay_period;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('spm.run_payout'), 0) THEN
        RAISE EXCEPTION USING ERRCODE = '55P03', MESSAGE = 'another spm payout run is in progress';
    END IF;
    IF period IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'period must not be NULL';
    END IF;
    p := spm.find_period(period);
    IF p.status = 'closed' THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format('pay period %s is already closed', p.label);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM spm.run r WHERE r.period_id = p.period_id) THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('pay period %s has never been run', p.label),
            HINT = 'CALL spm.run_payout(...) first: closing freezes the results of the last run.';
    END IF;
    UPDATE spm.pay_period SET status = 'closed', closed_at = now(), closed_by = spm.acting_role()
     WHERE period_id = p.period_id;
END $$;
COMMENT ON PROCEDURE spm.close_period(text) IS
    'closes a pay period: its results are frozen; later differences become prior-period adjustments';

-- Pay periods of a fiscal year from spm.fiscal_period.
CREATE FUNCTION spm.add_pay_periods(first_day date, last_day date, grain text DEFAULT 'month',
                                    fiscal_start_month integer DEFAULT 1)
RETURNS SETOF spm.pay_period LANGUAGE sql STRICT AS $$
    INSERT INTO spm.pay_period (label, period)
    SELECT DISTINCT ON (fp) to_char(lower(fp), 'YYYY-MM-DD') || '..' || to_char(upper(fp) - 1, 'YYYY-MM-DD'), fp
      FROM generate_series(first_day, last_day, interval '1 day') g(d),
           LATERAL spm.fiscal_period(g.d::date, grain, fiscal_start_month) fp
    ORDER BY fp
    RETURNING *;
$$;
COMMENT ON FUNCTION spm.add_pay_periods(date, date, text, integer) IS
    'adds the pay periods (month, quarter, half or year of a fiscal calendar) covering first_day..last_day; NULL arguments add nothing';

-- ---- src/sql/72_payout_views.sql
-- Payout runs, part 3: flat views for BI tools and access control.
--
-- Views have plain, typed columns with stable names (no composites, no
-- jsonb except the adjustment cause, also given as text).  They are
-- security_invoker, so the row-level security of the result tables applies
-- to whoever reads them: a rep sees only their own rows.

CREATE VIEW spm.payout_statement WITH (security_invoker = true) AS
SELECT p.label                       AS period,
       lower(p.period)               AS period_start,
       upper(p.period) - 1           AS period_end,
       p.status                      AS period_status,
       l.rep                         AS rep,
       pl.name                       AS plan,
       pl.version                    AS plan_version,
       l.line_kind                   AS line_kind,
       f.label                       AS for_period,
       l.credited::numeric           AS credited,
       l.quota::numeric              AS quota,
       l.attainment::numeric         AS attainment,
       l.earned::numeric             AS earned,
       (l.cause ->> 'reason')::text  AS reason,
       l.cause::text                 AS cause,
       l.run_id                      AS run_id,
       l.line_id                     AS line_id
  FROM spm.payout_line l
  JOIN spm.pay_period p ON p.period_id = l.period_id
  JOIN spm.pay_period f ON f.period_id = l.for_period_id
  LEFT JOIN spm.plan pl ON pl.plan_id = l.plan_id;
COMMENT ON VIEW spm.payout_statement IS
    'statement lines: commission per plan, prior-period adjustments (for_period, cause) and manual adjustments';

CREATE VIEW spm.payout_summary_view WITH (security_invoker = true) AS
SELECT p.label AS period, lower(p.period) AS period_start, upper(p.period) - 1 AS period_end,
       p.status AS period_status, s.rep, s.earned, s.draw, s.draw_kind, s.draw_paid,
       s.recovered, s.forgiven, s.balance, s.payout, s.run_id
  FROM spm.payout_summary s JOIN spm.pay_period p USING (period_id);
COMMENT ON VIEW spm.payout_summary_view IS 'per rep and period: earned, draw paid, recovered, forgiven, balance and payout';

CREATE VIEW spm.attainment_by_rep WITH (security_invoker = true) AS
SELECT p.label AS period, lower(p.period) AS period_start, l.rep, pl.name AS plan,
       l.credited, l.quota, l.attainment
  FROM spm.payout_line l
  JOIN spm.pay_period p ON p.period_id = l.period_id
  JOIN spm.plan pl ON pl.plan_id = l.plan_id
 WHERE l.line_kind = 'commission';
COMMENT ON VIEW spm.attainment_by_rep IS 'credited, quota and attainment per rep, plan and period (as computed by the last run)';

CREATE VIEW spm.draw_balance WITH (security_invoker = true) AS
SELECT p.label AS period, lower(p.period) AS period_start, s.rep, s.draw_kind, s.draw,
       s.draw_paid, s.recovered, s.forgiven, s.balance
  FROM spm.payout_summary s JOIN spm.pay_period p USING (period_id);
COMMENT ON VIEW spm.draw_balance IS 'draw ledger per rep and period: what the rep owes after each period';

CREATE VIEW spm.leaderboard WITH (security_invoker = true) AS
SELECT a.period, a.period_start, a.rep, a.plan, a.credited, a.quota, a.attainment,
       rank() OVER (PARTITION BY a.period ORDER BY a.attainment DESC NULLS LAST, a.credited DESC)::integer AS rank
  FROM spm.attainment_by_rep a;
COMMENT ON VIEW spm.leaderboard IS 'reps ranked by attainment within each period';

CREATE VIEW spm.run_log WITH (security_invoker = true) AS
SELECT r.run_id, p.label AS period, r.run_by, r.started_at, r.finished_at, r.duration,
       r.credit_rows, r.lines, r.adjustment_lines, r.reps, r.input_hash
  FROM spm.run r JOIN spm.pay_period p USING (period_id);
COMMENT ON VIEW spm.run_log IS 'every successful run: who, when, period, row counts, duration, input hash';

-- Row-level security: admins and analysts see everything, a rep only the
-- rows of the rep id its login maps to (spm.rep_login).
-- The reader is passed in by the policy: inside this SECURITY DEFINER
-- function current_user would be the owner.
CREATE FUNCTION spm.can_see_rep(rep text, reader name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM pg_roles r
                    WHERE r.rolname IN ('spm_admin', 'spm_analyst')
                      AND pg_has_role(reader, r.oid, 'MEMBER'))
        OR EXISTS (SELECT 1 FROM spm.rep_login l
                    WHERE l.login = reader AND l.rep = can_see_rep.rep)
        OR coalesce((SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = reader), false)
$$;
COMMENT ON FUNCTION spm.can_see_rep(text, name) IS
    'row-level security: true when reader is in spm_admin or spm_analyst, or is the login mapped to this rep';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['payout_line', 'payout_summary', 'credit_line'] LOOP
        EXECUTE format('ALTER TABLE spm.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON spm.%I FOR SELECT USING (spm.can_see_rep(rep, current_user))',
                       t || '_visible', t);
    END LOOP;
END $$;

-- The role pattern, created on request (roles are cluster-wide, so the
-- extension does not create them by itself).
CREATE FUNCTION spm.create_roles() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['spm_admin', 'spm_analyst', 'spm_rep'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
    GRANT USAGE ON SCHEMA spm TO spm_admin, spm_analyst, spm_rep;
    -- admins edit the catalog and run/close periods
    GRANT SELECT, INSERT, UPDATE, DELETE ON spm.pay_period, spm.source, spm.split_rule,
          spm.hierarchy_rule, spm.plan, spm.assignment, spm.quota, spm.draw_agreement,
          spm.adjustment, spm.rep_login TO spm_admin;
    GRANT SELECT ON ALL TABLES IN SCHEMA spm TO spm_admin;
    GRANT EXECUTE ON PROCEDURE spm.run_payout(text, bigint), spm.close_period(text) TO spm_admin;
    -- analysts read everything, change nothing
    GRANT SELECT ON spm.payout_statement, spm.payout_summary_view, spm.attainment_by_rep,
          spm.draw_balance, spm.leaderboard, spm.run_log, spm.payout_line, spm.payout_summary,
          spm.credit_line, spm.pay_period, spm.plan, spm.run TO spm_analyst;
    -- reps read their own statement through the views
    GRANT SELECT ON spm.payout_statement, spm.payout_summary_view, spm.attainment_by_rep,
          spm.draw_balance, spm.payout_line, spm.payout_summary, spm.pay_period,
          spm.plan TO spm_rep;
    REVOKE EXECUTE ON PROCEDURE spm.run_payout(text, bigint), spm.close_period(text) FROM PUBLIC;
END $$;
COMMENT ON FUNCTION spm.create_roles() IS
    'creates (if missing) the roles spm_admin, spm_analyst and spm_rep and grants each its rights';

REVOKE EXECUTE ON PROCEDURE spm.run_payout(text, bigint), spm.close_period(text) FROM PUBLIC;
