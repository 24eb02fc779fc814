-- spm_payout, part 3: reading the user's tables (docs/payout.md, "How a run
-- reads your tables").
-- Only CREATE OR REPLACE statements: included whole in upgrade scripts.
--
-- Everything here runs with the rights of the role that calls the run
-- (SECURITY INVOKER): a run never reads a table, or calls a function of a
-- view, with more rights than that role has.  What it reads is copied into
-- temporary tables of fixed shape (pg_temp.spm_stage_*), which the
-- computation (store_run, part 4) checks and reads.

-- Drops a run's work table left by an earlier run in this transaction
-- (they last until commit).  One left by another role cannot be dropped:
-- say so plainly instead of "must be owner".
CREATE OR REPLACE FUNCTION spm_payout_internal.drop_work_table(name text) RETURNS void
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
CREATE OR REPLACE FUNCTION spm_payout_internal.date_expr(s spm_payout.source, alias text, OUT expr text, OUT lo text, OUT hi text)
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
CREATE OR REPLACE FUNCTION spm_payout_internal.check_registered() RETURNS void
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
-- deal_date, currency (NULL without a currency_column: docs/currency.md),
-- and measures (numeric[]) when the run matches plan components.
CREATE OR REPLACE FUNCTION spm_payout_internal.source_sql(s spm_payout.source, range_lo date, range_hi date)
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d  record;
BEGIN
    d := spm_payout_internal.date_expr(s, 's');
    RETURN format('SELECT %s AS source_id, (s.%I)::text AS deal, (s.%I)::text AS rep, (s.%I)::numeric AS amount,
                          %s AS deal_date, %s AS currency%s
                     FROM %s s
                    WHERE %s AND %s %s',
                  s.source_id, s.deal_column, s.rep_column, s.amount_column, d.expr,
                  CASE WHEN s.currency_column IS NULL THEN 'NULL::text' ELSE format('(s.%I)::text', s.currency_column) END,
                  -- a run matching plan components (pg_temp.spm_comp) reads each
                  -- row's component measures in the same pass (docs/components.md)
                  CASE WHEN to_regclass('pg_temp.spm_comp') IS NULL THEN ''
                       ELSE ', ' || coalesce(spm_payout_internal.component_measures_sql(s.source_id, s.amount_column),
                                             'NULL::numeric[]') || ' AS measures' END,
                  s.relation,
                  format(d.lo, to_char(range_lo, 'YYYY-MM-DD')), format(d.hi, to_char(range_hi, 'YYYY-MM-DD')),
                  CASE WHEN s.filter_column IS NULL THEN ''
                       ELSE format('AND (s.%I)::text = ANY (%L::text[])', s.filter_column, s.filter_values) END);
END $$;
COMMENT ON FUNCTION spm_payout_internal.source_sql(spm_payout.source, date, date) IS
    'internal: the SELECT reading one registered source over a date range';

-- The query fingerprinting one source's rows over some periods at once: a
-- jsonb object period_id -> fingerprint.  bounds are the periods' starts and
-- ends in order, ids the period starting at each bound (NULL for a gap).
-- Over a relation with foreign partitions (a sharded sales table,
-- docs/sharding.md, "Payout runs") the rows are fingerprinted per value of
-- the partition key, which lets PostgreSQL run each group's aggregate on the
-- shard that owns it (partitionwise aggregation, postgres_fdw push-down):
-- one row per group crosses the network, and spm.fingerprint_merge adds the
-- groups up to exactly the fingerprint of all the rows.
CREATE OR REPLACE FUNCTION spm_payout_internal.source_fingerprint_sql(s spm_payout.source, ids integer[], bounds date[])
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    sp     spm_payout.split_rule;
    de     record;
    keys   text;
    inner_sql text;
