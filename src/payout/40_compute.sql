-- spm_payout, part 4: the computation (docs/payout.md, "How a run computes").
-- Only CREATE OR REPLACE statements: included whole in upgrade scripts.
--
-- store_run runs as the extension owner (SECURITY DEFINER) because it
-- writes the result tables, which no other role may write.  It reads only
-- spm_payout's own tables and the staged temporary tables, after checking
-- that they are plain temporary tables of this session with exactly the
-- expected columns (no view, trigger, rule, index or policy that could run
-- code of the caller's as the owner).  Everything is set-based: no per-row
-- trigger, no per-row PL/pgSQL, no foreign-key check on result rows.

CREATE OR REPLACE FUNCTION spm_payout_internal.check_stage() RETURNS void
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
        ('spm_chain',       'rep text, ancestor text, depth integer, valid daterange, version_id integer, currency text'),
        ('spm_fx',          'version_id integer, currency text, day date, rate numeric'),
        ('spm_comp',        'component_id integer, version_id integer, source_id integer, slot integer'),
        ('spm_stage_paid',  'source_id integer, deal text, paid_date date, amount numeric'),
        ('spm_deal_value',  'component_id integer, deal text, value text')) v(name, cols)
    LOOP
        -- only a run with holdbacks released on collection has payments (stage_collections, docs/holdbacks.md)
        CONTINUE WHEN t.name = 'spm_stage_paid' AND to_regclass('pg_temp.spm_stage_paid') IS NULL;
        -- only a run that converts currencies has rates (build_fx, docs/currency.md)
        CONTINUE WHEN t.name = 'spm_fx' AND to_regclass('pg_temp.spm_fx') IS NULL;
        -- only a run that matches plan components has them (build_components, docs/components.md)
        CONTINUE WHEN t.name = 'spm_comp' AND to_regclass('pg_temp.spm_comp') IS NULL;
        -- only a run with rate tables has deal values (stage_rate_values, docs/components.md)
        CONTINUE WHEN t.name = 'spm_deal_value' AND to_regclass('pg_temp.spm_deal_value') IS NULL;
        SELECT string_agg(format('%s %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum)
          INTO shape
          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relname = t.name AND c.relnamespace = pg_my_temp_schema()
           AND c.relkind = 'r' AND c.relpersistence = 't'
           AND NOT c.relhastriggers AND NOT c.relhasrules AND NOT c.relhasindex
           AND NOT c.relrowsecurity AND NOT c.relhassubclass AND NOT c.relispartition;
        -- the stage of a run that converts currencies keeps each deal's currency (docs/currency.md)
        -- and, with plan components, each deal's component measures (docs/components.md)
        IF shape IS DISTINCT FROM t.cols
           AND NOT (t.name = 'spm_stage_deal'
                    AND shape IN (t.cols || ', currency text', t.cols || ', measures numeric[]',
                                  t.cols || ', currency text, measures numeric[]')) THEN
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
-- (build_chains) does the roll-up and the plan lookup at once.  Deals of
-- the sources in fx_sources (those with a currency_column) are converted
-- into the currency of the credited person's plan with pg_temp.spm_fx
-- (build_fx) and rounded to the cent, as source_credit_sql does; a missing
-- rate leaves the amount NULL (docs/currency.md).
CREATE OR REPLACE FUNCTION spm_payout_internal.credit_sql(periods integer[], rates numeric[], with_splits boolean,
                                                          fx_sources integer[] DEFAULT NULL,
                                                          components text DEFAULT NULL) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $f$
    SELECT replace(format($q$
        SELECT d.period_id, coalesce(c.ancestor, d.rep) AS rep, c.version_id, d.source_id, d.deal, d.deal_date,
               CASE WHEN c.depth > 0 THEN 'rollup' ELSE d.via END AS via,
               CASE WHEN c.depth > 0 THEN d.rep END AS from_rep, coalesce(c.depth, 0)::smallint AS depth,
               %2$s AS amount%5$s
          FROM (%3$s) d
          LEFT JOIN pg_temp.spm_chain c ON c.rep = d.rep AND c.valid @> d.deal_date%4$s%6$s
    $q$, periods,
       CASE WHEN coalesce(cardinality(fx_sources), 0) = 0 THEN a.amt
            ELSE format('CASE WHEN c.currency IS NULL OR NOT (d.source_id = ANY (%2$L::integer[])) OR d.currency = c.currency
                              THEN %1$s ELSE round((%1$s) * x.rate, 2) END', a.amt, fx_sources) END,
       CASE WHEN NOT with_splits THEN
                format('SELECT s.period_id, s.source_id, s.deal, s.deal_date, s.rep, ''direct'' AS via, s.amount%2$s
                          FROM pg_temp.spm_stage_deal s WHERE s.period_id = ANY (%1$L::integer[])', periods, a.cur)
            ELSE format($s$
                WITH d AS (SELECT * FROM pg_temp.spm_stage_deal sd WHERE sd.period_id = ANY (%1$L::integer[]))
                SELECT d.period_id, d.source_id, d.deal, d.deal_date, d.rep, 'direct' AS via, d.amount%2$s
                  FROM d
                 WHERE NOT EXISTS (SELECT 1 FROM pg_temp.spm_stage_split s WHERE s.source_id = d.source_id AND s.deal = d.deal)
                UNION ALL
                SELECT d.period_id, d.source_id, d.deal, d.deal_date, s.rep, 'split',
                       spm.split_share(d.amount, s.weight) OVER (PARTITION BY d.row_id%3$s ORDER BY s.rep)%2$s
                  FROM d JOIN pg_temp.spm_stage_split s ON s.source_id = d.source_id AND s.deal = d.deal$s$,
                periods, replace(a.cur, 's.', 'd.'), CASE WHEN components IS NULL THEN '' ELSE ', d.slot' END)
       END,
       CASE WHEN coalesce(cardinality(fx_sources), 0) = 0 THEN ''
            ELSE '
          LEFT JOIN pg_temp.spm_fx x ON x.version_id = c.version_id AND x.currency = d.currency AND x.day = d.deal_date' END,
       CASE WHEN components IS NULL THEN '' ELSE ', k.component_id' END,
       coalesce(components, '')),
       'pg_temp.spm_stage_deal',
       -- with plan components (docs/components.md): the staged deals, one row
       -- per measure slot they have (0: the amount; each matching component
       -- slot), each split in its own right
       CASE WHEN components IS NULL THEN 'pg_temp.spm_stage_deal' ELSE format(
           '(SELECT s0.row_id, s0.period_id, s0.source_id, s0.deal, s0.rep, g.amount, s0.deal_date%s, g.slot
               FROM pg_temp.spm_stage_deal s0
              CROSS JOIN LATERAL (SELECT 0 AS slot, s0.amount
                                  UNION ALL
                                  SELECT u.i::integer, u.v FROM unnest(s0.measures) WITH ORDINALITY u(v, i)
                                   WHERE u.v IS NOT NULL) g)',
           CASE WHEN coalesce(cardinality(fx_sources), 0) = 0 THEN '' ELSE ', s0.currency' END) END)
      FROM (SELECT CASE WHEN rates IS NULL THEN 'd.amount'
                        ELSE format('CASE WHEN c.depth > 0 THEN d.amount * coalesce((%L::numeric[])[c.depth], 0) ELSE d.amount END', rates) END AS amt,
                   CASE WHEN coalesce(cardinality(fx_sources), 0) = 0 THEN '' ELSE ', s.currency' END
                   || CASE WHEN components IS NULL THEN '' ELSE ', s.slot' END AS cur) a
$f$;
COMMENT ON FUNCTION spm_payout_internal.credit_sql(integer[], numeric[], boolean, integer[], text) IS
    'internal: the SELECT computing the deal-level credit rows of staged periods (splits, roll-ups, plan versions, conversion into the plan currency, plan components: components is component_join_sql() or NULL)';

-- Who is credited for a rep's deal, over time: the rep itself (depth 0)
-- and every manager above it (depth 1, 2, ...) from the staged hierarchy,
-- each cut into the date ranges of the credited person's plan versions
-- (assignment range * version range; version NULL where none applies),
-- with the plan's currency (docs/currency.md), kept where they meet the
-- staged periods.  A few rows per person, whatever
-- the number of deals.
CREATE OR REPLACE FUNCTION spm_payout_internal.build_chains(periods integer[]) RETURNS bigint
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
        SELECT a.rep, a.valid * v.valid AS valid, v.version_id, pl.currency
          FROM spm_payout.assignment a JOIN spm_payout.plan_version v ON v.plan_id = a.plan_id AND v.valid && a.valid
          JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
    ), covered AS (
        SELECT p.rep, range_agg(p.valid) AS valid FROM pieces p GROUP BY p.rep
    ), cut AS (
        SELECT up.rep, up.ancestor, up.depth, up.valid * p.valid AS valid, p.version_id, p.currency
          FROM up JOIN pieces p ON p.rep = up.ancestor AND p.valid && up.valid
        UNION ALL
        SELECT up.rep, up.ancestor, up.depth, g.r, NULL, NULL
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
-- range * version range * period.  A quota of basis 'days_on_plan' (written
-- by an approved cascade, docs/goals.md) is already prorated: it is shared
-- among the rep's pieces (version ranges) by days, penny-exact
-- (spm.split_share, in date order), the denominator being the days the rep
-- is on any plan in the period, so its parts add up to the quota itself.
-- no_quota: a quota or attainment version the rep is on without a quota for
-- the period.
CREATE OR REPLACE FUNCTION spm_payout_internal.period_parts(pid integer)
RETURNS TABLE (rep text, version_id integer, quota numeric, target numeric, no_quota boolean, component_id integer)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    -- with plan components (docs/components.md): a row per component, its
    -- quota = the rep's quota part * quota_share (none for an MBO
    -- component), its target = the target incentive part * weight (NULL
    -- without a weight), each rounded to the cent; a component needs a
    -- quota when it is a credit component of base quota or attainment, or
    -- gates another one
    SELECT b.rep, b.version_id,
           CASE WHEN pc.component_id IS NULL THEN b.quota WHEN pc.kind = 'credit' THEN round(b.quota * pc.quota_share, 2) END,
           CASE WHEN pc.component_id IS NULL THEN b.target ELSE round(b.target * pc.weight, 2) END,
           b.missing AND CASE WHEN pc.component_id IS NULL THEN b.base <> 'amount'
                              ELSE pc.kind = 'credit' AND (pc.base <> 'amount'
                                   OR EXISTS (SELECT 1 FROM spm_payout.plan_component g
                                               WHERE g.version_id = pc.version_id AND g.gate_component = pc.name)) END,
           pc.component_id
      FROM (
    SELECT x.rep, x.version_id, x.base, sum(x.quota) AS quota, sum(spm.prorate(x.target_incentive, x.period, x.part)) AS target,
           bool_or(x.amount IS NULL) AS missing
      FROM (SELECT a.rep, v.version_id, v.base, v.target_incentive, k.period, k.period * a.valid * v.valid AS part,
                   q.amount,
                   CASE WHEN q.basis = 'days_on_plan'
                        THEN spm.split_share(CASE WHEN q.basis = 'days_on_plan' THEN q.amount END, (upper(k.period * a.valid * v.valid) - lower(k.period * a.valid * v.valid))::numeric,
                                             greatest(2, scale(q.amount)))
                               OVER (PARTITION BY a.rep ORDER BY lower(k.period * a.valid * v.valid))
                        ELSE spm.prorate(q.amount, k.period, k.period * a.valid * v.valid) END AS quota
              FROM spm_payout.pay_period k
              JOIN spm_payout.assignment a ON a.valid && k.period
              JOIN spm_payout.plan_version v ON v.plan_id = a.plan_id AND v.valid && k.period AND v.valid && a.valid
              LEFT JOIN spm_payout.quota q ON q.rep = a.rep AND q.period_id = k.period_id
             WHERE k.period_id = pid AND NOT isempty(k.period * a.valid * v.valid)) x
     GROUP BY 1, 2, 3) b
      LEFT JOIN spm_payout.plan_component pc ON pc.version_id = b.version_id
$$;
COMMENT ON FUNCTION spm_payout_internal.period_parts(integer) IS
    'internal: quota and target incentive of a period per rep, plan version and component, prorated to the days on the version (a days_on_plan quota: shared by days among the rep''s versions, not scaled down)';

-- What a computation of a period records per rep and plan version: its
-- credit and its quota parts.  credits: the period's partition of
-- credit_line (its column for_period_id), or pg_temp.spm_recalc (a
-- recomputed closed period, column period_id).
CREATE OR REPLACE FUNCTION spm_payout_internal.record_period(run bigint, pid integer, for_pid integer, credits text, period_column name)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- totals first, into a temporary table: CREATE TABLE AS may scan in
    -- parallel, an INSERT ... SELECT never does
    IF to_regclass('pg_temp.spm_totals') IS NOT NULL THEN
        DROP TABLE pg_temp.spm_totals;
    END IF;
    -- per plan component too when a run matches components (docs/components.md)
    EXECUTE format('CREATE TEMP TABLE spm_totals ON COMMIT DROP AS
                    SELECT x.rep, x.version_id, sum(x.amount) AS credited, count(*) AS deals, %s AS component_id
                      FROM %s x WHERE x.%I = %s GROUP BY 1, 2%s',
                   CASE WHEN to_regclass('pg_temp.spm_comp') IS NULL THEN 'NULL::integer' ELSE 'x.component_id' END,
                   credits, period_column, for_pid,
                   CASE WHEN to_regclass('pg_temp.spm_comp') IS NULL THEN '' ELSE ', 5' END);
    INSERT INTO spm_payout.period_credit (run_id, period_id, for_period_id, rep, version_id, credited, deals,
                                          quota, target, assigned, no_quota, component_id)
    SELECT run, pid, for_pid, coalesce(c.rep, q.rep), coalesce(c.version_id, q.version_id),
           coalesce(c.credited, 0), coalesce(c.deals, 0), q.quota, q.target, q.rep IS NOT NULL,
           coalesce(q.no_quota, false), coalesce(c.component_id, q.component_id)
      FROM pg_temp.spm_totals c
      FULL JOIN spm_payout_internal.period_parts(for_pid) q
        ON q.rep = c.rep AND q.version_id = c.version_id AND coalesce(q.component_id, 0) = coalesce(c.component_id, 0);
END $$;
COMMENT ON FUNCTION spm_payout_internal.record_period(bigint, integer, integer, text, name) IS
    'internal: records the credit and quota parts per rep and plan version of one computation of a period';

-- Earnings to date of every (rep, plan version) in the plan year that
-- contains year_of, over the periods of that year that start on or before
-- up_to, from the latest computation of each period: credit, quota and
-- target incentive to date, and earned to date = E(credit to date), odd for
-- negative credit (docs/payout.md, "The cumulative rule"); plus what the
-- other periods' commission lines paid.
CREATE OR REPLACE FUNCTION spm_payout_internal.earnings(this_period integer, year_of date, up_to date)
RETURNS TABLE (rep text, version_id integer, plan_id integer, year_range daterange, credited numeric,
               credited_to_date numeric, quota_to_date numeric, target_to_date numeric, no_quota boolean,
               active boolean, attainment_to_date numeric, earned_to_date numeric, paid_before numeric,
               component_id integer)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH pvv AS (
        SELECT v.version_id, v.plan_id, v.valid, v.schedule, v.base, v.target_incentive,
               spm.fiscal_period(year_of, 'year', pl.year_start_month) AS yr
          FROM spm_payout.plan_version v JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
    ), pv AS (
        -- a version pays per component when it has components (docs/components.md)
        SELECT pvv.version_id, pvv.plan_id, pvv.yr, k.component_id, coalesce(k.kind, 'credit') AS kind, k.name,
               coalesce(k.schedule, pvv.schedule) AS schedule, coalesce(k.base, pvv.base) AS base,
               k.gate_component, k.gate_attainment,
               k.name IN (SELECT g.gate_component FROM spm_payout.plan_component g
                           WHERE g.version_id = k.version_id) AS gating
          FROM pvv LEFT JOIN spm_payout.plan_component k ON k.version_id = pvv.version_id
    ), yp AS (
        -- every period of the plan year so far, also those after a version
        -- ended: a late change can still credit it, and what they paid counts
        SELECT pvv.version_id, k.period_id
          FROM pvv JOIN spm_payout.pay_period k ON k.period <@ pvv.yr AND lower(k.period) <= up_to
    ), latest AS (
        -- the latest computation of each period as of up_to: its own run, or
        -- a run that found it changed, booked in the latest period up to then
        SELECT DISTINCT ON (c.for_period_id) c.for_period_id, c.run_id
          FROM spm_payout.period_check c JOIN spm_payout.pay_period b ON b.period_id = c.period_id
         WHERE c.for_period_id IN (SELECT y.period_id FROM yp y)
           AND (c.changed OR c.period_id = c.for_period_id) AND lower(b.period) <= up_to
         ORDER BY c.for_period_id, lower(b.period) DESC, c.run_id DESC
    ), cum AS (
        SELECT pc.rep, pc.version_id, pc.component_id, sum(pc.credited) AS cum,
               coalesce(sum(pc.credited) FILTER (WHERE pc.for_period_id = this_period), 0) AS this_credit,
               sum(pc.quota) AS quota, sum(pc.target) AS target, bool_or(pc.no_quota) AS no_quota,
               coalesce(bool_or(pc.assigned) FILTER (WHERE pc.for_period_id = this_period), false) AS active
          FROM spm_payout.period_credit pc
          JOIN latest l ON l.for_period_id = pc.for_period_id AND l.run_id = pc.run_id
          JOIN yp ON yp.version_id = pc.version_id AND yp.period_id = pc.for_period_id
         GROUP BY 1, 2, 3
    ), mbo AS (
        -- MBO components (docs/components.md): each period's target part
        -- times E(its score), a missing score 0; read from the (few) MBO
        -- components, nothing when there are none
        SELECT pc.rep, pc.version_id, pc.component_id,
               sum(pc.target * spm.apply(mk.schedule, coalesce(ms.score, 0))) AS mbo_earned,
               sum(pc.target * coalesce(ms.score, 0)) AS mbo_scored
          FROM spm_payout.plan_component mk
          JOIN spm_payout.period_credit pc ON pc.component_id = mk.component_id
          JOIN latest l ON l.for_period_id = pc.for_period_id AND l.run_id = pc.run_id
          JOIN yp ON yp.version_id = pc.version_id AND yp.period_id = pc.for_period_id
          LEFT JOIN spm_payout.mbo_score ms
                 ON ms.rep = pc.rep AND ms.period_id = pc.for_period_id AND ms.component_id = mk.component_id
         WHERE mk.kind = 'mbo'
           -- evaluated once: no MBO component, nothing read
           AND EXISTS (SELECT 1 FROM spm_payout.plan_component x WHERE x.kind = 'mbo')
         GROUP BY 1, 2, 3
    ), spiff AS (
        -- SPIFFs (docs/components.md, "SPIFFs"): per rep, the deals credited
        -- to it directly or by a split (depth 0) under the SPIFF component,
        -- their net credit summed over every row up to this period (a
        -- credit note nets the deal down); a deal qualifies when one of its
        -- rows is dated inside the window and its net is > 0 and at least
        -- the minimum.  Read from the SPIFF components only, nothing when
        -- there are none.
        SELECT d.rep, d.version_id, d.component_id,
               sum(coalesce(sk.spiff_amount, sk.spiff_rate * d.net)) AS spiff_earned
          FROM (SELECT cl.rep, cl.version_id, cl.component_id, cl.source_id, cl.deal, sum(cl.amount) AS net,
                       bool_or(cl.deal_date <@ wk.spiff_window) AS in_window
                  FROM spm_payout.plan_component wk
                  JOIN spm_payout.credit_line cl ON cl.component_id = wk.component_id AND cl.depth = 0
                  JOIN yp ON yp.version_id = cl.version_id AND yp.period_id = cl.for_period_id
                  JOIN spm_payout.pay_period b ON b.period_id = cl.period_id AND lower(b.period) <= up_to
                 WHERE wk.kind = 'spiff'
                   -- evaluated once: no SPIFF component, nothing read
                   AND EXISTS (SELECT 1 FROM spm_payout.plan_component x WHERE x.kind = 'spiff')
                 GROUP BY 1, 2, 3, 4, 5) d
          JOIN spm_payout.plan_component sk ON sk.component_id = d.component_id
         WHERE d.in_window AND d.net > 0 AND d.net >= coalesce(sk.spiff_min, 0)
         GROUP BY 1, 2, 3
    ), paid AS (
        -- what the other periods paid for this plan year: their commission
        -- lines, and prior-year lines booked for it (in a later plan year)
        SELECT l.rep, l.version_id, l.component_id, sum(l.earned) AS paid
          FROM spm_payout.payout_line l
          JOIN yp ON yp.version_id = l.version_id
                 AND yp.period_id = CASE l.line_kind WHEN 'commission' THEN l.period_id ELSE l.for_period_id END
         WHERE l.line_kind IN ('commission', 'prior_year') AND l.period_id IS DISTINCT FROM this_period
         GROUP BY 1, 2, 3
    ), t AS (
        SELECT coalesce(c.rep, p.rep) AS rep, coalesce(c.version_id, p.version_id) AS version_id,
               coalesce(c.component_id, p.component_id) AS component_id,
               coalesce(c.this_credit, 0) AS credited, coalesce(c.cum, 0) AS cum,
               c.quota, c.target, coalesce(c.no_quota, false) OR c.quota IS NULL AS no_quota,
               coalesce(c.active, false) AS active, coalesce(p.paid, 0) AS paid
          FROM cum c FULL JOIN paid p ON p.rep = c.rep AND p.version_id = c.version_id
                                     AND coalesce(p.component_id, 0) = coalesce(c.component_id, 0)
    ), e AS (
        SELECT t.rep, t.version_id, pv.plan_id, pv.yr, t.credited, t.cum, t.quota, t.target, t.no_quota, t.active,
               t.paid, t.component_id, pv.name, pv.gate_component, pv.gate_attainment, pv.gating,
               CASE WHEN pv.gating THEN spm.attainment(t.cum, t.quota) END AS gating_attainment,
               -- the order of the join, kept in the result (line ids follow it)
               row_number() OVER () AS ord,
               CASE WHEN pv.kind = 'mbo' THEN CASE WHEN t.target > 0 THEN round(coalesce(mbo.mbo_scored, 0) / t.target, 4) END
                    WHEN pv.base <> 'amount' AND NOT t.no_quota THEN spm.attainment(t.cum, t.quota) END AS attainment,
               CASE WHEN pv.kind = 'mbo' THEN round(coalesce(mbo.mbo_earned, 0), 2)
                    -- a SPIFF: the amount or rate of its qualifying deals, to the cent
                    WHEN pv.kind = 'spiff' THEN round(coalesce(spiff.spiff_earned, 0), 2)
                    WHEN pv.base = 'amount' OR NOT t.no_quota THEN
                   round(sign(t.cum) * CASE pv.base
                       WHEN 'amount' THEN spm.apply(pv.schedule, abs(t.cum))
                       WHEN 'quota' THEN spm.apply(pv.schedule, abs(t.cum), t.quota)
                       ELSE t.target * spm.apply(pv.schedule, spm.attainment(abs(t.cum), t.quota)) END, 2)
               END AS earned
          FROM t JOIN pv ON pv.version_id = t.version_id AND coalesce(pv.component_id, 0) = coalesce(t.component_id, 0)
          LEFT JOIN mbo ON mbo.rep = t.rep AND mbo.version_id = t.version_id AND mbo.component_id = t.component_id
          LEFT JOIN spiff ON spiff.rep = t.rep AND spiff.version_id = t.version_id AND spiff.component_id = t.component_id
    )
    SELECT e.rep, e.version_id, e.plan_id, e.yr, e.credited, e.cum, e.quota, e.target, e.no_quota, e.active,
           e.attainment,
           -- a gated component earns nothing to date while the gating
           -- component's attainment to date is below the gate (docs/components.md)
           CASE WHEN e.earned IS NULL OR e.gate_component IS NULL THEN e.earned
                WHEN coalesce((e.gates ->> e.gate_component)::numeric >= e.gate_attainment, false) THEN e.earned
                ELSE 0 END,
           e.paid, e.component_id
      FROM (SELECT e.*,
                   -- the attainments to date of the rep's gating components of the version, by name
                   jsonb_object_agg(e.name, e.gating_attainment) FILTER (WHERE e.gating)
                       OVER (PARTITION BY e.rep, e.version_id) AS gates
              FROM e) e
     ORDER BY e.ord
$$;
COMMENT ON FUNCTION spm_payout_internal.earnings(integer, date, date) IS
    'internal: credit, quota, target, earnings to date (per component: credit, MBO and SPIFF) and commission paid by the other periods, per rep and plan version, over a plan year up to a period';

-- A phase of the run: a NOTICE and a row of spm_payout.run_phase.
CREATE OR REPLACE FUNCTION spm_payout_internal.log_phase(run bigint, phase text, nrows bigint, started timestamptz)
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
CREATE OR REPLACE FUNCTION spm_payout_internal.store_run(pid integer, started timestamptz, staged bigint, stage_ms numeric)
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
    fx_src   integer[];
    bad      record;
    q        text;
BEGIN
    PERFORM spm_payout_internal.check_stage();
    SELECT * INTO p FROM spm_payout.pay_period WHERE period_id = pid FOR SHARE;
    IF NOT FOUND OR p.status = 'closed' THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format('pay period %s is closed', coalesce(p.label, pid::text));
    END IF;
    SELECT array_agg(c.period_id ORDER BY c.period_id) INTO chg
      FROM pg_temp.spm_stage_check c WHERE c.changed AND c.period_id <> pid;
    chg := coalesce(chg, '{}');
    -- the plans in force must be consistent (docs/components.md, "Errors")
    PERFORM spm_payout_internal.check_components(pid || chg);
    INSERT INTO spm_payout.run (period_id, status, run_by, started_at, finished_at, examined, changed, input_fingerprint)
    VALUES (pid, 'succeeded', spm_payout.acting_role(), started, started,
            ARRAY(SELECT pp.label FROM pg_temp.spm_stage_check c JOIN spm_payout.pay_period pp ON pp.period_id = c.period_id
                   WHERE c.period_id <> pid ORDER BY lower(pp.period)),
            ARRAY(SELECT pp.label FROM spm_payout.pay_period pp WHERE pp.period_id = ANY (chg) ORDER BY lower(pp.period)),
            -- the acceptance part: docs/acceptance.md, "Runs and closes"
            -- and the holdback part: docs/holdbacks.md, "Runs and closes"
            concat_ws('|holdback ',
                      concat_ws('|acceptance ', (SELECT c.fingerprint FROM pg_temp.spm_stage_check c WHERE c.period_id = pid),
                                spm_payout_internal.acceptance_fingerprint()),
                      spm_payout_internal.holdback_fingerprint(pid)))
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
        -- sources whose deals are converted into the plan currency (docs/currency.md)
        IF EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = 'pg_temp.spm_stage_deal'::regclass
                                                  AND a.attname = 'currency' AND NOT a.attisdropped) THEN
            fx_src := ARRAY(SELECT o.source_id FROM spm_payout.source o WHERE o.currency_column IS NOT NULL ORDER BY 1);
        END IF;
        EXECUTE format('CREATE TEMP TABLE spm_recalc ON COMMIT DROP AS %s',
                       spm_payout_internal.credit_sql(chg, h.override_rates, splits, fx_src,
                           -- plan components (docs/components.md)
                           CASE WHEN to_regclass('pg_temp.spm_comp') IS NOT NULL
                                THEN spm_payout_internal.component_join_sql() END));
        IF cardinality(fx_src) > 0 THEN
            SELECT c.source_id, c.deal, c.deal_date, c.version_id INTO bad FROM pg_temp.spm_recalc c WHERE c.amount IS NULL LIMIT 1;
            IF FOUND THEN
                PERFORM spm_payout_internal.fx_fail(bad.source_id, bad.deal, bad.deal_date, bad.version_id,
                    format('SELECT s.deal, s.deal_date, s.currency FROM pg_temp.spm_stage_deal s WHERE s.source_id = %s',
                           bad.source_id));
            END IF;
        END IF;
        PERFORM spm_payout_internal.record_period(run, pid, j, 'pg_temp.spm_recalc', 'period_id') FROM unnest(chg) j;
        q := format($q$
            INSERT INTO spm_payout.%I (period_id, for_period_id, version_id, source_id, deal_date, depth,
                                       via, rep, deal, from_rep, amount/*c*/)
            SELECT %s, k.for_period_id, k.version_id, k.source_id, k.deal_date, k.depth, k.via, k.rep, k.deal,
                   k.from_rep, sum(k.amount)/*k*/
              FROM (SELECT c.period_id AS for_period_id, c.rep, c.version_id, c.source_id, c.deal, c.deal_date,
                           c.via, c.from_rep, c.depth, c.amount/*cc*/ FROM pg_temp.spm_recalc c
                    UNION ALL
                    SELECT l.for_period_id, l.rep, l.version_id, l.source_id, l.deal, l.deal_date, l.via,
                           l.from_rep, l.depth, -l.amount/*l*/
                      FROM spm_payout.credit_line l
                     WHERE l.period_id = ANY (%4$L::integer[]) AND l.for_period_id = ANY (%3$L::integer[])
                       AND l.period_id <> %2$s) k
             GROUP BY k.for_period_id, k.rep, k.version_id, k.source_id, k.deal, k.deal_date, k.via, k.from_rep, k.depth/*k*/
            HAVING sum(k.amount) <> 0$q$, part, pid, chg,
            -- the changed periods' own partitions, and those of earlier periods
            -- whose runs booked late rows for them (the state as of this period)
            chg || ARRAY(SELECT pc.period_id FROM spm_payout.period_check pc
                           JOIN spm_payout.pay_period b ON b.period_id = pc.period_id
                          WHERE pc.changed IS TRUE AND pc.for_period_id = ANY (chg)
                            AND lower(b.period) < lower(p.period)));
        -- per plan component too when the run matches components (docs/components.md)
        IF to_regclass('pg_temp.spm_comp') IS NOT NULL THEN
            q := replace(replace(replace(replace(q, '/*c*/', ', component_id'), '/*k*/', ', k.component_id'),
                                 '/*cc*/', ', c.component_id'), '/*l*/', ', l.component_id');
        END IF;
        EXECUTE q;
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
    -- rate tables and deal lines (docs/statements.md): only where a component
    -- has a rate table or a plan asks for deal statements, or a rerun must
    -- take back the period's deal lines
    IF EXISTS (SELECT 1 FROM spm_payout.plan_component c WHERE c.rate_column IS NOT NULL)
       OR EXISTS (SELECT 1 FROM spm_payout.plan pl WHERE pl.deal_statements)
       OR EXISTS (SELECT 1 FROM spm_payout.deal_commission d WHERE d.period_id = pid) THEN
        n := spm_payout_internal.store_deal_commissions(run, pid);
        t := spm_payout_internal.log_phase(run, 'deal lines', n, t);
    END IF;
    EXECUTE format($q$
        INSERT INTO spm_payout.payout_line (run_id, period_id, for_period_id, rep, plan_id, version_id, line_kind,
                                            credited, late_credit, credited_to_date, quota_to_date, attainment_to_date,
                                            earned_to_date, paid_before, earned, component_id)
        SELECT %1$s, %2$s, %2$s, e.rep, e.plan_id, e.version_id, 'commission',
               e.credited, coalesce(lc.late, 0), e.credited_to_date, e.quota_to_date, e.attainment_to_date,
               e.earned_to_date, e.paid_before, e.earned_to_date - e.paid_before, e.component_id
          FROM pg_temp.spm_earn e
          LEFT JOIN (SELECT e2.rep, e2.version_id, e2.component_id, sum(g.late) AS late
                       FROM pg_temp.spm_earn e2
                       JOIN (SELECT l.rep, l.version_id, l.component_id, l.for_period_id, sum(l.amount) AS late
                               FROM spm_payout.%3$I l WHERE %4$L AND l.for_period_id <> %2$s GROUP BY 1, 2, 3, 4) g
                         ON g.rep = e2.rep AND g.version_id = e2.version_id
                        AND coalesce(g.component_id, 0) = coalesce(e2.component_id, 0)
                       JOIN spm_payout.pay_period f ON f.period_id = g.for_period_id AND f.period <@ e2.year_range
                      GROUP BY 1, 2, 3) lc
                 ON lc.rep = e.rep AND lc.version_id = e.version_id
                AND coalesce(lc.component_id, 0) = coalesce(e.component_id, 0)$q$,
        run, pid, part, cardinality(chg) > 0);
    GET DIAGNOSTICS n = ROW_COUNT;

    -- changed closed periods of earlier plan years: the year is settled
    -- again at its end, the difference booked as a prior-year line
    INSERT INTO spm_payout.payout_line (run_id, period_id, for_period_id, rep, plan_id, version_id, line_kind,
                                        credited, late_credit, credited_to_date, quota_to_date, attainment_to_date,
                                        earned_to_date, paid_before, earned, cause, component_id)
    SELECT run, pid, y.last_period, e.rep, e.plan_id, e.version_id, 'prior_year',
           0, 0, e.credited_to_date, e.quota_to_date, e.attainment_to_date, e.earned_to_date,
           e.paid_before, e.earned_to_date - e.paid_before,
           jsonb_build_object('plan_year', e.year_range::text, 'reason', 'a closed period of an earlier plan year changed'),
           e.component_id
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
    -- a rate-table component is paid deal by deal at each deal's rate, which
    -- the settlement of an earlier plan year does not compute: refused rather
    -- than paid by another rule (docs/components.md, "Rate tables")
    SELECT pl.name AS plan, c.name AS component, f.label INTO bad
      FROM spm_payout.payout_line l
      JOIN spm_payout.plan_component c ON c.component_id = l.component_id AND c.rate_column IS NOT NULL
      JOIN spm_payout.plan pl ON pl.plan_id = l.plan_id
      JOIN spm_payout.pay_period f ON f.period_id = l.for_period_id
     WHERE l.period_id = pid AND l.line_kind = 'prior_year' LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '0A000',
            MESSAGE = format('component %s of plan %s has a rate table, and a closed period of its plan year ending %s changed',
                             bad.component, bad.plan, bad.label),
            DETAIL = 'A rate-table component is paid deal by deal; the settlement of an earlier plan year cannot recompute it.',
            HINT = 'Undo the change to the earlier plan year''s deals and book the difference as a manual adjustment.';
    END IF;

    -- manual adjustments
    INSERT INTO spm_payout.payout_line (run_id, period_id, for_period_id, rep, line_kind, earned, cause)
    SELECT run, pid, pid, a.rep, 'manual', a.amount,
           jsonb_build_object('adjustment_id', a.adjustment_id, 'reason', a.reason,
                              'author', a.author, 'created_at', a.created_at)
      FROM spm_payout.adjustment a WHERE a.period_id = pid;
    SELECT count(*) INTO n FROM spm_payout.payout_line l WHERE l.period_id = pid;
    t := spm_payout_internal.log_phase(run, 'lines', n, t);

    -- plan acceptance: lines marked, amounts held and released
    -- (docs/acceptance.md); nothing under the policy none
    n := spm_payout_internal.store_acceptance(run, pid);
    IF n IS NOT NULL THEN
        t := spm_payout_internal.log_phase(run, 'acceptance', n, t);
    END IF;
    -- component holdbacks: amounts held and released (docs/holdbacks.md);
    -- nothing when no component has a holdback
    n := spm_payout_internal.store_holdback(run, pid);
    IF n IS NOT NULL THEN
        t := spm_payout_internal.log_phase(run, 'holdbacks', n, t);
    END IF;

    -- 4. draws: one ledger step per rep from the balance carried out of the
    -- rep's latest earlier period, replayed as a first, synthetic row (a
    -- clawback of that size with no draw) whose line is discarded.  The
    -- ledger steps on what is paid: earned - held + released
    -- (docs/acceptance.md, "Draws").
    INSERT INTO spm_payout.payout_summary (run_id, period_id, rep, earned, draw, draw_kind, draw_paid,
                                           recovered, forgiven, balance, payout, held, released, payout_local)
    WITH reps AS (
        SELECT l.rep FROM spm_payout.payout_line l WHERE l.period_id = pid
        UNION
        SELECT d.rep FROM spm_payout.draw_agreement d WHERE d.term @> lower(p.period)
        UNION
        SELECT ph.rep FROM spm_payout.payout_hold ph WHERE ph.period_id = pid
        UNION
        SELECT hb.rep FROM spm_payout.payout_holdback hb WHERE hb.period_id = pid
    ), holds AS (
        -- acceptance holds (docs/acceptance.md) and component holdbacks (docs/holdbacks.md)
        SELECT ph.rep, sum(ph.held) AS held, sum(ph.released) AS released
          FROM (SELECT a.rep, a.held, a.released FROM spm_payout.payout_hold a WHERE a.period_id = pid
                UNION ALL
                SELECT b.rep, b.held, b.released FROM spm_payout.payout_holdback b WHERE b.period_id = pid) ph
         GROUP BY 1
    ), carried AS (
        SELECT r.rep,
               coalesce((SELECT s.balance FROM spm_payout.payout_summary s
                           JOIN spm_payout.pay_period pp ON pp.period_id = s.period_id
                          WHERE s.rep = r.rep AND lower(pp.period) < lower(p.period)
                          ORDER BY lower(pp.period) DESC LIMIT 1), 0) AS balance
          FROM reps r
    ), steps AS (
        SELECT c.rep, 0 AS step, -c.balance AS earned, 0::numeric AS draw, NULL::text AS kind,
               1::numeric AS recovery_limit, false AS forgive, 0::numeric AS held, 0::numeric AS released
          FROM carried c
        UNION ALL
        SELECT c.rep, 1,
               coalesce((SELECT sum(l.earned) FROM spm_payout.payout_line l
                          WHERE l.rep = c.rep AND l.period_id = pid), 0),
               coalesce(d.amount, 0), d.kind, coalesce(d.recovery_limit, 1),
               coalesce(d.forgive_at_end AND p.period @> (upper(d.term) - 1), false),
               coalesce(ho.held, 0), coalesce(ho.released, 0)
          FROM carried c
          LEFT JOIN spm_payout.draw_agreement d ON d.rep = c.rep AND d.term @> lower(p.period)
          LEFT JOIN holds ho ON ho.rep = c.rep
    ), ledger AS (
        SELECT s.*, spm.draw_ledger(s.earned - s.held + s.released, s.draw, coalesce(s.kind, 'recoverable'),
                                    s.recovery_limit, s.forgive)
                      OVER (PARTITION BY s.rep ORDER BY s.step) AS line
          FROM steps s
    )
    SELECT run, pid, l.rep, l.earned, l.draw, l.kind,
           (l.line).draw_paid, (l.line).recovered, (l.line).forgiven, (l.line).balance, (l.line).payout,
           l.held, l.released, (l.line).payout
      FROM ledger l WHERE l.step = 1;
    GET DIAGNOSTICS n = ROW_COUNT;
    -- payouts in the reps' currencies (docs/currency.md); nothing to do
    -- while no plan has a currency and no rep a payout currency
    IF EXISTS (SELECT 1 FROM spm_payout.plan pl WHERE pl.currency IS NOT NULL)
       OR EXISTS (SELECT 1 FROM spm_payout.rep_currency) THEN
        PERFORM spm_payout_internal.convert_payouts(pid);
    END IF;
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
CREATE OR REPLACE FUNCTION spm_payout_internal.open_credit(pid integer) RETURNS text
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
CREATE OR REPLACE FUNCTION spm_payout_internal.record_failure(pid integer, started timestamptz, phase text, state text, message text)
RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO spm_payout.run (period_id, status, run_by, started_at, finished_at, failed_phase, error_sqlstate, error_message)
    VALUES (pid, 'failed', spm_payout.acting_role(), started, clock_timestamp(), phase, state, message)
    RETURNING run_id
$$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.record_failure(integer, timestamptz, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.record_failure(integer, timestamptz, text, text, text) IS
    'internal: records a failed run (period, phase, SQLSTATE, message)';

-- Closing: only if the period's inputs are what its last run computed.
CREATE OR REPLACE FUNCTION spm_payout_internal.mark_closed(pid integer, fingerprint text) RETURNS void
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
