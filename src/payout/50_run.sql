-- spm_payout, part 5: the procedures a DBA schedules (docs/payout.md, "Runs").
-- Only CREATE OR REPLACE statements: included whole in upgrade scripts.

-- The pay period a run or a close addresses: a label, or a date inside it.
CREATE OR REPLACE FUNCTION spm_payout.find_period(period text) RETURNS spm_payout.pay_period
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
CREATE OR REPLACE PROCEDURE spm_payout.run_payout(period text DEFAULT NULL, INOUT run_id bigint DEFAULT NULL)
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
        -- the exchange rates the credit of these periods needs (docs/currency.md)
        PERFORM spm_payout_internal.build_fx(p.period_id || changed);
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

CREATE OR REPLACE PROCEDURE spm_payout.close_period(period text)
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
    -- as store_run records it: with the acceptances (docs/acceptance.md)
    fp := concat_ws('|acceptance ', fp, spm_payout_internal.acceptance_fingerprint());
    fp := concat_ws('|holdback ', fp, spm_payout_internal.holdback_fingerprint(p.period_id));
    PERFORM spm_payout_internal.mark_closed(p.period_id, fp);
END $$;
COMMENT ON PROCEDURE spm_payout.close_period(text) IS
    'closes a pay period if its inputs are unchanged since its last run (55000 otherwise): its results are frozen; later changes are paid in later periods';

-- Pay periods of a fiscal calendar from spm.fiscal_period.
CREATE OR REPLACE FUNCTION spm_payout.add_pay_periods(first_day date, last_day date, grain text DEFAULT 'month',
                                           fiscal_start_month integer DEFAULT 1)
RETURNS SETOF spm_payout.pay_period LANGUAGE plpgsql STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- the days are walked one by one: an infinite bound would never end
    IF NOT isfinite(first_day) OR NOT isfinite(last_day) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'add_pay_periods: first_day and last_day must be finite dates';
    END IF;
    RETURN QUERY
    WITH added AS (
        INSERT INTO spm_payout.pay_period (label, period)
        SELECT DISTINCT ON (fp) to_char(lower(fp), 'YYYY-MM-DD') || '..' || to_char(upper(fp) - 1, 'YYYY-MM-DD'), fp
          FROM generate_series(first_day, last_day, interval '1 day') g(d),
               LATERAL spm.fiscal_period(g.d::date, grain, fiscal_start_month) fp
        ORDER BY fp
        RETURNING *)
    SELECT * FROM added;
END $$;
COMMENT ON FUNCTION spm_payout.add_pay_periods(date, date, text, integer) IS
    'adds the pay periods (month, quarter, half or year of a fiscal calendar) covering first_day..last_day; NULL arguments add nothing';
