-- spm 0.2.0: the released install script, frozen (built from the fragments at 0.2.0).
\echo Use "CREATE EXTENSION spm" to load this file. \quit

-- ---- src/sql/10_schedule.sql
-- spm.schedule: an earnings rule E(x) (see docs/schedules.md).

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
    RESTRICT = eqsel, JOIN = eqjoinsel,
    HASHES, MERGES   -- operator classes in 11_schedule_opclass.sql
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

-- ---- src/sql/11_schedule_opclass.sql
-- spm.schedule: a total order and a hash, and the default btree and hash
-- operator classes built on them, so that GROUP BY, DISTINCT, ORDER BY,
-- UNION, hash and merge joins and indexes work on schedules whatever the
-- search_path (see docs/schedules.md, "Equality, ordering and hashing").
-- Equality is spm.schedule_eq (10_schedule.sql): the same canonical form.

CREATE FUNCTION spm.schedule_cmp(a spm.schedule, b spm.schedule) RETURNS integer
    AS 'MODULE_PATHNAME', 'spm_schedule_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.schedule_cmp(spm.schedule, spm.schedule) IS
    '-1, 0 or 1: the total order of the btree operator class (0 exactly when spm.schedule_eq); orders by kind, then points, then caps and gates, not by how much a schedule pays';
CREATE FUNCTION spm.schedule_lt(spm.schedule, spm.schedule) RETURNS boolean
    AS 'MODULE_PATHNAME', 'spm_schedule_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.schedule_lt(spm.schedule, spm.schedule) IS 'spm.schedule_cmp(a, b) < 0';
CREATE FUNCTION spm.schedule_le(spm.schedule, spm.schedule) RETURNS boolean
    AS 'MODULE_PATHNAME', 'spm_schedule_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.schedule_le(spm.schedule, spm.schedule) IS 'spm.schedule_cmp(a, b) <= 0';
CREATE FUNCTION spm.schedule_gt(spm.schedule, spm.schedule) RETURNS boolean
    AS 'MODULE_PATHNAME', 'spm_schedule_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.schedule_gt(spm.schedule, spm.schedule) IS 'spm.schedule_cmp(a, b) > 0';
CREATE FUNCTION spm.schedule_ge(spm.schedule, spm.schedule) RETURNS boolean
    AS 'MODULE_PATHNAME', 'spm_schedule_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.schedule_ge(spm.schedule, spm.schedule) IS 'spm.schedule_cmp(a, b) >= 0';
CREATE FUNCTION spm.schedule_hash(spm.schedule) RETURNS integer
    AS 'MODULE_PATHNAME', 'spm_schedule_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.schedule_hash(spm.schedule) IS
    'hash of the canonical form (equal schedules hash alike): support function of the hash operator class';
