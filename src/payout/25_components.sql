-- spm_payout, part 2.5: plan components and MBO scores (docs/components.md).
-- Included whole in the 0.2.0 -> 0.3.0 upgrade, before the parts that read
-- these tables (30, 40, 60).  The component_id columns of credit_line,
-- period_credit and payout_line are declared in 20_results.sql and added by
-- src/upgrade/0.2.0--0.3.0/spm_payout/50_components.sql.
--
-- A plan version without components pays as it always did (its schedule
-- and base on all its credit).  A version with components pays one line per
-- component: each component has its own measure (a source, optionally
-- filtered, and a column), schedule, base, weight and quota share, and may
-- be gated on another component's attainment.  An MBO component pays on
-- objective scores entered per rep and period (mbo_score).

CREATE TABLE spm_payout.plan_component (
    component_id    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version_id      integer NOT NULL REFERENCES spm_payout.plan_version ON DELETE CASCADE,
    name            text NOT NULL CONSTRAINT plan_component_name_not_empty CHECK (name <> ''),
    kind            text NOT NULL DEFAULT 'credit' CONSTRAINT plan_component_kind_known CHECK (kind IN ('credit', 'mbo', 'spiff')),
    source_id       integer REFERENCES spm_payout.source,
    filter_column   name,
    filter_values   text[],
    measure_column  name,
    base            text NOT NULL DEFAULT 'amount' CONSTRAINT plan_component_base_known CHECK (base IN ('amount', 'quota', 'attainment')),
    schedule        spm.schedule NOT NULL,
    weight          numeric CONSTRAINT plan_component_weight_range CHECK (weight > 0 AND weight <= 1),
    quota_share     numeric NOT NULL DEFAULT 1 CONSTRAINT plan_component_quota_share_positive CHECK (quota_share > 0 AND quota_share < 'Infinity'),
    gate_component  text,
    gate_attainment numeric CONSTRAINT plan_component_gate_attainment_range CHECK (gate_attainment >= 0 AND gate_attainment < 'Infinity'),
    -- SPIFFs (docs/components.md, "SPIFFs"): a bounded date window, a fixed
    -- amount per qualifying deal or a rate of its measure, a minimum measure
    spiff_window    daterange,
    spiff_amount    numeric CONSTRAINT plan_component_spiff_amount_range CHECK (spiff_amount > 0 AND spiff_amount < 'Infinity'),
    spiff_rate      numeric CONSTRAINT plan_component_spiff_rate_range CHECK (spiff_rate > 0 AND spiff_rate < 'Infinity'),
    spiff_min       numeric CONSTRAINT plan_component_spiff_min_range CHECK (spiff_min >= 0 AND spiff_min < 'Infinity'),
    -- holdbacks (docs/holdbacks.md)
    holdback_share   numeric CONSTRAINT plan_component_holdback_share_range CHECK (holdback_share > 0 AND holdback_share < 1),
    holdback_release text CONSTRAINT plan_component_holdback_release_known CHECK (holdback_release IN ('periods', 'collection')),
    holdback_periods integer CONSTRAINT plan_component_holdback_periods_positive CHECK (holdback_periods >= 1),
    UNIQUE (version_id, name),
    CONSTRAINT plan_component_filter_both CHECK ((filter_column IS NULL) = (filter_values IS NULL)),
    CONSTRAINT plan_component_filter_values CHECK (cardinality(filter_values) > 0 AND array_position(filter_values, NULL) IS NULL),
    CONSTRAINT plan_component_gate_both CHECK ((gate_component IS NULL) = (gate_attainment IS NULL)),
    CONSTRAINT plan_component_gate_other CHECK (gate_component <> name),
    CONSTRAINT plan_component_column_needs_source CHECK (source_id IS NOT NULL OR (filter_column IS NULL AND measure_column IS NULL)),
    CONSTRAINT plan_component_mbo_no_source CHECK (kind <> 'mbo' OR (source_id IS NULL AND filter_column IS NULL AND measure_column IS NULL)),
    CONSTRAINT plan_component_needs_weight CHECK (weight IS NOT NULL OR (kind <> 'mbo' AND base <> 'attainment')),
    -- a SPIFF has its window and exactly one of amount and rate; no weight,
    -- quota base or gate; the other kinds have no SPIFF column
    CONSTRAINT plan_component_spiff_columns CHECK (CASE WHEN kind = 'spiff'
        THEN spiff_window IS NOT NULL AND (spiff_amount IS NULL) <> (spiff_rate IS NULL)
             AND weight IS NULL AND base = 'amount' AND gate_component IS NULL
        ELSE spiff_window IS NULL AND spiff_amount IS NULL AND spiff_rate IS NULL AND spiff_min IS NULL END),
    CONSTRAINT plan_component_spiff_window_bounded CHECK (NOT isempty(spiff_window) AND NOT lower_inf(spiff_window)
                                                          AND NOT upper_inf(spiff_window)),
    CONSTRAINT plan_component_holdback_both CHECK ((holdback_share IS NULL) = (holdback_release IS NULL)),
    CONSTRAINT plan_component_holdback_periods CHECK ((holdback_periods IS NOT NULL) = coalesce(holdback_release = 'periods', false)),
    CONSTRAINT plan_component_holdback_collection CHECK (holdback_release IS DISTINCT FROM 'collection'
                                                         OR (kind = 'credit' AND measure_column IS NULL)),
    -- rate tables (docs/components.md, "Rate tables"): a deal column whose
    -- value picks the deal's schedule in spm_payout.component_rate
    rate_column     name,
    CONSTRAINT plan_component_rate_table CHECK (rate_column IS NULL
        OR (source_id IS NOT NULL AND kind = 'credit' AND base = 'amount' AND gate_component IS NULL))
);
COMMENT ON TABLE spm_payout.plan_component IS
    'a component of a plan version (docs/components.md): its measure (source, filter, column), base, schedule, weight of the target incentive, quota share and optional gate on another component''s attainment; a version without components pays on all its credit';
