--
-- sample_data: the deterministic sample-data generator of data/sample.sql.
-- Self-contained: loads the file (pg_regress runs from the repository root).
-- Only booleans and structural counts are printed, never hashes or amounts.
--
\set ECHO none
SET client_min_messages = warning;
\i data/sample.sql
RESET client_min_messages;
\set ECHO all

-- Two runs with the same arguments must give identical tables.
SELECT spm_sample.generate(7, 20, 1000);
CREATE TEMP TABLE run1_reps  AS SELECT * FROM spm_sample.reps;
CREATE TEMP TABLE run1_deals AS SELECT * FROM spm_sample.deals;
SELECT spm_sample.generate(7, 20, 1000);

SELECT (SELECT md5(string_agg(r::text, '|' ORDER BY r.rep_id)) FROM spm_sample.reps r)
     = (SELECT md5(string_agg(r::text, '|' ORDER BY r.rep_id)) FROM run1_reps r)
       AS reps_identical,
       (SELECT md5(string_agg(d::text, '|' ORDER BY d.deal_id)) FROM spm_sample.deals d)
     = (SELECT md5(string_agg(d::text, '|' ORDER BY d.deal_id)) FROM run1_deals d)
       AS deals_identical;

-- Row counts and keys.
SELECT (SELECT count(*) FROM spm_sample.reps)  AS reps,
       (SELECT count(*) FROM spm_sample.deals) AS deals,
       (SELECT count(DISTINCT deal_id) FROM spm_sample.deals) AS distinct_deal_ids,
       (SELECT min(deal_id) FROM spm_sample.deals) AS min_deal_id,
       (SELECT max(deal_id) FROM spm_sample.deals) AS max_deal_id;

-- Every deal's rep exists (the foreign key is there too).
SELECT count(*) AS orphan_deals
FROM spm_sample.deals d
WHERE NOT EXISTS (SELECT 1 FROM spm_sample.reps r WHERE r.rep_id = d.rep_id);

-- Hierarchy: one VP, ~1 in 8 managers reporting to the VP, everybody else
-- reports to a manager; names are 'Rep 0001'...
SELECT count(*) FILTER (WHERE manager_id IS NULL) AS reps_without_manager,
       count(*) FILTER (WHERE manager_id = 1)      AS managers,
       bool_and(manager_id IS NULL) FILTER (WHERE rep_id = 1) AS vp_is_rep_1,
       bool_and(manager_id IN (SELECT m.rep_id FROM spm_sample.reps m WHERE m.manager_id = 1))
           FILTER (WHERE rep_id > 1 AND manager_id <> 1) AS sellers_report_to_managers,
       bool_and(rep_name = 'Rep ' || lpad(rep_id::text, 4, '0')) AS names_ok,
       count(DISTINCT region) AS regions,
       bool_and(annual_quota BETWEEN 400000 AND 1200000 AND annual_quota % 100 = 0) AS quotas_ok
FROM spm_sample.reps;

-- Some reps are hired during the period, and no deal predates its rep's hire.
SELECT count(*) FILTER (WHERE hired_on > '2025-01-01') > 0 AS some_hired_mid_period
FROM spm_sample.reps;
SELECT count(*) AS deals_before_hire
FROM spm_sample.deals d JOIN spm_sample.reps r USING (rep_id)
WHERE d.close_date < r.hired_on;

-- Close dates inside [first_day, first_day + n_days).
SELECT bool_and(close_date >= '2025-01-01' AND close_date < date '2025-01-01' + 365) AS dates_in_range
FROM spm_sample.deals;

-- Kinds and amounts: credit notes negative and 1-6 % of deals, others
-- positive in [500, 250000) and skewed (the median far below the mean).
SELECT bool_and(amount < 0) FILTER (WHERE kind = 'credit_note') AS credit_notes_negative,
       bool_and(amount >= 500 AND amount < 250000) FILTER (WHERE kind <> 'credit_note') AS amounts_in_range,
       count(*) FILTER (WHERE kind = 'credit_note') BETWEEN 0.01 * count(*) AND 0.06 * count(*) AS credit_share_ok,
       count(*) FILTER (WHERE kind = 'renewal') > 0 AS has_renewals,
       count(*) FILTER (WHERE kind = 'new') > 0 AS has_new,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FILTER (WHERE amount > 0)
           < 0.5 * avg(amount) FILTER (WHERE amount > 0) AS amounts_skewed,
       bool_or(amount <> round(amount)) AS has_cents
FROM spm_sample.deals;

-- Each credit note reverses part of an earlier deal of the same rep.
SELECT count(*) AS credit_notes_without_source
FROM spm_sample.deals c
WHERE c.kind = 'credit_note'
  AND NOT EXISTS (SELECT 1 FROM spm_sample.deals s
                  WHERE s.rep_id = c.rep_id AND s.kind <> 'credit_note'
                    AND s.deal_id < c.deal_id AND s.close_date <= c.close_date
                    AND s.amount >= -c.amount);

-- The keys, the index and the comments are there.
SELECT indexdef FROM pg_indexes WHERE schemaname = 'spm_sample' ORDER BY indexname;
SELECT conname FROM pg_constraint WHERE connamespace = 'spm_sample'::regnamespace ORDER BY conname;
SELECT obj_description('spm_sample.reps'::regclass, 'pg_class') IS NOT NULL AS reps_comment,
       obj_description('spm_sample.deals'::regclass, 'pg_class') IS NOT NULL AS deals_comment,
       obj_description('spm_sample'::regnamespace, 'pg_namespace') IS NOT NULL AS schema_comment,
       obj_description('spm_sample.generate'::regproc, 'pg_proc') IS NOT NULL AS function_comment;

-- A different seed gives different data.
SELECT spm_sample.generate(8, 20, 1000);
SELECT (SELECT md5(string_agg(d::text, '|' ORDER BY d.deal_id)) FROM spm_sample.deals d)
    <> (SELECT md5(string_agg(d::text, '|' ORDER BY d.deal_id)) FROM run1_deals d)
       AS other_seed_differs;

-- Tiny and empty inputs work; bad ones are refused.
SELECT spm_sample.generate(1, 1, 10, '2025-01-01', 1);
SELECT count(*) AS deals, bool_and(rep_id = 1) AS all_by_the_vp,
       bool_and(close_date = '2025-01-01') AS all_on_day_one
FROM spm_sample.deals;
SELECT spm_sample.generate(1, 3, 0);
SELECT (SELECT count(*) FROM spm_sample.reps) AS reps,
       (SELECT count(*) FROM spm_sample.deals) AS deals;
\set VERBOSITY terse
SELECT spm_sample.generate(1, 0, 10);
\set VERBOSITY default

-- The defaults: 40 reps, 4000 deals in 2025 (left in place).
SELECT spm_sample.generate();
SELECT (SELECT count(*) FROM spm_sample.reps) AS reps,
       (SELECT count(*) FROM spm_sample.deals) AS deals,
       (SELECT min(close_date) >= '2025-01-01' AND max(close_date) <= '2025-12-31' FROM spm_sample.deals) AS in_2025;
