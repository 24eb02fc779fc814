-- spm_payout, part 9.4: holdbacks and pay on collection (docs/holdbacks.md).
--
-- A plan component may hold back a share of its positive earnings
-- (plan_component.holdback_share, declared in 25_components.sql) and
-- release it either a number of pay periods later or pro rata as the
-- deals it credited are paid (collection_rule: a user table of payments per
-- deal, read with the caller's rights while the run stages).  The run calls
-- store_holdback() after store_acceptance(): what it holds and releases
-- lands, per rep, plan version and component, in payout_holdback, and is
-- added to payout_summary.held and .released, which the draw ledger
-- already steps on (earned - held + released, docs/acceptance.md).  A run
-- without holdbacks does nothing here.

CREATE TABLE spm_payout.collection_rule (
    source_id     integer PRIMARY KEY REFERENCES spm_payout.source ON DELETE CASCADE,
    relation      regclass NOT NULL,
    deal_column   name NOT NULL,
    date_column   name NOT NULL,
    amount_column name NOT NULL,
    registered_by text NOT NULL DEFAULT spm_payout.acting_role()
);
COMMENT ON TABLE spm_payout.collection_rule IS
    'pay on collection (docs/holdbacks.md): a table of payments (deal, paid date, paid amount) of the deals of a source, read with the caller''s rights by the runs that release holdbacks on collection';
COMMENT ON COLUMN spm_payout.collection_rule.deal_column IS 'the deal paid, compared as text with the source''s deal_column';
COMMENT ON COLUMN spm_payout.collection_rule.date_column IS 'the date of the payment (type date): a payment counts from the pay period containing it';
COMMENT ON COLUMN spm_payout.collection_rule.amount_column IS 'the amount paid, in the units of the source''s amount (negative: a refund)';

-- What holdbacks held and released, per period, rep, plan version and
-- component.  Written only by the run (store_holdback).
CREATE TABLE spm_payout.payout_holdback (
    run_id       bigint NOT NULL,
    period_id    integer NOT NULL,
    rep          text NOT NULL,
    version_id   integer NOT NULL,
    component_id integer NOT NULL,
    earned       numeric NOT NULL,
    held         numeric NOT NULL,
    released     numeric NOT NULL,
    PRIMARY KEY (period_id, rep, component_id)
);
CREATE INDEX payout_holdback_rep ON spm_payout.payout_holdback (rep, component_id);
COMMENT ON TABLE spm_payout.payout_holdback IS
    'per pay period, rep, plan version and component with a holdback: the component''s earnings of the period, the part held back (negative: a clawback consuming what was still held) and the amounts held earlier released in the period (docs/holdbacks.md)';
ALTER TABLE spm_payout.payout_holdback ENABLE ROW LEVEL SECURITY;

-- A collection rule's table and columns are checked when it is written,
-- like a split rule's (docs/payout.md, "Sources").
CREATE FUNCTION spm_payout_internal.check_collection_rule() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN NEW;
    END IF;
    PERFORM spm_payout_internal.check_relation(NEW.relation, 'relation');
    PERFORM spm_payout_internal.check_hashable(NEW.relation, NEW.deal_column, 'deal_column',
        spm_payout_internal.check_column(NEW.relation, NEW.deal_column, 'deal_column'));
    PERFORM spm_payout_internal.check_column(NEW.relation, NEW.date_column, 'date_column', '{date}');
    PERFORM spm_payout_internal.check_column(NEW.relation, NEW.amount_column, 'amount_column',
                                             '{numeric,integer,bigint,smallint}');
    RETURN NEW;
END $$;
COMMENT ON FUNCTION spm_payout_internal.check_collection_rule() IS
    'trigger: a collection rule''s relation must be a permanent table or view the writing role can read, its deal column hashable, its date column a date, its amount column a number';
CREATE TRIGGER collection_rule_check BEFORE INSERT OR UPDATE ON spm_payout.collection_rule
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.check_collection_rule();
CREATE TRIGGER collection_rule_audit AFTER INSERT OR UPDATE OR DELETE ON spm_payout.collection_rule
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit();

-- The payments a run may need (pg_temp.spm_stage_paid), read with the
-- caller's rights by stage(): only when some component releases on
-- collection, so other runs read nothing more.
CREATE FUNCTION spm_payout_internal.stage_collections() RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r   spm_payout.collection_rule;
    n   bigint := 0;
    k   bigint;
    bad record;
BEGIN
    PERFORM spm_payout_internal.drop_work_table('spm_stage_paid');
    IF NOT EXISTS (SELECT 1 FROM spm_payout.plan_component c WHERE c.holdback_release = 'collection') THEN
        RETURN NULL;
    END IF;
    CREATE TEMP TABLE spm_stage_paid (source_id integer, deal text, paid_date date, amount numeric) ON COMMIT DROP;
    FOR r IN SELECT * FROM spm_payout.collection_rule ORDER BY source_id LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = r.relation) THEN
            RAISE EXCEPTION USING ERRCODE = '42P01',
                MESSAGE = format('the table of the collection rule of source %s no longer exists', r.source_id),
                HINT = 'Update or delete the registration in spm_payout.collection_rule.';
        END IF;
        EXECUTE format('INSERT INTO pg_temp.spm_stage_paid SELECT %s, (t.%I)::text, t.%I, (t.%I)::numeric FROM %s t',
                       r.source_id, r.deal_column, r.date_column, r.amount_column, r.relation);
        GET DIAGNOSTICS k = ROW_COUNT;
        n := n + k;
    END LOOP;
    SELECT p.source_id, p.deal INTO bad FROM pg_temp.spm_stage_paid p
     WHERE p.deal IS NULL OR p.paid_date IS NULL OR p.amount IS NULL OR p.amount IN ('NaN', 'Infinity', '-Infinity')
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('collection rule of source %s: a payment of deal %s has a NULL deal, date or amount, or an amount that is not a finite number',
                             bad.source_id, coalesce(bad.deal, 'NULL')),
            HINT = 'Every row of a collection table is a payment: a deal, a date and a finite amount.';
    END IF;
    ANALYZE pg_temp.spm_stage_paid;
    RETURN n;