COMMENT ON COLUMN spm_payout.plan_component.kind IS 'credit: pays on credited deals; mbo: pays on objective scores (mbo_score); spiff: a one-time bonus per qualifying deal (docs/components.md, "SPIFFs")';
COMMENT ON COLUMN spm_payout.plan_component.source_id IS 'the source whose deals it counts; NULL: every source (then no filter and no measure column)';
COMMENT ON COLUMN spm_payout.plan_component.filter_column IS 'with filter_values: counts only the deals whose column::text = ANY (filter_values)';
COMMENT ON COLUMN spm_payout.plan_component.measure_column IS 'a numeric column of the source credited instead of its amount_column (e.g. gross margin); NULL: the amount';
COMMENT ON COLUMN spm_payout.plan_component.weight IS 'share of the version''s target incentive (base attainment, kind mbo); the weights of a version''s components sum to 1';
COMMENT ON COLUMN spm_payout.plan_component.quota_share IS 'the component''s quota = the rep''s quota (prorated) * quota_share';
COMMENT ON COLUMN spm_payout.plan_component.spiff_window IS 'a SPIFF''s date window (bounded, not empty): a deal qualifies when its deal date is inside';
COMMENT ON COLUMN spm_payout.plan_component.spiff_amount IS 'a SPIFF''s fixed amount per qualifying deal (exactly one of spiff_amount and spiff_rate)';
COMMENT ON COLUMN spm_payout.plan_component.spiff_rate IS 'a SPIFF''s rate of the qualifying deal''s net measure (exactly one of spiff_amount and spiff_rate)';
COMMENT ON COLUMN spm_payout.plan_component.spiff_min IS 'a SPIFF''s minimum: a deal qualifies only when the rep''s net measure of it to date is at least this (NULL: any positive measure)';
COMMENT ON COLUMN spm_payout.plan_component.holdback_share IS 'share of the component''s positive earnings held back, 0 < share < 1 (docs/holdbacks.md); NULL: none';
COMMENT ON COLUMN spm_payout.plan_component.holdback_release IS 'when held amounts are released: periods (holdback_periods pay periods later) or collection (pro rata as the credited deals are paid)';
COMMENT ON COLUMN spm_payout.plan_component.holdback_periods IS 'with holdback_release periods: how many pay periods later a held amount is released (>= 1)';
COMMENT ON COLUMN spm_payout.plan_component.rate_column IS 'a column of the source whose value (as text) picks each deal''s schedule in component_rate (docs/components.md, "Rate tables"); NULL: the component''s schedule';
COMMENT ON COLUMN spm_payout.plan_component.gate_component IS 'name of another component of the same version: this one pays nothing while that one''s attainment to date is below gate_attainment';

