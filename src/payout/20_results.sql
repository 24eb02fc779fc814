-- spm_payout, part 2: results (docs/payout.md, "Results").
--
-- Written only by the run (spm_payout_internal.store_run, as the extension
-- owner): no role is granted INSERT, UPDATE, DELETE or TRUNCATE on them, so
-- they need no per-row triggers or foreign keys, and a closed period's rows
-- are frozen because the run refuses closed periods.  Deal-level credit
-- rows are partitioned by the period they are booked in: a rerun replaces
-- its period's partition with TRUNCATE instead of deleting row by row.

CREATE TABLE spm_payout.run (
    run_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id       integer NOT NULL REFERENCES spm_payout.pay_period,
    status          text NOT NULL CHECK (status IN ('succeeded', 'failed')),
    run_by          text NOT NULL,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL,
    credit_rows     bigint,
    lines           integer,
    reps            integer,
    examined        text[],
    changed         text[],
    input_fingerprint text,
    failed_phase    text,
    error_sqlstate  text,
    error_message   text
);
CREATE INDEX run_period ON spm_payout.run (period_id, run_id);
COMMENT ON TABLE spm_payout.run IS
    'one row per payout run, succeeded or failed: who, when, period, row counts, which closed periods were examined and which changed, the fingerprint of its inputs';

CREATE TABLE spm_payout.run_phase (
    run_id   bigint NOT NULL REFERENCES spm_payout.run ON DELETE CASCADE,
    step     integer NOT NULL,
    phase    text NOT NULL,
    rows     bigint NOT NULL,
    ms       numeric NOT NULL,
    PRIMARY KEY (run_id, step)
);
COMMENT ON TABLE spm_payout.run_phase IS 'each phase of a run (stage, credits, closed periods, lines, draws, write) with its row count and milliseconds';

CREATE TABLE spm_payout.credit_line (
    period_id     integer NOT NULL,
    for_period_id integer NOT NULL,
    version_id    integer,
    source_id     integer NOT NULL,
    deal_date     date NOT NULL,
    depth         smallint NOT NULL,
    via           text NOT NULL,
    rep           text NOT NULL,
    deal          text,
    from_rep      text,
    amount        numeric NOT NULL,
    -- new in 0.3.0 (docs/components.md): declared last, as the upgrade adds it
    component_id  integer
) PARTITION BY LIST (period_id);
-- No index and no check constraint: the run is the only writer ('direct',
-- 'split' or 'rollup' in via), and it finds the partitions holding late
-- rows of a period through period_check.
COMMENT ON TABLE spm_payout.credit_line IS
    'what was credited to whom, deal by deal, in the period it is booked in (one partition per period, written by the period''s latest run); rows with for_period_id <> period_id are late changes to a closed period, booked as differences';

