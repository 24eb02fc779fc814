-- bench/setup.sql — the benchmark's data and helpers (run by bench/run.sh).
--
-- psql variables: seed, reps, deals, days, first_day, and params (the same,
-- as one text kept in bench.meta).  Needs data/sample.sql
-- loaded and the spm and pg_prewarm extensions created.  Everything lives in
-- schema bench of the throwaway benchmark database; nothing is kept.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

-- 1. The deals, from the project's deterministic generator (data/sample.sql).
\o /dev/null
SELECT spm_sample.generate(:seed, :reps, :deals, :'first_day', :days);
\o

DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

-- One row per deal with its amount in every type the cases read, and the
-- month as a plain integer (0 = the first month), so that grouping "by rep
-- and month" hashes two integers in every case.  Fixed-width columns first,
-- numeric last: every case deforms the same prefix of the row.
CREATE TABLE bench.deals AS
SELECT d.deal_id,
       d.rep_id,
       ((date_part('year', d.close_date) - date_part('year', :'first_day'::date)) * 12
        + date_part('month', d.close_date) - date_part('month', :'first_day'::date))::integer AS period,
       d.close_date,
       (d.amount * 100)::bigint AS cents,          -- bigint amounts: cents
       round(d.amount)::integer AS dollars,        -- integer amounts: whole units
       d.amount::float8 AS amount_f8,              -- double amounts
       d.amount                                    -- numeric(12,2)
  FROM spm_sample.deals d
 ORDER BY d.deal_id;
DROP TABLE spm_sample.deals;

-- The first tenth of the deals: the same distribution (reps, days, amounts)
-- at a tenth of the rows, for the scaling case.
CREATE TABLE bench.deals_small AS
SELECT * FROM bench.deals WHERE deal_id <= greatest(:deals / 10, 1);

-- 2. Rep-periods for the draw ledger: every rep, every month of the data.
-- earned is uniform in [-1000, 10000) (about 9 % clawback months), the draw
-- is 3000 in a rep's first 12 months and 2000 after.
CREATE TABLE bench.periods AS
SELECT r.rep_id, p.period,
       round((spm_sample.uniform(:seed, r.rep_id::bigint * 4096 + p.period, 41) * 11000 - 1000)::numeric, 2)::numeric(12,2) AS earned,
       (CASE WHEN p.period < 12 THEN 3000 ELSE 2000 END)::numeric(12,2) AS draw
  FROM generate_series(1, :reps) AS r(rep_id)
 CROSS JOIN generate_series(0, (SELECT max(period) FROM bench.deals)) AS p(period)
 ORDER BY 1, 2;

-- 3. Credit splits: the first tenth of the deals, each split three ways
-- between three distinct reps, with weights that are fractions adding to 1.
CREATE TABLE bench.splits AS
SELECT d.deal_id,
       1 + (d.rep_id - 1 + k) % :reps AS rep_id,
       d.amount,
       (CASE d.deal_id % 3 WHEN 0 THEN '{0.5,0.3,0.2}'::numeric[]
                           WHEN 1 THEN '{0.4,0.3,0.3}'::numeric[]
                           ELSE '{0.34,0.33,0.33}'::numeric[] END)[k + 1] AS weight
  FROM bench.deals_small d
 CROSS JOIN generate_series(0, 2) AS k
 ORDER BY d.deal_id, k;

-- 4. The tier table of the pure-SQL formulation: the same rule as the
-- schedule 'marginal(0: 0.03, 500000: 0.06, 2000000: 0.10)'.
CREATE TABLE bench.tiers (lo numeric NOT NULL, hi numeric, rate numeric NOT NULL);
INSERT INTO bench.tiers VALUES (0, 500000, 0.03), (500000, 2000000, 0.06), (2000000, NULL, 0.10);

-- Facts the run checks results against.
CREATE TABLE bench.meta AS
SELECT :'params'::text AS params,
       (SELECT count(*) FROM bench.deals) AS deals,
       (SELECT count(*) FROM bench.deals_small) AS deals_small,
       (SELECT count(DISTINCT rep_id) FROM bench.deals) AS active_reps,
       (SELECT count(*) FROM (SELECT DISTINCT rep_id, period FROM bench.deals) g) AS rep_months,
       (SELECT count(*) FROM (SELECT DISTINCT rep_id, period FROM bench.deals_small) g) AS small_rep_months,
       (SELECT count(*) FROM bench.periods) AS periods,
       (SELECT count(*) FROM bench.splits) AS splits,
       (SELECT count(DISTINCT deal_id) FROM bench.splits) AS split_deals,
       (SELECT sum(amount) FROM bench.deals_small) AS split_total;

VACUUM (ANALYZE) bench.deals, bench.deals_small, bench.periods, bench.splits, bench.tiers;

-- 5. Helpers.

-- Run one query and return its server-side time, its (one-value) result,
-- and the backend's memory afterwards: VmHWM is the peak resident set,
-- RssShmem the shared memory (shared_buffers pages) it includes.  Called
-- once per fresh connection, so VmHWM is this query's peak.
CREATE FUNCTION bench.timed(q text, OUT ms double precision, OUT result text,
                            OUT peak_kb bigint, OUT shmem_kb bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    t0 timestamptz;
    st text;
BEGIN
    t0 := clock_timestamp();
    EXECUTE q INTO result;
    ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
    st := pg_read_file('/proc/self/status', 0, 65536, true);   -- NULL off Linux
    peak_kb := substring(st FROM 'VmHWM:\s+(\d+)')::bigint;
    shmem_kb := substring(st FROM 'RssShmem:\s+(\d+)')::bigint;
END
$fn$;

-- The draw ledger as a PL/pgSQL loop: docs/draws.md's 'recoverable' rule with
-- recovery limit 1 and no forgiveness, one row per rep-period in order,
-- exactly what spm.draw_ledger(earned, draw, 'recoverable') returns.
CREATE FUNCTION bench.draw_ledger_plpgsql()
RETURNS TABLE (rep_id integer, period integer, payout numeric, draw_paid numeric,
               recovered numeric, forgiven numeric, balance numeric)
LANGUAGE plpgsql AS $fn$
DECLARE
    r record;
    cur integer;
    b numeric := 0;
    p numeric;
    n numeric;
    top numeric;
BEGIN
    FOR r IN SELECT x.rep_id, x.period, coalesce(x.earned, 0) AS e, coalesce(x.draw, 0) AS d
               FROM bench.periods x ORDER BY x.rep_id, x.period
    LOOP
        IF cur IS DISTINCT FROM r.rep_id THEN
            cur := r.rep_id;
            b := 0;
        END IF;
        p := greatest(r.e, 0);
        n := greatest(-r.e, 0);
        top := greatest(r.d - p, 0);
        rep_id := r.rep_id;
        period := r.period;
        forgiven := 0;
        IF top > 0 THEN
            payout := p + top;
            draw_paid := top;
            recovered := 0;
            b := b + top + n;
        ELSE
            b := b + n;
            recovered := least(b, p - r.d);
            b := b - recovered;
            payout := p - recovered;
            draw_paid := 0;
        END IF;
        balance := b;
        RETURN NEXT;
    END LOOP;
END
$fn$;