CREATE TABLE spm_payout.mbo_score (
    rep          text NOT NULL,
    period_id    integer NOT NULL REFERENCES spm_payout.pay_period,
    component_id integer NOT NULL REFERENCES spm_payout.plan_component ON DELETE CASCADE,
    score        numeric NOT NULL CONSTRAINT mbo_score_range CHECK (score >= 0 AND score <= 1),
    PRIMARY KEY (rep, period_id, component_id)
);
COMMENT ON TABLE spm_payout.mbo_score IS
    'objective scores of an MBO component per rep and pay period, 0 to 1 (0.85 = 85%); a missing score is 0 (docs/components.md)';
ALTER TABLE spm_payout.mbo_score ENABLE ROW LEVEL SECURITY;

CREATE TRIGGER plan_component_audit AFTER INSERT OR UPDATE OR DELETE ON spm_payout.plan_component
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit();
CREATE TRIGGER mbo_score_audit AFTER INSERT OR UPDATE OR DELETE ON spm_payout.mbo_score
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit();
-- scores of a closed period cannot change, like quotas
CREATE TRIGGER mbo_score_closed BEFORE INSERT OR UPDATE OR DELETE ON spm_payout.mbo_score
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.reject_closed();
SELECT pg_catalog.pg_extension_config_dump('spm_payout.plan_component', '');
SELECT pg_catalog.pg_extension_config_dump(pg_get_serial_sequence('spm_payout.plan_component', 'component_id')::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('spm_payout.mbo_score', '');

-- A component's columns are checked when it is written, like a source's:
-- they exist, the writing role can read them, a filter column can be
-- hashed (runs fingerprint it), a measure column is a number; an MBO score
-- names an MBO component.
CREATE OR REPLACE FUNCTION spm_payout_internal.check_component() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rel regclass;
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN NEW;
    END IF;
    -- a SPIFF uses no schedule (docs/components.md, "SPIFFs"): left NULL, it
    -- is stored as marginal(0: 0) (NOT NULL is checked after this trigger)
    IF NEW.kind = 'spiff' AND NEW.schedule IS NULL THEN
        NEW.schedule := 'marginal(0: 0)'::spm.schedule;
    END IF;
    -- the SPIFF terms, with a clear message (the CHECK constraints hold them
    -- too, 23514)
    IF NEW.kind = 'spiff' AND (NEW.spiff_amount IS NULL) = (NEW.spiff_rate IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = '23514',
            MESSAGE = format('SPIFF %s needs exactly one of spiff_amount and spiff_rate', NEW.name),
            HINT = 'spiff_amount pays a fixed amount per qualifying deal, spiff_rate a rate of its measure.';
    ELSIF NEW.kind = 'spiff' AND (NEW.spiff_window IS NULL OR isempty(NEW.spiff_window)
                                  OR lower_inf(NEW.spiff_window) OR upper_inf(NEW.spiff_window)) THEN
        RAISE EXCEPTION USING ERRCODE = '23514',
            MESSAGE = format('SPIFF %s needs a window with a first and a last day, not %s', NEW.name,
                             coalesce(NEW.spiff_window::text, 'NULL')),
            HINT = 'Give spiff_window as a date range such as ''[2025-02-01,2025-03-01)''.';
    END IF;
    -- without a source, the CHECK constraints refuse a filter or measure (23514)
    IF NEW.source_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT s.relation INTO rel FROM spm_payout.source s WHERE s.source_id = NEW.source_id;
    IF NEW.filter_column IS NOT NULL THEN
        PERFORM spm_payout_internal.check_hashable(rel, NEW.filter_column, 'filter_column',
            spm_payout_internal.check_column(rel, NEW.filter_column, 'filter_column'));
    END IF;
    IF NEW.measure_column IS NOT NULL THEN
        PERFORM spm_payout_internal.check_column(rel, NEW.measure_column, 'measure_column',
                                                 '{numeric,integer,bigint,smallint}');
    END IF;
    -- a rate table's column is checked like a filter column (docs/components.md, "Rate tables")
    IF NEW.rate_column IS NOT NULL THEN
        PERFORM spm_payout_internal.check_hashable(rel, NEW.rate_column, 'rate_column',
            spm_payout_internal.check_column(rel, NEW.rate_column, 'rate_column'));
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION spm_payout_internal.check_component() IS
    'trigger: a component''s filter and measure columns must exist in its source, be readable by the writing role; a filter column hashable, a measure column a number';
CREATE TRIGGER plan_component_check BEFORE INSERT OR UPDATE ON spm_payout.plan_component
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.check_component();

CREATE OR REPLACE FUNCTION spm_payout_internal.check_mbo_score() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM spm_payout.plan_component c WHERE c.component_id = NEW.component_id AND c.kind = 'mbo') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('component %s is not an MBO component', NEW.component_id),
            HINT = 'Scores are entered for components of kind mbo.';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION spm_payout_internal.check_mbo_score() IS
    'trigger: an MBO score must name a component of kind mbo (22023)';
CREATE TRIGGER mbo_score_check BEFORE INSERT OR UPDATE ON spm_payout.mbo_score
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.check_mbo_score();

-- The plans a run pays must be consistent (docs/components.md, "Errors"):
-- for each version with components, the weights sum to 1, a version with
-- weighted components has a target incentive, a gate names a component of
-- the same version, and a gating component is a credit component not itself
-- gated (so gates never form a cycle; not an MBO component or a SPIFF).
-- Checked at each run, over the versions in force during the run's periods:
-- the catalog may be edited in any order between runs.
CREATE OR REPLACE FUNCTION spm_payout_internal.check_components(periods integer[]) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    FOR bad IN
        SELECT pl.name AS plan, v.version, v.target_incentive,
               sum(c.weight) AS weights, count(c.weight) AS weighted,
               (SELECT g.name FROM spm_payout.plan_component g
                 WHERE g.version_id = v.version_id AND g.gate_component IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM spm_payout.plan_component o
                                    WHERE o.version_id = v.version_id AND o.name = g.gate_component)
                 ORDER BY g.name LIMIT 1) AS missing_gate,
               (SELECT g.name FROM spm_payout.plan_component g JOIN spm_payout.plan_component o
                    ON o.version_id = g.version_id AND o.name = g.gate_component
                 WHERE g.version_id = v.version_id AND (o.gate_component IS NOT NULL OR o.kind <> 'credit')
                 ORDER BY g.name LIMIT 1) AS chained_gate
          FROM spm_payout.plan_version v JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
          JOIN spm_payout.plan_component c ON c.version_id = v.version_id
         WHERE EXISTS (SELECT 1 FROM spm_payout.pay_period k WHERE k.period_id = ANY (periods) AND k.period && v.valid)
         GROUP BY pl.name, v.version, v.version_id, v.target_incentive
         ORDER BY pl.name, v.version
    LOOP
        IF bad.weighted > 0 AND bad.weights <> 1 THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('the component weights of plan %s version %s sum to %s, not 1', bad.plan, bad.version, bad.weights),
                HINT = 'The weights of a version''s components that have one are shares of its target incentive: they sum to 1.';
        ELSIF bad.weighted > 0 AND bad.target_incentive IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('plan %s version %s has weighted components but no target incentive', bad.plan, bad.version),
                HINT = 'Set plan_version.target_incentive.';
        ELSIF bad.missing_gate IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('component %s of plan %s version %s is gated on a component the version does not have',
                                 bad.missing_gate, bad.plan, bad.version),
                HINT = 'gate_component names another component of the same version.';
        ELSIF bad.chained_gate IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('component %s of plan %s version %s is gated on a component that is itself gated, an MBO component or a SPIFF',
                                 bad.chained_gate, bad.plan, bad.version),
                HINT = 'Gate on a credit component without a gate of its own (gates do not chain, so they cannot form a cycle).';
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION spm_payout_internal.check_components(integer[]) IS
    'internal: 22023 for an inconsistent plan in force during some periods: weights not summing to 1, weighted components without a target incentive, a gate on a missing, gated, MBO or SPIFF component';

