-- Credit over the user's own tables: split validation and hierarchy
-- roll-ups (see docs/crediting.md).  Table arguments are regclass (an unknown
-- table fails as 42P01 when the argument is read); column names are checked
-- against pg_attribute (42703) and only ever spliced into SQL by
-- format('%I'), so no identifier can inject SQL.  Both functions read the
-- caller's tables with the caller's rights (SECURITY INVOKER), are STABLE,
-- and PARALLEL RESTRICTED because a temporary table is readable only by the
-- leader.  They are not STRICT: a NULL argument is an error rather than an
-- empty, "all clear" result.

CREATE FUNCTION spm.split_problems(splits regclass, deal_column text, weight_column text,
                                   expected numeric DEFAULT 1)
RETURNS TABLE (deal text, total numeric, rows integer, problem text)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
AS $fn$
DECLARE
    col text;
BEGIN
    col := CASE WHEN splits IS NULL THEN 'splits'
                WHEN deal_column IS NULL THEN 'deal_column'
                WHEN weight_column IS NULL THEN 'weight_column'
                WHEN expected IS NULL THEN 'expected' END;
    IF col IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.split_problems: %s must not be NULL', col);
    END IF;
    IF expected <= 0 OR expected IN ('NaN', 'Infinity') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.split_problems: expected must be a positive finite number, not %s', expected);
    END IF;
    FOREACH col IN ARRAY ARRAY[deal_column, weight_column] LOOP
        PERFORM FROM pg_catalog.pg_attribute a
          WHERE a.attrelid = splits AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '42703',
                MESSAGE = format('column "%s" of relation "%s" does not exist', col,
                                 (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = splits));
        END IF;
    END LOOP;

    RETURN QUERY EXECUTE format($q$
        SELECT s.deal::text, s.total, s.n::integer,
               concat_ws('; ',
                   CASE WHEN s.deal IS NULL THEN 'deal is NULL' END,
                   CASE WHEN s.nulls > 0
                        THEN 'weight is NULL on ' || s.nulls || ' of ' || s.n || ' rows' END,
                   CASE WHEN s.negs > 0
                        THEN 'weight is negative on ' || s.negs || ' of ' || s.n || ' rows' END,
                   CASE WHEN s.total <> $1
                        THEN 'weights add up to ' || s.total || ', not ' || $1 END)
          FROM (SELECT t.deal, count(*) AS n, count(*) - count(t.w) AS nulls,
                       count(*) FILTER (WHERE t.w < 0) AS negs, sum(t.w) AS total
                  FROM (SELECT %1$I AS deal, (%2$I)::numeric AS w FROM %3$s) t
                 GROUP BY t.deal) s
         WHERE s.deal IS NULL OR s.nulls > 0 OR s.negs > 0 OR s.total <> $1
         ORDER BY s.deal
    $q$, deal_column, weight_column, splits) USING expected;
END
$fn$;
COMMENT ON FUNCTION spm.split_problems(regclass, text, text, numeric) IS
    'data-quality check of stored credit splits: one row per deal whose weights are NULL, negative or do not add up to expected (default 1)';

CREATE FUNCTION spm.rollup(hierarchy regclass, rep_column text, manager_column text, valid_column text,
                           credits regclass, credit_rep_column text, credit_date_column text,
                           credit_amount_column text,
                           override_rates numeric[] DEFAULT NULL, credit_key_column text DEFAULT NULL)
