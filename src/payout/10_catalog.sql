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
    lookback_periods integer NOT NULL DEFAULT 12 CHECK (lookback_periods BETWEEN 0 AND 1000),
    acceptance_policy text NOT NULL DEFAULT 'none' CHECK (acceptance_policy IN ('none', 'flag', 'hold'))
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
    CONSTRAINT source_filter_complete CHECK ((filter_column IS NULL) = (filter_values IS NULL)),
    currency_column name
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
    year_start_month integer NOT NULL DEFAULT 1 CHECK (year_start_month BETWEEN 1 AND 12),
    acceptance_policy text CHECK (acceptance_policy IN ('none', 'flag', 'hold')),
    currency         text CONSTRAINT plan_currency_code CHECK (currency ~ '^[A-Z]{3}$'),
    fx_policy        text NOT NULL DEFAULT 'deal_date'
                     CONSTRAINT plan_fx_policy_known CHECK (fx_policy IN ('deal_date', 'period_end', 'plan_rate')),
    -- new in 0.3.0 (docs/statements.md): declared last, as the upgrade adds it
    deal_statements  boolean NOT NULL DEFAULT false
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
    PRIMARY KEY (rep, period_id),
    -- new in 0.3.0 (docs/goals.md): declared last, as the upgrade adds them
    basis      text NOT NULL DEFAULT 'period' CONSTRAINT quota_basis_known CHECK (basis IN ('period', 'days_on_plan')),
    cascade_id integer
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
