-- bench/payout_setup.sql — the payout benchmark's company (bench/payout.sh).
--
-- psql variables: deals (total, spread evenly over :years years from
-- 2021-01-01), grain ('quarter' or 'month': the pay periods of the last
-- year), seed, and optionally components=1: the reps' plan pays two
-- components (docs/components.md) instead of one schedule.  1,000 people in three levels: 10 directors, 90 managers,
-- 900 reps; every deal is sold by a rep and rolls up to the rep's manager
-- and director.  Deterministic for a seed.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS spm_payout CASCADE;
SELECT setseed(:seed::double precision / 1000);
CREATE SCHEMA pb;
CREATE TABLE pb.org (rep_id int PRIMARY KEY, manager_id int, valid daterange NOT NULL DEFAULT '(,)');
INSERT INTO pb.org (rep_id, manager_id)
SELECT i, CASE WHEN i <= 10 THEN NULL WHEN i <= 100 THEN 1 + (i - 11) % 10 ELSE 11 + (i - 101) % 90 END
  FROM generate_series(1, 1000) i;
CREATE TABLE pb.deals (deal_id bigint, rep_id int, amount numeric(12,2), close_date date);
INSERT INTO pb.deals
SELECT g, 101 + (random() * 899)::int, round((100 + random() * 19900)::numeric, 2),
       '2021-01-01'::date + (((g - 1) * (365 * :years)) / :deals)::int
  FROM generate_series(1, :deals::bigint) g;
CREATE INDEX ON pb.deals (close_date);
VACUUM ANALYZE pb.deals;
VACUUM ANALYZE pb.org;

-- the catalog: the last year's periods, plans, quotas
SELECT count(*) FROM spm_payout.add_pay_periods(make_date(2020 + :years, 1, 1), make_date(2020 + :years, 12, 31), :'grain');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('deals', 'pb.deals', 'rep_id', 'deal_id', 'amount', 'close_date');
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column)
VALUES ('pb.org', 'rep_id', 'manager_id', 'valid');
INSERT INTO spm_payout.plan (name) VALUES ('rep'), ('manager'), ('director');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule, base)
SELECT plan_id, 1, s::spm.schedule, b FROM spm_payout.plan
  JOIN (VALUES ('rep', 'marginal(0: 0.03, 0.5: 0.06, 1: 0.10)', 'quota'),
               ('manager', 'marginal(0: 0.01)', 'amount'),
               ('director', 'cap(marginal(0: 0.005), 250000)', 'amount')) v(n, s, b) ON v.n = name;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT o.rep_id::text, p.plan_id, daterange(make_date(2020 + :years, 1, 1), NULL)
  FROM pb.org o JOIN spm_payout.plan p
    ON p.name = CASE WHEN o.rep_id <= 10 THEN 'director' WHEN o.rep_id <= 100 THEN 'manager' ELSE 'rep' END;
-- a rep's quota: the expected sales of a period (deals per rep * mean amount)
INSERT INTO spm_payout.quota (rep, period_id, amount)
SELECT o.rep_id::text, p.period_id,
       round(:deals::numeric / :years / 900 * 10100 * (upper(p.period) - lower(p.period)) / 365, 2)
  FROM pb.org o CROSS JOIN spm_payout.pay_period p WHERE o.rep_id > 100;

-- what a competent analyst writes by hand: the same deal-level credit rows
-- with the same two levels of roll-up, stored, then per-rep commission
CREATE TABLE pb.hand_credit (rep text, deal text, deal_date date, via text, from_rep text, depth int, amount numeric,
                             component text);
CREATE TABLE pb.hand_line (rep text, plan text, credited numeric, quota numeric, earned numeric, component text);
CREATE FUNCTION pb.hand(lo date, hi date) RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE pb.hand_credit, pb.hand_line;
    INSERT INTO pb.hand_credit
    SELECT d.rep_id::text, d.deal_id::text, d.close_date, 'direct', NULL, 0, d.amount
      FROM pb.deals d WHERE d.close_date >= lo AND d.close_date < hi
    UNION ALL
    SELECT o1.manager_id::text, d.deal_id::text, d.close_date, 'rollup', d.rep_id::text, 1, d.amount
      FROM pb.deals d JOIN pb.org o1 ON o1.rep_id = d.rep_id
     WHERE d.close_date >= lo AND d.close_date < hi AND o1.manager_id IS NOT NULL
    UNION ALL
    SELECT o2.manager_id::text, d.deal_id::text, d.close_date, 'rollup', d.rep_id::text, 2, d.amount
      FROM pb.deals d JOIN pb.org o1 ON o1.rep_id = d.rep_id JOIN pb.org o2 ON o2.rep_id = o1.manager_id
     WHERE d.close_date >= lo AND d.close_date < hi AND o2.manager_id IS NOT NULL;
    INSERT INTO pb.hand_line
    SELECT c.rep, p.name, c.credited, q.amount,
           round(CASE v.base WHEN 'quota' THEN spm.apply(v.schedule, c.credited, q.amount)
                             ELSE spm.apply(v.schedule, c.credited) END, 2)
      FROM (SELECT rep, sum(amount) AS credited FROM pb.hand_credit GROUP BY rep) c
      JOIN spm_payout.assignment a ON a.rep = c.rep
      JOIN spm_payout.plan p ON p.plan_id = a.plan_id
      JOIN spm_payout.plan_version v ON v.plan_id = p.plan_id
      LEFT JOIN spm_payout.quota q ON q.rep = c.rep
       AND q.period_id = (SELECT period_id FROM spm_payout.pay_period WHERE lower(period) = lo);
    RETURN (SELECT sum(earned) FROM pb.hand_line);
