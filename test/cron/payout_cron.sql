-- pg_cron really runs a scheduled spm_payout run.
--
-- Runs in pg_cron's database (cron.database_name) and, unlike the other
-- pgTAP files, commits: the cron launcher only sees committed jobs.  It
-- cleans up after itself.  Each wait for a job is bounded (150 s; pg_cron
-- starts jobs on minute boundaries).  The second job fails on purpose: a
-- run called as its own transaction (as pg_cron calls it) leaves its
-- failure in spm_payout.run.
SET client_min_messages = warning;
SELECT plan(8);

CREATE SCHEMA spm_cron_test;
CREATE TABLE spm_cron_test.sales (id int, rep text, amount numeric(12,2), closed date);
INSERT INTO spm_cron_test.sales VALUES (1, 'cron_rep', 12000, '2030-01-10'), (2, 'cron_rep', 3000, '2030-01-20');
INSERT INTO spm_payout.pay_period (label, period) VALUES
  ('cron-test-2030-01', '[2030-01-01,2030-02-01)'), ('cron-test-2030-02', '[2030-02-01,2030-03-01)'),
  ('cron-test-2030-03', '[2030-03-01,2030-04-01)');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('cron test', 'spm_cron_test.sales', 'rep', 'id', 'amount', 'closed');
INSERT INTO spm_payout.plan (name) VALUES ('cron test plan');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule)
SELECT plan_id, 1, 'marginal(0: 0.02, 10000: 0.04)' FROM spm_payout.plan WHERE name = 'cron test plan';
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT 'cron_rep', plan_id, '[2030-01-01,2030-04-01)' FROM spm_payout.plan WHERE name = 'cron test plan';

CREATE FUNCTION spm_cron_test.wait_for_job(job bigint, seconds int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text;
BEGIN
    FOR i IN 1 .. seconds LOOP
        SELECT status INTO st FROM cron.job_run_details
         WHERE jobid = job AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1;
        IF FOUND THEN
            RETURN st;
        END IF;
        PERFORM pg_sleep(1);
    END LOOP;
    RETURN 'timed out after ' || seconds || ' s';
END $$;

-- The documented job: run the period every minute (in production: '0 2 * * *', CALL spm_payout.run_payout())
SELECT cron.schedule('spm-cron-test', '* * * * *', $$CALL spm_payout.run_payout('cron-test-2030-01')$$) AS jobid \gset

SELECT is(spm_cron_test.wait_for_job(:jobid, 150), 'succeeded', 'pg_cron ran the scheduled payout run');
SELECT cron.unschedule(:jobid) IS NOT NULL AS unscheduled \gset
-- 'CALL' with cron.use_background_workers (as tools/test.sh starts it), '1 row'
-- (the INOUT run_id) when pg_cron connects through libpq
SELECT ok((SELECT return_message FROM cron.job_run_details WHERE jobid = :jobid AND status = 'succeeded'
            ORDER BY runid LIMIT 1) IN ('CALL', '1 row'), 'the job''s command was the CALL');
SELECT ok((SELECT count(*) FROM spm_payout.run_log WHERE period = 'cron-test-2030-01' AND status = 'succeeded') >= 1,
          'the run is logged in spm_payout.run_log');
-- 10,000 * 0.02 + 5,000 * 0.04 = 200 + 200 = 400.00
SELECT is((SELECT earned FROM spm_payout.payout_statement WHERE period = 'cron-test-2030-01' AND rep = 'cron_rep'),
          400.00, 'the job computed the hand-checked commission');
SELECT is((SELECT payout FROM spm_payout.payout_summary_view WHERE period = 'cron-test-2030-01' AND rep = 'cron_rep'),
          400.00, 'and the payout');

-- A job that fails: March while February of the same plan year was never run (55000)
SELECT cron.schedule('spm-cron-test-fail', '* * * * *', $$CALL spm_payout.run_payout('cron-test-2030-03')$$) AS failjob \gset
SELECT is(spm_cron_test.wait_for_job(:failjob, 150), 'failed', 'pg_cron reports the failed run');
SELECT cron.unschedule(:failjob) IS NOT NULL AS unscheduled \gset
SELECT alike((SELECT return_message FROM cron.job_run_details WHERE jobid = :failjob AND status = 'failed' ORDER BY runid LIMIT 1),
             '%pay period cron-test-2030-02 of the same plan year has never been run%', 'with the error');
SELECT is((SELECT row(status, error_sqlstate)::text FROM spm_payout.run_log WHERE period = 'cron-test-2030-03' ORDER BY run_id LIMIT 1),
          '(failed,55000)', 'the failure is committed in spm_payout.run (the CALL was its own transaction)');

-- clean up: the jobs' history, the results, the catalog rows, the schema
DELETE FROM cron.job_run_details WHERE jobid IN (:jobid, :failjob);
CREATE TEMP TABLE cron_periods AS
SELECT period_id FROM spm_payout.pay_period WHERE label LIKE 'cron-test-%';
SELECT format('DROP TABLE IF EXISTS spm_payout.%I', 'credit_line_p' || period_id) AS drop_part
  FROM cron_periods \gexec
DELETE FROM spm_payout.payout_summary WHERE period_id IN (SELECT period_id FROM cron_periods);
DELETE FROM spm_payout.payout_line WHERE period_id IN (SELECT period_id FROM cron_periods);
DELETE FROM spm_payout.period_credit WHERE period_id IN (SELECT period_id FROM cron_periods);
DELETE FROM spm_payout.period_check WHERE period_id IN (SELECT period_id FROM cron_periods);
DELETE FROM spm_payout.run WHERE period_id IN (SELECT period_id FROM cron_periods);
DELETE FROM spm_payout.assignment WHERE rep = 'cron_rep';
DELETE FROM spm_payout.plan_version WHERE plan_id = (SELECT plan_id FROM spm_payout.plan WHERE name = 'cron test plan');
DELETE FROM spm_payout.plan WHERE name = 'cron test plan';
DELETE FROM spm_payout.source WHERE name = 'cron test';
DELETE FROM spm_payout.pay_period WHERE period_id IN (SELECT period_id FROM cron_periods);
DROP SCHEMA spm_cron_test CASCADE;
SELECT * FROM finish();
