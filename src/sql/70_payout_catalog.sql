-- Payout runs, part 1: the catalog (see README "Payout runs").
--
-- Plain tables in schema spm, edited by admins with ordinary SQL.  Nothing
-- of the user's sales data is copied: a source names an existing table and
-- maps its columns.  Overlaps that a constraint cannot express without
-- btree_gist (assignments, plan versions, draw agreements, periods) are
-- rejected by triggers that serialize on an advisory lock.  Every change is
-- written to spm.audit_log.

-- Identifiers of the user's tables are checked once here and only ever
-- spliced into SQL with format('%I') / regclass output.
CREATE FUNCTION spm.check_column(rel regclass, col name, what text, types regtype[] DEFAULT NULL)
RETURNS void LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t regtype;
BEGIN
    IF col IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('%s must not be NULL', what);
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
END $$;
COMMENT ON FUNCTION spm.check_column(regclass, name, text, regtype[]) IS
    'raises 42703 if a column does not exist in a relation, 42804 if its type is not one of types';

CREATE TABLE spm.pay_period (
    period_id  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label      text NOT NULL UNIQUE,
    period     daterange NOT NULL
               CONSTRAINT pay_period_bounded CHECK (NOT isempty(period) AND NOT lower_inf(period) AND NOT upper_inf(period)),
    status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at  timestamptz,
    closed_by  text
);
COMMENT ON TABLE spm.pay_period IS 'payout periods: [start, end) date ranges that do not overlap; open or closed';

CREATE TABLE spm.source (
    source_id     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    relation      regclass NOT NULL,
    rep_column    name NOT NULL,
    deal_column   name NOT NULL,
    amount_column name NOT NULL,
    date_column   name NOT NULL,
    filter_column name,
    filter_values text[],
    CONSTRAINT source_filter_complete CHECK ((filter_column IS NULL) = (filter_values IS NULL))
);
COMMENT ON TABLE spm.source IS
    'a sales table of the user''s, by name, with the columns holding rep, deal, amount and date; optional filter: filter_column::text = ANY(filter_values)';

CREATE TABLE spm.split_rule (
    source_id     integer PRIMARY KEY REFERENCES spm.source ON DELETE CASCADE,
    relation      regclass NOT NULL,
    deal_column   name NOT NULL,
    rep_column    name NOT NULL,
    weight_column name NOT NULL
);
COMMENT ON TABLE spm.split_rule IS
    'split credit: a table (deal, rep, weight) whose rows share a deal of the source among reps, penny-exact (spm.allocate)';

CREATE TABLE spm.hierarchy_rule (
    only_one       boolean PRIMARY KEY DEFAULT true CHECK (only_one),
    relation       regclass NOT NULL,
    rep_column     name NOT NULL,
    manager_column name NOT NULL,
    valid_column   name NOT NULL,
    override_rates numeric[]
);
COMMENT ON TABLE spm.hierarchy_rule IS
    'manager roll-up: every manager above a rep as of the deal date is credited (spm.rollup); override_rates[d] scales the credit at depth d (NULL: full credit at every level)';

CREATE TABLE spm.plan (
    plan_id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL,
    version          integer NOT NULL DEFAULT 1,
    schedule         spm.schedule NOT NULL,
    base             text NOT NULL DEFAULT 'amount' CHECK (base IN ('amount', 'quota', 'attainment')),
    target_incentive numeric CHECK (target_incentive >= 0),
    valid            daterange NOT NULL DEFAULT '(,)' CHECK (NOT isempty(valid)),
    UNIQUE (name, version),
    CONSTRAINT plan_attainment_needs_target CHECK (base <> 'attainment' OR target_incentive IS NOT NULL)
);
COMMENT ON TABLE spm.plan IS
    'compensation plans: base amount = E(credited); quota = quota * E(credited / quota); attainment = target_incentive * E(attainment). Versions of one name must not overlap in time';

CREATE TABLE spm.assignment (
    assignment_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rep           text NOT NULL,
    plan_id       integer NOT NULL REFERENCES spm.plan,
    valid         daterange NOT NULL CHECK (NOT isempty(valid))
);
COMMENT ON TABLE spm.assignment IS 'which plan a rep is on, over which dates; one plan at a time per rep';

CREATE TABLE spm.quota (
    rep       text NOT NULL,
    period_id integer NOT NULL REFERENCES spm.pay_period,
    amount    numeric NOT NULL CONSTRAINT quota_must_be_positive CHECK (amount > 0),
    PRIMARY KEY (rep, period_id)
);
COMMENT ON TABLE spm.quota IS 'a rep''s quota for a pay period (prorated when the plan covers part of the period)';

