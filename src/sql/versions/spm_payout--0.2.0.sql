-- spm_payout 0.2.0: the released install script, frozen (built from the fragments at 0.2.0).
\echo Use "CREATE EXTENSION spm_payout" to load this file. \quit

-- ---- src/payout/10_catalog.sql
-- spm_payout, part 1: the catalog (docs/payout.md, "Catalog").
--
-- Plain tables in schema spm_payout, edited by admins with ordinary SQL.
-- Nothing of the user's sales data is copied: a source names an existing
-- table and maps its columns.  Overlaps are refused by exclusion
-- constraints (btree_gist), which hold under every isolation level.  Every
-- change is written to spm_payout.audit_log.  Every table and identity
-- sequence is marked for pg_dump; no trigger fires its checks or its audit
-- while pg_dump's output is being restored (restoring() below).

-- Helpers the application calls internally live here; PUBLIC has no USAGE.
CREATE SCHEMA spm_payout_internal;
REVOKE ALL ON SCHEMA spm_payout_internal FROM PUBLIC;
COMMENT ON SCHEMA spm_payout_internal IS
    'internal helpers of spm_payout: not an API, not usable by PUBLIC';

-- pg_dump and pg_restore start every session with check_function_bodies
-- off and row_security off; ordinary sessions never turn row_security off
-- (it would make every query on a table with row-level security fail).
CREATE FUNCTION spm_payout_internal.restoring() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT current_setting('check_function_bodies') = 'off' AND current_setting('row_security') = 'off'
$$;
COMMENT ON FUNCTION spm_payout_internal.restoring() IS
    'true while a pg_dump script or pg_restore is loading data: catalog triggers then neither check nor audit';

-- The role a person acts as, also inside SECURITY DEFINER code (where
-- current_user is the owner): SET ROLE's role, else the login.
CREATE FUNCTION spm_payout.acting_role() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(nullif(current_setting('role'), 'none'), session_user)::text
$$;
COMMENT ON FUNCTION spm_payout.acting_role() IS
    'the role the session acts as (SET ROLE, else the login), even inside SECURITY DEFINER functions';

CREATE TABLE spm_payout.setting (
    only_one         boolean PRIMARY KEY DEFAULT true CHECK (only_one),
    lookback_periods integer NOT NULL DEFAULT 12 CHECK (lookback_periods BETWEEN 0 AND 1000)
);
COMMENT ON TABLE spm_payout.setting IS
    'at most one row of settings; without a row the defaults apply (lookback_periods 12: closed periods re-examined by a run)';

CREATE TABLE spm_payout.pay_period (
    period_id  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label      text NOT NULL UNIQUE CHECK (label <> ''),
    period     daterange NOT NULL
               CONSTRAINT pay_period_bounded CHECK (NOT isempty(period) AND NOT lower_inf(period) AND NOT upper_inf(period)),
    status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at  timestamptz,
    closed_by  text,
    CONSTRAINT pay_period_no_overlap EXCLUDE USING gist (period WITH &&)
);
COMMENT ON TABLE spm_payout.pay_period IS 'pay periods: [start, end) date ranges that never overlap; open or closed';

CREATE TABLE spm_payout.source (
    source_id     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    relation      regclass NOT NULL,
    rep_column    name NOT NULL,
    deal_column   name NOT NULL,
    amount_column name NOT NULL,
    date_column   name NOT NULL,
    time_zone     text NOT NULL DEFAULT 'UTC',
    filter_column name,
    filter_values text[],
    registered_by text NOT NULL DEFAULT spm_payout.acting_role(),
    CONSTRAINT source_filter_complete CHECK ((filter_column IS NULL) = (filter_values IS NULL))
);
COMMENT ON TABLE spm_payout.source IS
    'a sales table of the user''s, by name, with the columns holding rep, deal, amount and date; a timestamptz date is read in time_zone; optional filter: filter_column::text = ANY(filter_values)';

CREATE TABLE spm_payout.split_rule (
    source_id     integer PRIMARY KEY REFERENCES spm_payout.source ON DELETE CASCADE,
    relation      regclass NOT NULL,
    deal_column   name NOT NULL,
    rep_column    name NOT NULL,
    weight_column name NOT NULL,
    registered_by text NOT NULL DEFAULT spm_payout.acting_role()
);
COMMENT ON TABLE spm_payout.split_rule IS
    'split credit: a table (deal, rep, weight) whose rows share a deal of the source among reps, penny-exact (spm.split_share)';

CREATE TABLE spm_payout.hierarchy_rule (
    only_one       boolean PRIMARY KEY DEFAULT true CHECK (only_one),
    relation       regclass NOT NULL,
    rep_column     name NOT NULL,
    manager_column name NOT NULL,
    valid_column   name NOT NULL,
    override_rates numeric[],
    registered_by  text NOT NULL DEFAULT spm_payout.acting_role()
);
COMMENT ON TABLE spm_payout.hierarchy_rule IS
    'manager roll-up: every manager above a rep as of the deal date is credited; override_rates[d] scales the credit at depth d (0 beyond the array; NULL: full credit at every level)';

CREATE TABLE spm_payout.plan (
    plan_id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL UNIQUE CHECK (name <> ''),
    year_start_month integer NOT NULL DEFAULT 1 CHECK (year_start_month BETWEEN 1 AND 12)
);
COMMENT ON TABLE spm_payout.plan IS
    'a compensation plan: its versions say how it pays; its plan year (starting in year_start_month) is the span over which credit accumulates';

CREATE TABLE spm_payout.plan_version (
    version_id       integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id          integer NOT NULL REFERENCES spm_payout.plan,
    version          integer NOT NULL CHECK (version > 0),
    valid            daterange NOT NULL DEFAULT '(,)' CHECK (NOT isempty(valid)),
    schedule         spm.schedule NOT NULL,
    base             text NOT NULL DEFAULT 'amount' CHECK (base IN ('amount', 'quota', 'attainment')),
    target_incentive numeric CHECK (target_incentive >= 0),
    UNIQUE (plan_id, version),
    CONSTRAINT plan_version_no_overlap EXCLUDE USING gist (plan_id WITH =, valid WITH &&),
    CONSTRAINT plan_version_attainment_needs_target CHECK (base <> 'attainment' OR target_incentive IS NOT NULL)
);
COMMENT ON TABLE spm_payout.plan_version IS
    'how a plan pays over a date range: amount = E(credit to date); quota = E(credit to date, quota to date); attainment = target incentive to date * E(attainment to date).  A deal is paid under the version valid on its date';

CREATE TABLE spm_payout.assignment (
    assignment_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rep           text NOT NULL,
    plan_id       integer NOT NULL REFERENCES spm_payout.plan,
    valid         daterange NOT NULL CHECK (NOT isempty(valid)),
    CONSTRAINT assignment_no_overlap EXCLUDE USING gist (rep WITH =, valid WITH &&)
);
COMMENT ON TABLE spm_payout.assignment IS 'which plan a rep is on, over which dates; one plan at a time per rep';

CREATE TABLE spm_payout.quota (
    rep       text NOT NULL,
    period_id integer NOT NULL REFERENCES spm_payout.pay_period,
    amount    numeric NOT NULL CONSTRAINT quota_must_be_positive CHECK (amount > 0 AND amount < 'Infinity'),
    PRIMARY KEY (rep, period_id)
);
COMMENT ON TABLE spm_payout.quota IS 'a rep''s quota for a pay period (prorated when the rep is on the plan for part of it)';

CREATE TABLE spm_payout.draw_agreement (
    draw_id        integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rep            text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('recoverable', 'non_recoverable', 'advance')),
    amount         numeric NOT NULL CHECK (amount >= 0 AND amount < 'Infinity'),
    recovery_limit numeric NOT NULL DEFAULT 1 CHECK (recovery_limit BETWEEN 0 AND 1),
    term           daterange NOT NULL CHECK (NOT isempty(term)),
    forgive_at_end boolean NOT NULL DEFAULT false,
    CONSTRAINT draw_no_overlap EXCLUDE USING gist (rep WITH =, term WITH &&)
);
COMMENT ON TABLE spm_payout.draw_agreement IS
    'a draw per pay period starting inside term; forgive_at_end forgives the balance in the period where term ends';

CREATE TABLE spm_payout.adjustment (
    adjustment_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rep           text NOT NULL,
    period_id     integer NOT NULL REFERENCES spm_payout.pay_period,
    amount        numeric NOT NULL CHECK (amount > '-Infinity' AND amount < 'Infinity'),
    reason        text NOT NULL CHECK (reason <> ''),
    author        text NOT NULL DEFAULT spm_payout.acting_role(),
    created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE spm_payout.adjustment IS 'manual adjustments: an amount added to a rep''s earnings in an open period, with reason and author';

CREATE TABLE spm_payout.rep_login (
    login name PRIMARY KEY,
    rep   text NOT NULL
);
COMMENT ON TABLE spm_payout.rep_login IS
    'maps database roles to rep ids: a role in spm_rep sees only its rep''s rows (and only its own mapping)';

CREATE TABLE spm_payout.audit_log (
    audit_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    who          text NOT NULL DEFAULT session_user,
    as_role      text NOT NULL,
    table_schema text NOT NULL,
    table_name   text NOT NULL,
    operation    text NOT NULL,
    old_row      jsonb,
    new_row      jsonb
);
COMMENT ON TABLE spm_payout.audit_log IS 'every change to the catalog: who, when, old and new values';

-- Audit: one trigger for every catalog table.  SECURITY DEFINER to write a
-- log nobody else can write; EXECUTE is revoked from PUBLIC (so nobody can
-- attach it to a table of their own) and it refuses any table that is not
-- a member of this extension.
CREATE FUNCTION spm_payout_internal.audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = TG_RELID
                      AND d.deptype = 'e' AND e.extname = 'spm_payout') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('spm_payout audit: %I.%I is not a table of spm_payout', TG_TABLE_SCHEMA, TG_TABLE_NAME);
    END IF;
    IF spm_payout_internal.restoring() THEN
        RETURN NULL;
    END IF;
    INSERT INTO spm_payout.audit_log (as_role, table_schema, table_name, operation, old_row, new_row)
    VALUES (spm_payout.acting_role(), TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP,
            CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.audit() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.audit() IS 'trigger: records a catalog change in spm_payout.audit_log';

-- Identifiers of the user's tables are checked once, when registered, and
-- only ever spliced into SQL with format('%I') / regclass output.
CREATE FUNCTION spm_payout_internal.check_column(rel regclass, col name, what text, types regtype[] DEFAULT NULL)
RETURNS regtype LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t regtype;
BEGIN
    IF col IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '23502', MESSAGE = format('%s must not be NULL', what);
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
    IF NOT has_column_privilege(spm_payout.acting_role(), rel, col, 'SELECT') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('permission denied for column %I of relation %s', col, rel),
            DETAIL = format('Role %s registers it but cannot read it.', spm_payout.acting_role());
    END IF;
    RETURN t;
END $$;
COMMENT ON FUNCTION spm_payout_internal.check_column(regclass, name, text, regtype[]) IS
    'raises 42703 if a column does not exist, 42804 if its type is not one of types, 42501 if the acting role cannot read it';

-- A column the runs fingerprint must have a type spm.fingerprint can hash
-- (a default hash operator class): 42804 at registration, not at a run.
CREATE FUNCTION spm_payout_internal.check_hashable(rel regclass, col name, what text, t regtype) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('SELECT spm.fingerprint(NULL::%s)', t);
EXCEPTION WHEN undefined_function THEN
    RAISE EXCEPTION USING ERRCODE = '42804',
        MESSAGE = format('column %I of relation %s has type %s, which has no hash function', col, rel, t),
        DETAIL = format('%s is fingerprinted by payout runs.', what),
        HINT = 'Register a view that casts the column to text.';
END $$;
COMMENT ON FUNCTION spm_payout_internal.check_hashable(regclass, name, text, regtype) IS
    'raises 42804 if a column''s type has no hash function (runs fingerprint it)';

-- A registered relation: not temporary (it would vanish, and could shadow
-- another), of a kind that can be read, and readable by the registering role.
CREATE FUNCTION spm_payout_internal.check_relation(rel regclass, what text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c record;
BEGIN
    IF rel IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '23502', MESSAGE = format('%s must not be NULL', what);
    END IF;
    SELECT relkind, relpersistence INTO c FROM pg_class WHERE oid = rel;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '42P01', MESSAGE = format('relation with OID %s does not exist', rel::oid);
    END IF;
    IF c.relpersistence = 't' THEN
        RAISE EXCEPTION USING ERRCODE = '42809',
            MESSAGE = format('%s %s is a temporary relation', what, rel),
            HINT = 'Register a permanent table or view.';
    END IF;
    IF c.relkind NOT IN ('r', 'v', 'm', 'p', 'f') THEN
        RAISE EXCEPTION USING ERRCODE = '42809', MESSAGE = format('%s %s is not a table or view', what, rel);
    END IF;
END $$;
COMMENT ON FUNCTION spm_payout_internal.check_relation(regclass, text) IS
    'refuses (42809) temporary relations and relations that are not tables, views or foreign tables';

-- Column mappings are checked when they are written (catalog rows: rare).
CREATE FUNCTION spm_payout_internal.check_mapping() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN NEW;
    END IF;
    PERFORM spm_payout_internal.check_relation(NEW.relation, 'relation');
    IF TG_TABLE_NAME = 'source' THEN
        PERFORM spm_payout_internal.check_hashable(NEW.relation, NEW.rep_column, 'rep_column',
            spm_payout_internal.check_column(NEW.relation, NEW.rep_column, 'rep_column'));
        PERFORM spm_payout_internal.check_hashable(NEW.relation, NEW.deal_column, 'deal_column',
            spm_payout_internal.check_column(NEW.relation, NEW.deal_column, 'deal_column'));
        PERFORM spm_payout_internal.check_column(NEW.relation, NEW.amount_column, 'amount_column',
                                                 '{numeric,integer,bigint,smallint}');
        PERFORM spm_payout_internal.check_column(NEW.relation, NEW.date_column, 'date_column',
                                                 '{date,"timestamp without time zone","timestamp with time zone"}');
        IF NEW.filter_column IS NOT NULL THEN
            PERFORM spm_payout_internal.check_column(NEW.relation, NEW.filter_column, 'filter_column');
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = NEW.time_zone)
           AND NOT EXISTS (SELECT 1 FROM pg_timezone_abbrevs WHERE abbrev = NEW.time_zone) THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('time zone %L is not known', NEW.time_zone),
                HINT = 'Use a name from pg_timezone_names, e.g. ''UTC'' or ''Europe/Paris''.';
        END IF;
    ELSIF TG_TABLE_NAME = 'split_rule' THEN
        PERFORM spm_payout_internal.check_column(NEW.relation, NEW.deal_column, 'deal_column');
        PERFORM spm_payout_internal.check_hashable(NEW.relation, NEW.rep_column, 'rep_column',
            spm_payout_internal.check_column(NEW.relation, NEW.rep_column, 'rep_column'));
        PERFORM spm_payout_internal.check_column(NEW.relation, NEW.weight_column, 'weight_column',
                                                 '{numeric,integer,bigint,smallint}');
    ELSE
        PERFORM spm_payout_internal.check_column(NEW.relation, NEW.rep_column, 'rep_column');
        PERFORM spm_payout_internal.check_column(NEW.relation, NEW.manager_column, 'manager_column');
        PERFORM spm_payout_internal.check_column(NEW.relation, NEW.valid_column, 'valid_column', '{daterange}');
        IF NEW.override_rates IS NOT NULL AND (array_ndims(NEW.override_rates) <> 1
               OR EXISTS (SELECT 1 FROM unnest(NEW.override_rates) r WHERE r IS NULL OR r < 0 OR r = 'NaN' OR r = 'Infinity')) THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = 'override_rates must be a one-dimensional array of finite rates >= 0 without NULLs';
        END IF;
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION spm_payout_internal.check_mapping() IS
    'trigger: checks that a registered relation is permanent and readable and that its mapped columns exist with usable types';
CREATE TRIGGER source_check BEFORE INSERT OR UPDATE ON spm_payout.source
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.check_mapping();
CREATE TRIGGER split_rule_check BEFORE INSERT OR UPDATE ON spm_payout.split_rule
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.check_mapping();
CREATE TRIGGER hierarchy_rule_check BEFORE INSERT OR UPDATE ON spm_payout.hierarchy_rule
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.check_mapping();

-- Rows bound to a pay period (quotas, adjustments) lock the period row
-- (FOR SHARE) before checking it is open, so a concurrent close waits for
-- them, or they wait for the close and then see the period closed.
CREATE FUNCTION spm_payout_internal.reject_closed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    pid integer;
    p   record;
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    FOREACH pid IN ARRAY ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.period_id END,
                               CASE WHEN TG_OP <> 'DELETE' THEN NEW.period_id END] LOOP
        SELECT label, status INTO p FROM spm_payout.pay_period WHERE period_id = pid FOR SHARE;
        IF p.status = 'closed' THEN
            RAISE EXCEPTION USING ERRCODE = '55000',
                MESSAGE = format('pay period %s is closed', p.label),
                HINT = 'Book the change in an open period.';
        END IF;
    END LOOP;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.reject_closed() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.reject_closed() IS
    'trigger: locks the pay period row and refuses (55000) changes to rows of a closed period';
