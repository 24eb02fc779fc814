-- Draws: the recoupment ledger, its simulation and calibration (see docs/draws.md).

CREATE TYPE spm.draw_line AS (
    payout numeric,
    draw_paid numeric,
    recovered numeric,
    forgiven numeric,
    balance numeric
);
COMMENT ON TYPE spm.draw_line IS
    'one period of a draw ledger: what is paid, the part of it that is draw, what was recovered and forgiven, and the balance the rep owes afterwards';

CREATE FUNCTION spm.draw_ledger(earned numeric, draw numeric, kind text) RETURNS spm.draw_line
    AS 'MODULE_PATHNAME', 'spm_draw_ledger' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.draw_ledger(numeric, numeric, text) IS
    'window function: the draw ledger row by row in window order; kind ''recoverable'', ''non_recoverable'' or ''advance''; recovery limit 1, no forgiveness';

CREATE FUNCTION spm.draw_ledger(earned numeric, draw numeric, kind text,
                                recovery_limit numeric, forgive boolean) RETURNS spm.draw_line
    AS 'MODULE_PATHNAME', 'spm_draw_ledger' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.draw_ledger(numeric, numeric, text, numeric, boolean) IS
    'window function: the draw ledger with a recovery limit in [0,1] (share of the excess over the draw that may be recovered) and forgiveness of the balance where forgive is true';

-- Simulation
CREATE TYPE spm.draw_summary AS (
    periods int,
    earned numeric,
    paid numeric,
    draw_paid numeric,
    recovered numeric,
    forgiven numeric,
    ending_balance numeric,
    max_balance numeric,
    periods_topped_up int
);
COMMENT ON TYPE spm.draw_summary IS
    'a draw ledger summed up: periods, sums of earned, payout, draw paid, recovered and forgiven, the balance at the end and the largest balance after any period, and the number of periods with draw paid';

CREATE FUNCTION spm.draw_simulate_trans(internal, numeric, numeric, text) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_draw_simulate_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.draw_simulate_trans(internal, numeric, numeric, text, numeric, boolean) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_draw_simulate_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.draw_simulate_final(internal) RETURNS spm.draw_summary
    AS 'MODULE_PATHNAME', 'spm_draw_simulate_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.draw_simulate_trans(internal, numeric, numeric, text) IS
    'transition function of spm.draw_simulate: one ledger step';
COMMENT ON FUNCTION spm.draw_simulate_trans(internal, numeric, numeric, text, numeric, boolean) IS
    'transition function of spm.draw_simulate (recovery limit and forgive form)';
COMMENT ON FUNCTION spm.draw_simulate_final(internal) IS
    'final function of spm.draw_simulate: the spm.draw_summary';

CREATE AGGREGATE spm.draw_simulate(earned numeric, draw numeric, kind text) (
    SFUNC = spm.draw_simulate_trans,
    STYPE = internal,
    SSPACE = 144,
    FINALFUNC = spm.draw_simulate_final,
    FINALFUNC_MODIFY = READ_ONLY
);
COMMENT ON AGGREGATE spm.draw_simulate(numeric, numeric, text) IS
    'one rep''s draw ledger summed up; rows must be given in period order: draw_simulate(... ORDER BY period)';

CREATE AGGREGATE spm.draw_simulate(earned numeric, draw numeric, kind text,
                                   recovery_limit numeric, forgive boolean) (
    SFUNC = spm.draw_simulate_trans,
    STYPE = internal,
    SSPACE = 144,
    FINALFUNC = spm.draw_simulate_final,
    FINALFUNC_MODIFY = READ_ONLY
);
COMMENT ON AGGREGATE spm.draw_simulate(numeric, numeric, text, numeric, boolean) IS
    'one rep''s draw ledger (recovery limit and forgive form) summed up; rows in period order: draw_simulate(... ORDER BY period)';

-- Totals over reps: sum the summaries of spm.draw_simulate
CREATE FUNCTION spm.draw_total_step(a spm.draw_summary, b spm.draw_summary) RETURNS spm.draw_summary
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT ROW(a.periods + b.periods, a.earned + b.earned, a.paid + b.paid,
                     a.draw_paid + b.draw_paid, a.recovered + b.recovered,
                     a.forgiven + b.forgiven, a.ending_balance + b.ending_balance,
                     greatest(a.max_balance, b.max_balance),
                     a.periods_topped_up + b.periods_topped_up)::spm.draw_summary $$;
