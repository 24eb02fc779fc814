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