BEGIN
    de := spm_payout_internal.date_expr(s, 's');
    SELECT * INTO sp FROM spm_payout.split_rule r WHERE r.source_id = s.source_id;
    -- the partition key columns of a partitioned relation with foreign
    -- partitions (none when the key has an expression: no grouping then)
    IF sp.source_id IS NULL
       AND EXISTS (SELECT 1 FROM pg_partition_tree(s.relation) t JOIN pg_class c ON c.oid = t.relid
                    WHERE c.relkind = 'f')
       AND NOT EXISTS (SELECT 1 FROM pg_partitioned_table pt
                        WHERE pt.partrelid = s.relation AND 0 = ANY (pt.partattrs::int2[])) THEN
        SELECT string_agg(format('s.%I', a.attname), ', ' ORDER BY k.i) INTO keys
          FROM pg_partitioned_table pt, unnest(pt.partattrs::int2[]) WITH ORDINALITY k(attnum, i)
          JOIN pg_attribute a ON a.attrelid = s.relation AND a.attnum = k.attnum
         WHERE pt.partrelid = s.relation;
    END IF;
    inner_sql := format('SELECT (%11$L::integer[])[width_bucket(%1$s, %12$L::date[])] AS pid,
                                spm.fingerprint(s.%2$I, s.%3$I, s.%4$I, %1$s%14$s%5$s) AS fp
                           FROM %6$s s %7$s
                          WHERE %8$s AND %9$s %10$s
                          GROUP BY 1%13$s',
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
                        ELSE format('AND (s.%I)::text = ANY (%L::text[])', s.filter_column, s.filter_values) END,
                   ids,
                   -- ISO dates: the literal must not depend on the session's DateStyle
                   (SELECT array_agg(to_char(b, 'YYYY-MM-DD') ORDER BY i) FROM unnest(bounds) WITH ORDINALITY u(b, i)),
                   CASE WHEN keys IS NULL THEN '' ELSE ', ' || keys END,
                   -- each deal's currency (docs/currency.md)
                   CASE WHEN s.currency_column IS NULL THEN '' ELSE format(', s.%I', s.currency_column) END
                   -- each deal's plan component measures (docs/components.md); nothing
                   -- for a source no component filters or measures
                   || coalesce(', ' || spm_payout_internal.component_measures_sql(s.source_id, s.amount_column), ''));
    IF keys IS NULL THEN
        RETURN format('SELECT jsonb_object_agg(x.pid, x.fp) FROM (%s) x WHERE x.pid IS NOT NULL', inner_sql);
    END IF;
    RETURN format('SELECT jsonb_object_agg(y.pid, y.fp) FROM (
                     SELECT x.pid, spm.fingerprint_merge(x.fp) AS fp FROM (%s) x
                      WHERE x.pid IS NOT NULL GROUP BY 1) y', inner_sql);
END $$;
COMMENT ON FUNCTION spm_payout_internal.source_fingerprint_sql(spm_payout.source, integer[], date[]) IS
    'internal: the query fingerprinting one source''s rows per period (per partition key and merged, over foreign partitions)';

