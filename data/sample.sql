-- data/sample.sql — deterministic generator of realistic sales data.
--
-- Plain PostgreSQL 15, no extension needed.  Shared by the demo, the tests
-- and the benchmarks.  Loading this file only defines things:
--
--     psql -f data/sample.sql
--     SELECT spm_sample.generate();                      -- 40 reps, 4000 deals
--     SELECT spm_sample.generate(1, 50000, 10000000, '2023-01-01', 1095);
--
-- generate() (re)creates and fills spm_sample.reps and spm_sample.deals.

CREATE SCHEMA IF NOT EXISTS spm_sample;

COMMENT ON SCHEMA spm_sample IS
    'Deterministic sample sales data for spm (data/sample.sql): reps, deals, generate()';

-- ---------------------------------------------------------------------------
-- spm_sample.uniform(seed, i, salt) — a pseudo-random number in [0, 1).
--
-- A pure function of its arguments: a 64-bit hash of the row number i, keyed
-- by the seed and by a per-field "salt" (so the fields of one row are
-- independent).  The low 53 bits of the hash, divided by 2^53, give an exact
-- double k/2^53.  Being IMMUTABLE and a single expression, it is inlined into
-- the calling query (no function call per value).
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION spm_sample.uniform(seed integer, i bigint, salt integer)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT (hashint8extended(i, seed::bigint * 64 + salt) & 9007199254740991)::double precision
           / 9007199254740992::double precision
$$;

COMMENT ON FUNCTION spm_sample.uniform(integer, bigint, integer) IS
    'Deterministic pseudo-random double in [0,1) from (seed, row number, field salt); used by spm_sample.generate';

-- ---------------------------------------------------------------------------
-- spm_sample.generate(seed, n_reps, n_deals, first_day, n_days)
--
-- Why it is shaped like this:
--
--  * Determinism.  Every value of every row is a pure function of
--    (seed, row number, field) through spm_sample.uniform() — never random()
--    — so the same arguments give byte-identical tables whatever the plan,
--    the row order or parallelism.  Floating point is limited to IEEE basic
--    operations (+ - * /, floor, comparisons: correctly rounded, hence the
--    same everywhere; no exp/pow from libm), money is computed in integer
--    cents, and date_trunc works on timestamp, not timestamptz, so TimeZone
--    does not matter either.
--
--  * Scale.  Each table is filled by ONE INSERT ... SELECT over
--    generate_series, with no loop, no join and no sort: a deal never has to
--    look at another row.  Primary keys, foreign keys and the index are
--    built after loading, then the tables are ANALYZEd.
--
--  * Shape, all derived from formulas rather than from lookups:
--
--      reps   rep 1 is the VP (manager_id NULL); reps 2 .. 1+n_mgr are the
--             managers (about 1 in 8 reps), reporting to the VP; the others
--             are sellers, each reporting to a manager and working in that
--             manager's region.  The last ~10% of sellers are hired during
--             the period, at evenly spaced dates in its first three quarters,
--             in rep_id order; everybody else was hired before first_day.
--
--      deals  a close day t is drawn first (uniform over the period, then
--             ~10% pushed to the end of their quarter and ~15% to the end of
--             their month, like real sales).  The rep is drawn among the
--             sellers already hired on day t — because hire dates grow with
--             rep_id this is a contiguous range of rep_ids whose length is a
--             closed formula, so no deal ever predates its rep's hire date.
--             Amounts come from four bands (500-2 500, 2 500-10 000,
--             10 000-50 000, 50 000-250 000 with weights 60/28/10/2 %,
--             skewed low inside each band): many small deals, few large.
--             About 30 % are renewals.
--
--      credit notes  about 3 % of the rows.  Row i is a credit note when its
--             "candidate" draw c(i) hits AND the draw of the earlier row
--             j(i) < i it reverses does not — so the reversed row is always a
--             real (non credit) deal and nothing needs to be looked up: the
--             credit note recomputes deal j's rep, date and amount from j,
--             then closes 0-90 days later (capped at the end of the period)
--             for -(10 % .. 100 %) of j's amount (30 % are full reversals).
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION spm_sample.generate(
    seed      integer DEFAULT 42,
    n_reps    integer DEFAULT 40,
    n_deals   integer DEFAULT 4000,
    first_day date    DEFAULT '2025-01-01',
    n_days    integer DEFAULT 365)
