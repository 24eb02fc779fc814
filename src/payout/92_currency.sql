-- spm_payout, part 9.2: multi-currency (docs/currency.md).
-- Included whole in the 0.2.0 -> 0.3.0 upgrade; the columns it comments
-- (source.currency_column, plan.currency, plan.fx_policy, payout_summary's
-- currency columns) are declared in 10_catalog.sql and 20_results.sql and
-- added by src/upgrade/0.2.0--0.3.0/spm_payout/40_currency.sql.
--
-- Deals may be in any currency (source.currency_column); credit is in the
-- currency of the plan that credits it (plan.currency, converted with the
-- rate of plan.fx_policy's date and rounded to the cent per credit row);
-- payouts are converted at the rate of the period end into the rep's
-- currency (rep_currency).  A run expands the few rates it needs into
-- pg_temp.spm_fx (build_fx), one row per plan version, currency and day,
-- which the credit statements hash-join: no per-row lookup function.

COMMENT ON COLUMN spm_payout.source.currency_column IS
    'column holding each deal''s currency (ISO 4217 code, text); NULL: the deals are in the currency of the plan that credits them (docs/currency.md)';
COMMENT ON COLUMN spm_payout.plan.currency IS
    'the plan''s currency (ISO 4217, three upper-case letters): credit, earnings and payouts of the plan are in it; NULL: no conversion';
COMMENT ON COLUMN spm_payout.plan.fx_policy IS
    'which rate converts a deal into the plan currency: deal_date (the rate of the deal''s date), period_end (of the last day of the deal''s pay period), plan_rate (the version''s fixed rate, plan_fx_rate)';
COMMENT ON COLUMN spm_payout.payout_summary.plan_currency IS
    'the currency of earned, draw, balance and payout: the currency of the rep''s plans in the period (NULL: none set)';
COMMENT ON COLUMN spm_payout.payout_summary.currency IS
    'the currency the rep is paid in (rep_currency, else plan_currency)';
COMMENT ON COLUMN spm_payout.payout_summary.fx_rate IS
    'the rate from plan_currency to currency on the last day of the period (1 when they are the same; NULL without currencies)';
COMMENT ON COLUMN spm_payout.payout_summary.payout_local IS
    'payout in currency: round(payout * fx_rate, 2), or payout itself when no conversion applies';

CREATE TABLE spm_payout.fx_rate (
    from_currency text NOT NULL CONSTRAINT fx_rate_from_code CHECK (from_currency ~ '^[A-Z]{3}$'),
    to_currency   text NOT NULL CONSTRAINT fx_rate_to_code CHECK (to_currency ~ '^[A-Z]{3}$'),
    rate_date     date NOT NULL CONSTRAINT fx_rate_date_finite CHECK (isfinite(rate_date)),
    rate          numeric NOT NULL CONSTRAINT fx_rate_positive CHECK (rate > 0 AND rate < 'Infinity'),
    CONSTRAINT fx_rate_two_currencies CHECK (from_currency <> to_currency),
    PRIMARY KEY (from_currency, to_currency, rate_date)
);
COMMENT ON TABLE spm_payout.fx_rate IS
    'exchange rates: 1 from_currency = rate to_currency from rate_date until the next rate of the pair; one rate per pair and day (docs/currency.md)';

CREATE TABLE spm_payout.plan_fx_rate (
    version_id integer NOT NULL REFERENCES spm_payout.plan_version ON DELETE CASCADE,
    currency   text NOT NULL CONSTRAINT plan_fx_rate_code CHECK (currency ~ '^[A-Z]{3}$'),
    rate       numeric NOT NULL CONSTRAINT plan_fx_rate_positive CHECK (rate > 0 AND rate < 'Infinity'),
    PRIMARY KEY (version_id, currency)
);
COMMENT ON TABLE spm_payout.plan_fx_rate IS
    'fixed plan rates (fx_policy plan_rate): 1 currency = rate in the plan''s currency, for every deal credited under this plan version';

CREATE TABLE spm_payout.rep_currency (
    rep      text PRIMARY KEY,
    currency text NOT NULL CONSTRAINT rep_currency_code CHECK (currency ~ '^[A-Z]{3}$')
);
COMMENT ON TABLE spm_payout.rep_currency IS
    'the currency a rep is paid in (payout_summary.payout_local); a rep without a row is paid in its plan''s currency';
ALTER TABLE spm_payout.rep_currency ENABLE ROW LEVEL SECURITY;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['fx_rate', 'plan_fx_rate', 'rep_currency'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON spm_payout.%I
                        FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit()', t || '_audit', t);
        PERFORM pg_catalog.pg_extension_config_dump(format('spm_payout.%I', t)::regclass, '');
    END LOOP;
END $$;

-- A source's currency column is checked when it is registered, like the
-- others: it exists, is text-like, can be hashed (runs fingerprint it) and
-- the registering role can read it.
CREATE OR REPLACE FUNCTION spm_payout_internal.check_currency_column() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF spm_payout_internal.restoring() OR NEW.currency_column IS NULL THEN
        RETURN NEW;
    END IF;
    PERFORM spm_payout_internal.check_hashable(NEW.relation, NEW.currency_column, 'currency_column',
        spm_payout_internal.check_column(NEW.relation, NEW.currency_column, 'currency_column',
                                         '{text,"character varying",character}'));
    RETURN NEW;
END $$;
COMMENT ON FUNCTION spm_payout_internal.check_currency_column() IS
    'trigger: a source''s currency_column must exist, be text, varchar or char, and be readable by the registering role';
CREATE TRIGGER source_currency_check BEFORE INSERT OR UPDATE ON spm_payout.source
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.check_currency_column();

-- A plan that paid a closed pay period keeps its currency and rate policy:
-- its closed periods' credit and payments are in that currency, and a later
-- period accumulates on them (docs/currency.md, "Rules").
CREATE OR REPLACE FUNCTION spm_payout_internal.keep_plan_currency() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF spm_payout_internal.restoring()
       OR (NEW.currency IS NOT DISTINCT FROM OLD.currency AND NEW.fx_policy IS NOT DISTINCT FROM OLD.fx_policy) THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM spm_payout.payout_line l JOIN spm_payout.pay_period p ON p.period_id = l.period_id
                WHERE l.plan_id = OLD.plan_id AND p.status = 'closed') THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('plan %s paid a closed pay period: its currency and rate policy cannot change', OLD.name),
            HINT = 'Create a new plan in the new currency and move the reps to it at the start of a pay period.';
    END IF;
    RETURN NEW;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.keep_plan_currency() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.keep_plan_currency() IS
    'trigger: the currency and rate policy of a plan that paid a closed pay period cannot change (55000)';
CREATE TRIGGER plan_keep_currency BEFORE UPDATE ON spm_payout.plan
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.keep_plan_currency();

-- The rates the credit of some periods needs, one row per (plan version
-- with a currency, deal currency, day of the periods): the rate in force on
-- the day (deal_date) or on the last day of the day's period (period_end),
-- that is the pair's latest rate dated on or before it; or the version's
-- fixed rate (plan_rate).  A few rows per version and currency,
-- whatever the number of deals.  Created only by a run that converts (its
-- stage keeps the deals' currencies: some plan has a currency and some
-- source a currency column); runs with the caller's rights, like the rest
-- of the stage.
CREATE OR REPLACE FUNCTION spm_payout_internal.build_fx(periods integer[]) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint := 0;
BEGIN
    PERFORM spm_payout_internal.drop_work_table('spm_fx');
    IF EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = 'pg_temp.spm_stage_deal'::regclass
                                              AND a.attname = 'currency' AND NOT a.attisdropped) THEN
        CREATE TEMP TABLE spm_fx (version_id integer, currency text, day date, rate numeric) ON COMMIT DROP;
        INSERT INTO pg_temp.spm_fx (version_id, currency, day, rate)
        WITH v AS (
            SELECT v.version_id, v.valid, pl.currency, pl.fx_policy
              FROM spm_payout.plan_version v JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
             WHERE pl.currency IS NOT NULL
        ), days AS (
            SELECT g.day::date AS day, upper(k.period) - 1 AS last_day
              FROM spm_payout.pay_period k
             CROSS JOIN LATERAL generate_series(lower(k.period), upper(k.period) - 1, interval '1 day') g(day)
             WHERE k.period_id = ANY (periods)
        ), pairs AS (
            SELECT DISTINCT r.from_currency, r.to_currency FROM spm_payout.fx_rate r
             WHERE r.to_currency IN (SELECT v.currency FROM v)
        )
        SELECT v.version_id, pr.from_currency, d.day, r.rate
          FROM v JOIN days d ON v.valid @> d.day
          JOIN pairs pr ON pr.to_currency = v.currency
          -- the latest rate on or before the day, through the primary key
          CROSS JOIN LATERAL (SELECT f.rate FROM spm_payout.fx_rate f
                               WHERE f.from_currency = pr.from_currency AND f.to_currency = pr.to_currency
                                 AND f.rate_date <= CASE v.fx_policy WHEN 'deal_date' THEN d.day ELSE d.last_day END
                               ORDER BY f.rate_date DESC LIMIT 1) r
         WHERE v.fx_policy IN ('deal_date', 'period_end')
        UNION ALL
        SELECT v.version_id, f.currency, d.day, f.rate
          FROM v JOIN days d ON v.valid @> d.day
          JOIN spm_payout.plan_fx_rate f ON f.version_id = v.version_id
         WHERE v.fx_policy = 'plan_rate';
        GET DIAGNOSTICS n = ROW_COUNT;
        ANALYZE pg_temp.spm_fx;
    END IF;
    RETURN n;