-- The fingerprint of each period's inputs, one text per period: its source
-- rows with their split rows, the hierarchy rows, assignments and plan
-- versions in force during it (their ranges cut to the period: ending a
-- version after a closed period does not change that period), its quotas
-- and adjustments, the draws that touch it, and the registrations (by
-- schema-qualified name, not OID: OIDs change when a dump is restored).
-- With currencies (docs/currency.md): each deal's currency, the currency
-- and rate policy of the plans in force, the exchange rates valid during
-- the period, the fixed plan rates of the versions in force and the reps'
-- payout currencies; each such part is left out (NULL) while empty, so a
-- single-currency setup keeps the fingerprints it had.
-- Source rows are hashed from their binary column values by spm.fingerprint
-- (DateStyle and TimeZone change nothing; the date is taken in the source's
-- time zone), with one scan per source over all the periods at once (an
-- aggregate PostgreSQL may run in parallel).
CREATE OR REPLACE FUNCTION spm_payout_internal.fingerprints(periods integer[])
RETURNS TABLE (period_id integer, fingerprint text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET enable_partitionwise_aggregate = on AS $$
DECLARE
    s      spm_payout.source;
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
        EXECUTE spm_payout_internal.source_fingerprint_sql(s, ids, bounds) INTO j;
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
                                     h.override_rates::text) FROM spm_payout.hierarchy_rule h),
             'fx-sources:' || (SELECT spm.fingerprint(r.source_id, r.currency_column::text) FROM spm_payout.source r
                                WHERE r.currency_column IS NOT NULL HAVING count(*) > 0),
             'fx-plans:' || (SELECT spm.fingerprint(pl.plan_id, pl.currency, pl.fx_policy) FROM spm_payout.plan pl
                              WHERE pl.currency IS NOT NULL
                                AND EXISTS (SELECT 1 FROM spm_payout.plan_version v WHERE v.plan_id = pl.plan_id AND v.valid && p.period)
                             HAVING count(*) > 0),
             'fx-rates:' || (SELECT spm.fingerprint(r.from_currency, r.to_currency, r.rate_date, r.rate)
                               FROM spm_payout.fx_rate r WHERE r.rate_date >= lower(p.period) AND r.rate_date < upper(p.period)
                             HAVING count(*) > 0),
             'fx-rates-in:' || (SELECT spm.fingerprint(r.from_currency, r.to_currency, r.rate_date, r.rate)
                                  FROM (SELECT DISTINCT ON (f.from_currency, f.to_currency) f.*
                                          FROM spm_payout.fx_rate f WHERE f.rate_date < lower(p.period)
                                         ORDER BY f.from_currency, f.to_currency, f.rate_date DESC) r
                                HAVING count(*) > 0),
             'fx-plan-rates:' || (SELECT spm.fingerprint(f.version_id, f.currency, f.rate)
                                    FROM spm_payout.plan_fx_rate f JOIN spm_payout.plan_version v ON v.version_id = f.version_id
                                   WHERE v.valid && p.period HAVING count(*) > 0),
             'fx-reps:' || (SELECT spm.fingerprint(c.rep, c.currency) FROM spm_payout.rep_currency c HAVING count(*) > 0),
             -- the basis of quotas that are not 'period' (docs/goals.md); NULL,
             -- so left out, where there are none: fingerprints of periods
             -- whose quotas are all of basis 'period' are those of 0.2.0
             'quota-basis:' || (SELECT spm.fingerprint(q.rep, q.basis) FROM spm_payout.quota q
                                 WHERE q.period_id = p.period_id AND q.basis <> 'period' HAVING count(*) > 0),
             -- plan components of the versions in force and MBO scores of the
             -- period (docs/components.md); left out where there are none
             'components:' || (SELECT spm.fingerprint(c.component_id, c.version_id, c.name, c.kind, c.source_id,
                                                      c.filter_column::text, c.filter_values::text, c.measure_column::text,
                                                      c.base, c.schedule::text, c.weight, c.quota_share,
                                                      c.gate_component, c.gate_attainment)
                                 FROM spm_payout.plan_component c JOIN spm_payout.plan_version v ON v.version_id = c.version_id
                                WHERE v.valid && p.period HAVING count(*) > 0),
             'mbo:' || (SELECT spm.fingerprint(m.rep, m.component_id, m.score) FROM spm_payout.mbo_score m
                         WHERE m.period_id = p.period_id HAVING count(*) > 0),
             -- the SPIFF terms of the versions in force (docs/components.md,
             -- "SPIFFs"); left out where there are none
             'spiffs:' || (SELECT spm.fingerprint(c.component_id, c.spiff_window::text, c.spiff_amount, c.spiff_rate, c.spiff_min)
                             FROM spm_payout.plan_component c JOIN spm_payout.plan_version v ON v.version_id = c.version_id
                            WHERE c.kind = 'spiff' AND v.valid && p.period HAVING count(*) > 0),
             -- rate tables of the components in force (docs/components.md,
             -- "Rate tables"); left out where there are none
             'rates:' || (SELECT spm.fingerprint(c.component_id, c.rate_column::text, r.value, r.schedule::text)
                            FROM spm_payout.plan_component c JOIN spm_payout.plan_version v ON v.version_id = c.version_id
                            LEFT JOIN spm_payout.component_rate r ON r.component_id = c.component_id
                           WHERE c.rate_column IS NOT NULL AND v.valid && p.period HAVING count(*) > 0))
      FROM spm_payout.pay_period p WHERE p.period_id = ANY (periods);