CREATE TABLE spm.draw_agreement (
    draw_id        integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rep            text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('recoverable', 'non_recoverable', 'advance')),
    amount         numeric NOT NULL CHECK (amount >= 0),
    recovery_limit numeric NOT NULL DEFAULT 1 CHECK (recovery_limit BETWEEN 0 AND 1),
    term           daterange NOT NULL CHECK (NOT isempty(term)),
    forgive_at_end boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE spm.draw_agreement IS
    'a draw per pay period starting inside term; forgive_at_end forgives the balance in the period where term ends';

CREATE TABLE spm.adjustment (
    adjustment_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rep           text NOT NULL,
    period_id     integer NOT NULL REFERENCES spm.pay_period,
    amount        numeric NOT NULL,
    reason        text NOT NULL CHECK (reason <> ''),
    author        text NOT NULL DEFAULT current_user,
    created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE spm.adjustment IS 'manual adjustments: an amount added to a rep''s earnings in an open period, with reason and author';

CREATE TABLE spm.rep_login (
    rep        text NOT NULL,
    login      name NOT NULL PRIMARY KEY
);
COMMENT ON TABLE spm.rep_login IS 'maps database roles to rep ids: a role in spm_rep sees only the statement lines of its rep';

CREATE TABLE spm.audit_log (
    audit_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    who        text NOT NULL DEFAULT session_user,
    as_role    text NOT NULL,
    table_name text NOT NULL,
    operation  text NOT NULL,
    old_row    jsonb,
    new_row    jsonb
);
COMMENT ON TABLE spm.audit_log IS 'every change to the catalog: who, when, old and new values';

-- The role a person is acting as, also inside SECURITY DEFINER code (where
-- current_user is the owner): SET ROLE's role, else the login.
CREATE FUNCTION spm.acting_role() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(nullif(current_setting('role'), 'none'), session_user)::text
$$;
COMMENT ON FUNCTION spm.acting_role() IS
    'the role the session acts as (SET ROLE, else the login), even inside SECURITY DEFINER functions';

-- Audit: one generic trigger for every catalog table.
CREATE FUNCTION spm.audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO spm.audit_log (as_role, table_name, operation, old_row, new_row)
    VALUES (spm.acting_role(), TG_TABLE_NAME, TG_OP,
            CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    RETURN NULL;
END $$;
COMMENT ON FUNCTION spm.audit() IS 'trigger: records a catalog change in spm.audit_log';

-- Overlap checks: a generic trigger, told the key and range columns.
CREATE FUNCTION spm.reject_overlap() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    key_col   text := TG_ARGV[0];
    range_col text := TG_ARGV[1];
    what      text := TG_ARGV[2];
    pk_col    text := TG_ARGV[3];
    clash     text;
BEGIN
    -- serialize writers of this table so two concurrent inserts cannot both pass
    PERFORM pg_advisory_xact_lock(hashtext('spm.overlap'), TG_RELID::int);
    EXECUTE format('SELECT t.%4$I::text FROM %1$I.%2$I t
                     WHERE %3$s ($1).%5$I && t.%5$I AND t.%4$I <> ($1).%4$I LIMIT 1',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME,
                   CASE WHEN key_col = '' THEN ''
                        ELSE format('($1).%1$I IS NOT DISTINCT FROM t.%1$I AND', key_col) END,
                   pk_col, range_col)
       INTO clash USING NEW;
    IF clash IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '23P01',
            MESSAGE = format('%s overlaps an existing one', what),
            DETAIL = format('%s%s overlaps the one with %s %s.',
                            CASE WHEN key_col = '' THEN '' ELSE format('%s %s: ', key_col, to_jsonb(NEW) ->> key_col) END,
                            to_jsonb(NEW) ->> range_col, pk_col, clash);
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION spm.reject_overlap() IS
    'trigger: rejects (23P01) a row whose range overlaps another row with the same key';

CREATE TRIGGER pay_period_no_overlap BEFORE INSERT OR UPDATE ON spm.pay_period
    FOR EACH ROW EXECUTE FUNCTION spm.reject_overlap('', 'period', 'pay period', 'period_id');
CREATE TRIGGER plan_no_overlap BEFORE INSERT OR UPDATE ON spm.plan
    FOR EACH ROW EXECUTE FUNCTION spm.reject_overlap('name', 'valid', 'plan version', 'plan_id');
CREATE TRIGGER assignment_no_overlap BEFORE INSERT OR UPDATE ON spm.assignment
    FOR EACH ROW EXECUTE FUNCTION spm.reject_overlap('rep', 'valid', 'plan assignment', 'assignment_id');
CREATE TRIGGER draw_no_overlap BEFORE INSERT OR UPDATE ON spm.draw_agreement
    FOR EACH ROW EXECUTE FUNCTION spm.reject_overlap('rep', 'term', 'draw agreement', 'draw_id');

-- Column mappings are checked when they are written.
CREATE FUNCTION spm.check_mapping() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_NAME = 'source' THEN
        PERFORM spm.check_column(NEW.relation, NEW.rep_column, 'rep_column');
        PERFORM spm.check_column(NEW.relation, NEW.deal_column, 'deal_column');
        PERFORM spm.check_column(NEW.relation, NEW.amount_column, 'amount_column',
                                 '{numeric,integer,bigint,smallint,money}');
        PERFORM spm.check_column(NEW.relation, NEW.date_column, 'date_column',
                                 '{date,"timestamp without time zone","timestamp with time zone"}');
        IF NEW.filter_column IS NOT NULL THEN
            PERFORM spm.check_column(NEW.relation, NEW.filter_column, 'filter_column');
        END IF;
    ELSIF TG_TABLE_NAME = 'split_rule' THEN
        PERFORM spm.check_column(NEW.relation, NEW.deal_column, 'deal_column');
        PERFORM spm.check_column(NEW.relation, NEW.rep_column, 'rep_column');
        PERFORM spm.check_column(NEW.relation, NEW.weight_column, 'weight_column',
                                 '{numeric,integer,bigint,smallint}');
    ELSIF TG_TABLE_NAME = 'hierarchy_rule' THEN
        PERFORM spm.check_column(NEW.relation, NEW.rep_column, 'rep_column');
        PERFORM spm.check_column(NEW.relation, NEW.manager_column, 'manager_column');
        PERFORM spm.check_column(NEW.relation, NEW.valid_column, 'valid_column', '{daterange}');
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION spm.check_mapping() IS
    'trigger: checks that the columns a source, split rule or hierarchy rule names exist and have usable types';
CREATE TRIGGER source_check BEFORE INSERT OR UPDATE ON spm.source
    FOR EACH ROW EXECUTE FUNCTION spm.check_mapping();
CREATE TRIGGER split_rule_check BEFORE INSERT OR UPDATE ON spm.split_rule
    FOR EACH ROW EXECUTE FUNCTION spm.check_mapping();
CREATE TRIGGER hierarchy_rule_check BEFORE INSERT OR UPDATE ON spm.hierarchy_rule
    FOR EACH ROW EXECUTE FUNCTION spm.check_mapping();

-- Catalog rows that point into a closed period are frozen with it.
CREATE FUNCTION spm.reject_closed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    pid integer;
BEGIN
    FOREACH pid IN ARRAY ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.period_id END,
                               CASE WHEN TG_OP <> 'DELETE' THEN NEW.period_id END] LOOP
        IF EXISTS (SELECT 1 FROM spm.pay_period p WHERE p.period_id = pid AND p.status = 'closed') THEN
            RAISE EXCEPTION USING ERRCODE = '55000',
                MESSAGE = format('pay period %s is closed', (SELECT label FROM spm.pay_period WHERE period_id = pid)),
                HINT = 'Book the change in an open period; differences in closed periods become prior-period adjustments.';
        END IF;
    END LOOP;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
COMMENT ON FUNCTION spm.reject_closed() IS 'trigger: refuses (55000) changes to rows of a closed pay period';
-- A closed period stays closed (and is not deleted).
CREATE FUNCTION spm.keep_closed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF OLD.status = 'closed' AND (TG_OP = 'DELETE' OR NEW IS DISTINCT FROM OLD) THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('pay period %s is closed', OLD.label),
            DETAIL = 'A closed pay period cannot be reopened, changed or deleted.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
COMMENT ON FUNCTION spm.keep_closed() IS 'trigger: a closed pay period cannot be reopened, changed or deleted (55000)';
CREATE TRIGGER pay_period_keep_closed BEFORE UPDATE OR DELETE ON spm.pay_period
    FOR EACH ROW EXECUTE FUNCTION spm.keep_closed();

CREATE TRIGGER quota_closed BEFORE INSERT OR UPDATE OR DELETE ON spm.quota
    FOR EACH ROW EXECUTE FUNCTION spm.reject_closed();
CREATE TRIGGER adjustment_closed BEFORE INSERT OR UPDATE OR DELETE ON spm.adjustment
    FOR EACH ROW EXECUTE FUNCTION spm.reject_closed();

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['pay_period', 'source', 'split_rule', 'hierarchy_rule', 'plan',
                             'assignment', 'quota', 'draw_agreement', 'adjustment', 'rep_login'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON spm.%I
                        FOR EACH ROW EXECUTE FUNCTION spm.audit()', t || '_audit', t);
        PERFORM pg_catalog.pg_extension_config_dump(format('spm.%I', t)::regclass, '');
    END LOOP;
END $$;
SELECT pg_catalog.pg_extension_config_dump('spm.audit_log', '');
