-- Payout runs, part 2: results, the run, closing (see README "Payout runs").
--
-- A run computes one pay period in one transaction: credit (sources,
-- splits, manager roll-ups) -> attainment -> commission -> prior-period
-- adjustments -> manual adjustments -> draws, and replaces the period's
-- results.  A failed run leaves nothing behind (not even its log row: the
-- caller, or pg_cron's job_run_details, sees the error).  Runs take one
-- advisory lock: a second run while one is in progress fails at once with
-- 55P03.  Closed periods are frozen by triggers; what a closed period would
-- compute now but did not pay is booked, deal by deal, as prior-period
-- adjustment lines in the period being run.

CREATE TABLE spm.run (
    run_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id        integer NOT NULL REFERENCES spm.pay_period,
    run_by           text NOT NULL DEFAULT spm.acting_role(),
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz NOT NULL,
    duration         interval NOT NULL,
    credit_rows      integer NOT NULL,
    lines            integer NOT NULL,
    adjustment_lines integer NOT NULL,
    reps             integer NOT NULL,
    input_hash       text NOT NULL
);
COMMENT ON TABLE spm.run IS 'one row per successful payout run: who, when, period, row counts, duration, md5 of its inputs';

CREATE TABLE spm.credit_line (
    run_id        bigint NOT NULL REFERENCES spm.run,
    period_id     integer NOT NULL REFERENCES spm.pay_period,
    for_period_id integer NOT NULL REFERENCES spm.pay_period,
    rep           text NOT NULL,
    plan_id       integer REFERENCES spm.plan,
    source_id     integer NOT NULL,
    deal          text,
    deal_date     date NOT NULL,
    via           text NOT NULL,
    amount        numeric NOT NULL
);
CREATE INDEX credit_line_for_period ON spm.credit_line (for_period_id);
CREATE INDEX credit_line_period ON spm.credit_line (period_id);
COMMENT ON TABLE spm.credit_line IS
    'what was credited to whom, deal by deal; rows with for_period_id <> period_id are prior-period deltas booked in period_id';

CREATE TABLE spm.payout_line (
    line_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        bigint NOT NULL REFERENCES spm.run,
    period_id     integer NOT NULL REFERENCES spm.pay_period,
    for_period_id integer NOT NULL REFERENCES spm.pay_period,
    rep           text NOT NULL,
    plan_id       integer REFERENCES spm.plan,
    line_kind     text NOT NULL CHECK (line_kind IN ('commission', 'prior_period', 'manual')),
    credited      numeric,
    quota         numeric,
    attainment    numeric,
    earned        numeric NOT NULL,
    cause         jsonb
);
CREATE INDEX payout_line_period ON spm.payout_line (period_id, rep);
CREATE INDEX payout_line_for_period ON spm.payout_line (for_period_id);
COMMENT ON TABLE spm.payout_line IS
    'earnings lines of a period: commission per rep and plan, prior-period adjustments (for_period_id, cause), manual adjustments';

CREATE TABLE spm.payout_summary (
    run_id     bigint NOT NULL REFERENCES spm.run,
    period_id  integer NOT NULL REFERENCES spm.pay_period,
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
COMMENT ON TABLE spm.payout_summary IS
    'per rep and period: total earned, the draw ledger (spm.draw_ledger over the rep''s periods) and the payout';

-- Results of a closed period never change.
CREATE FUNCTION spm.freeze_closed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM spm.pay_period p
                WHERE p.period_id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.period_id END,
                                      CASE WHEN TG_OP <> 'DELETE' THEN NEW.period_id END)
                  AND p.status = 'closed') THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('results of a closed pay period cannot change (%s)', TG_TABLE_NAME);
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
COMMENT ON FUNCTION spm.freeze_closed() IS 'trigger: refuses (55000) any change to results of a closed pay period';
CREATE TRIGGER credit_line_frozen BEFORE INSERT OR UPDATE OR DELETE ON spm.credit_line
    FOR EACH ROW EXECUTE FUNCTION spm.freeze_closed();
CREATE TRIGGER payout_line_frozen BEFORE INSERT OR UPDATE OR DELETE ON spm.payout_line
    FOR EACH ROW EXECUTE FUNCTION spm.freeze_closed();