-- The credit components a run matches deals against, one row per
-- (component, source it counts): pg_temp.spm_comp.  slot numbers the
-- distinct (filter, measure) pairs of a source's components (0: the amount,
-- no filter): the source is read once with one measure per slot
-- (source_sql).  Created only when some version has credit components, so
-- a run without components generates the SQL it always did.
CREATE OR REPLACE FUNCTION spm_payout_internal.component_slots()
RETURNS TABLE (component_id integer, version_id integer, source_id integer, slot integer,
               filter_column name, filter_values text[], measure_column name)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH cs AS (
        SELECT c.component_id, c.version_id, s.source_id, c.filter_column, c.filter_values, c.measure_column
          FROM spm_payout.plan_component c
          JOIN spm_payout.source s ON s.source_id = c.source_id OR c.source_id IS NULL
         -- a SPIFF counts credited deals as a credit component does (docs/components.md, "SPIFFs")
         WHERE c.kind IN ('credit', 'spiff')
    ), specs AS (
        SELECT x.*, row_number() OVER (PARTITION BY x.source_id ORDER BY x.filter_column, x.filter_values, x.measure_column)::integer AS slot
          FROM (SELECT DISTINCT cs.source_id, cs.filter_column, cs.filter_values, cs.measure_column FROM cs
                 WHERE cs.filter_column IS NOT NULL OR cs.measure_column IS NOT NULL) x
    )
    SELECT cs.component_id, cs.version_id, cs.source_id, coalesce(sp.slot, 0), cs.filter_column, cs.filter_values, cs.measure_column
      FROM cs LEFT JOIN specs sp ON sp.source_id = cs.source_id AND sp.filter_column IS NOT DISTINCT FROM cs.filter_column
                                AND sp.filter_values IS NOT DISTINCT FROM cs.filter_values
                                AND sp.measure_column IS NOT DISTINCT FROM cs.measure_column