CREATE FUNCTION spm.schedule_hash_extended(spm.schedule, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'spm_schedule_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.schedule_hash_extended(spm.schedule, bigint) IS
    '64-bit seeded hash of the canonical form: support function of the hash operator class';

CREATE OPERATOR spm.< (
    LEFTARG = spm.schedule, RIGHTARG = spm.schedule, PROCEDURE = spm.schedule_lt,
    COMMUTATOR = OPERATOR(spm.>), NEGATOR = OPERATOR(spm.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
COMMENT ON OPERATOR spm.< (spm.schedule, spm.schedule) IS 'sorts before (the order of spm.schedule_cmp)';
CREATE OPERATOR spm.<= (
    LEFTARG = spm.schedule, RIGHTARG = spm.schedule, PROCEDURE = spm.schedule_le,
    COMMUTATOR = OPERATOR(spm.>=), NEGATOR = OPERATOR(spm.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
COMMENT ON OPERATOR spm.<= (spm.schedule, spm.schedule) IS 'sorts before or is equal (the order of spm.schedule_cmp)';
CREATE OPERATOR spm.> (
    LEFTARG = spm.schedule, RIGHTARG = spm.schedule, PROCEDURE = spm.schedule_gt,
    COMMUTATOR = OPERATOR(spm.<), NEGATOR = OPERATOR(spm.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR spm.> (spm.schedule, spm.schedule) IS 'sorts after (the order of spm.schedule_cmp)';
CREATE OPERATOR spm.>= (
    LEFTARG = spm.schedule, RIGHTARG = spm.schedule, PROCEDURE = spm.schedule_ge,
    COMMUTATOR = OPERATOR(spm.<=), NEGATOR = OPERATOR(spm.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);
COMMENT ON OPERATOR spm.>= (spm.schedule, spm.schedule) IS 'sorts after or is equal (the order of spm.schedule_cmp)';

CREATE OPERATOR CLASS spm.schedule_ops DEFAULT FOR TYPE spm.schedule USING btree AS
    OPERATOR 1 spm.<,
    OPERATOR 2 spm.<=,
    OPERATOR 3 spm.=,
    OPERATOR 4 spm.>=,
    OPERATOR 5 spm.>,
    FUNCTION 1 spm.schedule_cmp(spm.schedule, spm.schedule);
COMMENT ON OPERATOR CLASS spm.schedule_ops USING btree IS
    'default btree operator class of spm.schedule: ORDER BY, GROUP BY, DISTINCT, merge joins, indexes';
COMMENT ON OPERATOR FAMILY spm.schedule_ops USING btree IS
    'btree operator family of spm.schedule';

CREATE OPERATOR CLASS spm.schedule_ops DEFAULT FOR TYPE spm.schedule USING hash AS
    OPERATOR 1 spm.=,
    FUNCTION 1 spm.schedule_hash(spm.schedule),
    FUNCTION 2 spm.schedule_hash_extended(spm.schedule, bigint);
COMMENT ON OPERATOR CLASS spm.schedule_ops USING hash IS
    'default hash operator class of spm.schedule: hash aggregation, hash joins, hash indexes';
COMMENT ON OPERATOR FAMILY spm.schedule_ops USING hash IS
    'hash operator family of spm.schedule';

-- ---- src/sql/20_commission.sql
-- Commission aggregates and windows (see docs/commission.md).

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
-- docs/commission.md, "Other amount types").  The overloads
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

-- ---- src/sql/50_draws.sql
-- Draws: the recoupment ledger, its simulation and calibration (see docs/draws.md).

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
-- Credit allocation: penny-exact splits (see docs/crediting.md).

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
-- roll-ups (see docs/crediting.md).  Table arguments are regclass (an unknown
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

-- ---- src/sql/65_fingerprint.sql
-- Fingerprints of row sets (see docs/payout.md, "Fingerprints").

CREATE FUNCTION spm.fingerprint_trans(internal, VARIADIC "any") RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_fingerprint_trans' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION spm.fingerprint_trans(internal, "any") IS 'transition function of spm.fingerprint';
CREATE FUNCTION spm.fingerprint_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_fingerprint_combine' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION spm.fingerprint_combine(internal, internal) IS 'combine function of spm.fingerprint';
CREATE FUNCTION spm.fingerprint_final(internal) RETURNS text
    AS 'MODULE_PATHNAME', 'spm_fingerprint_final' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION spm.fingerprint_final(internal) IS 'final function of spm.fingerprint';
CREATE FUNCTION spm.fingerprint_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'spm_fingerprint_serialize' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.fingerprint_serialize(internal) IS 'serialize function of spm.fingerprint';
CREATE FUNCTION spm.fingerprint_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_fingerprint_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.fingerprint_deserialize(bytea, internal) IS 'deserialize function of spm.fingerprint';

CREATE AGGREGATE spm.fingerprint(VARIADIC "any") (
    SFUNC = spm.fingerprint_trans, STYPE = internal,
    FINALFUNC = spm.fingerprint_final, FINALFUNC_EXTRA = false,
    COMBINEFUNC = spm.fingerprint_combine,
    SERIALFUNC = spm.fingerprint_serialize, DESERIALFUNC = spm.fingerprint_deserialize,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE spm.fingerprint(VARIADIC "any") IS
    'order-independent fingerprint of a set of rows (32 hex digits/row count), in constant memory; equal for equal values whatever the row order, DateStyle or TimeZone';