RETURNS void
LANGUAGE plpgsql
-- DROP TABLE IF EXISTS would otherwise print "does not exist, skipping";
-- the bigger sort memory speeds up the index builds on large runs.
SET client_min_messages = warning
SET maintenance_work_mem = '256MB'
AS $fn$
DECLARE
    regions CONSTANT text[] := ARRAY['North America', 'EMEA', 'APAC', 'LATAM'];
    -- reps 2 .. 1+n_mgr are managers (none when there are only 1 or 2 reps)
    n_mgr        integer;
    -- sellers are reps first_seller .. n_reps (just the VP if n_reps = 1)
    first_seller integer;
    n_sellers    integer;
    -- the last n_new sellers are hired during the period
    n_new        integer;
    n_old        integer;
    -- new hire k (1..n_new) starts on first_day + 1 + (k * hire_span) / (n_new + 1)
    hire_span    integer;
    last_day     date;
    -- probability that a row is a credit-note candidate: c(i) AND NOT c(j)
    -- happens with probability p(1-p) ~ 3 %
    p_credit CONSTANT double precision := 0.031;
BEGIN
    IF seed IS NULL OR n_reps IS NULL OR n_deals IS NULL OR first_day IS NULL OR n_days IS NULL THEN
        RAISE EXCEPTION 'spm_sample.generate: arguments must not be NULL';
    END IF;
    IF n_reps < 1 OR n_deals < 0 OR n_days < 1 THEN
        RAISE EXCEPTION 'spm_sample.generate: need n_reps >= 1, n_deals >= 0 and n_days >= 1 (got %, %, %)',
            n_reps, n_deals, n_days;
    END IF;

    n_mgr        := least(greatest(1, round(n_reps / 8.0)::integer), greatest(n_reps - 2, 0));
    first_seller := least(n_mgr + 2, n_reps);
    n_sellers    := n_reps - first_seller + 1;
    n_new        := least(round(n_sellers * 0.1)::integer, n_sellers - 1);
    n_old        := n_sellers - n_new;
    hire_span    := greatest(1, n_days * 3 / 4);
    last_day     := first_day + (n_days - 1);

    DROP TABLE IF EXISTS spm_sample.deals;
    DROP TABLE IF EXISTS spm_sample.reps;

    -- Keys and the index are added after loading (see below).
    CREATE TABLE spm_sample.reps (
        rep_id       integer       NOT NULL,
        rep_name     text          NOT NULL,
        manager_id   integer,
        region       text          NOT NULL,
        hired_on     date          NOT NULL,
        annual_quota numeric(12,2) NOT NULL
    );

    CREATE TABLE spm_sample.deals (
        deal_id    bigint        NOT NULL,
        rep_id     integer       NOT NULL,
        close_date date          NOT NULL,
        amount     numeric(12,2) NOT NULL,
        kind       text          NOT NULL CHECK (kind IN ('new', 'renewal', 'credit_note'))
    );

    -- Salts used with spm_sample.uniform: reps 1-3, deals 11-19.
    INSERT INTO spm_sample.reps (rep_id, rep_name, manager_id, region, hired_on, annual_quota)
    SELECT r,
           -- zero-padded to a common width, so names sort like rep_ids
           'Rep ' || lpad(r::text, greatest(4, length(n_reps::text)), '0'),
           m.manager_id,
           regions[1 + CASE WHEN r = 1 OR n_mgr = 0 THEN 0        -- the VP and any direct sellers
                            WHEN r <= 1 + n_mgr THEN (r - 2) % 4     -- managers: round robin
                            ELSE (m.manager_id - 2) % 4              -- sellers: their manager's
                       END],
           CASE WHEN r = 1 THEN first_day - (2500 + floor(spm_sample.uniform(seed, r, 2) * 1000)::integer)
                WHEN r <= 1 + n_mgr THEN first_day - (700 + floor(spm_sample.uniform(seed, r, 2) * 1800)::integer)
                WHEN r > n_reps - n_new
                     THEN first_day + (1 + ((r - (n_reps - n_new))::bigint * hire_span / (n_new + 1))::integer)
                ELSE first_day - (14 + floor(spm_sample.uniform(seed, r, 2) * 1800)::integer)
           END,
           400000 + 100 * floor(spm_sample.uniform(seed, r, 3) * 8001)::integer   -- whole hundreds
    FROM generate_series(1, n_reps) AS r
    CROSS JOIN LATERAL (
        SELECT CASE WHEN r = 1 THEN NULL
                    WHEN r <= 1 + n_mgr OR n_mgr = 0 THEN 1
                    ELSE 2 + floor(spm_sample.uniform(seed, r, 1) * n_mgr)::integer
               END AS manager_id
    ) AS m;

    INSERT INTO spm_sample.deals (deal_id, rep_id, close_date, amount, kind)
    SELECT i,
           b.rep_id,
           CASE WHEN c.is_credit
                THEN least(b.close_date + floor(spm_sample.uniform(seed, i, 18) * 91)::integer, last_day)
                ELSE b.close_date END,
           (CASE WHEN c.is_credit
                 THEN -(b.cents * CASE WHEN c.u_frac < 0.3 THEN 100
                                       ELSE 10 + floor((c.u_frac - 0.3) / 0.7 * 90)::bigint END / 100)
                 ELSE b.cents END)::numeric / 100,
           CASE WHEN c.is_credit THEN 'credit_note'
                WHEN b.u_kind < p_credit + 0.30 THEN 'renewal'
                ELSE 'new' END
    FROM generate_series(1::bigint, n_deals) AS i
    -- Is row i a credit note, and which row j = src does it describe?
    CROSS JOIN LATERAL (
        SELECT i > 1
               AND spm_sample.uniform(seed, i, 14) < p_credit
               AND spm_sample.uniform(seed, s.j, 14) >= p_credit AS is_credit,
               s.j,
               spm_sample.uniform(seed, i, 19) AS u_frac
        FROM (SELECT 1 + floor(spm_sample.uniform(seed, i, 17) * (i - 1))::bigint AS j) AS s
    ) AS c
    -- The underlying deal: row i itself, or row j for a credit note.
    CROSS JOIN LATERAL (SELECT CASE WHEN c.is_credit THEN c.j ELSE i END AS src) AS s
    -- Its close day t, the number of sellers hired by then, and its draws.
    CROSS JOIN LATERAL (
        SELECT t.t,
               n_old + CASE WHEN t.t = 0 OR n_new = 0 THEN 0
                            ELSE least(n_new, (t.t * (n_new + 1) - 1) / hire_span) END AS n_hired,
               spm_sample.uniform(seed, s.src, 12) AS u_snap,
               spm_sample.uniform(seed, s.src, 15) AS u_band,
               spm_sample.uniform(seed, s.src, 16) AS u_pos
        FROM (SELECT floor(spm_sample.uniform(seed, s.src, 11) * n_days)::bigint AS t) AS t
    ) AS d
    CROSS JOIN LATERAL (
        SELECT first_seller + floor(spm_sample.uniform(seed, s.src, 13) * d.n_hired)::integer AS rep_id,
               CASE WHEN d.u_snap < 0.10   -- end of the quarter
                    THEN least((date_trunc('quarter', (first_day + d.t::integer)::timestamp)
                                + interval '3 months')::date - 1, last_day)
                    WHEN d.u_snap < 0.25   -- end of the month
                    THEN least((date_trunc('month', (first_day + d.t::integer)::timestamp)
                                + interval '1 month')::date - 1, last_day)
                    ELSE first_day + d.t::integer
               END AS close_date,
               -- integer cents: band low + (band width) * u^2
               CASE WHEN d.u_band < 0.60 THEN   50000 + floor(  200000 * d.u_pos * d.u_pos)::bigint
                    WHEN d.u_band < 0.88 THEN  250000 + floor(  750000 * d.u_pos * d.u_pos)::bigint
                    WHEN d.u_band < 0.98 THEN 1000000 + floor( 4000000 * d.u_pos * d.u_pos)::bigint
                    ELSE                      5000000 + floor(20000000 * d.u_pos * d.u_pos)::bigint
               END AS cents,
               spm_sample.uniform(seed, s.src, 14) AS u_kind
    ) AS b;

    ALTER TABLE spm_sample.reps  ADD PRIMARY KEY (rep_id);
    ALTER TABLE spm_sample.reps  ADD FOREIGN KEY (manager_id) REFERENCES spm_sample.reps;
    ALTER TABLE spm_sample.deals ADD PRIMARY KEY (deal_id);
    ALTER TABLE spm_sample.deals ADD FOREIGN KEY (rep_id) REFERENCES spm_sample.reps;
    CREATE INDEX deals_rep_id_close_date_idx ON spm_sample.deals (rep_id, close_date);

    COMMENT ON TABLE spm_sample.reps IS
        'Sample sales reps (spm_sample.generate): rep 1 is the VP, ~1 in 8 are managers, the rest sell; some are hired mid-period';
    COMMENT ON TABLE spm_sample.deals IS
        'Sample deals (spm_sample.generate): skewed amounts, ~30% renewals, ~3% negative credit notes reversing part of an earlier deal of the same rep';

    ANALYZE spm_sample.reps;
    ANALYZE spm_sample.deals;
END
$fn$;

COMMENT ON FUNCTION spm_sample.generate(integer, integer, integer, date, integer) IS
    'Deterministically (re)create and fill spm_sample.reps and spm_sample.deals: same arguments, same bytes';