$$;
COMMENT ON FUNCTION spm_payout_internal.component_slots() IS
    'internal: each credit component with each source it counts and the slot of its (filter, measure) among that source''s';

CREATE OR REPLACE FUNCTION spm_payout_internal.build_components() RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint := 0;
BEGIN
    PERFORM spm_payout_internal.drop_work_table('spm_comp');
    IF EXISTS (SELECT 1 FROM spm_payout.plan_component) THEN
        CREATE TEMP TABLE spm_comp ON COMMIT DROP AS
        SELECT x.component_id, x.version_id, x.source_id, x.slot FROM spm_payout_internal.component_slots() x;
        GET DIAGNOSTICS n = ROW_COUNT;
        ANALYZE pg_temp.spm_comp;
    END IF;
    RETURN n;
END $$;
COMMENT ON FUNCTION spm_payout_internal.build_components() IS
    'internal: the credit components deals are matched against (pg_temp.spm_comp), only when some exist';

-- The measures of a source's component slots 1..n, as one numeric[]
-- expression over the source row (alias s): element i is slot i's measure
-- when its filter matches, else NULL.  NULL when the source has no slot
-- above 0.
CREATE OR REPLACE FUNCTION spm_payout_internal.component_measures_sql(sid integer, amount_column name)
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'ARRAY[' || string_agg(format('CASE WHEN %s THEN (s.%I)::numeric END',
                                         CASE WHEN x.filter_column IS NULL THEN 'true'
                                              ELSE format('(s.%I)::text = ANY (%L::text[])', x.filter_column, x.filter_values) END,
                                         coalesce(x.measure_column, amount_column)), ', ' ORDER BY x.slot) || ']::numeric[]'
      FROM (SELECT DISTINCT k.slot, k.filter_column, k.filter_values, k.measure_column
              FROM spm_payout_internal.component_slots() k WHERE k.source_id = sid AND k.slot > 0) x
$$;
COMMENT ON FUNCTION spm_payout_internal.component_measures_sql(integer, name) IS
    'internal: the numeric[] of a source row''s component measures (slot i: its measure where its filter matches, else NULL)';