END $$;
COMMENT ON FUNCTION spm_payout_internal.fingerprints(integer[]) IS
    'internal: the fingerprint of every input of each period (source rows and splits, hierarchy, assignments, plan versions, quotas, adjustments, draws, registrations, currencies and exchange rates, the basis of quotas)';

-- The deal-level credit rows of one source over one pay period, read from
-- the registered tables with the caller's rights: direct or split credit
-- per rep, rolled up along pg_temp.spm_chain (build_chains), with the plan
-- version of the credited person (docs/payout.md, "Rules").  A source
-- with a currency_column converts each credit row into the currency of the
-- credited person's plan with the rate in pg_temp.spm_fx (build_fx), then
-- rounds it to the cent; a missing rate leaves the amount NULL, which the
-- NOT NULL of credit_line refuses and write_credits explains
-- (docs/currency.md).
CREATE OR REPLACE FUNCTION spm_payout_internal.source_credit_sql(s spm_payout.source, p spm_payout.pay_period, rates numeric[])
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    sp   spm_payout.split_rule;
    base text;
    amt  text;
    src  text := spm_payout_internal.source_sql(s, lower(p.period), upper(p.period));
    -- a run that converts currencies has its rates in pg_temp.spm_fx (build_fx)
    fx   boolean := s.currency_column IS NOT NULL AND to_regclass('pg_temp.spm_fx') IS NOT NULL;
    cur  text := CASE WHEN fx THEN ', x.currency' ELSE '' END;
    -- a run matching plan components has them in pg_temp.spm_comp (build_components)
    comp boolean := to_regclass('pg_temp.spm_comp') IS NOT NULL;
BEGIN
    IF comp THEN
        -- one row per measure slot the row has: 0 (the amount), and each
        -- component slot whose filter matches (docs/components.md)
        src := format('SELECT x.source_id, x.deal, x.rep, g.amount, x.deal_date, x.currency, g.slot
                         FROM (%s) x
                        CROSS JOIN LATERAL (SELECT 0 AS slot, x.amount
                                            UNION ALL
                                            SELECT u.i::integer, u.v FROM unnest(x.measures) WITH ORDINALITY u(v, i)
                                             WHERE u.v IS NOT NULL) g', src);
        cur := cur || ', x.slot';
    END IF;
    SELECT * INTO sp FROM spm_payout.split_rule r WHERE r.source_id = s.source_id;
    IF NOT FOUND THEN
        base := format('SELECT x.source_id, x.deal, x.deal_date, x.rep, ''direct'' AS via, x.amount%s FROM (%s) x', cur, src);
    ELSE
        base := format($b$
            WITH d AS (SELECT x.*, row_number() OVER () AS row_id FROM (%1$s) x),
                 t AS (SELECT (t.%3$I)::text AS deal, (t.%4$I)::text AS rep, (t.%5$I)::numeric AS weight FROM %2$s t
                        WHERE (t.%3$I)::text IN (SELECT d.deal FROM d))
            SELECT d.source_id, d.deal, d.deal_date, d.rep, 'direct' AS via, d.amount%6$s
              FROM d WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.deal = d.deal)
            UNION ALL
            SELECT d.source_id, d.deal, d.deal_date, t.rep, 'split',
                   spm.split_share(d.amount, t.weight) OVER (PARTITION BY d.row_id ORDER BY t.rep)%7$s
              FROM d JOIN t ON t.deal = d.deal$b$,
            src, sp.relation, sp.deal_column, sp.rep_column, sp.weight_column,
            replace(cur, 'x.', 'd.'), replace(cur, 'x.', 'd.'));
    END IF;
    amt := CASE WHEN rates IS NULL THEN 'd.amount'
                ELSE format('CASE WHEN c.depth > 0 THEN d.amount * coalesce((%L::numeric[])[c.depth], 0) ELSE d.amount END', rates) END;
    IF fx THEN
        -- docs/currency.md, "Rules and rounding": convert, then round each credit row to the cent
        amt := format('CASE WHEN c.currency IS NULL OR d.currency = c.currency THEN %1$s ELSE round((%1$s) * x.rate, 2) END', amt);
    END IF;
    RETURN format($q$
        SELECT %1$s AS period_id, %1$s AS for_period_id, c.version_id, d.source_id, d.deal_date,
               coalesce(c.depth, 0)::smallint AS depth, CASE WHEN c.depth > 0 THEN 'rollup' ELSE d.via END AS via,
               coalesce(c.ancestor, d.rep) AS rep, d.deal, CASE WHEN c.depth > 0 THEN d.rep END AS from_rep,
               %2$s AS amount%5$s
          FROM (%3$s) d
          LEFT JOIN pg_temp.spm_chain c ON c.rep = d.rep AND c.valid @> d.deal_date%4$s%6$s$q$,
        p.period_id, amt, base,
        CASE WHEN NOT fx THEN ''
             ELSE '
          LEFT JOIN pg_temp.spm_fx x ON x.version_id = c.version_id AND x.currency = d.currency AND x.day = d.deal_date' END,
        CASE WHEN comp THEN ', k.component_id' ELSE '' END,
        CASE WHEN NOT comp THEN '' ELSE spm_payout_internal.component_join_sql() END);