CREATE TRIGGER payout_summary_frozen BEFORE INSERT OR UPDATE OR DELETE ON spm.payout_summary
    FOR EACH ROW EXECUTE FUNCTION spm.freeze_closed();

-- The pay period a run or a close addresses: a label, or any date inside it
-- (NULL: today).
CREATE FUNCTION spm.find_period(period text) RETURNS spm.pay_period
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p spm.pay_period;
    d date;
BEGIN
    SELECT * INTO p FROM spm.pay_period pp WHERE pp.label = find_period.period;
    IF FOUND THEN
        RETURN p;
    END IF;
    BEGIN
        d := coalesce(find_period.period::date, current_date);
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('no pay period is labelled %L', find_period.period),
            HINT = 'Give a label of spm.pay_period or a date inside the period.';
    END;
    SELECT * INTO p FROM spm.pay_period pp WHERE pp.period @> d;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('no pay period contains %s', to_char(d, 'YYYY-MM-DD')),
            HINT = 'Add the period to spm.pay_period (see spm.add_pay_periods).';
    END IF;
    RETURN p;
END $$;
COMMENT ON FUNCTION spm.find_period(text) IS
    'the pay period with this label, or containing this date (NULL: today); 22023 if none';

-- Credit rows of a date range into pg_temp.spm_credit: every source, split
-- by its split rule, rolled up the hierarchy, and matched to the plan each
-- rep is assigned on the deal date.  Shared by the run and by the
-- recomputation of closed periods.
CREATE FUNCTION spm.compute_credits(period daterange) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s   record;
    sp  spm.split_rule;
    h   spm.hierarchy_rule;