CREATE OR REPLACE FUNCTION spm_payout_internal.grants_components() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    GRANT SELECT, INSERT, UPDATE, DELETE ON spm_payout.plan_component, spm_payout.mbo_score TO spm_admin;
    GRANT SELECT ON spm_payout.plan_component, spm_payout.mbo_score TO spm_analyst;
    -- reps read the components of their plans (like plan_version) and their own scores
    GRANT SELECT ON spm_payout.plan_component, spm_payout.mbo_score TO spm_rep;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.grants_components() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.grants_components() IS
    'internal: rights on plan components and MBO scores (admins edit, analysts read, reps read components and their own scores)';

CREATE OR REPLACE FUNCTION spm_payout_internal.policies_components() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.mbo_score'::regclass AND polname = 'mbo_score_all') THEN
        CREATE POLICY mbo_score_all ON spm_payout.mbo_score TO spm_admin, spm_analyst USING (true) WITH CHECK (true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.mbo_score'::regclass AND polname = 'mbo_score_own') THEN
        CREATE POLICY mbo_score_own ON spm_payout.mbo_score FOR SELECT TO spm_rep
            USING (rep = ANY ((SELECT spm_payout.my_reps())::text[]));
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.policies_components() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.policies_components() IS
    'internal: row-level security of mbo_score (admins and analysts: every row; reps: their own)';

COMMENT ON COLUMN spm_payout.credit_line.component_id IS
    'the plan component credited (docs/components.md); NULL under a version without components';
COMMENT ON COLUMN spm_payout.period_credit.component_id IS
    'the plan component (docs/components.md); NULL under a version without components';
COMMENT ON COLUMN spm_payout.payout_line.component_id IS
    'the plan component the line pays (docs/components.md); NULL under a version without components';

-- The join of credit rows (alias d: with a slot; c: the chain) with the
-- components of the credited person's version (docs/components.md,
-- "Rules"): under a version with components, a row per matching credit
-- component (source and slot); under a version without (or none), the row
-- of slot 0 as before, component NULL.
CREATE OR REPLACE FUNCTION spm_payout_internal.component_join_sql() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT format('
          LEFT JOIN pg_temp.spm_comp k ON k.version_id = c.version_id AND k.source_id = d.source_id AND k.slot = d.slot
         WHERE k.component_id IS NOT NULL OR (d.slot = 0 AND (c.version_id IS NULL OR c.version_id <> ALL (%L::integer[])))',
                  coalesce((SELECT array_agg(DISTINCT c.version_id ORDER BY c.version_id) FROM spm_payout.plan_component c), '{}'))
$$;
COMMENT ON FUNCTION spm_payout_internal.component_join_sql() IS
    'internal: SQL matching credit rows with the components of the credited person''s version (pg_temp.spm_comp)';

-- The components of a version that paid a closed pay period cannot change:
-- its closed periods were paid per component, and later periods accumulate
-- on them (as for plan_version: docs/payout.md, "Plan versions").
CREATE OR REPLACE FUNCTION spm_payout_internal.keep_paid_components() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    vid integer;
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    FOREACH vid IN ARRAY ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.version_id END,
                               CASE WHEN TG_OP <> 'DELETE' THEN NEW.version_id END] LOOP
        IF EXISTS (SELECT 1 FROM spm_payout.payout_line l JOIN spm_payout.pay_period p ON p.period_id = l.period_id
                    WHERE l.version_id = vid AND p.status = 'closed') THEN
            RAISE EXCEPTION USING ERRCODE = '55000',
                MESSAGE = format('plan %s version %s paid a closed pay period: its components cannot change',
                                 (SELECT pl.name FROM spm_payout.plan_version v JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
                                   WHERE v.version_id = vid),
                                 (SELECT v.version FROM spm_payout.plan_version v WHERE v.version_id = vid)),
                HINT = 'End the version and add a new one with the new components.';
        END IF;
    END LOOP;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.keep_paid_components() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.keep_paid_components() IS
    'trigger: the components of a plan version that paid a closed pay period cannot be added, changed or deleted (55000)';
CREATE TRIGGER plan_component_keep_paid BEFORE INSERT OR UPDATE OR DELETE ON spm_payout.plan_component
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.keep_paid_components();