END $$;
COMMENT ON FUNCTION spm_payout_internal.stage_collections() IS
    'internal: reads the payments of every collection rule into pg_temp.spm_stage_paid with the caller''s rights, only when some component releases on collection (22023 for a NULL or non-finite row, 42P01 for a dropped table)';

-- The holdback part of a run's input fingerprint: the holdback settings of
-- the components, the collection rules and the payments dated before the
-- end of the period.  NULL when no component has a holdback, so that the
-- fingerprint is then what it always was.
CREATE FUNCTION spm_payout_internal.holdback_fingerprint(pid integer) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    fp text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM spm_payout.plan_component c WHERE c.holdback_share IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM spm_payout.payout_holdback h WHERE h.period_id <> pid) THEN
        RETURN NULL;
    END IF;
    fp := concat_ws(',',
        (SELECT spm.fingerprint(c.component_id, c.holdback_share, c.holdback_release, c.holdback_periods)
           FROM spm_payout.plan_component c WHERE c.holdback_share IS NOT NULL),
        (SELECT spm.fingerprint(r.source_id, r.relation::text, r.deal_column::text, r.date_column::text, r.amount_column::text)
           FROM spm_payout.collection_rule r));
    IF to_regclass('pg_temp.spm_stage_paid') IS NOT NULL THEN
        fp := concat_ws(',', fp, 'paid:' || (SELECT spm.fingerprint(p.source_id, p.deal, p.paid_date, p.amount)
                                              FROM pg_temp.spm_stage_paid p
                                             WHERE p.paid_date < (SELECT upper(k.period) FROM spm_payout.pay_period k
                                                                   WHERE k.period_id = pid)));
    END IF;
    RETURN fp;
END $$;
COMMENT ON FUNCTION spm_payout_internal.holdback_fingerprint(integer) IS
    'internal: fingerprint of the holdback settings, collection rules and payments dated before the end of the period; NULL when no component has a holdback and nothing was ever held';

-- The run's holdback step (docs/holdbacks.md, "Rules and rounding"), after
-- the acceptance step, per rep, plan version and component with a
-- holdback (or with an amount still held):
--   E = the component's lines of the period (sum of earned); not held when
--       the acceptance policy holds the rep's version this period;
--   O = held - released over the earlier periods (still held);
--   held h = round(E * share, 2) when E > 0, else -least(O, -E): a
--       clawback first consumes what is still held;
--   target T of released to date: 'periods': the held amounts of the
--       periods at least holdback_periods pay periods earlier;
--       'collection': round((held before + h) * collected share, 2);
--   released r = greatest(0, least(T - released before, O + h)).
-- paid = E - h + r.  A rerun deletes the period's rows and reads only
-- earlier periods: the same inputs give the same rows.
CREATE FUNCTION spm_payout_internal.store_holdback(run bigint, pid integer) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n   bigint;
    bad record;