END $$;
COMMENT ON FUNCTION spm_payout_internal.source_credit_sql(spm_payout.source, spm_payout.pay_period, numeric[]) IS
    'internal: the SELECT computing the deal-level credit rows of one source over one pay period, from the registered tables';

-- Writes the deal-level credit of a pay period into its partition (opened
-- by open_credit), source by source, with the caller's rights.  A NULL rep
-- or amount is reported naming the source and the deal.
CREATE OR REPLACE FUNCTION spm_payout_internal.write_credits(p spm_payout.pay_period, part text) RETURNS bigint
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
                                            via, rep, deal, from_rep, amount%s) %s',
                           part, CASE WHEN to_regclass('pg_temp.spm_comp') IS NULL THEN '' ELSE ', component_id' END,
                           spm_payout_internal.source_credit_sql(s, p, h.override_rates));
            GET DIAGNOSTICS k = ROW_COUNT;
            n := n + k;
        EXCEPTION WHEN not_null_violation THEN
            EXECUTE format('SELECT x.deal, CASE WHEN x.rep IS NULL THEN ''rep'' ELSE ''amount'' END AS col
                              FROM (%s) x WHERE x.rep IS NULL OR x.amount IS NULL LIMIT 1',
                           spm_payout_internal.source_sql(s, lower(p.period), upper(p.period))) INTO bad;
            IF bad IS NULL AND s.currency_column IS NOT NULL AND to_regclass('pg_temp.spm_fx') IS NOT NULL THEN
                -- not a NULL in the source: a deal without its exchange rate (docs/currency.md)
                EXECUTE format('SELECT x.deal, x.deal_date, x.version_id FROM (%s) x WHERE x.amount IS NULL LIMIT 1',
                               spm_payout_internal.source_credit_sql(s, p, h.override_rates)) INTO bad;
                PERFORM spm_payout_internal.fx_fail(s.source_id, bad.deal, bad.deal_date, bad.version_id,
                    spm_payout_internal.source_sql(s, lower(p.period), upper(p.period)));
            END IF;
            RAISE EXCEPTION USING ERRCODE = '23502',
                MESSAGE = format('source %s: deal %s has a NULL %s', s.name, coalesce(bad.deal, 'NULL'), coalesce(bad.col, 'rep')),
                HINT = 'Fix the row, or filter it out of the source (filter_column).';
        END;
    END LOOP;
    -- the values of the rate-table columns, with the caller's rights too
    -- (docs/components.md, "Rate tables"); nothing without rate tables
    PERFORM spm_payout_internal.stage_rate_values(p);
    RETURN n;
END $$;
COMMENT ON FUNCTION spm_payout_internal.write_credits(spm_payout.pay_period, text) IS
    'internal: writes the deal-level credit of a pay period into its partition of credit_line, with the caller''s rights';

