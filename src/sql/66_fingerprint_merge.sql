-- Adding up fingerprints of disjoint row sets (see docs/payout.md,
-- "Fingerprints", and docs/sharding.md, "Payout runs").

CREATE FUNCTION spm.fingerprint_merge_trans(internal, text) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_fingerprint_merge_trans' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION spm.fingerprint_merge_trans(internal, text) IS 'transition function of spm.fingerprint_merge';

CREATE AGGREGATE spm.fingerprint_merge(text) (
    SFUNC = spm.fingerprint_merge_trans, STYPE = internal,
    FINALFUNC = spm.fingerprint_final,
    COMBINEFUNC = spm.fingerprint_combine,
    SERIALFUNC = spm.fingerprint_serialize, DESERIALFUNC = spm.fingerprint_deserialize,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE spm.fingerprint_merge(text) IS
    'the fingerprint of the union of disjoint row sets, from their spm.fingerprint values: fingerprint_merge(fp) over groups = fingerprint(rows) over all rows';