BEGIN
    DELETE FROM spm_payout.payout_holdback h WHERE h.period_id = pid;
    IF NOT EXISTS (SELECT 1 FROM spm_payout.plan_component c WHERE c.holdback_share IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM spm_payout.payout_holdback h) THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM spm_payout.plan_component c WHERE c.holdback_release = 'collection')
       AND to_regclass('pg_temp.spm_stage_paid') IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = 'the payments of the collection rules were not staged';
    END IF;
    -- a component releasing on collection needs the payments of every
    -- source it counts (else nothing it holds would ever be released)
    SELECT pl.name AS plan, v.version, c.name, s.name AS source INTO bad
      FROM spm_payout.plan_component c
      JOIN spm_payout.plan_version v ON v.version_id = c.version_id
      JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
      JOIN spm_payout.source s ON s.source_id = c.source_id OR c.source_id IS NULL
     WHERE c.holdback_release = 'collection'
       AND v.valid && (SELECT k.period FROM spm_payout.pay_period k WHERE k.period_id = pid)
       AND NOT EXISTS (SELECT 1 FROM spm_payout.collection_rule r WHERE r.source_id = s.source_id)
     ORDER BY 1, 2, 3, 4 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('component %s of plan %s version %s releases its holdback on collection, but source %s has no collection rule',
                             bad.name, bad.plan, bad.version, bad.source),
            HINT = 'Register the table of the source''s payments in spm_payout.collection_rule.';
    END IF;
    -- without a component releasing on collection nothing was staged; the
    -- query below names the payments table all the same (empty here)
    IF to_regclass('pg_temp.spm_stage_paid') IS NULL THEN
        CREATE TEMP TABLE spm_stage_paid (source_id integer, deal text, paid_date date, amount numeric) ON COMMIT DROP;
    END IF;
    INSERT INTO spm_payout.payout_holdback (run_id, period_id, rep, version_id, component_id, earned, held, released)
    WITH per AS (
        SELECT k.period_id, lower(k.period) AS start, row_number() OVER (ORDER BY lower(k.period)) AS n
          FROM spm_payout.pay_period k
    ), cur AS (
        SELECT per.*, (SELECT upper(k.period) FROM spm_payout.pay_period k WHERE k.period_id = pid) AS stop
          FROM per WHERE per.period_id = pid
    ), hb AS (
        SELECT c.component_id, c.holdback_share, c.holdback_release, c.holdback_periods
          FROM spm_payout.plan_component c WHERE c.holdback_share IS NOT NULL
    ), earned AS (
        SELECT l.rep, l.version_id, l.component_id, sum(l.earned) AS earned
          FROM spm_payout.payout_line l JOIN hb ON hb.component_id = l.component_id
         WHERE l.period_id = pid
           AND NOT EXISTS (SELECT 1 FROM spm_payout.payout_hold ph
                            WHERE ph.period_id = pid AND ph.rep = l.rep AND ph.version_id = l.version_id AND ph.held <> 0)
         GROUP BY 1, 2, 3
    ), past AS (
        SELECT h.rep, h.version_id, h.component_id, sum(h.held) AS held_before, sum(h.released) AS released_before,
               coalesce(sum(h.held) FILTER (WHERE per.n <= cur.n - hb.holdback_periods), 0) AS due
          FROM spm_payout.payout_holdback h
          JOIN per ON per.period_id = h.period_id
          CROSS JOIN cur
          LEFT JOIN hb ON hb.component_id = h.component_id
         WHERE per.start < cur.start
         GROUP BY 1, 2, 3
    ), x AS (
        SELECT coalesce(e.rep, p.rep) AS rep, coalesce(e.version_id, p.version_id) AS version_id,
               coalesce(e.component_id, p.component_id) AS component_id,
               coalesce(e.earned, 0) AS earned, coalesce(p.held_before, 0) AS held_before,
               coalesce(p.released_before, 0) AS released_before, coalesce(p.due, 0) AS due
          FROM earned e FULL JOIN past p ON p.rep = e.rep AND p.component_id = e.component_id AND p.version_id = e.version_id
    ), credit AS (
        -- collection: the deals credited to date to the rep by the component
        -- (every run period up to this one), and what was paid on them
        -- before the end of the period, capped per deal at its credit
        SELECT d.rep, d.version_id, d.component_id, sum(d.credit) AS credited,
               sum(least(d.credit, coalesce(pd.paid, 0))) AS collected
          FROM (SELECT c.rep, c.version_id, c.component_id, c.source_id, c.deal, sum(c.amount) AS credit
                  FROM spm_payout.credit_line c
                  JOIN per ON per.period_id = c.period_id
                  CROSS JOIN cur
                 WHERE c.component_id IN (SELECT hb.component_id FROM hb WHERE hb.holdback_release = 'collection')
                   AND per.start <= cur.start
                 GROUP BY 1, 2, 3, 4, 5
                HAVING sum(c.amount) > 0) d
          LEFT JOIN (SELECT sp.source_id, sp.deal, sum(sp.amount) AS paid
                       FROM pg_temp.spm_stage_paid sp
                      WHERE sp.paid_date < (SELECT cur.stop FROM cur)
                      GROUP BY 1, 2) pd ON pd.source_id = d.source_id AND pd.deal = d.deal
         GROUP BY 1, 2, 3
    ), y AS (
        SELECT x.*, hb.holdback_release, hb.holdback_share,
               CASE WHEN hb.component_id IS NULL THEN 0
                    WHEN x.earned > 0 THEN round(x.earned * hb.holdback_share, 2)
                    ELSE -least(x.held_before - x.released_before, -x.earned) END AS held,
               CASE WHEN cr.credited > 0 THEN greatest(0, least(1, cr.collected / cr.credited)) ELSE 1 END AS share
          FROM x
          LEFT JOIN hb ON hb.component_id = x.component_id
          LEFT JOIN credit cr ON hb.holdback_release = 'collection' AND cr.rep = x.rep
                             AND cr.version_id = x.version_id AND cr.component_id = x.component_id
    ), z AS (
        SELECT y.*,
               CASE WHEN y.holdback_release IS NULL THEN y.held_before - y.released_before
                    ELSE greatest(0, least(CASE y.holdback_release
                                                WHEN 'periods' THEN y.due
                                                ELSE round((y.held_before + y.held) * y.share, 2) END - y.released_before,
                                           y.held_before - y.released_before + y.held)) END AS released
          FROM y
    )
    SELECT run, pid, z.rep, z.version_id, z.component_id, z.earned, z.held, z.released
      FROM z
     WHERE z.earned <> 0 OR z.held <> 0 OR z.released <> 0;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.store_holdback(bigint, integer) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.store_holdback(bigint, integer) IS
    'internal: computes what component holdbacks hold and release in the period (set-based; a rerun gives the same rows); NULL when no component has a holdback and nothing was ever held';

