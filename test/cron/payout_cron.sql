-- pg_cron really runs a scheduled payout run.
--
-- Runs in pg_cron's database (cron.database_name) and, unlike the other
-- pgTAP files, commits: the cron launcher only sees committed jobs.  It
-- cleans up after itself.  The wait for the job is bounded (150 s; pg_cron
-- starts jobs on minute boundaries).
SET client_min_messages = warning;
SELECT plan(5);

CREATE SCHEMA spm_cron_test;
CREATE TABLE spm_cron_test.sales (id int, rep text, amount numeric(12,2), closed date);
INSERT INTO spm_cron_test.sales VALUES (1, 'cron_rep', 12000, '2030-01-10'), (2, 'cron_rep', 3000, '2030-01-20');
INSERT INTO spm.pay_period (label, period) VALUES ('cron-test-2030-01', '[2030-01-01,2030-02-01)');
INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('cron test', 'spm_cron_test.sales', 'rep', 'id', 'amount', 'closed');
INSERT INTO spm.plan (name, schedule) VALUES ('cron test plan', 'marginal(0: 0.02, 10000: 0.04)');
INSERT INTO spm.assignment (rep, plan_id, valid)
SELECT 'cron_rep', plan_id, '[2030-01-01,2030-02-01)' FROM spm.plan WHERE name = 'cron test plan';

-- The documented job: run the period every minute (in production: '0 2 * * *', CALL spm.run_payout())
SELECT cron.schedule('spm-cron-test', '* * * * *', $$CALL spm.run_payout('cron-test-2030-01')$$) AS jobid \gset

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

SELECT is(spm_cron_test.wait_for_job(:jobid, 150), 'succeeded', 'pg_cron ran the scheduled payout run');
SELECT is((SELECT return_message FROM cron.job_run_details WHERE jobid = :jobid AND status = 'succeeded' ORDER BY runid LIMIT 1),
          'CALL', 'the job''s command was the CALL');
SELECT is((SELECT count(*)::int FROM spm.run r JOIN spm.pay_period p USING (period_id) WHERE p.label = 'cron-test-2030-01') >= 1,
          true, 'the run is logged in spm.run');
-- 10000 * 0.02 + 5000 * 0.04 = 400.00
SELECT is((SELECT earned FROM spm.payout_statement WHERE period = 'cron-test-2030-01' AND rep = 'cron_rep'),
          400.00, 'the job computed the hand-checked commission');
SELECT is((SELECT payout FROM spm.payout_summary_view WHERE period = 'cron-test-2030-01' AND rep = 'cron_rep'),
          400.00, 'and the payout');

-- clean up: the job, the results, the catalog rows, the schema
SELECT cron.unschedule(:jobid) IS NOT NULL AS unscheduled \gset
DELETE FROM spm.payout_summary WHERE period_id = (SELECT period_id FROM spm.pay_period WHERE label = 'cron-test-2030-01');
DELETE FROM spm.payout_line WHERE period_id = (SELECT period_id FROM spm.pay_period WHERE label = 'cron-test-2030-01');
DELETE FROM spm.credit_line WHERE period_id = (SELECT period_id FROM spm.pay_period WHERE label = 'cron-test-2030-01');
DELETE FROM spm.run WHERE period_id = (SELECT period_id FROM spm.pay_period WHERE label = 'cron-test-2030-01');
DELETE FROM spm.assignment WHERE rep = 'cron_rep';
DELETE FROM spm.plan WHERE name = 'cron test plan';
DELETE FROM spm.source WHERE name = 'cron test';
DELETE FROM spm.pay_period WHERE label = 'cron-test-2030-01';
DROP SCHEMA spm_cron_test CASCADE;
SELECT * FROM finish();
