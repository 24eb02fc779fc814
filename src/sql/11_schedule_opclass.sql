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
