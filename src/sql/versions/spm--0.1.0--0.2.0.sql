-- spm 0.1.0 -> 0.2.0: spm becomes a stateless library; the payout
-- application moves to its own extension, spm_payout (docs/payout.md).
--
-- Nothing a user stored is dropped: 0.1.0's payout tables (catalog, runs,
-- results, audit log) leave the extension with their data and move to the
-- schema spm_legacy_0_1, where they stay as ordinary tables (read them, copy
-- what you need into spm_payout's catalog, drop them when done).  The
-- payout functions, procedures, views, triggers and policies of 0.1.0 are
-- dropped.
\echo Use "ALTER EXTENSION spm UPDATE TO '0.2.0'" to load this file. \quit

DROP VIEW spm.leaderboard, spm.attainment_by_rep, spm.payout_statement, spm.payout_summary_view,
          spm.draw_balance, spm.run_log;
DROP PROCEDURE spm.run_payout(text, bigint), spm.close_period(text);
DROP FUNCTION spm.compute_lines(spm.pay_period), spm.compute_credits(daterange),
              spm.find_period(text), spm.add_pay_periods(date, date, text, integer),
              spm.create_roles();
-- trigger functions and the policy function: their triggers and policies go with them
DROP FUNCTION spm.audit(), spm.reject_overlap(), spm.check_mapping(), spm.reject_closed(),
              spm.keep_closed(), spm.freeze_closed(), spm.can_see_rep(text, name) CASCADE;
DROP FUNCTION spm.check_column(regclass, name, text, regtype[]);

CREATE SCHEMA spm_legacy_0_1;
ALTER EXTENSION spm DROP SCHEMA spm_legacy_0_1;
DO $$
DECLARE
    t text;
    s regclass;
BEGIN
    FOREACH t IN ARRAY ARRAY['payout_summary', 'payout_line', 'credit_line', 'run', 'adjustment',
                             'draw_agreement', 'quota', 'assignment', 'plan', 'hierarchy_rule',
                             'split_rule', 'source', 'rep_login', 'audit_log', 'pay_period'] LOOP
        FOR s IN SELECT d.objid::regclass FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.refobjid = format('spm.%I', t)::regclass
                    AND d.deptype IN ('a', 'i')
                    AND (SELECT c.relkind FROM pg_class c WHERE c.oid = d.objid) = 'S' LOOP
            IF EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = s
                          AND e.deptype = 'e') THEN
                EXECUTE format('ALTER EXTENSION spm DROP SEQUENCE %s', s);
            END IF;
        END LOOP;
        EXECUTE format('ALTER EXTENSION spm DROP TABLE spm.%I', t);
        EXECUTE format('ALTER TABLE spm.%I DISABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE spm.%I SET SCHEMA spm_legacy_0_1', t);
    END LOOP;
END $$;

-- New in 0.2.0: operator classes for spm.schedule (GROUP BY, DISTINCT, hash
-- and merge joins without spm on the search_path).  PostgreSQL 15 cannot
-- ALTER OPERATOR ... SET (HASHES, MERGES), so the flags are set in the
-- catalog, as CREATE OPERATOR ... HASHES, MERGES does for a new install.
UPDATE pg_catalog.pg_operator SET oprcanhash = true, oprcanmerge = true
 WHERE oid = 'spm.=(spm.schedule, spm.schedule)'::pg_catalog.regoperator;

-- ---- as src/sql/11_schedule_opclass.sql
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

-- ---- as src/sql/65_fingerprint.sql
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