BEGIN
    IF to_regclass('pg_temp.spm_raw') IS NOT NULL THEN
        DROP TABLE pg_temp.spm_raw, pg_temp.spm_credit0, pg_temp.spm_credit;
    END IF;
    -- a table registered earlier may have been dropped since
    SELECT x.what INTO s FROM (
        SELECT format('source %s', o.name) AS what, o.relation FROM spm.source o
        UNION ALL SELECT format('split rule of source %s', r.source_id), r.relation FROM spm.split_rule r
        UNION ALL SELECT 'hierarchy rule', hr.relation FROM spm.hierarchy_rule hr) x
     WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = x.relation) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '42P01',
            MESSAGE = format('the table of %s no longer exists', s.what),
            HINT = 'Update or delete the registration in the spm catalog.';
    END IF;
    CREATE TEMP TABLE spm_raw (row_id bigint GENERATED ALWAYS AS IDENTITY, source_id integer,
                               deal text, rep text, amount numeric, deal_date date) ON COMMIT DROP;
    CREATE TEMP TABLE spm_credit0 (row_key text, source_id integer, deal text, rep text,
                                   amount numeric, deal_date date, via text) ON COMMIT DROP;
    FOR s IN SELECT * FROM spm.source ORDER BY source_id LOOP
        EXECUTE format('INSERT INTO pg_temp.spm_raw (source_id, deal, rep, amount, deal_date)
                        SELECT $1, (%I)::text, (%I)::text, (%I)::numeric, (%I)::date FROM %s
                         WHERE (%4$I)::date >= $2 AND (%4$I)::date < $3 %6$s',
                       s.deal_column, s.rep_column, s.amount_column, s.date_column, s.relation,
                       CASE WHEN s.filter_column IS NULL THEN ''
                            ELSE format('AND (%I)::text = ANY ($4)', s.filter_column) END)
          USING s.source_id, lower(period), upper(period), s.filter_values;
        SELECT * INTO sp FROM spm.split_rule r WHERE r.source_id = s.source_id;
        IF FOUND THEN
            -- deals with split rows: penny-exact shares in rep order
            EXECUTE format('INSERT INTO pg_temp.spm_credit0
                SELECT r.row_id::text, r.source_id, r.deal, x.rep, x.share, r.deal_date, ''split''
                  FROM pg_temp.spm_raw r
                  CROSS JOIN LATERAL (
                       SELECT (t.%2$I)::text AS rep,
                              spm.split_share(r.amount, (t.%3$I)::numeric) OVER (ORDER BY (t.%2$I)::text) AS share
                         FROM %4$s t WHERE (t.%1$I)::text = r.deal) x
                 WHERE r.source_id = $1', sp.deal_column, sp.rep_column, sp.weight_column, sp.relation)
              USING s.source_id;
            EXECUTE format('INSERT INTO pg_temp.spm_credit0
                SELECT r.row_id::text, r.source_id, r.deal, r.rep, r.amount, r.deal_date, ''direct''
                  FROM pg_temp.spm_raw r
                 WHERE r.source_id = $1
                   AND NOT EXISTS (SELECT 1 FROM %s t WHERE (t.%I)::text = r.deal)',
                sp.relation, sp.deal_column)
              USING s.source_id;
        ELSE
            INSERT INTO pg_temp.spm_credit0
            SELECT r.row_id::text, r.source_id, r.deal, r.rep, r.amount, r.deal_date, 'direct'
              FROM pg_temp.spm_raw r WHERE r.source_id = s.source_id;
        END IF;
    END LOOP;

    SELECT * INTO h FROM spm.hierarchy_rule;
    IF FOUND THEN
        EXECUTE format('CREATE OR REPLACE TEMP VIEW spm_hierarchy AS
                        SELECT (%I)::text AS rep, (%I)::text AS manager, %I AS valid FROM %s',
                       h.rep_column, h.manager_column, h.valid_column, h.relation);
        INSERT INTO pg_temp.spm_credit0
        SELECT c.row_key, c.source_id, c.deal, u.manager,
               coalesce(u.override, u.amount), c.deal_date,
               format('rollup depth %s from %s', u.depth, u.rep)
          FROM spm.rollup('pg_temp.spm_hierarchy'::regclass, 'rep', 'manager', 'valid',
                          'pg_temp.spm_credit0'::regclass, 'rep', 'deal_date', 'amount',
                          h.override_rates, 'row_key') u
          JOIN pg_temp.spm_credit0 c ON c.row_key = u.credit_key AND c.rep = u.rep
                                    AND c.via IN ('direct', 'split');
    END IF;

    CREATE TEMP TABLE spm_credit ON COMMIT DROP AS
    SELECT c.rep, a.plan_id, c.source_id, c.deal, c.deal_date, c.via, c.amount
      FROM pg_temp.spm_credit0 c
      LEFT JOIN spm.assignment a ON a.rep = c.rep AND a.valid @> c.deal_date;
END $$;
COMMENT ON FUNCTION spm.compute_credits(daterange) IS
    'internal: fills pg_temp.spm_credit with the credit rows of a date range from every registered source';

-- Earnings lines (rep, plan) of a period from pg_temp.spm_credit.
CREATE FUNCTION spm.compute_lines(p spm.pay_period) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing record;
BEGIN
    IF to_regclass('pg_temp.spm_lines') IS NOT NULL THEN
        DROP TABLE pg_temp.spm_lines;
    END IF;
    CREATE TEMP TABLE spm_lines ON COMMIT DROP AS
    WITH pieces AS (              -- each assignment's part of the period
        SELECT a.rep, a.plan_id, a.valid * p.period AS part
          FROM spm.assignment a WHERE a.valid && p.period
    ), per_plan AS (
        SELECT pc.rep, pc.plan_id,
               sum(spm.prorate(q.amount, p.period, pc.part)) AS quota,
               bool_or(q.amount IS NULL) AS no_quota
          FROM pieces pc LEFT JOIN spm.quota q ON q.rep = pc.rep AND q.period_id = p.period_id
         GROUP BY pc.rep, pc.plan_id
    ), credited AS (
        SELECT c.rep, c.plan_id, sum(c.amount) AS credited
          FROM pg_temp.spm_credit c WHERE c.plan_id IS NOT NULL GROUP BY 1, 2
    )
    SELECT pp.rep, pp.plan_id, pl.base, coalesce(cr.credited, 0) AS credited,
           pp.quota, pp.no_quota,
           spm.attainment(coalesce(cr.credited, 0), pp.quota) AS attainment,
           round(CASE pl.base
                   WHEN 'amount' THEN spm.apply(pl.schedule, coalesce(cr.credited, 0))
                   WHEN 'quota' THEN spm.apply(pl.schedule, coalesce(cr.credited, 0), pp.quota)
                   ELSE pl.target_incentive
                        * spm.apply(pl.schedule, spm.attainment(coalesce(cr.credited, 0), pp.quota))
                 END, 2) AS earned
      FROM per_plan pp
      JOIN spm.plan pl USING (plan_id)
      LEFT JOIN credited cr USING (rep, plan_id);

    SELECT l.rep, pl.name INTO missing
      FROM pg_temp.spm_lines l JOIN spm.plan pl USING (plan_id)
     WHERE l.base <> 'amount' AND l.no_quota LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('rep %s has no quota for pay period %s', missing.rep, p.label),
            DETAIL = format('Plan %s pays on quota or attainment.', missing.name),
            HINT = 'Insert the quota into spm.quota.';
    END IF;
END $$;
COMMENT ON FUNCTION spm.compute_lines(spm.pay_period) IS
    'internal: fills pg_temp.spm_lines with credited, quota, attainment and earned per rep and plan';

CREATE PROCEDURE spm.run_payout(period text DEFAULT NULL, INOUT run_id bigint DEFAULT NULL)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    p       spm.pay_period;
    c       spm.pay_period;
    t0      timestamptz := clock_timestamp();
    n_adj   integer := 0;
    n       integer;
    hash    text;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('spm.run_payout'), 0) THEN
        RAISE EXCEPTION USING ERRCODE = '55P03',
            MESSAGE = 'another spm payout run is in progress',
            HINT = 'Wait for it to finish, then run again.';
    END IF;
    p := spm.find_period(period);
    IF p.status = 'closed' THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('pay period %s is closed', p.label),
            HINT = 'A closed period is never recomputed; late changes are booked as prior-period adjustments in the next open period.';
    END IF;

    INSERT INTO spm.run (period_id, started_at, finished_at, duration, credit_rows, lines,
                         adjustment_lines, reps, input_hash)
    VALUES (p.period_id, t0, t0, '0', 0, 0, 0, 0, '') RETURNING run.run_id INTO run_id;
    DELETE FROM spm.payout_summary s WHERE s.period_id = p.period_id;
    DELETE FROM spm.payout_line l WHERE l.period_id = p.period_id;
    DELETE FROM spm.credit_line l WHERE l.period_id = p.period_id;

    -- 1. this period
    PERFORM spm.compute_credits(p.period);
    PERFORM spm.compute_lines(p);
    INSERT INTO spm.credit_line (run_id, period_id, for_period_id, rep, plan_id, source_id, deal, deal_date, via, amount)
    SELECT run_id, p.period_id, p.period_id, c.rep, c.plan_id, c.source_id, c.deal, c.deal_date, c.via, c.amount
      FROM pg_temp.spm_credit c;
    SELECT md5(coalesce(string_agg(format('%s|%s|%s|%s|%s|%s|%s', c.rep, c.plan_id, c.source_id, c.deal, c.deal_date, c.via, c.amount),
                          ',' ORDER BY c.rep, c.source_id, c.deal, c.via, c.amount), '')) INTO hash
      FROM pg_temp.spm_credit c;
    INSERT INTO spm.payout_line (run_id, period_id, for_period_id, rep, plan_id, line_kind, credited, quota, attainment, earned)
    SELECT run_id, p.period_id, p.period_id, l.rep, l.plan_id, 'commission', l.credited, l.quota, l.attainment, l.earned
      FROM pg_temp.spm_lines l;

    -- 2. closed periods: book what they would compute now but did not pay
    FOR c IN SELECT * FROM spm.pay_period WHERE status = 'closed' ORDER BY lower(pay_period.period) LOOP
        PERFORM spm.compute_credits(c.period);
        PERFORM spm.compute_lines(c);
        CREATE TEMP TABLE spm_delta ON COMMIT DROP AS
        SELECT rep, plan_id, source_id, deal, deal_date, via, sum(amount) AS amount
          FROM (SELECT x.rep, x.plan_id, x.source_id, x.deal, x.deal_date, x.via, x.amount FROM pg_temp.spm_credit x
                UNION ALL
                SELECT a.rep, a.plan_id, a.source_id, a.deal, a.deal_date, a.via, -a.amount
                  FROM spm.credit_line a WHERE a.for_period_id = c.period_id) u
         GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(amount) <> 0;
        INSERT INTO spm.credit_line (run_id, period_id, for_period_id, rep, plan_id, source_id, deal, deal_date, via, amount)
        SELECT run_id, p.period_id, c.period_id, d.rep, d.plan_id, d.source_id, d.deal, d.deal_date, d.via, d.amount
          FROM pg_temp.spm_delta d;
        WITH accounted AS (
            SELECT a.rep, a.plan_id, sum(a.credited) AS credited, sum(a.earned) AS earned
              FROM spm.payout_line a
             WHERE a.for_period_id = c.period_id AND a.line_kind IN ('commission', 'prior_period')
             GROUP BY 1, 2
        ), now AS (
            SELECT l.rep, l.plan_id, l.credited, l.quota, l.attainment, l.earned FROM pg_temp.spm_lines l
        ), diff AS (
            SELECT coalesce(n.rep, a.rep) AS rep, coalesce(n.plan_id, a.plan_id) AS plan_id,
                   coalesce(n.credited, 0) - coalesce(a.credited, 0) AS credited,
                   n.quota, n.attainment,
                   coalesce(n.earned, 0) - coalesce(a.earned, 0) AS earned
              FROM now n FULL JOIN accounted a ON a.rep = n.rep AND a.plan_id = n.plan_id
        )
        INSERT INTO spm.payout_line (run_id, period_id, for_period_id, rep, plan_id, line_kind,
                                     credited, quota, attainment, earned, cause)
        SELECT run_id, p.period_id, c.period_id, d.rep, d.plan_id, 'prior_period',
               d.credited, d.quota, d.attainment, d.earned,
               jsonb_build_object('for_period', c.label,
                   'reason', CASE WHEN d.credited <> 0
                                  THEN 'credit of a closed period changed after it was closed'
                                  ELSE 'earnings of a closed period changed after it was closed (plan, assignment or quota)' END,
                   'deals', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                         'source', x.source_id, 'deal', x.deal, 'date', x.deal_date,
                                         'via', x.via, 'credit_change', x.amount)
                                     ORDER BY x.deal_date, x.deal), '[]')
                               FROM pg_temp.spm_delta x
                              WHERE x.rep = d.rep AND x.plan_id IS NOT DISTINCT FROM d.plan_id))
          FROM diff d
         WHERE d.credited <> 0 OR d.earned <> 0;
        GET DIAGNOSTICS n = ROW_COUNT;
        n_adj := n_adj + n;
        SELECT md5(hash || coalesce(string_agg(format('%s|%s|%s|%s', x.rep, x.source_id, x.deal, x.amount), ','
                                               ORDER BY x.rep, x.source_id, x.deal, x.via), ''))
          INTO hash FROM pg_temp.spm_delta x;
        DROP TABLE pg_temp.spm_delta;
    END LOOP;

    -- 3. manual adjustments
    INSERT INTO spm.payout_line (run_id, period_id, for_period_id, rep, line_kind, earned, cause)
    SELECT run_id, p.period_id, p.period_id, a.rep, 'manual', a.amount,
           jsonb_build_object('adjustment_id', a.adjustment_id, 'reason', a.reason,
                              'author', a.author, 'created_at', a.created_at)
      FROM spm.adjustment a WHERE a.period_id = p.period_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    n_adj := n_adj + n;

    -- 4. draws: one ledger step per rep, from the balance the rep carried out
    -- of the latest earlier period (its stored summary: frozen once closed).
    -- The carried balance is replayed as a first, synthetic row (a clawback of
    -- that size with no draw), whose line is discarded.
    INSERT INTO spm.payout_summary (run_id, period_id, rep, earned, draw, draw_kind, draw_paid,
                                    recovered, forgiven, balance, payout)
    WITH reps AS (
        SELECT l.rep FROM spm.payout_line l WHERE l.period_id = p.period_id
        UNION
        SELECT d.rep FROM spm.draw_agreement d WHERE d.term @> lower(p.period)
    ), carried AS (
        SELECT r.rep,
               coalesce((SELECT s.balance FROM spm.payout_summary s
                           JOIN spm.pay_period pp ON pp.period_id = s.period_id
                          WHERE s.rep = r.rep AND lower(pp.period) < lower(p.period)
                          ORDER BY lower(pp.period) DESC LIMIT 1), 0) AS balance
          FROM reps r
    ), steps AS (
        SELECT c.rep, 0 AS step, -c.balance AS earned, 0::numeric AS draw, NULL::text AS kind,
               1::numeric AS recovery_limit, false AS forgive
          FROM carried c
        UNION ALL
        SELECT c.rep, 1,
               coalesce((SELECT sum(l.earned) FROM spm.payout_line l
                          WHERE l.rep = c.rep AND l.period_id = p.period_id), 0),
               coalesce(d.amount, 0), d.kind, coalesce(d.recovery_limit, 1),
               coalesce(d.forgive_at_end AND p.period @> (upper(d.term) - 1), false)
          FROM carried c
          LEFT JOIN spm.draw_agreement d ON d.rep = c.rep AND d.term @> lower(p.period)
    ), ledger AS (
        SELECT s.*, spm.draw_ledger(s.earned, s.draw, coalesce(s.kind, 'recoverable'),
                                    s.recovery_limit, s.forgive)
                      OVER (PARTITION BY s.rep ORDER BY s.step) AS line
          FROM steps s
    )
    SELECT run_id, p.period_id, l.rep, l.earned, l.draw, l.kind,
           (l.line).draw_paid, (l.line).recovered, (l.line).forgiven, (l.line).balance, (l.line).payout
      FROM ledger l WHERE l.step = 1;
    GET DIAGNOSTICS n = ROW_COUNT;

    SELECT md5(hash || coalesce((SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.plan_id) FROM spm.plan x), '')
                    || coalesce((SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.assignment_id) FROM spm.assignment x), '')
                    || coalesce((SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.rep) FROM spm.quota x WHERE x.period_id = p.period_id), '')
                    || coalesce((SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.draw_id) FROM spm.draw_agreement x), '')
                    || coalesce((SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.adjustment_id) FROM spm.adjustment x WHERE x.period_id = p.period_id), ''))
      INTO hash;
    UPDATE spm.run r
       SET finished_at = clock_timestamp(), duration = clock_timestamp() - t0,
           credit_rows = (SELECT count(*) FROM spm.credit_line l WHERE l.run_id = r.run_id),
           lines = (SELECT count(*) FROM spm.payout_line l WHERE l.run_id = r.run_id),
           adjustment_lines = n_adj, reps = n, input_hash = hash
     WHERE r.run_id = run_payout.run_id;
