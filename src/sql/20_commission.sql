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