CREATE TRIGGER quota_closed BEFORE INSERT OR UPDATE OR DELETE ON spm_payout.quota
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.reject_closed();
CREATE TRIGGER adjustment_closed BEFORE INSERT OR UPDATE OR DELETE ON spm_payout.adjustment
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.reject_closed();

-- A closed period stays closed (and is not deleted).
CREATE FUNCTION spm_payout_internal.keep_closed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF OLD.status = 'closed' AND (TG_OP = 'DELETE' OR NEW IS DISTINCT FROM OLD) THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('pay period %s is closed', OLD.label),
            DETAIL = 'A closed pay period cannot be reopened, changed or deleted.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
COMMENT ON FUNCTION spm_payout_internal.keep_closed() IS
    'trigger: a closed pay period cannot be reopened, changed or deleted (55000)';
CREATE TRIGGER pay_period_keep_closed BEFORE UPDATE OR DELETE ON spm_payout.pay_period
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.keep_closed();
CREATE FUNCTION spm_payout_internal.open_on_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.status <> 'open' AND NOT spm_payout_internal.restoring() THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('pay period %s must be created open', NEW.label);
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION spm_payout_internal.open_on_insert() IS 'trigger: new pay periods are open (55000 otherwise)';
CREATE TRIGGER pay_period_open_on_insert BEFORE INSERT ON spm_payout.pay_period
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.open_on_insert();

-- ---- src/payout/20_results.sql
-- spm_payout, part 2: results (docs/payout.md, "Results").
--
-- Written only by the run (spm_payout_internal.store_run, as the extension
-- owner): no role is granted INSERT, UPDATE, DELETE or TRUNCATE on them, so
-- they need no per-row triggers or foreign keys, and a closed period's rows
-- are frozen because the run refuses closed periods.  Deal-level credit
-- rows are partitioned by the period they are booked in: a rerun replaces
-- its period's partition with TRUNCATE instead of deleting row by row.

CREATE TABLE spm_payout.run (
    run_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id       integer NOT NULL REFERENCES spm_payout.pay_period,
    status          text NOT NULL CHECK (status IN ('succeeded', 'failed')),
    run_by          text NOT NULL,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL,
    credit_rows     bigint,
    lines           integer,
    reps            integer,
    examined        text[],
    changed         text[],
    input_fingerprint text,
    failed_phase    text,
    error_sqlstate  text,
    error_message   text
);
CREATE INDEX run_period ON spm_payout.run (period_id, run_id);
COMMENT ON TABLE spm_payout.run IS
    'one row per payout run, succeeded or failed: who, when, period, row counts, which closed periods were examined and which changed, the fingerprint of its inputs';

CREATE TABLE spm_payout.run_phase (
    run_id   bigint NOT NULL REFERENCES spm_payout.run ON DELETE CASCADE,
    step     integer NOT NULL,
    phase    text NOT NULL,
    rows     bigint NOT NULL,
    ms       numeric NOT NULL,
    PRIMARY KEY (run_id, step)
);
COMMENT ON TABLE spm_payout.run_phase IS 'each phase of a run (stage, credits, closed periods, lines, draws, write) with its row count and milliseconds';

CREATE TABLE spm_payout.credit_line (
    period_id     integer NOT NULL,
    for_period_id integer NOT NULL,
    version_id    integer,
    source_id     integer NOT NULL,
    deal_date     date NOT NULL,
    depth         smallint NOT NULL,
    via           text NOT NULL,
    rep           text NOT NULL,
    deal          text,
    from_rep      text,
    amount        numeric NOT NULL
) PARTITION BY LIST (period_id);
-- No index and no check constraint: the run is the only writer ('direct',
-- 'split' or 'rollup' in via), and it finds the partitions holding late
-- rows of a period through period_check.
COMMENT ON TABLE spm_payout.credit_line IS
    'what was credited to whom, deal by deal, in the period it is booked in (one partition per period, written by the period''s latest run); rows with for_period_id <> period_id are late changes to a closed period, booked as differences';