END $$;

-- components=1: the reps' plan version pays two components on every deal,
-- 'revenue' (its schedule, against the quota) and 'volume' (0.2% of credit);
-- by hand, the reps' credit rows are written once per component and each
-- component has its line
\if :{?components}
\else
\set components 0
\endif
SELECT :components = 1 AS with_components \gset
\if :with_components
INSERT INTO spm_payout.plan_component (version_id, name, source_id, base, schedule)
SELECT v.version_id, c.name, (SELECT source_id FROM spm_payout.source), c.base, c.schedule::spm.schedule
  FROM spm_payout.plan_version v JOIN spm_payout.plan p USING (plan_id)
 CROSS JOIN (VALUES ('revenue', 'quota', 'marginal(0: 0.03, 0.5: 0.06, 1: 0.10)'),
                    ('volume', 'amount', 'marginal(0: 0.002)')) c(name, base, schedule)
 WHERE p.name = 'rep';
CREATE OR REPLACE FUNCTION pb.hand(lo date, hi date) RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE pb.hand_credit, pb.hand_line;
    INSERT INTO pb.hand_credit
    SELECT d.rep_id::text, d.deal_id::text, d.close_date, 'direct', NULL, 0, d.amount, c.name
      FROM pb.deals d CROSS JOIN (VALUES ('revenue'), ('volume')) c(name)
     WHERE d.close_date >= lo AND d.close_date < hi
    UNION ALL
    SELECT o1.manager_id::text, d.deal_id::text, d.close_date, 'rollup', d.rep_id::text, 1, d.amount, NULL
      FROM pb.deals d JOIN pb.org o1 ON o1.rep_id = d.rep_id
     WHERE d.close_date >= lo AND d.close_date < hi AND o1.manager_id IS NOT NULL
    UNION ALL
    SELECT o2.manager_id::text, d.deal_id::text, d.close_date, 'rollup', d.rep_id::text, 2, d.amount, NULL
      FROM pb.deals d JOIN pb.org o1 ON o1.rep_id = d.rep_id JOIN pb.org o2 ON o2.rep_id = o1.manager_id
     WHERE d.close_date >= lo AND d.close_date < hi AND o2.manager_id IS NOT NULL;
    INSERT INTO pb.hand_line
    SELECT c.rep, p.name, c.credited, q.amount,
           round(CASE WHEN c.component = 'volume' THEN spm.apply('marginal(0: 0.002)', c.credited)
                      WHEN v.base = 'quota' THEN spm.apply(v.schedule, c.credited, q.amount)
                      ELSE spm.apply(v.schedule, c.credited) END, 2), c.component
      FROM (SELECT rep, component, sum(amount) AS credited FROM pb.hand_credit GROUP BY rep, component) c
      JOIN spm_payout.assignment a ON a.rep = c.rep
      JOIN spm_payout.plan p ON p.plan_id = a.plan_id
      JOIN spm_payout.plan_version v ON v.plan_id = p.plan_id
      LEFT JOIN spm_payout.quota q ON q.rep = c.rep
       AND q.period_id = (SELECT period_id FROM spm_payout.pay_period WHERE lower(period) = lo);
    RETURN (SELECT sum(earned) FROM pb.hand_line);
END $$;
\endif

-- backend memory: peak resident minus shared memory, in MB
CREATE FUNCTION pb.peak_mb() RETURNS numeric LANGUAGE sql AS $$
    SELECT round((max(v) FILTER (WHERE k = 'VmHWM') - max(v) FILTER (WHERE k = 'RssShmem')) / 1024.0, 1)
      FROM (SELECT split_part(l, ':', 1) AS k, nullif(regexp_replace(split_part(l, ':', 2), '[^0-9]', '', 'g'), '')::numeric AS v
              FROM regexp_split_to_table(pg_read_file('/proc/' || pg_backend_pid() || '/status'), E'\n') l) s
$$;