CREATE VIEW spm_payout.holdback_statement WITH (security_invoker = true) AS
SELECT p.label AS period, lower(p.period) AS period_start, p.status AS period_status,
       h.rep, pl.name AS plan, v.version AS plan_version, c.name AS component,
       h.earned, h.held, h.released, h.earned - h.held + h.released AS paid,
       sum(h.held - h.released) OVER (PARTITION BY h.rep, h.component_id ORDER BY lower(p.period)) AS held_to_date,
       h.run_id
  FROM spm_payout.payout_holdback h
  JOIN spm_payout.pay_period p ON p.period_id = h.period_id
  JOIN spm_payout.plan_version v ON v.version_id = h.version_id
  JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
  JOIN spm_payout.plan_component c ON c.component_id = h.component_id;
COMMENT ON VIEW spm_payout.holdback_statement IS
    'per period, rep and component with a holdback: earned, held back, released, paid (earned - held + released) and still held after the period (docs/holdbacks.md)';

-- pg_dump: the collection rules (catalog) and what was held (results).
SELECT pg_catalog.pg_extension_config_dump('spm_payout.collection_rule', '');
SELECT pg_catalog.pg_extension_config_dump('spm_payout.payout_holdback', '');

CREATE FUNCTION spm_payout_internal.grants_holdback() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    GRANT SELECT, INSERT, UPDATE, DELETE ON spm_payout.collection_rule TO spm_admin;
    GRANT SELECT ON spm_payout.collection_rule TO spm_analyst;
    GRANT SELECT ON spm_payout.payout_holdback, spm_payout.holdback_statement TO spm_admin, spm_analyst, spm_rep;
    -- runs and closes stage the payments and fingerprint them as the admin
    GRANT EXECUTE ON FUNCTION spm_payout_internal.stage_collections(),
          spm_payout_internal.holdback_fingerprint(integer) TO spm_admin;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.grants_holdback() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.grants_holdback() IS
    'internal: rights on collection rules (admins edit, analysts read) and held amounts (everyone reads, reps their own rows)';

CREATE FUNCTION spm_payout_internal.policies_holdback() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.payout_holdback'::regclass
                                             AND polname = 'payout_holdback_all') THEN
        CREATE POLICY payout_holdback_all ON spm_payout.payout_holdback FOR SELECT TO spm_admin, spm_analyst USING (true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.payout_holdback'::regclass
                                             AND polname = 'payout_holdback_own') THEN
        CREATE POLICY payout_holdback_own ON spm_payout.payout_holdback FOR SELECT TO spm_rep
            USING (rep = ANY ((SELECT spm_payout.my_reps())::text[]));
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.policies_holdback() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.policies_holdback() IS
    'internal: row-level security of held amounts (admins and analysts read all, reps their own)';