-- A period whose partition was opened for the caller's writes (open_credit)
-- and not yet taken back by store_run: only ever inside a run, unless
-- open_credit was called on its own; then the period cannot be closed
-- until a complete run rewrites its credit.
CREATE TABLE spm_payout.credit_open (
    period_id  integer PRIMARY KEY,
    opened_by  text NOT NULL,
    opened_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE spm_payout.credit_open IS
    'pay periods whose credit partition is open for a run''s writes (a row outside a run blocks the close until the period is run again)';

-- What each computation of a period credited per rep and plan version, in
-- full: the latest computation of a period (highest run_id) is what later
-- periods of the plan year accumulate on.
CREATE TABLE spm_payout.period_credit (
    run_id        bigint NOT NULL,
    period_id     integer NOT NULL,
    for_period_id integer NOT NULL,
    rep           text NOT NULL,
    version_id    integer,
    credited      numeric NOT NULL,
    deals         bigint NOT NULL,
    quota         numeric,
    target        numeric,
    assigned      boolean NOT NULL,
    no_quota      boolean NOT NULL
);
CREATE INDEX period_credit_for ON spm_payout.period_credit (for_period_id, run_id);
CREATE INDEX period_credit_booked ON spm_payout.period_credit (period_id);
COMMENT ON TABLE spm_payout.period_credit IS
    'credit, prorated quota and target incentive per rep and plan version of a period (for_period_id) as computed by a run of period_id: the period itself, or a changed closed period';

-- The fingerprint of a period's inputs at each computation of it.
CREATE TABLE spm_payout.period_check (
    run_id        bigint NOT NULL,
    period_id     integer NOT NULL,
    for_period_id integer NOT NULL,
    fingerprint   text NOT NULL,
    changed       boolean NOT NULL,
    PRIMARY KEY (period_id, for_period_id)
);
CREATE INDEX period_check_for ON spm_payout.period_check (for_period_id, run_id);
COMMENT ON TABLE spm_payout.period_check IS
    'which periods a run of period_id examined, the fingerprint of their inputs then, and whether they had changed';

CREATE TABLE spm_payout.payout_line (
    line_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id             bigint NOT NULL,
    period_id          integer NOT NULL,
    for_period_id      integer NOT NULL,
    rep                text NOT NULL,
    plan_id            integer,
    version_id         integer,
    line_kind          text NOT NULL CHECK (line_kind IN ('commission', 'prior_year', 'manual')),
    credited           numeric,
    late_credit        numeric,
    credited_to_date   numeric,
    quota_to_date      numeric,
    attainment_to_date numeric,
    earned_to_date     numeric,
    paid_before        numeric,
    earned             numeric NOT NULL,
    cause              jsonb
);
CREATE INDEX payout_line_period ON spm_payout.payout_line (period_id, rep);
CREATE INDEX payout_line_rep ON spm_payout.payout_line (rep);
COMMENT ON TABLE spm_payout.payout_line IS
    'earnings lines of a period: commission per rep and plan version (earned to date minus paid before in the plan year), prior-year corrections, manual adjustments';

CREATE TABLE spm_payout.payout_summary (
    run_id     bigint NOT NULL,
    period_id  integer NOT NULL,
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
CREATE INDEX payout_summary_rep ON spm_payout.payout_summary (rep);
COMMENT ON TABLE spm_payout.payout_summary IS
    'per rep and period: total earned, the draw ledger (spm.draw_ledger carried from the previous period) and the payout';

-- A plan version that paid a closed period is history: only its end date
-- may move, and not before the end of the last closed period it paid.
CREATE FUNCTION spm_payout_internal.keep_used_version() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    last_closed date;
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    SELECT max(upper(p.period)) INTO last_closed
      FROM spm_payout.payout_line l JOIN spm_payout.pay_period p ON p.period_id = l.period_id
     WHERE l.version_id = OLD.version_id AND p.status = 'closed';
    IF last_closed IS NULL THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE'
       OR (NEW.plan_id, NEW.version, NEW.schedule::text, NEW.base, NEW.target_incentive, lower(NEW.valid), lower_inf(NEW.valid))
          IS DISTINCT FROM (OLD.plan_id, OLD.version, OLD.schedule::text, OLD.base, OLD.target_incentive, lower(OLD.valid), lower_inf(OLD.valid))
       OR (NOT upper_inf(NEW.valid) AND upper(NEW.valid) < last_closed) THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('plan version %s paid a closed pay period', OLD.version_id),
            DETAIL = format('Only its end date may change, and not before %s.', to_char(last_closed, 'YYYY-MM-DD')),
            HINT = 'End this version and add a new one (plan_version with the next version number).';
    END IF;
    RETURN NEW;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.keep_used_version() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.keep_used_version() IS
    'trigger: a plan version used by a closed period cannot be edited or deleted, only ended (55000)';
CREATE TRIGGER plan_version_keep_used BEFORE UPDATE OR DELETE ON spm_payout.plan_version
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.keep_used_version();

-- ---- src/payout/30_stage.sql
-- spm_payout, part 3: reading the user's tables (docs/payout.md, "How a run
-- reads your tables").
--
-- Everything here runs with the rights of the role that calls the run
-- (SECURITY INVOKER): a run never reads a table, or calls a function of a
-- view, with more rights than that role has.  What it reads is copied into
-- temporary tables of fixed shape (pg_temp.spm_stage_*), which the
-- computation (store_run, part 4) checks and reads.

-- Drops a run's work table left by an earlier run in this transaction
-- (they last until commit).  One left by another role cannot be dropped:
-- say so plainly instead of "must be owner".
CREATE FUNCTION spm_payout_internal.drop_work_table(name text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rel regclass := to_regclass(format('pg_temp.%I', name));
BEGIN
    IF rel IS NULL THEN
        RETURN;
    END IF;
    IF NOT pg_has_role((SELECT c.relowner FROM pg_class c WHERE c.oid = rel), 'USAGE') THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('a payout run by another role earlier in this transaction left pg_temp.%I', name),
            HINT = 'Run payouts as different roles in different transactions.';
    END IF;
    EXECUTE format('DROP TABLE %s', rel);
END $$;
COMMENT ON FUNCTION spm_payout_internal.drop_work_table(text) IS
    'internal: drops a temporary work table of an earlier run in this transaction (55000 if another role''s)';

-- The date expression of a source column: a timestamptz is read in the
-- source's time zone, never in the session's; the bounds are written so an
-- index on the column can serve them.  Callers splice the bounds as ISO
-- text (to_char(d, 'YYYY-MM-DD')), which every DateStyle reads back alike.
CREATE FUNCTION spm_payout_internal.date_expr(s spm_payout.source, alias text, OUT expr text, OUT lo text, OUT hi text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t regtype;
BEGIN
    SELECT a.atttypid::regtype INTO t FROM pg_attribute a
     WHERE a.attrelid = s.relation AND a.attname = s.date_column AND NOT a.attisdropped;
    IF t = 'timestamp with time zone'::regtype THEN
        expr := format('(%s.%I AT TIME ZONE %L)::date', alias, s.date_column, s.time_zone);
        lo := format('%s.%I >= (%%1$L::timestamp AT TIME ZONE %L)', alias, s.date_column, s.time_zone);
        hi := format('%s.%I < (%%1$L::timestamp AT TIME ZONE %L)', alias, s.date_column, s.time_zone);
    ELSIF t = 'timestamp without time zone'::regtype THEN
        expr := format('(%s.%I)::date', alias, s.date_column);
        lo := format('%s.%I >= %%1$L::timestamp', alias, s.date_column);
        hi := format('%s.%I < %%1$L::timestamp', alias, s.date_column);
    ELSE
        expr := format('%s.%I', alias, s.date_column);
        lo := format('%s.%I >= %%1$L::date', alias, s.date_column);
        hi := format('%s.%I < %%1$L::date', alias, s.date_column);
    END IF;
END $$;
COMMENT ON FUNCTION spm_payout_internal.date_expr(spm_payout.source, text) IS
    'internal: SQL for a source''s deal date (in the source''s time zone) and its range bounds';

-- Every registered relation still exists (a table may be dropped after it
-- was registered).
CREATE FUNCTION spm_payout_internal.check_registered() RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s record;
BEGIN
    SELECT x.what INTO s FROM (
        SELECT format('source %s', o.name) AS what, o.relation FROM spm_payout.source o
        UNION ALL SELECT format('split rule of source %s', r.source_id), r.relation FROM spm_payout.split_rule r
        UNION ALL SELECT 'hierarchy rule', hr.relation FROM spm_payout.hierarchy_rule hr) x
     WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = x.relation) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '42P01',
            MESSAGE = format('the table of %s no longer exists', s.what),
            HINT = 'Update or delete the registration in the spm_payout catalog.';
    END IF;
END $$;
COMMENT ON FUNCTION spm_payout_internal.check_registered() IS
    'internal: 42P01 if a registered relation was dropped';

-- SQL reading one source over [lo, hi): source_id, deal, rep, amount,
-- deal_date.
CREATE FUNCTION spm_payout_internal.source_sql(s spm_payout.source, range_lo date, range_hi date)
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d  record;
BEGIN
    d := spm_payout_internal.date_expr(s, 's');
    RETURN format('SELECT %s AS source_id, (s.%I)::text AS deal, (s.%I)::text AS rep, (s.%I)::numeric AS amount,
                          %s AS deal_date
                     FROM %s s
                    WHERE %s AND %s %s',
                  s.source_id, s.deal_column, s.rep_column, s.amount_column, d.expr, s.relation,
                  format(d.lo, to_char(range_lo, 'YYYY-MM-DD')), format(d.hi, to_char(range_hi, 'YYYY-MM-DD')),
                  CASE WHEN s.filter_column IS NULL THEN ''
                       ELSE format('AND (s.%I)::text = ANY (%L::text[])', s.filter_column, s.filter_values) END);
END $$;
COMMENT ON FUNCTION spm_payout_internal.source_sql(spm_payout.source, date, date) IS
    'internal: the SELECT reading one registered source over a date range';

-- The fingerprint of each period's inputs, one text per period: its source
-- rows with their split rows, the hierarchy rows, assignments and plan
-- versions in force during it (their ranges cut to the period: ending a
-- version after a closed period does not change that period), its quotas
-- and adjustments, the draws that touch it, and the registrations (by
-- schema-qualified name, not OID: OIDs change when a dump is restored).
-- Source rows are hashed from their binary column values by spm.fingerprint
-- (DateStyle and TimeZone change nothing; the date is taken in the source's
-- time zone), with one scan per source over all the periods at once (an
-- aggregate PostgreSQL may run in parallel).
CREATE FUNCTION spm_payout_internal.fingerprints(periods integer[])
RETURNS TABLE (period_id integer, fingerprint text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s      spm_payout.source;
    sp     spm_payout.split_rule;
    de     record;
    bounds date[];
    ids    integer[];
    js     jsonb[] := '{}';
    j      jsonb;
BEGIN
    IF cardinality(periods) IS NULL OR cardinality(periods) = 0 THEN
        RETURN;
    END IF;
    -- bucket bounds: every start and end; a bucket between two periods maps to NULL
    SELECT array_agg(b ORDER BY b) INTO bounds
      FROM (SELECT lower(p.period) AS b FROM spm_payout.pay_period p WHERE p.period_id = ANY (periods)
            UNION SELECT upper(p.period) FROM spm_payout.pay_period p WHERE p.period_id = ANY (periods)) x;
    SELECT array_agg((SELECT p.period_id FROM spm_payout.pay_period p
                       WHERE p.period_id = ANY (periods) AND lower(p.period) = bounds[i]) ORDER BY i)
      INTO ids FROM generate_series(1, cardinality(bounds) - 1) i;
    FOR s IN SELECT * FROM spm_payout.source ORDER BY source_id LOOP
        de := spm_payout_internal.date_expr(s, 's');
        SELECT * INTO sp FROM spm_payout.split_rule r WHERE r.source_id = s.source_id;
        EXECUTE format('SELECT jsonb_object_agg(x.pid, x.fp) FROM (
                          SELECT ($1)[width_bucket(%1$s, $2)] AS pid,
                                 spm.fingerprint(s.%2$I, s.%3$I, s.%4$I, %1$s%5$s) AS fp
                            FROM %6$s s %7$s
                           WHERE %8$s AND %9$s %10$s
                           GROUP BY 1) x WHERE x.pid IS NOT NULL',
                       de.expr, s.deal_column, s.rep_column, s.amount_column,
                       CASE WHEN sp.source_id IS NULL THEN ''
                            ELSE format(', t.%I, t.%I', sp.rep_column, sp.weight_column) END,
                       s.relation,
                       CASE WHEN sp.source_id IS NULL THEN ''
                            ELSE format('LEFT JOIN %s t ON (t.%I)::text = (s.%I)::text',
                                        sp.relation, sp.deal_column, s.deal_column) END,
                       format(de.lo, to_char(bounds[1], 'YYYY-MM-DD')),
                       format(de.hi, to_char(bounds[cardinality(bounds)], 'YYYY-MM-DD')),
                       CASE WHEN s.filter_column IS NULL THEN ''
                            ELSE format('AND (s.%I)::text = ANY (%L::text[])', s.filter_column, s.filter_values) END)
           INTO j USING ids, bounds;
        js := js || coalesce(j, '{}');
    END LOOP;
    RETURN QUERY
    SELECT p.period_id, concat_ws('|',
             (SELECT string_agg(coalesce(u.j ->> p.period_id::text, '-'), ',' ORDER BY u.i)
                FROM unnest(js) WITH ORDINALITY u(j, i)),
             (SELECT spm.fingerprint(o.rep, o.manager, o.valid * p.period) FROM pg_temp.spm_stage_org o WHERE o.valid && p.period),
             (SELECT spm.fingerprint(a.rep, a.plan_id, a.valid * p.period) FROM spm_payout.assignment a WHERE a.valid && p.period),
             (SELECT spm.fingerprint(v.version_id, v.plan_id, v.valid * p.period, v.schedule::text, v.base, v.target_incentive, pl.year_start_month)
                FROM spm_payout.plan_version v JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id WHERE v.valid && p.period),
             (SELECT spm.fingerprint(q.rep, q.amount) FROM spm_payout.quota q WHERE q.period_id = p.period_id),
             (SELECT spm.fingerprint(a.adjustment_id, a.rep, a.amount) FROM spm_payout.adjustment a WHERE a.period_id = p.period_id),
             (SELECT spm.fingerprint(d.draw_id, d.rep, d.kind, d.amount, d.recovery_limit, d.term, d.forgive_at_end)
                FROM spm_payout.draw_agreement d WHERE d.term && p.period),
             (SELECT spm.fingerprint(r.source_id, r.relation::text, r.rep_column::text, r.deal_column::text, r.amount_column::text,
                                     r.date_column::text, r.time_zone, r.filter_column::text, r.filter_values::text)
                FROM spm_payout.source r),
             (SELECT spm.fingerprint(r.source_id, r.relation::text, r.deal_column::text, r.rep_column::text, r.weight_column::text)
                FROM spm_payout.split_rule r),
             (SELECT spm.fingerprint(h.relation::text, h.rep_column::text, h.manager_column::text, h.valid_column::text,
                                     h.override_rates::text) FROM spm_payout.hierarchy_rule h))
      FROM spm_payout.pay_period p WHERE p.period_id = ANY (periods);
END $$;
COMMENT ON FUNCTION spm_payout_internal.fingerprints(integer[]) IS
    'internal: the fingerprint of every input of each period (source rows and splits, hierarchy, assignments, plan versions, quotas, adjustments, draws, registrations)';

-- The deal-level credit rows of one source over one pay period, read from
-- the registered tables with the caller's rights: direct or split credit
-- per rep, rolled up along pg_temp.spm_chain (build_chains), with the plan
-- version of the credited person (docs/payout.md, "Rules").
CREATE FUNCTION spm_payout_internal.source_credit_sql(s spm_payout.source, p spm_payout.pay_period, rates numeric[])
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    sp   spm_payout.split_rule;
    base text;
    src  text := spm_payout_internal.source_sql(s, lower(p.period), upper(p.period));
BEGIN
    SELECT * INTO sp FROM spm_payout.split_rule r WHERE r.source_id = s.source_id;
    IF NOT FOUND THEN
        base := format('SELECT x.source_id, x.deal, x.deal_date, x.rep, ''direct'' AS via, x.amount FROM (%s) x', src);
    ELSE
        base := format($b$
            WITH d AS (SELECT x.*, row_number() OVER () AS row_id FROM (%1$s) x),
                 t AS (SELECT (t.%3$I)::text AS deal, (t.%4$I)::text AS rep, (t.%5$I)::numeric AS weight FROM %2$s t
                        WHERE (t.%3$I)::text IN (SELECT d.deal FROM d))
            SELECT d.source_id, d.deal, d.deal_date, d.rep, 'direct' AS via, d.amount
              FROM d WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.deal = d.deal)
            UNION ALL
            SELECT d.source_id, d.deal, d.deal_date, t.rep, 'split',
                   spm.split_share(d.amount, t.weight) OVER (PARTITION BY d.row_id ORDER BY t.rep)
              FROM d JOIN t ON t.deal = d.deal$b$,
            src, sp.relation, sp.deal_column, sp.rep_column, sp.weight_column);
    END IF;
    RETURN format($q$
        SELECT %1$s AS period_id, %1$s AS for_period_id, c.version_id, d.source_id, d.deal_date,
               coalesce(c.depth, 0)::smallint AS depth, CASE WHEN c.depth > 0 THEN 'rollup' ELSE d.via END AS via,
               coalesce(c.ancestor, d.rep) AS rep, d.deal, CASE WHEN c.depth > 0 THEN d.rep END AS from_rep,
               %2$s AS amount
          FROM (%3$s) d
          LEFT JOIN pg_temp.spm_chain c ON c.rep = d.rep AND c.valid @> d.deal_date$q$,
        p.period_id,
        CASE WHEN rates IS NULL THEN 'd.amount'
             ELSE format('CASE WHEN c.depth > 0 THEN d.amount * coalesce((%L::numeric[])[c.depth], 0) ELSE d.amount END', rates) END,
        base);
END $$;
COMMENT ON FUNCTION spm_payout_internal.source_credit_sql(spm_payout.source, spm_payout.pay_period, numeric[]) IS
    'internal: the SELECT computing the deal-level credit rows of one source over one pay period, from the registered tables';

-- Writes the deal-level credit of a pay period into its partition (opened
-- by open_credit), source by source, with the caller's rights.  A NULL rep
-- or amount is reported naming the source and the deal.
CREATE FUNCTION spm_payout_internal.write_credits(p spm_payout.pay_period, part text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s     spm_payout.source;
    h     spm_payout.hierarchy_rule;
    bad   record;
    n     bigint := 0;
    k     bigint;
BEGIN
    SELECT * INTO h FROM spm_payout.hierarchy_rule;
    FOR s IN SELECT * FROM spm_payout.source ORDER BY source_id LOOP
        BEGIN
            EXECUTE format('INSERT INTO %s (period_id, for_period_id, version_id, source_id, deal_date, depth,
                                            via, rep, deal, from_rep, amount) %s',
                           part, spm_payout_internal.source_credit_sql(s, p, h.override_rates));
            GET DIAGNOSTICS k = ROW_COUNT;
            n := n + k;
        EXCEPTION WHEN not_null_violation THEN
            EXECUTE format('SELECT x.deal, CASE WHEN x.rep IS NULL THEN ''rep'' ELSE ''amount'' END AS col
                              FROM (%s) x WHERE x.rep IS NULL OR x.amount IS NULL LIMIT 1',
                           spm_payout_internal.source_sql(s, lower(p.period), upper(p.period))) INTO bad;
            RAISE EXCEPTION USING ERRCODE = '23502',
                MESSAGE = format('source %s: deal %s has a NULL %s', s.name, coalesce(bad.deal, 'NULL'), coalesce(bad.col, 'rep')),
                HINT = 'Fix the row, or filter it out of the source (filter_column).';
        END;
    END LOOP;
    RETURN n;
END $$;
COMMENT ON FUNCTION spm_payout_internal.write_credits(spm_payout.pay_period, text) IS
    'internal: writes the deal-level credit of a pay period into its partition of credit_line, with the caller''s rights';

-- Appends the source rows of some periods and their split rows to
-- pg_temp.spm_stage_deal / _split.  Rows with a NULL rep or amount, or an
-- infinite amount, are refused naming the source and the deal.
CREATE FUNCTION spm_payout_internal.stage_more(periods integer[]) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s   spm_payout.source;
    sp  spm_payout.split_rule;
    p   spm_payout.pay_period;
    bad record;
    n0  bigint;
    n   bigint;
    k   bigint;
BEGIN
    SELECT coalesce(max(d.row_id), 0) INTO n0 FROM pg_temp.spm_stage_deal d;
    n := n0;
    FOR s IN SELECT * FROM spm_payout.source ORDER BY source_id LOOP
        SELECT * INTO sp FROM spm_payout.split_rule r WHERE r.source_id = s.source_id;
        FOR p IN SELECT * FROM spm_payout.pay_period pp WHERE pp.period_id = ANY (periods) ORDER BY lower(pp.period) LOOP
            -- row_id numbers the rows a split shares out (none without a split rule)
            EXECUTE format('INSERT INTO pg_temp.spm_stage_deal (row_id, period_id, source_id, deal, rep, amount, deal_date)
                            SELECT %s, %s, x.source_id, x.deal, x.rep, x.amount, x.deal_date FROM (%s) x',
                           CASE WHEN sp.source_id IS NULL THEN 'NULL::bigint' ELSE format('%s + row_number() OVER ()', n) END,
                           p.period_id, spm_payout_internal.source_sql(s, lower(p.period), upper(p.period)));
            GET DIAGNOSTICS k = ROW_COUNT;
            n := n + k;
        END LOOP;
        IF sp.source_id IS NOT NULL THEN
            EXECUTE format('INSERT INTO pg_temp.spm_stage_split (source_id, deal, rep, weight)
                            SELECT %1$s, (t.%2$I)::text, (t.%3$I)::text, (t.%4$I)::numeric FROM %5$s t
                             WHERE (t.%2$I)::text IN (SELECT d.deal FROM pg_temp.spm_stage_deal d
                                                       WHERE d.source_id = %1$s AND d.period_id = ANY (%6$L::integer[]))
                               AND (t.%2$I)::text NOT IN (SELECT x.deal FROM pg_temp.spm_stage_split x
                                                           WHERE x.source_id = %1$s AND x.deal IS NOT NULL)',
                           s.source_id, sp.deal_column, sp.rep_column, sp.weight_column, sp.relation, periods);
        END IF;
    END LOOP;

    SELECT o.name, d.deal, d.rep, d.amount INTO bad
      FROM pg_temp.spm_stage_deal d JOIN spm_payout.source o ON o.source_id = d.source_id
     WHERE d.period_id = ANY (periods) AND (d.rep IS NULL OR d.amount IS NULL OR d.amount IN ('NaN', 'Infinity', '-Infinity')) LIMIT 1;
    IF FOUND AND (bad.rep IS NULL OR bad.amount IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = '23502',
            MESSAGE = format('source %s: deal %s has a NULL %s', bad.name, coalesce(bad.deal, 'NULL'),
                             CASE WHEN bad.rep IS NULL THEN 'rep' ELSE 'amount' END),
            HINT = 'Fix the row, or filter it out of the source (filter_column).';
    ELSIF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('source %s: deal %s has amount %s', bad.name, coalesce(bad.deal, 'NULL'), bad.amount);
    END IF;
    SELECT o.name, d.deal INTO bad
      FROM pg_temp.spm_stage_split d JOIN spm_payout.source o ON o.source_id = d.source_id
     WHERE d.rep IS NULL OR d.weight IS NULL OR d.weight < 0 OR d.weight IN ('NaN', 'Infinity') LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('split rule of source %s: deal %s has a split row with a NULL rep or a NULL, negative or infinite weight',
                             bad.name, coalesce(bad.deal, 'NULL'));
    END IF;
    RETURN n - n0;
END $$;
COMMENT ON FUNCTION spm_payout_internal.stage_more(integer[]) IS
    'internal: appends the source rows of some pay periods and their split rows to the stage, with the caller''s rights';

-- Creates the (empty) stage tables and reads the hierarchy into
-- pg_temp.spm_stage_org, checked; stage_more adds source rows.
CREATE FUNCTION spm_payout_internal.stage() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h   spm_payout.hierarchy_rule;
    bad record;
BEGIN
    PERFORM spm_payout_internal.check_registered();
    PERFORM spm_payout_internal.drop_work_table(t) FROM unnest(ARRAY['spm_stage_deal', 'spm_stage_split', 'spm_stage_org']) t;
    CREATE TEMP TABLE spm_stage_deal (row_id bigint, period_id integer, source_id integer, deal text,
                                      rep text, amount numeric, deal_date date) ON COMMIT DROP;
    CREATE TEMP TABLE spm_stage_split (source_id integer, deal text, rep text, weight numeric) ON COMMIT DROP;
    CREATE TEMP TABLE spm_stage_org (rep text, manager text, valid daterange) ON COMMIT DROP;

    SELECT * INTO h FROM spm_payout.hierarchy_rule;
    IF FOUND THEN
        EXECUTE format('INSERT INTO pg_temp.spm_stage_org SELECT (%I)::text, (%I)::text, %I FROM %s',
                       h.rep_column, h.manager_column, h.valid_column, h.relation);
        SELECT o.rep, o.valid INTO bad FROM pg_temp.spm_stage_org o WHERE o.rep IS NULL OR o.valid IS NULL LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('hierarchy rule: a row of %s has a NULL rep or a NULL valid range (rep %s)',
                                 h.relation, coalesce(bad.rep, 'NULL')),
                HINT = 'Use ''(,)'' for a range without bounds.';
        END IF;
        SELECT x.rep, x.p, x.v INTO bad
          FROM (SELECT o.rep, o.valid AS v, lag(o.valid) OVER (PARTITION BY o.rep ORDER BY o.valid) AS p
                  FROM pg_temp.spm_stage_org o WHERE NOT isempty(o.valid)) x
         WHERE x.p && x.v LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('hierarchy rule: the ranges of rep %s overlap: %s and %s', bad.rep, bad.p, bad.v),
                HINT = 'A rep has one manager on any date; end one range where the next begins.';
        END IF;
    END IF;
END $$;
COMMENT ON FUNCTION spm_payout_internal.stage() IS
    'internal: creates the stage (temporary tables) and reads the hierarchy into it, with the caller''s rights';

-- ---- src/payout/40_compute.sql
-- spm_payout, part 4: the computation (docs/payout.md, "How a run computes").
--
-- store_run runs as the extension owner (SECURITY DEFINER) because it
-- writes the result tables, which no other role may write.  It reads only
-- spm_payout's own tables and the staged temporary tables, after checking
-- that they are plain temporary tables of this session with exactly the
-- expected columns (no view, trigger, rule, index or policy that could run
-- code of the caller's as the owner).  Everything is set-based: no per-row
-- trigger, no per-row PL/pgSQL, no foreign-key check on result rows.

CREATE FUNCTION spm_payout_internal.check_stage() RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t     record;
    shape text;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('spm_stage_deal',  'row_id bigint, period_id integer, source_id integer, deal text, rep text, amount numeric, deal_date date'),
        ('spm_stage_split', 'source_id integer, deal text, rep text, weight numeric'),
        ('spm_stage_org',   'rep text, manager text, valid daterange'),
        ('spm_stage_check', 'period_id integer, fingerprint text, changed boolean'),
        ('spm_chain',       'rep text, ancestor text, depth integer, valid daterange, version_id integer')) v(name, cols)
    LOOP
        SELECT string_agg(format('%s %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum)
          INTO shape
          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relname = t.name AND c.relnamespace = pg_my_temp_schema()
           AND c.relkind = 'r' AND c.relpersistence = 't'
           AND NOT c.relhastriggers AND NOT c.relhasrules AND NOT c.relhasindex
           AND NOT c.relrowsecurity AND NOT c.relhassubclass AND NOT c.relispartition;
        IF shape IS DISTINCT FROM t.cols THEN
            RAISE EXCEPTION USING ERRCODE = '42809',
                MESSAGE = format('spm_payout: pg_temp.%s is not the table a run stages', t.name),
                HINT = 'Call spm_payout.run_payout; do not call internal functions directly.';
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION spm_payout_internal.check_stage() IS
    'internal: refuses (42809) staged temporary tables that are not exactly what a run creates';

-- The credit rows of the staged periods: direct and split credit per rep,
-- rolled up to every manager above the rep as of the deal date, each
-- matched to the plan version the credited person's assignment gives on
-- the deal date.  One hash join of the deals with pg_temp.spm_chain
-- (build_chains) does the roll-up and the plan lookup at once.
CREATE FUNCTION spm_payout_internal.credit_sql(periods integer[], rates numeric[], with_splits boolean) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $f$
    SELECT format($q$
        SELECT d.period_id, coalesce(c.ancestor, d.rep) AS rep, c.version_id, d.source_id, d.deal, d.deal_date,
               CASE WHEN c.depth > 0 THEN 'rollup' ELSE d.via END AS via,
               CASE WHEN c.depth > 0 THEN d.rep END AS from_rep, coalesce(c.depth, 0)::smallint AS depth,
               %2$s AS amount
          FROM (%3$s) d
          LEFT JOIN pg_temp.spm_chain c ON c.rep = d.rep AND c.valid @> d.deal_date
    $q$, periods,
       CASE WHEN rates IS NULL THEN 'd.amount'
            ELSE format('CASE WHEN c.depth > 0 THEN d.amount * coalesce((%L::numeric[])[c.depth], 0) ELSE d.amount END', rates) END,
       CASE WHEN NOT with_splits THEN
                format('SELECT s.period_id, s.source_id, s.deal, s.deal_date, s.rep, ''direct'' AS via, s.amount
                          FROM pg_temp.spm_stage_deal s WHERE s.period_id = ANY (%L::integer[])', periods)
            ELSE format($s$
                WITH d AS (SELECT * FROM pg_temp.spm_stage_deal WHERE period_id = ANY (%L::integer[]))
                SELECT d.period_id, d.source_id, d.deal, d.deal_date, d.rep, 'direct' AS via, d.amount
                  FROM d
                 WHERE NOT EXISTS (SELECT 1 FROM pg_temp.spm_stage_split s WHERE s.source_id = d.source_id AND s.deal = d.deal)
                UNION ALL
                SELECT d.period_id, d.source_id, d.deal, d.deal_date, s.rep, 'split',
                       spm.split_share(d.amount, s.weight) OVER (PARTITION BY d.row_id ORDER BY s.rep)
                  FROM d JOIN pg_temp.spm_stage_split s ON s.source_id = d.source_id AND s.deal = d.deal$s$, periods)
       END)
$f$;
COMMENT ON FUNCTION spm_payout_internal.credit_sql(integer[], numeric[], boolean) IS
    'internal: the SELECT computing the deal-level credit rows of staged periods (splits, roll-ups, plan versions)';

-- Who is credited for a rep's deal, over time: the rep itself (depth 0)
-- and every manager above it (depth 1, 2, ...) from the staged hierarchy,
-- each cut into the date ranges of the credited person's plan versions
-- (assignment range * version range; version NULL where none applies),
-- kept where they meet the staged periods.  A few rows per person, whatever
-- the number of deals.
CREATE FUNCTION spm_payout_internal.build_chains(periods integer[]) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n    bigint;
    bad  record;
    span daterange;
BEGIN
    SELECT range_merge(range_agg(p.period)) INTO span FROM spm_payout.pay_period p WHERE p.period_id = ANY (periods);
    PERFORM spm_payout_internal.drop_work_table('spm_chain');
    CREATE TEMP TABLE spm_chain ON COMMIT DROP AS
    WITH RECURSIVE up(rep, ancestor, depth, valid, path) AS (
        SELECT x.rep, x.rep, 0, '(,)'::daterange, ARRAY[x.rep]
          FROM (SELECT o.rep FROM pg_temp.spm_stage_org o UNION SELECT a.rep FROM spm_payout.assignment a
                UNION SELECT s.rep FROM pg_temp.spm_stage_split s) x
         WHERE x.rep IS NOT NULL
        UNION ALL
        SELECT up.rep, o.manager, up.depth + 1, up.valid * o.valid, up.path || o.manager
          FROM up JOIN pg_temp.spm_stage_org o ON o.rep = up.ancestor AND o.valid && up.valid
         WHERE o.manager IS NOT NULL AND NOT (o.manager = ANY (up.path)) AND up.depth < 100
    ), pieces AS (
        SELECT a.rep, a.valid * v.valid AS valid, v.version_id
          FROM spm_payout.assignment a JOIN spm_payout.plan_version v ON v.plan_id = a.plan_id AND v.valid && a.valid
    ), covered AS (
        SELECT p.rep, range_agg(p.valid) AS valid FROM pieces p GROUP BY p.rep
    ), cut AS (
        SELECT up.rep, up.ancestor, up.depth, up.valid * p.valid AS valid, p.version_id
          FROM up JOIN pieces p ON p.rep = up.ancestor AND p.valid && up.valid
        UNION ALL
        SELECT up.rep, up.ancestor, up.depth, g.r, NULL
          FROM up LEFT JOIN covered cv ON cv.rep = up.ancestor
         CROSS JOIN LATERAL unnest(up.valid::datemultirange - coalesce(cv.valid, '{}'::datemultirange)) g(r)
    )
    SELECT * FROM cut WHERE NOT isempty(valid) AND valid && span;
    GET DIAGNOSTICS n = ROW_COUNT;
    -- a cycle: a manager above itself
    SELECT o.rep, o.manager, o.valid INTO bad
      FROM pg_temp.spm_stage_org o
     WHERE o.rep = o.manager AND NOT isempty(o.valid)
        OR EXISTS (SELECT 1 FROM pg_temp.spm_chain c
                    WHERE c.ancestor = o.rep AND c.rep = o.manager AND c.depth > 0 AND c.valid && o.valid)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('hierarchy rule: the hierarchy has a cycle: %s reports to %s, who reports (directly or not) to %s, during %s',
                             bad.rep, bad.manager, bad.rep, bad.valid);
    END IF;
    ANALYZE pg_temp.spm_chain;
    RETURN n;
END $$;
COMMENT ON FUNCTION spm_payout_internal.build_chains(integer[]) IS
    'internal: who is credited for each person''s deals (itself and its managers) during some pay periods, with the plan version that applies (22023 on a cycle)';

-- A period's quota and target incentive per rep and plan version,
-- prorated (spm.prorate) to the days the rep is on the version: assignment
-- range * version range * period.  no_quota: a quota or attainment version
-- the rep is on without a quota for the period.
CREATE FUNCTION spm_payout_internal.period_parts(pid integer)
RETURNS TABLE (rep text, version_id integer, quota numeric, target numeric, no_quota boolean)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT a.rep, v.version_id,
           sum(spm.prorate(q.amount, k.period, k.period * a.valid * v.valid)),
           sum(spm.prorate(v.target_incentive, k.period, k.period * a.valid * v.valid)),
           bool_or(q.amount IS NULL AND v.base <> 'amount')
      FROM spm_payout.pay_period k
      JOIN spm_payout.assignment a ON a.valid && k.period
      JOIN spm_payout.plan_version v ON v.plan_id = a.plan_id AND v.valid && k.period AND v.valid && a.valid
      LEFT JOIN spm_payout.quota q ON q.rep = a.rep AND q.period_id = k.period_id
     WHERE k.period_id = pid AND NOT isempty(k.period * a.valid * v.valid)
     GROUP BY 1, 2
$$;
COMMENT ON FUNCTION spm_payout_internal.period_parts(integer) IS
    'internal: quota and target incentive of a period per rep and plan version, prorated to the days on the version';

-- What a computation of a period records per rep and plan version: its
-- credit and its quota parts.  credits: the period's partition of
-- credit_line (its column for_period_id), or pg_temp.spm_recalc (a
-- recomputed closed period, column period_id).
CREATE FUNCTION spm_payout_internal.record_period(run bigint, pid integer, for_pid integer, credits text, period_column name)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- totals first, into a temporary table: CREATE TABLE AS may scan in
    -- parallel, an INSERT ... SELECT never does
    IF to_regclass('pg_temp.spm_totals') IS NOT NULL THEN
        DROP TABLE pg_temp.spm_totals;
    END IF;
    EXECUTE format('CREATE TEMP TABLE spm_totals ON COMMIT DROP AS
                    SELECT x.rep, x.version_id, sum(x.amount) AS credited, count(*) AS deals
                      FROM %s x WHERE x.%I = %s GROUP BY 1, 2',
                   credits, period_column, for_pid);
    INSERT INTO spm_payout.period_credit (run_id, period_id, for_period_id, rep, version_id, credited, deals,
                                          quota, target, assigned, no_quota)
    SELECT run, pid, for_pid, coalesce(c.rep, q.rep), coalesce(c.version_id, q.version_id),
           coalesce(c.credited, 0), coalesce(c.deals, 0), q.quota, q.target, q.rep IS NOT NULL,
           coalesce(q.no_quota, false)
      FROM pg_temp.spm_totals c
      FULL JOIN spm_payout_internal.period_parts(for_pid) q ON q.rep = c.rep AND q.version_id = c.version_id;
END $$;
COMMENT ON FUNCTION spm_payout_internal.record_period(bigint, integer, integer, text, name) IS
    'internal: records the credit and quota parts per rep and plan version of one computation of a period';

-- Earnings to date of every (rep, plan version) in the plan year that
-- contains year_of, over the periods of that year that start on or before
-- up_to, from the latest computation of each period: credit, quota and
-- target incentive to date, and earned to date = E(credit to date), odd for
-- negative credit (docs/payout.md, "The cumulative rule"); plus what the
-- other periods' commission lines paid.
CREATE FUNCTION spm_payout_internal.earnings(this_period integer, year_of date, up_to date)
RETURNS TABLE (rep text, version_id integer, plan_id integer, year_range daterange, credited numeric,
               credited_to_date numeric, quota_to_date numeric, target_to_date numeric, no_quota boolean,
               active boolean, attainment_to_date numeric, earned_to_date numeric, paid_before numeric)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH pv AS (
        SELECT v.version_id, v.plan_id, v.valid, v.schedule, v.base, v.target_incentive,
               spm.fiscal_period(year_of, 'year', pl.year_start_month) AS yr
          FROM spm_payout.plan_version v JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
    ), yp AS (
        -- every period of the plan year so far, also those after a version
        -- ended: a late change can still credit it, and what they paid counts
        SELECT pv.version_id, k.period_id
          FROM pv JOIN spm_payout.pay_period k ON k.period <@ pv.yr AND lower(k.period) <= up_to
    ), latest AS (
        -- the latest computation of each period as of up_to: its own run, or
        -- a run that found it changed, booked in the latest period up to then
        SELECT DISTINCT ON (c.for_period_id) c.for_period_id, c.run_id
          FROM spm_payout.period_check c JOIN spm_payout.pay_period b ON b.period_id = c.period_id
         WHERE c.for_period_id IN (SELECT y.period_id FROM yp y)
           AND (c.changed OR c.period_id = c.for_period_id) AND lower(b.period) <= up_to
         ORDER BY c.for_period_id, lower(b.period) DESC, c.run_id DESC
    ), cum AS (
        SELECT pc.rep, pc.version_id, sum(pc.credited) AS cum,
               coalesce(sum(pc.credited) FILTER (WHERE pc.for_period_id = this_period), 0) AS this_credit,
               sum(pc.quota) AS quota, sum(pc.target) AS target, bool_or(pc.no_quota) AS no_quota,
               coalesce(bool_or(pc.assigned) FILTER (WHERE pc.for_period_id = this_period), false) AS active
          FROM spm_payout.period_credit pc
          JOIN latest l ON l.for_period_id = pc.for_period_id AND l.run_id = pc.run_id
          JOIN yp ON yp.version_id = pc.version_id AND yp.period_id = pc.for_period_id
         GROUP BY 1, 2
    ), paid AS (
        -- what the other periods paid for this plan year: their commission
        -- lines, and prior-year lines booked for it (in a later plan year)
        SELECT l.rep, l.version_id, sum(l.earned) AS paid
          FROM spm_payout.payout_line l
          JOIN yp ON yp.version_id = l.version_id
                 AND yp.period_id = CASE l.line_kind WHEN 'commission' THEN l.period_id ELSE l.for_period_id END
         WHERE l.line_kind IN ('commission', 'prior_year') AND l.period_id IS DISTINCT FROM this_period
         GROUP BY 1, 2
    ), t AS (
        SELECT coalesce(c.rep, p.rep) AS rep, coalesce(c.version_id, p.version_id) AS version_id,
               coalesce(c.this_credit, 0) AS credited, coalesce(c.cum, 0) AS cum,
               c.quota, c.target, coalesce(c.no_quota, false) OR c.quota IS NULL AS no_quota,
               coalesce(c.active, false) AS active, coalesce(p.paid, 0) AS paid
          FROM cum c FULL JOIN paid p ON p.rep = c.rep AND p.version_id = c.version_id
    )
    SELECT t.rep, t.version_id, pv.plan_id, pv.yr, t.credited, t.cum, t.quota, t.target, t.no_quota, t.active,
           CASE WHEN pv.base <> 'amount' AND NOT t.no_quota THEN spm.attainment(t.cum, t.quota) END,
           CASE WHEN pv.base = 'amount' OR NOT t.no_quota THEN
               round(sign(t.cum) * CASE pv.base
                   WHEN 'amount' THEN spm.apply(pv.schedule, abs(t.cum))
                   WHEN 'quota' THEN spm.apply(pv.schedule, abs(t.cum), t.quota)
                   ELSE t.target * spm.apply(pv.schedule, spm.attainment(abs(t.cum), t.quota)) END, 2)
           END,
           t.paid
      FROM t JOIN pv ON pv.version_id = t.version_id
$$;
COMMENT ON FUNCTION spm_payout_internal.earnings(integer, date, date) IS
    'internal: credit, quota, target, earnings to date and commission paid by the other periods, per rep and plan version, over a plan year up to a period';

-- A phase of the run: a NOTICE and a row of spm_payout.run_phase.
CREATE FUNCTION spm_payout_internal.log_phase(run bigint, phase text, nrows bigint, started timestamptz)
RETURNS timestamptz LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ms numeric := round(extract(epoch FROM clock_timestamp() - started) * 1000, 1);
BEGIN
    INSERT INTO spm_payout.run_phase (run_id, step, phase, rows, ms)
    VALUES (run, (SELECT count(*) + 1 FROM spm_payout.run_phase r WHERE r.run_id = run), phase, nrows, ms);
    RAISE NOTICE 'spm_payout run %: % — % rows in % ms', run, phase, nrows, ms;
    RETURN clock_timestamp();
END $$;
COMMENT ON FUNCTION spm_payout_internal.log_phase(bigint, text, bigint, timestamptz) IS
    'internal: reports a phase of a run (NOTICE) and records it in spm_payout.run_phase';

-- The run proper: credits, closed periods, lines, draws; replaces the
-- period's results.  Called by spm_payout.run_payout after staging.
CREATE FUNCTION spm_payout_internal.store_run(pid integer, started timestamptz, staged bigint, stage_ms numeric)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p        spm_payout.pay_period;
    run      bigint;
    h        spm_payout.hierarchy_rule;
    part     text := format('credit_line_p%s', pid);
    t        timestamptz;
    n        bigint;
    chg  integer[];
    splits   boolean;
    bad      record;
BEGIN
    PERFORM spm_payout_internal.check_stage();
    SELECT * INTO p FROM spm_payout.pay_period WHERE period_id = pid FOR SHARE;
    IF NOT FOUND OR p.status = 'closed' THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format('pay period %s is closed', coalesce(p.label, pid::text));
    END IF;
    SELECT array_agg(c.period_id ORDER BY c.period_id) INTO chg
      FROM pg_temp.spm_stage_check c WHERE c.changed AND c.period_id <> pid;
    chg := coalesce(chg, '{}');
    INSERT INTO spm_payout.run (period_id, status, run_by, started_at, finished_at, examined, changed, input_fingerprint)
    VALUES (pid, 'succeeded', spm_payout.acting_role(), started, started,
            ARRAY(SELECT pp.label FROM pg_temp.spm_stage_check c JOIN spm_payout.pay_period pp ON pp.period_id = c.period_id
                   WHERE c.period_id <> pid ORDER BY lower(pp.period)),
            ARRAY(SELECT pp.label FROM spm_payout.pay_period pp WHERE pp.period_id = ANY (chg) ORDER BY lower(pp.period)),
            (SELECT c.fingerprint FROM pg_temp.spm_stage_check c WHERE c.period_id = pid))
    RETURNING run_id INTO run;
    INSERT INTO spm_payout.run_phase (run_id, step, phase, rows, ms)
    VALUES (run, 1, 'read and credit (with the caller''s rights)', staged, stage_ms);
    t := clock_timestamp();

    -- 1. credits of the period: the caller wrote them, deal by deal, into the
    -- period's partition (open_credit), with its own rights; from here on it
    -- cannot write there any more
    SELECT * INTO h FROM spm_payout.hierarchy_rule;
    splits := EXISTS (SELECT 1 FROM pg_temp.spm_stage_split);
    IF to_regclass(format('spm_payout.%I', part)) IS NULL THEN
        EXECUTE format('CREATE TABLE spm_payout.%I PARTITION OF spm_payout.credit_line FOR VALUES IN (%s)', part, pid);
    END IF;
    EXECUTE format('REVOKE INSERT ON spm_payout.%I FROM %I', part, spm_payout.acting_role());
    DELETE FROM spm_payout.credit_open o WHERE o.period_id = pid;
    DELETE FROM spm_payout.period_credit pc WHERE pc.period_id = pid;
    DELETE FROM spm_payout.period_check pc WHERE pc.period_id = pid;
    DELETE FROM spm_payout.payout_line l WHERE l.period_id = pid;
    DELETE FROM spm_payout.payout_summary s WHERE s.period_id = pid;
    PERFORM spm_payout_internal.record_period(run, pid, pid, format('spm_payout.%I', part), 'for_period_id');
    SELECT sum(pc.deals) INTO n FROM spm_payout.period_credit pc WHERE pc.period_id = pid AND pc.for_period_id = pid;
    -- an amount that is not a number shows in the totals (no check per row)
    SELECT pc.rep INTO bad FROM spm_payout.period_credit pc
     WHERE pc.period_id = pid AND pc.credited IN ('NaN', 'Infinity', '-Infinity') LIMIT 1;
    IF FOUND THEN
        EXECUTE format('SELECT s.name, c.deal, c.amount FROM spm_payout.%I c JOIN spm_payout.source s USING (source_id)
                         WHERE c.amount IN (''NaN'', ''Infinity'', ''-Infinity'') LIMIT 1', part) INTO bad;
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('source %s: deal %s has amount %s', bad.name, coalesce(bad.deal, 'NULL'), bad.amount);
    END IF;
    t := spm_payout_internal.log_phase(run, 'period totals', coalesce(n, 0), t);

    -- 2. closed periods whose inputs changed: recomputed in full; the
    -- deal-level differences are booked here as late credit rows
    IF cardinality(chg) > 0 THEN
        IF to_regclass('pg_temp.spm_recalc') IS NOT NULL THEN DROP TABLE pg_temp.spm_recalc; END IF;
        EXECUTE format('CREATE TEMP TABLE spm_recalc ON COMMIT DROP AS %s',
                       spm_payout_internal.credit_sql(chg, h.override_rates, splits));
        PERFORM spm_payout_internal.record_period(run, pid, j, 'pg_temp.spm_recalc', 'period_id') FROM unnest(chg) j;
        EXECUTE format($q$
            INSERT INTO spm_payout.%I (period_id, for_period_id, version_id, source_id, deal_date, depth,
                                       via, rep, deal, from_rep, amount)
            SELECT %s, k.for_period_id, k.version_id, k.source_id, k.deal_date, k.depth, k.via, k.rep, k.deal,
                   k.from_rep, sum(k.amount)
              FROM (SELECT c.period_id AS for_period_id, c.rep, c.version_id, c.source_id, c.deal, c.deal_date,
                           c.via, c.from_rep, c.depth, c.amount FROM pg_temp.spm_recalc c
                    UNION ALL
                    SELECT l.for_period_id, l.rep, l.version_id, l.source_id, l.deal, l.deal_date, l.via,
                           l.from_rep, l.depth, -l.amount
                      FROM spm_payout.credit_line l
                     WHERE l.period_id = ANY (%4$L::integer[]) AND l.for_period_id = ANY (%3$L::integer[])
                       AND l.period_id <> %2$s) k
             GROUP BY k.for_period_id, k.rep, k.version_id, k.source_id, k.deal, k.deal_date, k.via, k.from_rep, k.depth
            HAVING sum(k.amount) <> 0$q$, part, pid, chg,
            -- the changed periods' own partitions, and those of earlier periods
            -- whose runs booked late rows for them (the state as of this period)
            chg || ARRAY(SELECT pc.period_id FROM spm_payout.period_check pc
                           JOIN spm_payout.pay_period b ON b.period_id = pc.period_id
                          WHERE pc.changed IS TRUE AND pc.for_period_id = ANY (chg)
                            AND lower(b.period) < lower(p.period)));
        GET DIAGNOSTICS n = ROW_COUNT;
    ELSE
        n := 0;
    END IF;
    INSERT INTO spm_payout.period_check (run_id, period_id, for_period_id, fingerprint, changed)
    SELECT run, pid, c.period_id, c.fingerprint, c.changed FROM pg_temp.spm_stage_check c;
    t := spm_payout_internal.log_phase(run, format('closed periods (%s examined, %s changed)',
                                                   (SELECT count(*) - 1 FROM pg_temp.spm_stage_check), cardinality(chg)), n, t);

    -- a pay period lies inside one plan year of every plan someone is on during it
    SELECT pl.name, spm.fiscal_period(lower(p.period), 'year', pl.year_start_month) AS yr INTO bad
      FROM spm_payout.plan pl
     WHERE EXISTS (SELECT 1 FROM spm_payout.assignment a WHERE a.plan_id = pl.plan_id AND a.valid && p.period)
       AND NOT p.period <@ spm.fiscal_period(lower(p.period), 'year', pl.year_start_month)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('pay period %s crosses the end of the plan year %s of plan %s', p.label, bad.yr, bad.name),
            HINT = 'A pay period must lie inside one plan year (plan.year_start_month).';
    END IF;

    -- 3. commission lines: earned to date in the plan year minus what the
    -- earlier periods of the plan year paid
    IF to_regclass('pg_temp.spm_earn') IS NOT NULL THEN DROP TABLE pg_temp.spm_earn; END IF;
    CREATE TEMP TABLE spm_earn ON COMMIT DROP AS
    SELECT * FROM spm_payout_internal.earnings(pid, lower(p.period), lower(p.period)) e
     -- a line when the rep is on the version this period, or something changed
     WHERE e.active OR e.credited <> 0 OR e.earned_to_date IS DISTINCT FROM e.paid_before;
    SELECT e.rep, pl.name INTO bad FROM pg_temp.spm_earn e JOIN spm_payout.plan pl ON pl.plan_id = e.plan_id
     WHERE e.earned_to_date IS NULL LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('rep %s has no quota for pay period %s or an earlier period of the plan year', bad.rep, p.label),
            DETAIL = format('Plan %s pays on quota or attainment.', bad.name),
            HINT = 'Insert the quota into spm_payout.quota.';
    END IF;
    SELECT pl.name, e.year_range INTO bad FROM pg_temp.spm_earn e JOIN spm_payout.plan pl ON pl.plan_id = e.plan_id
     WHERE NOT p.period <@ e.year_range LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('pay period %s crosses the end of the plan year %s of plan %s', p.label, bad.year_range, bad.name),
            HINT = 'A pay period must lie inside one plan year (plan.year_start_month).';
    END IF;
    EXECUTE format($q$
        INSERT INTO spm_payout.payout_line (run_id, period_id, for_period_id, rep, plan_id, version_id, line_kind,
                                            credited, late_credit, credited_to_date, quota_to_date, attainment_to_date,
                                            earned_to_date, paid_before, earned)
        SELECT %1$s, %2$s, %2$s, e.rep, e.plan_id, e.version_id, 'commission',
               e.credited, coalesce(lc.late, 0), e.credited_to_date, e.quota_to_date, e.attainment_to_date,
               e.earned_to_date, e.paid_before, e.earned_to_date - e.paid_before
          FROM pg_temp.spm_earn e
          LEFT JOIN (SELECT e2.rep, e2.version_id, sum(g.late) AS late
                       FROM pg_temp.spm_earn e2
                       JOIN (SELECT l.rep, l.version_id, l.for_period_id, sum(l.amount) AS late
                               FROM spm_payout.%3$I l WHERE %4$L AND l.for_period_id <> %2$s GROUP BY 1, 2, 3) g
                         ON g.rep = e2.rep AND g.version_id = e2.version_id
                       JOIN spm_payout.pay_period f ON f.period_id = g.for_period_id AND f.period <@ e2.year_range
                      GROUP BY 1, 2) lc
                 ON lc.rep = e.rep AND lc.version_id = e.version_id$q$,
        run, pid, part, cardinality(chg) > 0);
    GET DIAGNOSTICS n = ROW_COUNT;

    -- changed closed periods of earlier plan years: the year is settled
    -- again at its end, the difference booked as a prior-year line
    INSERT INTO spm_payout.payout_line (run_id, period_id, for_period_id, rep, plan_id, version_id, line_kind,
                                        credited, late_credit, credited_to_date, quota_to_date, attainment_to_date,
                                        earned_to_date, paid_before, earned, cause)
    SELECT run, pid, y.last_period, e.rep, e.plan_id, e.version_id, 'prior_year',
           0, 0, e.credited_to_date, e.quota_to_date, e.attainment_to_date, e.earned_to_date,
           e.paid_before, e.earned_to_date - e.paid_before,
           jsonb_build_object('plan_year', e.year_range::text, 'reason', 'a closed period of an earlier plan year changed')
      FROM (SELECT DISTINCT ON (pl.plan_id, spm.fiscal_period(lower(k.period), 'year', pl.year_start_month))
                   pl.plan_id, lower(k.period) AS year_of,
                   (SELECT k2.period_id FROM spm_payout.pay_period k2
                     WHERE k2.period <@ spm.fiscal_period(lower(k.period), 'year', pl.year_start_month)
                     ORDER BY lower(k2.period) DESC LIMIT 1) AS last_period
              FROM spm_payout.pay_period k CROSS JOIN spm_payout.plan pl
             WHERE k.period_id = ANY (chg)
               AND NOT p.period <@ spm.fiscal_period(lower(k.period), 'year', pl.year_start_month)) y
      CROSS JOIN LATERAL spm_payout_internal.earnings(NULL, y.year_of, lower(p.period)) e
     WHERE e.plan_id = y.plan_id AND e.earned_to_date IS NOT NULL
       AND e.earned_to_date - e.paid_before <> 0;

    -- manual adjustments
    INSERT INTO spm_payout.payout_line (run_id, period_id, for_period_id, rep, line_kind, earned, cause)
    SELECT run, pid, pid, a.rep, 'manual', a.amount,
           jsonb_build_object('adjustment_id', a.adjustment_id, 'reason', a.reason,
                              'author', a.author, 'created_at', a.created_at)
      FROM spm_payout.adjustment a WHERE a.period_id = pid;
    SELECT count(*) INTO n FROM spm_payout.payout_line l WHERE l.period_id = pid;
    t := spm_payout_internal.log_phase(run, 'lines', n, t);

    -- 4. draws: one ledger step per rep from the balance carried out of the
    -- rep's latest earlier period, replayed as a first, synthetic row (a
    -- clawback of that size with no draw) whose line is discarded
    INSERT INTO spm_payout.payout_summary (run_id, period_id, rep, earned, draw, draw_kind, draw_paid,
                                           recovered, forgiven, balance, payout)
    WITH reps AS (
        SELECT l.rep FROM spm_payout.payout_line l WHERE l.period_id = pid
        UNION
        SELECT d.rep FROM spm_payout.draw_agreement d WHERE d.term @> lower(p.period)
    ), carried AS (
        SELECT r.rep,
               coalesce((SELECT s.balance FROM spm_payout.payout_summary s
                           JOIN spm_payout.pay_period pp ON pp.period_id = s.period_id
                          WHERE s.rep = r.rep AND lower(pp.period) < lower(p.period)
                          ORDER BY lower(pp.period) DESC LIMIT 1), 0) AS balance
          FROM reps r
    ), steps AS (
        SELECT c.rep, 0 AS step, -c.balance AS earned, 0::numeric AS draw, NULL::text AS kind,
               1::numeric AS recovery_limit, false AS forgive
          FROM carried c
        UNION ALL
        SELECT c.rep, 1,
               coalesce((SELECT sum(l.earned) FROM spm_payout.payout_line l
                          WHERE l.rep = c.rep AND l.period_id = pid), 0),
               coalesce(d.amount, 0), d.kind, coalesce(d.recovery_limit, 1),
               coalesce(d.forgive_at_end AND p.period @> (upper(d.term) - 1), false)
          FROM carried c
          LEFT JOIN spm_payout.draw_agreement d ON d.rep = c.rep AND d.term @> lower(p.period)
    ), ledger AS (
        SELECT s.*, spm.draw_ledger(s.earned, s.draw, coalesce(s.kind, 'recoverable'), s.recovery_limit, s.forgive)
                      OVER (PARTITION BY s.rep ORDER BY s.step) AS line
          FROM steps s
    )
    SELECT run, pid, l.rep, l.earned, l.draw, l.kind,
           (l.line).draw_paid, (l.line).recovered, (l.line).forgiven, (l.line).balance, (l.line).payout
      FROM ledger l WHERE l.step = 1;
    GET DIAGNOSTICS n = ROW_COUNT;
    t := spm_payout_internal.log_phase(run, 'draws', n, t);

    UPDATE spm_payout.run r
       SET finished_at = clock_timestamp(),
           credit_rows = (SELECT sum(ph.rows) FROM spm_payout.run_phase ph
                           WHERE ph.run_id = r.run_id AND (ph.phase = 'period totals' OR ph.phase LIKE 'closed periods%')),
           lines = (SELECT count(*) FROM spm_payout.payout_line l WHERE l.period_id = pid),
           reps = n
     WHERE r.run_id = run;
    RETURN run;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.store_run(integer, timestamptz, bigint, numeric) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.store_run(integer, timestamptz, bigint, numeric) IS
    'internal: computes a staged pay period and replaces its results (as the extension owner)';

-- The period's partition of credit_line, empty, writable by the calling
-- role until store_run revokes it in the same transaction (no other
-- session ever sees the grant).  The run writes the deal-level credit
-- reading the registered tables with the caller's rights, straight into the
-- results: no copy of the deals.
CREATE FUNCTION spm_payout_internal.open_credit(pid integer) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p    spm_payout.pay_period;
    part text := format('credit_line_p%s', pid);
BEGIN
    SELECT * INTO p FROM spm_payout.pay_period WHERE period_id = pid FOR SHARE;
    IF NOT FOUND OR p.status = 'closed' THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format('pay period %s is closed', coalesce(p.label, pid::text));
    END IF;
    IF to_regclass(format('spm_payout.%I', part)) IS NULL THEN
        EXECUTE format('CREATE TABLE spm_payout.%I PARTITION OF spm_payout.credit_line FOR VALUES IN (%s)', part, pid);
    ELSE
        EXECUTE format('TRUNCATE spm_payout.%I', part);
    END IF;
    EXECUTE format('GRANT INSERT ON spm_payout.%I TO %I', part, spm_payout.acting_role());
    INSERT INTO spm_payout.credit_open (period_id, opened_by) VALUES (pid, spm_payout.acting_role())
    ON CONFLICT (period_id) DO UPDATE SET opened_by = EXCLUDED.opened_by, opened_at = EXCLUDED.opened_at;
    RETURN format('spm_payout.%I', part);
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.open_credit(integer) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.open_credit(integer) IS
    'internal: empties the pay period''s partition of credit_line and lets the calling role insert into it until store_run (same transaction)';

-- A failed run leaves a row in spm_payout.run (status failed).
CREATE FUNCTION spm_payout_internal.record_failure(pid integer, started timestamptz, phase text, state text, message text)
RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO spm_payout.run (period_id, status, run_by, started_at, finished_at, failed_phase, error_sqlstate, error_message)
    VALUES (pid, 'failed', spm_payout.acting_role(), started, clock_timestamp(), phase, state, message)
    RETURNING run_id
$$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.record_failure(integer, timestamptz, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.record_failure(integer, timestamptz, text, text, text) IS
    'internal: records a failed run (period, phase, SQLSTATE, message)';

-- Closing: only if the period's inputs are what its last run computed.
CREATE FUNCTION spm_payout_internal.mark_closed(pid integer, fingerprint text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p    spm_payout.pay_period;
    last spm_payout.run;
BEGIN
    SELECT * INTO p FROM spm_payout.pay_period WHERE period_id = pid FOR UPDATE;
    IF p.status = 'closed' THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format('pay period %s is already closed', p.label);
    END IF;
    SELECT * INTO last FROM spm_payout.run r WHERE r.period_id = pid AND r.status = 'succeeded'
     ORDER BY r.run_id DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('pay period %s has never been run', p.label),
            HINT = 'CALL spm_payout.run_payout(...) first: closing freezes the results of the last run.';
    END IF;
    IF EXISTS (SELECT 1 FROM spm_payout.credit_open o WHERE o.period_id = pid) THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('the credit of pay period %s was opened for writing outside a complete run', p.label),
            HINT = 'Run the period again, check the results, then close it.';
    END IF;
    IF last.input_fingerprint IS DISTINCT FROM fingerprint THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('the inputs of pay period %s changed since its last run (run %s)', p.label, last.run_id),
            HINT = 'Run the period again, check the results, then close it.';
    END IF;
    UPDATE spm_payout.pay_period SET status = 'closed', closed_at = now(), closed_by = spm_payout.acting_role()
     WHERE period_id = pid;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.mark_closed(integer, text) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.mark_closed(integer, text) IS
    'internal: closes a pay period if its inputs still have the fingerprint of its last run (55000 otherwise)';

-- ---- src/payout/50_run.sql
-- spm_payout, part 5: the procedures a DBA schedules (docs/payout.md, "Runs").

-- The pay period a run or a close addresses: a label, or a date inside it.
CREATE FUNCTION spm_payout.find_period(period text) RETURNS spm_payout.pay_period
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p spm_payout.pay_period;
    d date;
BEGIN
    IF period IS NULL THEN
        d := current_date;
    ELSE
        SELECT * INTO p FROM spm_payout.pay_period pp WHERE pp.label = find_period.period;
        IF FOUND THEN
            RETURN p;
        END IF;
        BEGIN
            d := find_period.period::date;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_parameter_value THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('no pay period is labelled %L', find_period.period),
                HINT = 'Give a label of spm_payout.pay_period or a date inside the period.';
        END;
        IF d IN ('infinity', '-infinity') THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('no pay period contains %s', find_period.period),
                HINT = 'Give a label of spm_payout.pay_period or a finite date inside the period.';
        END IF;
    END IF;
    SELECT * INTO p FROM spm_payout.pay_period pp WHERE pp.period @> d;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('no pay period contains %s', to_char(d, 'YYYY-MM-DD')),
            HINT = 'Add the period to spm_payout.pay_period (see spm_payout.add_pay_periods).';
    END IF;
    RETURN p;
END $$;
COMMENT ON FUNCTION spm_payout.find_period(text) IS
    'the pay period with this label, or containing this date (NULL: today); 22023 if none';

-- Runs one pay period.  SECURITY INVOKER: it reads the registered tables
-- with the caller's rights (docs/security.md).  A failure is recorded in
-- spm_payout.run (status failed) and committed when the run is called as a
-- top-level statement (CALL from psql or pg_cron), then raised again.
-- (No SET clause: a procedure with one cannot COMMIT.  Every name is
-- qualified; pg_catalog is searched first.)
CREATE PROCEDURE spm_payout.run_payout(period text DEFAULT NULL, INOUT run_id bigint DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    p         spm_payout.pay_period;
    t0        timestamptz := clock_timestamp();
    lookback  integer;
    examined  integer[];
    changed   integer[];
    staged    bigint;
    missing   text;
    phase     text := 'start';
    e_state   text;
    e_msg     text;
    e_detail  text;
    e_hint    text;
BEGIN
    IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('spm_payout.run'), 0) THEN
        RAISE EXCEPTION USING ERRCODE = '55P03',
            MESSAGE = 'another spm_payout run or close is in progress',
            HINT = 'Wait for it to finish, then run again.';
    END IF;
    -- JIT compiles for longer than these statements run (docs/payout.md, "Performance")
    PERFORM pg_catalog.set_config('jit', 'off', true);
    p := spm_payout.find_period(period);
    IF p.status = 'closed' THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('pay period %s is closed', p.label),
            HINT = 'A closed period is never recomputed; late changes are paid in the next open period of the plan year.';
    END IF;
    BEGIN
        -- earlier periods of the plan year must have been run: their credit is accumulated
        SELECT k.label INTO missing
          FROM spm_payout.pay_period k
         WHERE lower(k.period) < lower(p.period)
           AND EXISTS (SELECT 1 FROM spm_payout.plan pl
                        WHERE k.period <@ spm.fiscal_period(lower(p.period), 'year', pl.year_start_month)
                          AND EXISTS (SELECT 1 FROM spm_payout.assignment a WHERE a.plan_id = pl.plan_id AND a.valid && k.period))
           AND NOT EXISTS (SELECT 1 FROM spm_payout.run r WHERE r.period_id = k.period_id AND r.status = 'succeeded')
         ORDER BY lower(k.period) LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '55000',
                MESSAGE = format('pay period %s of the same plan year has never been run', missing),
                HINT = 'Run the periods of a plan year in order: credit accumulates over the plan year.';
        END IF;

        phase := 'stage';
        lookback := coalesce((SELECT s.lookback_periods FROM spm_payout.setting s), 12);
        examined := ARRAY(SELECT k.period_id FROM spm_payout.pay_period k
                           WHERE lower(k.period) < lower(p.period) AND k.status = 'closed'
                           ORDER BY lower(k.period) DESC LIMIT lookback);
        PERFORM spm_payout_internal.stage();
        staged := 0;
        PERFORM spm_payout_internal.drop_work_table('spm_stage_check');
        CREATE TEMP TABLE spm_stage_check (period_id integer, fingerprint text, changed boolean) ON COMMIT DROP;
        INSERT INTO pg_temp.spm_stage_check
        SELECT f.period_id, f.fingerprint,
               f.period_id <> p.period_id
               -- as recorded by the latest earlier period that looked at it (its own run or a later check)
               AND f.fingerprint IS DISTINCT FROM (SELECT c.fingerprint FROM spm_payout.period_check c
                                                    JOIN spm_payout.pay_period b ON b.period_id = c.period_id
                                                   WHERE c.for_period_id = f.period_id AND lower(b.period) < lower(p.period)
                                                   ORDER BY lower(b.period) DESC, c.run_id DESC LIMIT 1)
          FROM spm_payout_internal.fingerprints(examined || p.period_id) f;
        changed := ARRAY(SELECT c.period_id FROM pg_temp.spm_stage_check c WHERE c.changed);
        IF cardinality(changed) > 0 THEN
            staged := staged + spm_payout_internal.stage_more(changed);
        END IF;
        PERFORM spm_payout_internal.build_chains(p.period_id || changed);
        phase := 'credit';
        staged := staged + spm_payout_internal.write_credits(p, spm_payout_internal.open_credit(p.period_id));
        phase := 'compute';
        run_id := spm_payout_internal.store_run(p.period_id, t0, staged,
                                                round(extract(epoch FROM clock_timestamp() - t0) * 1000, 1));
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_msg = MESSAGE_TEXT,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
    END;
    IF e_state IS NOT NULL THEN
        run_id := spm_payout_internal.record_failure(p.period_id, t0, phase, e_state, e_msg);
        -- keep the failure's trace when this CALL is its own transaction
        IF transaction_timestamp() = statement_timestamp() THEN
            COMMIT;
        END IF;
        IF coalesce(e_detail, '') = '' AND coalesce(e_hint, '') = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_msg;
        ELSIF coalesce(e_hint, '') = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_msg, DETAIL = e_detail;
        ELSIF coalesce(e_detail, '') = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_msg, HINT = e_hint;
        ELSE
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_msg, DETAIL = e_detail, HINT = e_hint;
        END IF;
    END IF;
END $$;
COMMENT ON PROCEDURE spm_payout.run_payout(text, bigint) IS
    'computes a pay period (a label or a date inside it; NULL: today) and replaces its results; refuses closed periods; one run at a time (55P03); failures are logged in spm_payout.run';

CREATE PROCEDURE spm_payout.close_period(period text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p  spm_payout.pay_period;
    fp text;
BEGIN
    IF period IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'spm_payout.close_period: period must not be NULL';
    END IF;
    IF NOT pg_try_advisory_xact_lock(hashtext('spm_payout.run'), 0) THEN
        RAISE EXCEPTION USING ERRCODE = '55P03', MESSAGE = 'another spm_payout run or close is in progress';
    END IF;
    PERFORM set_config('jit', 'off', true);
    p := spm_payout.find_period(period);
    -- wait for writers of the period's quotas and adjustments, then look again
    PERFORM 1 FROM spm_payout.pay_period pp WHERE pp.period_id = p.period_id FOR UPDATE;
    PERFORM spm_payout_internal.stage();
    SELECT f.fingerprint INTO fp FROM spm_payout_internal.fingerprints(ARRAY[p.period_id]) f;
    PERFORM spm_payout_internal.mark_closed(p.period_id, fp);
END $$;
COMMENT ON PROCEDURE spm_payout.close_period(text) IS
    'closes a pay period if its inputs are unchanged since its last run (55000 otherwise): its results are frozen; later changes are paid in later periods';

-- Pay periods of a fiscal calendar from spm.fiscal_period.
CREATE FUNCTION spm_payout.add_pay_periods(first_day date, last_day date, grain text DEFAULT 'month',
                                           fiscal_start_month integer DEFAULT 1)
RETURNS SETOF spm_payout.pay_period LANGUAGE sql STRICT SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO spm_payout.pay_period (label, period)
    SELECT DISTINCT ON (fp) to_char(lower(fp), 'YYYY-MM-DD') || '..' || to_char(upper(fp) - 1, 'YYYY-MM-DD'), fp
      FROM generate_series(first_day, last_day, interval '1 day') g(d),
           LATERAL spm.fiscal_period(g.d::date, grain, fiscal_start_month) fp
    ORDER BY fp
    RETURNING *;
$$;
COMMENT ON FUNCTION spm_payout.add_pay_periods(date, date, text, integer) IS
    'adds the pay periods (month, quarter, half or year of a fiscal calendar) covering first_day..last_day; NULL arguments add nothing';

-- ---- src/payout/60_views.sql
-- spm_payout, part 6: flat views for BI tools (docs/bi.md).
--
-- Plain, typed columns with stable names: no composites, arrays, intervals
-- or jsonb (the adjustment cause is given as text), so every column maps to
-- a standard JDBC/ODBC type.  security_invoker: the row-level security of
-- the result tables applies to whoever reads them.

CREATE VIEW spm_payout.payout_statement WITH (security_invoker = true) AS
SELECT p.label                 AS period,
       lower(p.period)         AS period_start,
       upper(p.period) - 1     AS period_end,
       p.status                AS period_status,
       l.rep                   AS rep,
       pl.name                 AS plan,
       v.version               AS plan_version,
       l.line_kind             AS line_kind,
       f.label                 AS for_period,
       l.credited              AS credited,
       l.late_credit           AS late_credit,
       l.credited_to_date      AS credited_to_date,
       l.quota_to_date         AS quota_to_date,
       l.attainment_to_date    AS attainment_to_date,
       l.earned_to_date        AS earned_to_date,
       l.paid_before           AS paid_before,
       l.earned                AS earned,
       (l.cause ->> 'reason')  AS reason,
       l.cause::text           AS cause,
       l.run_id                AS run_id,
       l.line_id               AS line_id
  FROM spm_payout.payout_line l
  JOIN spm_payout.pay_period p ON p.period_id = l.period_id
  JOIN spm_payout.pay_period f ON f.period_id = l.for_period_id
  LEFT JOIN spm_payout.plan pl ON pl.plan_id = l.plan_id
  LEFT JOIN spm_payout.plan_version v ON v.version_id = l.version_id;
COMMENT ON VIEW spm_payout.payout_statement IS
    'statement lines: commission per plan version (to date and this period), prior-year corrections and manual adjustments';

CREATE VIEW spm_payout.payout_summary_view WITH (security_invoker = true) AS
SELECT p.label AS period, lower(p.period) AS period_start, upper(p.period) - 1 AS period_end,
       p.status AS period_status, s.rep, s.earned, s.draw, s.draw_kind, s.draw_paid,
       s.recovered, s.forgiven, s.balance, s.payout, s.run_id
  FROM spm_payout.payout_summary s JOIN spm_payout.pay_period p USING (period_id);
COMMENT ON VIEW spm_payout.payout_summary_view IS 'per rep and period: earned, draw paid, recovered, forgiven, balance and payout';

CREATE VIEW spm_payout.credit_statement WITH (security_invoker = true) AS
SELECT p.label AS period, f.label AS for_period, c.rep, pl.name AS plan, v.version AS plan_version,
       s.name AS source, c.deal, c.deal_date, c.via, c.from_rep, c.depth::integer AS depth, c.amount
  FROM spm_payout.credit_line c
  JOIN spm_payout.pay_period p ON p.period_id = c.period_id
  JOIN spm_payout.pay_period f ON f.period_id = c.for_period_id
  LEFT JOIN spm_payout.source s ON s.source_id = c.source_id
  LEFT JOIN spm_payout.plan_version v ON v.version_id = c.version_id
  LEFT JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id;
COMMENT ON VIEW spm_payout.credit_statement IS
    'deal-level credit: what each deal credited to whom (direct, split or roll-up), in the period it was booked; for_period <> period marks a late change';

CREATE VIEW spm_payout.attainment_by_rep WITH (security_invoker = true) AS
SELECT p.label AS period, lower(p.period) AS period_start, l.rep, pl.name AS plan, v.version AS plan_version,
       l.credited, l.credited_to_date, l.quota_to_date, l.attainment_to_date
  FROM spm_payout.payout_line l
  JOIN spm_payout.pay_period p ON p.period_id = l.period_id
  JOIN spm_payout.plan pl ON pl.plan_id = l.plan_id
  JOIN spm_payout.plan_version v ON v.version_id = l.version_id
 WHERE l.line_kind = 'commission';
COMMENT ON VIEW spm_payout.attainment_by_rep IS
    'credit this period and to date, quota and attainment to date per rep, plan version and period (as computed by the last run)';

CREATE VIEW spm_payout.draw_balance WITH (security_invoker = true) AS
SELECT p.label AS period, lower(p.period) AS period_start, s.rep, s.draw_kind, s.draw,
       s.draw_paid, s.recovered, s.forgiven, s.balance
  FROM spm_payout.payout_summary s JOIN spm_payout.pay_period p USING (period_id);
COMMENT ON VIEW spm_payout.draw_balance IS 'draw ledger per rep and period: what the rep owes after each period';

CREATE VIEW spm_payout.leaderboard WITH (security_invoker = true) AS
SELECT a.period, a.period_start, a.plan, a.rep, a.credited_to_date, a.quota_to_date, a.attainment_to_date,
       rank() OVER (PARTITION BY a.period, a.plan
                    ORDER BY a.attainment_to_date DESC NULLS LAST, a.credited_to_date DESC)::integer AS rank
  FROM spm_payout.attainment_by_rep a;
COMMENT ON VIEW spm_payout.leaderboard IS 'reps ranked by attainment to date within each period and plan';

CREATE VIEW spm_payout.run_log WITH (security_invoker = true) AS
SELECT r.run_id, p.label AS period, r.status, r.run_by, r.started_at, r.finished_at,
       round(extract(epoch FROM r.finished_at - r.started_at), 3) AS duration_seconds,
       r.credit_rows, r.lines, r.reps,
       array_to_string(r.examined, ', ') AS examined_periods,
       array_to_string(r.changed, ', ') AS changed_periods,
       r.input_fingerprint, r.failed_phase, r.error_sqlstate, r.error_message
  FROM spm_payout.run r JOIN spm_payout.pay_period p USING (period_id);
COMMENT ON VIEW spm_payout.run_log IS
    'every run, succeeded or failed: who, when, period, duration in seconds, row counts, closed periods examined and changed, error';

CREATE VIEW spm_payout.run_phase_log WITH (security_invoker = true) AS
SELECT ph.run_id, p.label AS period, ph.step, ph.phase, ph.rows, ph.ms
  FROM spm_payout.run_phase ph JOIN spm_payout.run r USING (run_id) JOIN spm_payout.pay_period p USING (period_id);
COMMENT ON VIEW spm_payout.run_phase_log IS 'each phase of each run with its row count and milliseconds';

-- ---- src/payout/70_roles.sql
-- spm_payout, part 7: roles, grants and row-level security (docs/security.md).
--
-- Roles are cluster-wide, so the extension does not create them by itself:
-- spm_payout.create_roles() does, on request, and grants each its rights.
-- Row-level security policies name the roles (a policy TO a role costs
-- nothing per row for the others): admins and analysts read every row; a
-- rep reads the rows whose rep is the one its login maps to, through an
-- index (rep = ANY (array of its reps), computed once per query).

ALTER TABLE spm_payout.payout_line ENABLE ROW LEVEL SECURITY;
ALTER TABLE spm_payout.payout_summary ENABLE ROW LEVEL SECURITY;
ALTER TABLE spm_payout.credit_line ENABLE ROW LEVEL SECURITY;
ALTER TABLE spm_payout.period_credit ENABLE ROW LEVEL SECURITY;
ALTER TABLE spm_payout.rep_login ENABLE ROW LEVEL SECURITY;

-- The reps the current role may see as a rep: those its login maps to.
CREATE FUNCTION spm_payout.my_reps() RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(array_agg(l.rep), '{}') FROM spm_payout.rep_login l WHERE l.login = current_user
$$;
COMMENT ON FUNCTION spm_payout.my_reps() IS 'the rep ids the current role is mapped to in spm_payout.rep_login';

-- The row-level security policies, created where missing (never dropped:
-- those the extension script created belong to the extension).  They name
-- the roles, so they exist only once the roles do: the extension script
-- creates them when the roles already exist (as when pg_restore re-creates
-- the extension in a cluster that has them; pg_dump does not dump policies
-- of an extension's tables), create_roles() otherwise.  my_reps() is called
-- once per query (an InitPlan), and rep = ANY (...) can use an index.
CREATE FUNCTION spm_payout_internal.ensure_policies() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r text;
BEGIN
    IF (SELECT count(*) FROM pg_roles WHERE rolname IN ('spm_admin', 'spm_analyst', 'spm_rep')) < 3 THEN
        RETURN;
    END IF;
    FOREACH r IN ARRAY ARRAY['payout_line', 'payout_summary', 'credit_line', 'period_credit'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = format('spm_payout.%I', r)::regclass
                                                 AND polname = r || '_all') THEN
            EXECUTE format('CREATE POLICY %I ON spm_payout.%I FOR SELECT TO spm_admin, spm_analyst USING (true)',
                           r || '_all', r);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = format('spm_payout.%I', r)::regclass
                                                 AND polname = r || '_own') THEN
            EXECUTE format('CREATE POLICY %I ON spm_payout.%I FOR SELECT TO spm_rep
                            USING (rep = ANY ((SELECT spm_payout.my_reps())::text[]))', r || '_own', r);
        END IF;
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.rep_login'::regclass AND polname = 'rep_login_all') THEN
        CREATE POLICY rep_login_all ON spm_payout.rep_login TO spm_admin, spm_analyst USING (true) WITH CHECK (true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.rep_login'::regclass AND polname = 'rep_login_own') THEN
        CREATE POLICY rep_login_own ON spm_payout.rep_login FOR SELECT TO spm_rep USING (login = current_user);
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.ensure_policies() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.ensure_policies() IS
    'internal: creates the missing row-level security policies once the roles spm_admin, spm_analyst and spm_rep exist';
SELECT spm_payout_internal.ensure_policies();

CREATE FUNCTION spm_payout.create_roles() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['spm_admin', 'spm_analyst', 'spm_rep'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
    GRANT USAGE ON SCHEMA spm, spm_payout TO spm_admin, spm_analyst, spm_rep;
    -- admins edit the catalog and run and close periods (the run reads the
    -- registered tables with the admin's own rights)
    GRANT USAGE ON SCHEMA spm_payout_internal TO spm_admin;
    GRANT SELECT, INSERT, UPDATE, DELETE ON spm_payout.setting, spm_payout.source, spm_payout.split_rule,
          spm_payout.hierarchy_rule, spm_payout.plan, spm_payout.plan_version, spm_payout.assignment,
          spm_payout.quota, spm_payout.draw_agreement, spm_payout.adjustment, spm_payout.rep_login TO spm_admin;
    GRANT SELECT, INSERT, DELETE, UPDATE (label, period) ON spm_payout.pay_period TO spm_admin;
    GRANT SELECT ON ALL TABLES IN SCHEMA spm_payout TO spm_admin, spm_analyst;
    GRANT EXECUTE ON FUNCTION spm_payout_internal.store_run(integer, timestamptz, bigint, numeric),
          spm_payout_internal.record_failure(integer, timestamptz, text, text, text),
          spm_payout_internal.mark_closed(integer, text), spm_payout_internal.open_credit(integer) TO spm_admin;
    GRANT EXECUTE ON PROCEDURE spm_payout.run_payout(text, bigint), spm_payout.close_period(text) TO spm_admin;
    -- reps read their own statement through the views
    GRANT SELECT ON spm_payout.payout_statement, spm_payout.payout_summary_view, spm_payout.attainment_by_rep,
          spm_payout.draw_balance, spm_payout.credit_statement, spm_payout.payout_line, spm_payout.payout_summary,
          spm_payout.credit_line, spm_payout.pay_period, spm_payout.plan, spm_payout.plan_version,
          spm_payout.source, spm_payout.rep_login TO spm_rep;
    PERFORM spm_payout_internal.ensure_policies();
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout.create_roles() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout.create_roles() IS
    'creates (if missing) the roles spm_admin, spm_analyst and spm_rep, grants each its rights and creates the row-level security policies';

REVOKE EXECUTE ON PROCEDURE spm_payout.run_payout(text, bigint), spm_payout.close_period(text) FROM PUBLIC;

-- ---- src/payout/80_dump.sql
-- spm_payout, part 8: audit triggers and pg_dump marks (docs/operations.md,
-- "Backup and restore").  Every table and identity sequence the extension
-- creates is dumped with its data; partitions of credit_line are created by
-- runs, are not members of the extension, and are dumped like any table.

DO $$
DECLARE
    t text;
    s text;
BEGIN
    FOREACH t IN ARRAY ARRAY['setting', 'pay_period', 'source', 'split_rule', 'hierarchy_rule', 'plan',
                             'plan_version', 'assignment', 'quota', 'draw_agreement', 'adjustment', 'rep_login'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON spm_payout.%I
                        FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit()', t || '_audit', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['setting', 'pay_period', 'source', 'split_rule', 'hierarchy_rule', 'plan',
                             'plan_version', 'assignment', 'quota', 'draw_agreement', 'adjustment', 'rep_login',
                             'audit_log', 'run', 'run_phase', 'period_credit', 'period_check', 'payout_line',
                             'payout_summary', 'credit_open'] LOOP
        PERFORM pg_catalog.pg_extension_config_dump(format('spm_payout.%I', t)::regclass, '');
        FOR s IN SELECT pg_get_serial_sequence(format('spm_payout.%I', t), a.attname)
                   FROM pg_attribute a
                  WHERE a.attrelid = format('spm_payout.%I', t)::regclass AND a.attidentity <> '' LOOP
            PERFORM pg_catalog.pg_extension_config_dump(s::regclass, '');
        END LOOP;
    END LOOP;
END $$;