COMMENT ON FUNCTION spm.draw_total_step(spm.draw_summary, spm.draw_summary) IS
    'transition and combine function of spm.draw_total: adds two summaries';

CREATE AGGREGATE spm.draw_total(spm.draw_summary) (
    SFUNC = spm.draw_total_step,
    STYPE = spm.draw_summary,
    COMBINEFUNC = spm.draw_total_step,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE spm.draw_total(spm.draw_summary) IS
    'totals of per-rep draw summaries: every column summed, except max_balance, the largest balance any one rep reached';

-- Calibration
CREATE FUNCTION spm.draw_calibrate_budget_trans(internal, anyelement, numeric, text, numeric, numeric)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_draw_calibrate_budget_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.draw_calibrate_budget_trans(internal, anyelement, numeric, text, numeric, numeric, boolean)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_draw_calibrate_budget_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.draw_calibrate_budget_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_draw_calibrate_budget_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.draw_calibrate_budget_trans(internal, anyelement, numeric, text, numeric, numeric) IS
    'transition function of spm.draw_calibrate_budget: collects the history';
COMMENT ON FUNCTION spm.draw_calibrate_budget_trans(internal, anyelement, numeric, text, numeric, numeric, boolean) IS
    'transition function of spm.draw_calibrate_budget (balance_is_cost form)';
COMMENT ON FUNCTION spm.draw_calibrate_budget_final(internal) IS
    'final function of spm.draw_calibrate_budget: binary search over cents';

CREATE AGGREGATE spm.draw_calibrate_budget(rep anyelement, earned numeric, kind text,
                                           recovery_limit numeric, budget numeric) (
    SFUNC = spm.draw_calibrate_budget_trans,
    STYPE = internal,
    FINALFUNC = spm.draw_calibrate_budget_final,
    FINALFUNC_MODIFY = READ_ONLY
);
COMMENT ON AGGREGATE spm.draw_calibrate_budget(anyelement, numeric, text, numeric, numeric) IS
    'the largest draw, in cents, paid every period, whose company cost (forgiven plus balances still owed at the end) per rep-period is at most budget; rows ORDER BY rep, period';

CREATE AGGREGATE spm.draw_calibrate_budget(rep anyelement, earned numeric, kind text,
                                           recovery_limit numeric, budget numeric,
                                           balance_is_cost boolean) (
    SFUNC = spm.draw_calibrate_budget_trans,
    STYPE = internal,
    FINALFUNC = spm.draw_calibrate_budget_final,
    FINALFUNC_MODIFY = READ_ONLY
);
COMMENT ON AGGREGATE spm.draw_calibrate_budget(anyelement, numeric, text, numeric, numeric, boolean) IS
    'as the 5-argument form; balance_is_cost false counts only what is forgiven (non_recoverable draws only)';

CREATE FUNCTION spm.draw_calibrate_coverage_trans(internal, numeric, numeric) RETURNS internal
    AS 'MODULE_PATHNAME', 'spm_draw_calibrate_coverage_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spm.draw_calibrate_coverage_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_draw_calibrate_coverage_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.draw_calibrate_coverage_trans(internal, numeric, numeric) IS
    'transition function of spm.draw_calibrate_coverage: collects the earnings';
COMMENT ON FUNCTION spm.draw_calibrate_coverage_final(internal) IS
    'final function of spm.draw_calibrate_coverage: order statistic rounded to the cent';

CREATE AGGREGATE spm.draw_calibrate_coverage(earned numeric, share numeric) (
    SFUNC = spm.draw_calibrate_coverage_trans,
    STYPE = internal,
    FINALFUNC = spm.draw_calibrate_coverage_final,
    FINALFUNC_MODIFY = READ_ONLY
);
COMMENT ON AGGREGATE spm.draw_calibrate_coverage(numeric, numeric) IS
    'the smallest draw, in cents, that tops up at least share of the rep-periods (those earning less than the draw); one row per rep and period';