END $$;
COMMENT ON FUNCTION spm_payout_internal.build_fx(integer[]) IS
    'internal: the exchange rates into plan currencies that the credit of some pay periods needs, per plan version, currency and day (pg_temp.spm_fx)';

-- A credit row whose amount is NULL after conversion: says which deal,
-- which currency pair, which date and which policy (docs/currency.md,
-- "Errors").  rows_sql selects (deal, deal_date, currency) rows of the
-- source; the first one of the deal that has no rate is named.  Always
-- raises.
CREATE OR REPLACE FUNCTION spm_payout_internal.fx_fail(source_id integer, deal text, deal_date date, version_id integer,
                                                       rows_sql text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    src  text := (SELECT s.name FROM spm_payout.source s WHERE s.source_id = fx_fail.source_id);
    v    record;
    cur  text;
    found_row bigint;
BEGIN
    SELECT pl.name, pv.version, pl.currency, pl.fx_policy INTO v
      FROM spm_payout.plan_version pv JOIN spm_payout.plan pl ON pl.plan_id = pv.plan_id
     WHERE pv.version_id = fx_fail.version_id;
    EXECUTE format('SELECT x.currency FROM (%s) x
                     WHERE x.deal IS NOT DISTINCT FROM $1 AND x.deal_date = $2 AND x.currency IS DISTINCT FROM $3
                       AND NOT EXISTS (SELECT 1 FROM pg_temp.spm_fx f
                                        WHERE f.version_id = $4 AND f.currency = x.currency AND f.day = x.deal_date)
                     ORDER BY x.currency NULLS FIRST LIMIT 1', rows_sql)
       INTO cur USING fx_fail.deal, fx_fail.deal_date, v.currency, fx_fail.version_id;
    GET DIAGNOSTICS found_row = ROW_COUNT;
    IF found_row > 0 AND cur IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '23502',
            MESSAGE = format('source %s: deal %s has a NULL currency', src, coalesce(fx_fail.deal, 'NULL')),
            DETAIL = format('It is credited under plan %s, whose currency is %s.', v.name, v.currency),
            HINT = 'Fix the row, or filter it out of the source (filter_column).';
    ELSIF v.fx_policy = 'plan_rate' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('no fixed rate from %s to %s for plan %s version %s',
                             coalesce(cur, '?'), v.currency, v.name, v.version),
            DETAIL = format('Source %s, deal %s of %s; the plan converts at its fixed rate (fx_policy plan_rate).',
                            src, coalesce(fx_fail.deal, 'NULL'), to_char(fx_fail.deal_date, 'YYYY-MM-DD')),
            HINT = 'Insert the rate into spm_payout.plan_fx_rate.';
    ELSE
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('no exchange rate from %s to %s on or before %s', coalesce(cur, '?'), v.currency,
                             to_char(CASE WHEN v.fx_policy = 'period_end'
                                          THEN (SELECT upper(k.period) - 1 FROM spm_payout.pay_period k
                                                 WHERE k.period @> fx_fail.deal_date)
                                          ELSE fx_fail.deal_date END, 'YYYY-MM-DD')),
            DETAIL = format('Source %s, deal %s of %s, credited under plan %s (fx_policy %s).',
                            src, coalesce(fx_fail.deal, 'NULL'), to_char(fx_fail.deal_date, 'YYYY-MM-DD'),
                            v.name, v.fx_policy),
            HINT = 'Insert the rate into spm_payout.fx_rate.';
    END IF;
END $$;
COMMENT ON FUNCTION spm_payout_internal.fx_fail(integer, text, date, integer, text) IS
    'internal: raises the error for a deal that could not be converted (23502 NULL currency, 22023 missing rate)';

-- Payouts in the reps' currencies, for one period's summaries (store_run,
-- as the extension owner): the currency of a rep's plans in the period (the
-- plans of its lines and of its assignments during the period; more than
-- one: 22023), converted at the rate of the period's last day into
-- rep_currency and rounded to the cent.
CREATE OR REPLACE FUNCTION spm_payout_internal.convert_payouts(pid integer) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p   spm_payout.pay_period;
    bad record;
BEGIN
    SELECT * INTO p FROM spm_payout.pay_period k WHERE k.period_id = pid;
    PERFORM spm_payout_internal.drop_work_table('spm_pay_fx');
    CREATE TEMP TABLE spm_pay_fx ON COMMIT DROP AS
    WITH plans AS (
        SELECT l.rep, l.plan_id FROM spm_payout.payout_line l WHERE l.period_id = pid AND l.plan_id IS NOT NULL
        UNION
        SELECT a.rep, a.plan_id FROM spm_payout.assignment a WHERE a.valid && p.period
    ), per_rep AS (
        SELECT s.rep,
               count(DISTINCT coalesce(pl.currency, '')) AS n,
               max(pl.currency) AS plan_currency,
               string_agg(DISTINCT format('%s (%s)', pl.name, coalesce(pl.currency, 'no currency')), ', '
                          ORDER BY format('%s (%s)', pl.name, coalesce(pl.currency, 'no currency')))
                   FILTER (WHERE pl.plan_id IS NOT NULL) AS plans
          FROM spm_payout.payout_summary s
          LEFT JOIN plans x ON x.rep = s.rep
          LEFT JOIN spm_payout.plan pl ON pl.plan_id = x.plan_id
         WHERE s.period_id = pid
         GROUP BY s.rep
    )
    SELECT r.rep, r.n, r.plans, r.plan_currency, coalesce(c.currency, r.plan_currency) AS currency,
           c.currency AS wanted,
           CASE WHEN r.plan_currency IS NULL THEN NULL
                WHEN coalesce(c.currency, r.plan_currency) = r.plan_currency THEN 1
                ELSE (SELECT f.rate FROM spm_payout.fx_rate f
                       WHERE f.from_currency = r.plan_currency AND f.to_currency = c.currency
                         AND f.rate_date <= upper(p.period) - 1
                       ORDER BY f.rate_date DESC LIMIT 1) END AS rate
      FROM per_rep r LEFT JOIN spm_payout.rep_currency c ON c.rep = r.rep;

    SELECT * INTO bad FROM pg_temp.spm_pay_fx x WHERE x.n > 1 ORDER BY x.rep LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('rep %s is on plans in different currencies in pay period %s: %s', bad.rep, p.label, bad.plans),
            DETAIL = 'A rep''s earnings, draws and payout of one period are added up, so they must be in one currency.',
            HINT = 'Change a rep''s plan to a plan in another currency at the start of a pay period, and settle the old plan first.';
    END IF;
    SELECT * INTO bad FROM pg_temp.spm_pay_fx x WHERE x.wanted IS NOT NULL AND x.plan_currency IS NULL ORDER BY x.rep LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('rep %s is to be paid in %s, but its plans in pay period %s have no currency', bad.rep, bad.wanted, p.label),
            DETAIL = format('Plans: %s.', coalesce(bad.plans, 'none')),
            HINT = 'Set spm_payout.plan.currency, or delete the rep''s row of spm_payout.rep_currency.';
    END IF;
    SELECT * INTO bad FROM pg_temp.spm_pay_fx x WHERE x.plan_currency IS NOT NULL AND x.rate IS NULL ORDER BY x.rep LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('no exchange rate from %s to %s on or before %s', bad.plan_currency, bad.currency,
                             to_char(upper(p.period) - 1, 'YYYY-MM-DD')),
            DETAIL = format('Rep %s is paid in %s: its payout for pay period %s is converted at the rate of the period''s last day.',
                            bad.rep, bad.currency, p.label),
            HINT = 'Insert the rate into spm_payout.fx_rate.';
    END IF;
    UPDATE spm_payout.payout_summary s
       SET plan_currency = x.plan_currency, currency = x.currency, fx_rate = x.rate,
           payout_local = CASE WHEN x.rate IS NULL OR x.currency = x.plan_currency THEN s.payout
                               ELSE round(s.payout * x.rate, 2) END
      FROM pg_temp.spm_pay_fx x
     WHERE s.period_id = pid AND s.rep = x.rep;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.convert_payouts(integer) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.convert_payouts(integer) IS
    'internal: converts a period''s payouts into the reps'' currencies at the rate of the period''s last day (22023 on mixed plan currencies or a missing rate)';

-- Admins edit rates and currencies; analysts read them (docs/security.md).
CREATE OR REPLACE FUNCTION spm_payout_internal.grants_currency() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    GRANT SELECT, INSERT, UPDATE, DELETE ON spm_payout.fx_rate, spm_payout.plan_fx_rate, spm_payout.rep_currency TO spm_admin;
    GRANT SELECT ON spm_payout.fx_rate, spm_payout.plan_fx_rate, spm_payout.rep_currency TO spm_analyst;
    -- a rep reads its own payout currency (row-level security)
    GRANT SELECT ON spm_payout.rep_currency TO spm_rep;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.grants_currency() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.grants_currency() IS
    'internal: rights on the currency tables (admins edit, analysts read, reps read their own rep_currency row)';

-- rep_currency: admins and analysts see every row (analysts cannot write:
-- no grant), a rep only its own.
CREATE OR REPLACE FUNCTION spm_payout_internal.policies_currency() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.rep_currency'::regclass AND polname = 'rep_currency_all') THEN
        CREATE POLICY rep_currency_all ON spm_payout.rep_currency TO spm_admin, spm_analyst USING (true) WITH CHECK (true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.rep_currency'::regclass AND polname = 'rep_currency_own') THEN
        CREATE POLICY rep_currency_own ON spm_payout.rep_currency FOR SELECT TO spm_rep
            USING (rep = ANY ((SELECT spm_payout.my_reps())::text[]));
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.policies_currency() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.policies_currency() IS
    'internal: row-level security of rep_currency (admins and analysts: every row; reps: their own)';