END $$;
COMMENT ON PROCEDURE spm.run_payout(text, bigint) IS
    'computes a pay period (a label or a date inside it; NULL: today) and replaces its results; refuses closed periods; one run at a time (55P03)';

CREATE PROCEDURE spm.close_period(period text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    p spm.pay_period;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('spm.run_payout'), 0) THEN
        RAISE EXCEPTION USING ERRCODE = '55P03', MESSAGE = 'another spm payout run is in progress';
    END IF;
    IF period IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'period must not be NULL';
    END IF;
    p := spm.find_period(period);
    IF p.status = 'closed' THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format('pay period %s is already closed', p.label);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM spm.run r WHERE r.period_id = p.period_id) THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('pay period %s has never been run', p.label),
            HINT = 'CALL spm.run_payout(...) first: closing freezes the results of the last run.';
    END IF;
    UPDATE spm.pay_period SET status = 'closed', closed_at = now(), closed_by = spm.acting_role()
     WHERE period_id = p.period_id;
END $$;
COMMENT ON PROCEDURE spm.close_period(text) IS
    'closes a pay period: its results are frozen; later differences become prior-period adjustments';

-- Pay periods of a fiscal year from spm.fiscal_period.
CREATE FUNCTION spm.add_pay_periods(first_day date, last_day date, grain text DEFAULT 'month',
                                    fiscal_start_month integer DEFAULT 1)
RETURNS SETOF spm.pay_period LANGUAGE sql STRICT AS $$
    INSERT INTO spm.pay_period (label, period)
    SELECT DISTINCT ON (fp) to_char(lower(fp), 'YYYY-MM-DD') || '..' || to_char(upper(fp) - 1, 'YYYY-MM-DD'), fp
      FROM generate_series(first_day, last_day, interval '1 day') g(d),
           LATERAL spm.fiscal_period(g.d::date, grain, fiscal_start_month) fp
    ORDER BY fp
    RETURNING *;
$$;
COMMENT ON FUNCTION spm.add_pay_periods(date, date, text, integer) IS
    'adds the pay periods (month, quarter, half or year of a fiscal calendar) covering first_day..last_day; NULL arguments add nothing';