RETURNS TABLE (credit_key text, rep text, manager text, depth integer, credit_date date,
               amount numeric, override numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
AS $fn$
DECLARE
    arg text;
    col text;
    rel regclass;
    typ regtype;
    rates numeric[];
    bad record;
    pos integer;
    src text;
    walk text;
BEGIN
    arg := CASE WHEN hierarchy IS NULL THEN 'hierarchy'
                WHEN rep_column IS NULL THEN 'rep_column'
                WHEN manager_column IS NULL THEN 'manager_column'
                WHEN valid_column IS NULL THEN 'valid_column'
                WHEN credits IS NULL THEN 'credits'
                WHEN credit_rep_column IS NULL THEN 'credit_rep_column'
                WHEN credit_date_column IS NULL THEN 'credit_date_column'
                WHEN credit_amount_column IS NULL THEN 'credit_amount_column' END;
    IF arg IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.rollup: %s must not be NULL', arg);
    END IF;

    -- every named column exists; the effective range is a daterange
    FOR pos, rel, col IN
        SELECT v.i, v.rel, v.col
          FROM (VALUES (1, hierarchy, rep_column), (2, hierarchy, manager_column),
                       (3, hierarchy, valid_column), (4, credits, credit_rep_column),
                       (5, credits, credit_date_column), (6, credits, credit_amount_column),
                       (7, credits, credit_key_column)) v(i, rel, col)
         WHERE v.col IS NOT NULL ORDER BY v.i
    LOOP
        SELECT a.atttypid::regtype INTO typ FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '42703',
                MESSAGE = format('column "%s" of relation "%s" does not exist', col,
                                 (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = rel));
        END IF;
        IF pos = 3 AND typ <> 'daterange'::regtype THEN
            RAISE EXCEPTION USING ERRCODE = '42804',
                MESSAGE = format('spm.rollup: column "%s" of relation "%s" must be of type daterange, not %s',
                                 col, (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = rel), typ);
        END IF;
    END LOOP;

    -- override rates: one per level above the rep, each >= 0
    IF override_rates IS NOT NULL THEN
        IF array_ndims(override_rates) > 1 THEN
            RAISE EXCEPTION USING ERRCODE = '2202E',
                MESSAGE = 'spm.rollup: override_rates must be a one-dimensional array';
        END IF;
        rates := ARRAY(SELECT r FROM unnest(override_rates) r);
        pos := array_position(rates, NULL);
        IF pos IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('spm.rollup: override_rates must not contain NULL (element %s is NULL)', pos);
        END IF;
        SELECT o.i, o.r INTO bad FROM unnest(rates) WITH ORDINALITY o(r, i)
         WHERE o.r < 0 OR o.r IN ('NaN', 'Infinity') ORDER BY o.i LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('spm.rollup: override_rates must be finite and not negative (element %s is %s)',
                                 bad.i, bad.r);
        END IF;
    END IF;

    -- the hierarchy: every row names its rep and range, and one rep's ranges never overlap
    EXECUTE format('SELECT count(*) FILTER (WHERE %1$I IS NULL) AS no_rep,
                           min(%1$I::text) FILTER (WHERE %2$I IS NULL) AS no_valid,
                           count(*) FILTER (WHERE %1$I IS NOT NULL AND %2$I IS NULL) AS n_no_valid
                      FROM %3$s', rep_column, valid_column, hierarchy) INTO bad;
    IF bad.no_rep > 0 THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.rollup: the hierarchy has %s row(s) with a NULL rep', bad.no_rep);
    END IF;
    IF bad.n_no_valid > 0 THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.rollup: the effective range of rep "%s" is NULL', bad.no_valid),
            HINT = 'Use ''(,)'' for a range without bounds.';
    END IF;
    -- sorted by lower bound, a rep's ranges overlap somewhere iff two neighbours do
    EXECUTE format('SELECT s.r::text AS rep,
                           concat(CASE WHEN lower_inf(s.p) THEN ''('' ELSE ''['' END,
                                  to_char(lower(s.p), ''YYYY-MM-DD''), '','',
                                  to_char(upper(s.p), ''YYYY-MM-DD''), '')'') AS first,
                           concat(CASE WHEN lower_inf(s.v) THEN ''('' ELSE ''['' END,
                                  to_char(lower(s.v), ''YYYY-MM-DD''), '','',
                                  to_char(upper(s.v), ''YYYY-MM-DD''), '')'') AS second
                      FROM (SELECT %1$I AS r, %2$I AS v,
                                   lag(%2$I) OVER (PARTITION BY %1$I ORDER BY %2$I) AS p
                              FROM %3$s WHERE NOT isempty(%2$I)) s
                     WHERE s.p && s.v ORDER BY s.r::text, s.v LIMIT 1',
                   rep_column, valid_column, hierarchy) INTO bad;
    IF bad.rep IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.rollup: the effective ranges of rep "%s" overlap: %s and %s',
                             bad.rep, bad.first, bad.second),
            HINT = 'A rep has one manager on any date; end one range where the next begins.';
    END IF;

    -- the chain above each distinct (rep, date) of the credits, as of that date;
    -- a manager met twice on one chain is a cycle and stops that chain
    src := format('h AS (SELECT %I AS rep, %I AS mgr, %I AS valid FROM %s),
                   c AS (SELECT %I AS rep, (%I)::date AS d, (%I)::numeric AS amount, %s AS key FROM %s),',
                  rep_column, manager_column, valid_column, hierarchy,
                  credit_rep_column, credit_date_column, credit_amount_column,
                  CASE WHEN credit_key_column IS NULL THEN 'NULL::text'
                       ELSE format('(%I)::text', credit_key_column) END,
                  credits);
    walk := $w$
        s AS (SELECT DISTINCT c.rep, c.d FROM c WHERE c.rep IS NOT NULL AND c.d IS NOT NULL),
        walk AS (
            SELECT s.rep AS base, s.d, h.mgr, 1 AS depth,
                   ARRAY[s.rep::text, h.mgr::text] AS path, h.mgr::text = s.rep::text AS cyc
              FROM s JOIN h ON h.rep = s.rep AND h.valid @> s.d
             WHERE h.mgr IS NOT NULL
            UNION ALL
            SELECT w.base, w.d, h.mgr, w.depth + 1,
                   w.path || h.mgr::text, h.mgr::text = ANY (w.path)
              FROM walk w JOIN h ON h.rep = w.mgr AND h.valid @> w.d
             WHERE NOT w.cyc AND h.mgr IS NOT NULL)
    $w$;

    EXECUTE 'WITH RECURSIVE ' || src || walk ||
            'SELECT w.d, w.path FROM walk w WHERE w.cyc ORDER BY w.d, w.depth, w.base::text LIMIT 1'
       INTO bad;
    IF bad.d IS NOT NULL THEN
        pos := array_position(bad.path, bad.path[cardinality(bad.path)]);
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('spm.rollup: the hierarchy has a cycle as of %s: %s', to_char(bad.d, 'YYYY-MM-DD'),
                             array_to_string(bad.path[pos:], ' -> ')),
            DETAIL = format('Reached from rep "%s": %s.', bad.path[1], array_to_string(bad.path, ' -> '));
    END IF;

    RETURN QUERY EXECUTE 'WITH RECURSIVE ' || src || walk || $q$
        SELECT c.key, c.rep::text, w.mgr::text, w.depth, c.d, c.amount,
               CASE WHEN $1 IS NOT NULL THEN c.amount * coalesce(($1)[w.depth], 0) END
          FROM c JOIN walk w ON w.base = c.rep AND w.d = c.d
    $q$ USING rates;
END
$fn$;
COMMENT ON FUNCTION spm.rollup(regclass, text, text, text, regclass, text, text, text, numeric[], text) IS
    'credits of each rep rolled up to every manager above the rep as of the credit date, with depth and override = amount * override_rates[depth]';
