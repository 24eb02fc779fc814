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
