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