-- A period whose partition was opened for the caller's writes (open_credit)
-- and not yet taken back by store_run: only ever inside a run, unless
-- open_credit was called on its own; then the period cannot be closed
-- until a complete run rewrites its credit.
CREATE TABLE spm_payout.credit_open (
    period_id  integer PRIMARY KEY,
    opened_by  text NOT NULL,
    opened_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE spm_payout.credit_open IS
    'pay periods whose credit partition is open for a run''s writes (a row outside a run blocks the close until the period is run again)';

-- What each computation of a period credited per rep and plan version, in
-- full: the latest computation of a period (highest run_id) is what later
-- periods of the plan year accumulate on.
CREATE TABLE spm_payout.period_credit (
    run_id        bigint NOT NULL,
    period_id     integer NOT NULL,
    for_period_id integer NOT NULL,
    rep           text NOT NULL,
    version_id    integer,
    credited      numeric NOT NULL,
    deals         bigint NOT NULL,
    quota         numeric,
    target        numeric,
    assigned      boolean NOT NULL,
    no_quota      boolean NOT NULL,
    -- new in 0.3.0 (docs/components.md): declared last, as the upgrade adds it
    component_id  integer
);
CREATE INDEX period_credit_for ON spm_payout.period_credit (for_period_id, run_id);
CREATE INDEX period_credit_booked ON spm_payout.period_credit (period_id);
COMMENT ON TABLE spm_payout.period_credit IS
    'credit, prorated quota and target incentive per rep and plan version of a period (for_period_id) as computed by a run of period_id: the period itself, or a changed closed period';

-- The fingerprint of a period's inputs at each computation of it.
CREATE TABLE spm_payout.period_check (
    run_id        bigint NOT NULL,
    period_id     integer NOT NULL,
    for_period_id integer NOT NULL,
    fingerprint   text NOT NULL,
    changed       boolean NOT NULL,
    PRIMARY KEY (period_id, for_period_id)
);
CREATE INDEX period_check_for ON spm_payout.period_check (for_period_id, run_id);
COMMENT ON TABLE spm_payout.period_check IS
    'which periods a run of period_id examined, the fingerprint of their inputs then, and whether they had changed';

CREATE TABLE spm_payout.payout_line (
    line_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id             bigint NOT NULL,
    period_id          integer NOT NULL,
    for_period_id      integer NOT NULL,
    rep                text NOT NULL,
    plan_id            integer,
    version_id         integer,
    line_kind          text NOT NULL CHECK (line_kind IN ('commission', 'prior_year', 'manual')),
    credited           numeric,
    late_credit        numeric,
    credited_to_date   numeric,
    quota_to_date      numeric,
    attainment_to_date numeric,
    earned_to_date     numeric,
    paid_before        numeric,
    earned             numeric NOT NULL,
    cause              jsonb,
    accepted           boolean,
    -- new in 0.3.0 (docs/components.md): declared last, as the upgrade adds it
    component_id       integer
);
CREATE INDEX payout_line_period ON spm_payout.payout_line (period_id, rep);
CREATE INDEX payout_line_rep ON spm_payout.payout_line (rep);
COMMENT ON TABLE spm_payout.payout_line IS
    'earnings lines of a period: commission per rep and plan version (earned to date minus paid before in the plan year), prior-year corrections, manual adjustments';

CREATE TABLE spm_payout.payout_summary (
    run_id     bigint NOT NULL,
    period_id  integer NOT NULL,
    rep        text NOT NULL,
    earned     numeric NOT NULL,
    draw       numeric NOT NULL,
    draw_kind  text,
    draw_paid  numeric NOT NULL,
    recovered  numeric NOT NULL,
    forgiven   numeric NOT NULL,
    balance    numeric NOT NULL,
    payout     numeric NOT NULL,
    held       numeric NOT NULL DEFAULT 0,
    released   numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (period_id, rep),
    plan_currency text,
    currency      text,
    fx_rate       numeric,
    payout_local  numeric
);
CREATE INDEX payout_summary_rep ON spm_payout.payout_summary (rep);
COMMENT ON TABLE spm_payout.payout_summary IS
    'per rep and period: total earned, the draw ledger (spm.draw_ledger carried from the previous period) and the payout';

-- A plan version that paid a closed period is history: only its end date
-- may move, and not before the end of the last closed period it paid.
CREATE FUNCTION spm_payout_internal.keep_used_version() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    last_closed date;
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    SELECT max(upper(p.period)) INTO last_closed
      FROM spm_payout.payout_line l JOIN spm_payout.pay_period p ON p.period_id = l.period_id
     WHERE l.version_id = OLD.version_id AND p.status = 'closed';
    IF last_closed IS NULL THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE'
       OR (NEW.plan_id, NEW.version, NEW.schedule::text, NEW.base, NEW.target_incentive, lower(NEW.valid), lower_inf(NEW.valid))
          IS DISTINCT FROM (OLD.plan_id, OLD.version, OLD.schedule::text, OLD.base, OLD.target_incentive, lower(OLD.valid), lower_inf(OLD.valid))
       OR (NOT upper_inf(NEW.valid) AND upper(NEW.valid) < last_closed) THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('plan version %s paid a closed pay period', OLD.version_id),
            DETAIL = format('Only its end date may change, and not before %s.', to_char(last_closed, 'YYYY-MM-DD')),
            HINT = 'End this version and add a new one (plan_version with the next version number).';
    END IF;
    RETURN NEW;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.keep_used_version() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.keep_used_version() IS
    'trigger: a plan version used by a closed period cannot be edited or deleted, only ended (55000)';
CREATE TRIGGER plan_version_keep_used BEFORE UPDATE OR DELETE ON spm_payout.plan_version
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.keep_used_version();