-- Appends the source rows of some periods and their split rows to
-- pg_temp.spm_stage_deal / _split.  Rows with a NULL rep or amount, or an
-- infinite amount, are refused naming the source and the deal.
CREATE OR REPLACE FUNCTION spm_payout_internal.stage_more(periods integer[]) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s   spm_payout.source;
    sp  spm_payout.split_rule;
    p   spm_payout.pay_period;
    bad record;
    n0  bigint;
    n   bigint;
    k   bigint;
    -- the stage keeps each deal's currency when a run converts (stage())
    fx  boolean := EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = 'pg_temp.spm_stage_deal'::regclass
                                                          AND a.attname = 'currency' AND NOT a.attisdropped);
    -- and each row's component measures when a run matches components (stage())
    ms  text := CASE WHEN to_regclass('pg_temp.spm_comp') IS NULL THEN '' ELSE ', measures' END;
BEGIN
    SELECT coalesce(max(d.row_id), 0) INTO n0 FROM pg_temp.spm_stage_deal d;
    n := n0;
    FOR s IN SELECT * FROM spm_payout.source ORDER BY source_id LOOP
        SELECT * INTO sp FROM spm_payout.split_rule r WHERE r.source_id = s.source_id;
        FOR p IN SELECT * FROM spm_payout.pay_period pp WHERE pp.period_id = ANY (periods) ORDER BY lower(pp.period) LOOP
            -- row_id numbers the rows a split shares out (none without a split rule)
            EXECUTE format('INSERT INTO pg_temp.spm_stage_deal (row_id, period_id, source_id, deal, rep, amount, deal_date%4$s)
                            SELECT %1$s, %2$s, x.source_id, x.deal, x.rep, x.amount, x.deal_date%5$s FROM (%3$s) x',
                           CASE WHEN sp.source_id IS NULL THEN 'NULL::bigint' ELSE format('%s + row_number() OVER ()', n) END,
                           p.period_id, spm_payout_internal.source_sql(s, lower(p.period), upper(p.period)),
                           CASE WHEN fx THEN ', currency' ELSE '' END || ms,
                           CASE WHEN fx THEN ', x.currency' ELSE '' END || replace(ms, ', ', ', x.'));
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
CREATE OR REPLACE FUNCTION spm_payout_internal.stage() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h   spm_payout.hierarchy_rule;
    bad record;
BEGIN
    PERFORM spm_payout_internal.check_registered();
    PERFORM spm_payout_internal.drop_work_table(t) FROM unnest(ARRAY['spm_stage_deal', 'spm_stage_split', 'spm_stage_org']) t;
    CREATE TEMP TABLE spm_stage_deal (row_id bigint, period_id integer, source_id integer, deal text,
                                      rep text, amount numeric, deal_date date) ON COMMIT DROP;
    -- deals in several currencies (docs/currency.md): the stage keeps each
    -- deal's currency, for recomputing closed periods
    IF EXISTS (SELECT 1 FROM spm_payout.plan pl WHERE pl.currency IS NOT NULL)
       AND EXISTS (SELECT 1 FROM spm_payout.source o WHERE o.currency_column IS NOT NULL) THEN
        ALTER TABLE pg_temp.spm_stage_deal ADD COLUMN currency text;
    END IF;
    -- plan components (docs/components.md): the stage keeps each deal's
    -- component measures, for recomputing closed periods
    PERFORM spm_payout_internal.build_components();
    IF to_regclass('pg_temp.spm_comp') IS NOT NULL THEN
        ALTER TABLE pg_temp.spm_stage_deal ADD COLUMN measures numeric[];
    END IF;
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
    -- payments of the collection rules, only when some component releases
    -- its holdback on collection (docs/holdbacks.md)
    PERFORM spm_payout_internal.stage_collections();
END $$;
COMMENT ON FUNCTION spm_payout_internal.stage() IS
    'internal: creates the stage (temporary tables) and reads the hierarchy into it, with the caller''s rights';
