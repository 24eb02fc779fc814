-- pgTAP: plan acceptance and the acceptance policy (docs/acceptance.md).
--
--   a. the policy none (the default) changes nothing
--   b. bad input, pinned SQLSTATEs: NULLs, unknown plans and versions,
--      unmapped roles, reps not on the plan, bad policies, forged columns
--   c. rights from real roles: a rep reads and accepts its own, an analyst
--      reads, an admin records on a rep's behalf and withdraws
--   d. accepting twice changes nothing; acceptances are audited
--   e. hold: held, released and paid by hand over five months, with a
--      rerun of the period in which an acceptance arrives, closes, a plan
--      version change, a draw, and a policy switched off; money is never
--      lost or paid twice (sum of payouts + still held = sum of earned)
--   f. flag: paid as usual, the statement says who has not accepted
--   g. a per-plan policy overrides the setting
BEGIN;
SELECT plan(85);
SET client_min_messages = warning;

-- ================================================================= setup
SELECT format('pacc%s_adm', pg_backend_pid()) AS adm, format('pacc%s_ana', pg_backend_pid()) AS ana,
       format('pacc%s_ann', pg_backend_pid()) AS ann, format('pacc%s_bob', pg_backend_pid()) AS bob,
       format('pacc%s_cal', pg_backend_pid()) AS cal, format('pacc%s_dee', pg_backend_pid()) AS dee,
       format('pacc%s_nob', pg_backend_pid()) AS nob \gset
SELECT spm_payout.create_roles();
CREATE ROLE :"adm" NOLOGIN IN ROLE spm_admin;
CREATE ROLE :"ana" NOLOGIN IN ROLE spm_analyst;
CREATE ROLE :"ann" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"bob" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"cal" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"dee" NOLOGIN IN ROLE spm_rep;
CREATE ROLE :"nob" NOLOGIN IN ROLE spm_rep;     -- mapped to no rep

CREATE SCHEMA pacc;
GRANT USAGE ON SCHEMA pacc TO PUBLIC;
CREATE TABLE pacc.sales (id int, seller text, amt numeric(12,2), closed date);
GRANT SELECT ON pacc.sales TO spm_admin;
CREATE FUNCTION pacc.run(period text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
BEGIN
    CALL spm_payout.run_payout(period, r);
    RETURN r;
END $$;
CREATE FUNCTION pacc.sum_of(r text, m int) RETURNS spm_payout.payout_summary LANGUAGE sql STABLE AS $$
    SELECT s.* FROM spm_payout.payout_summary s JOIN spm_payout.pay_period p USING (period_id)
     WHERE s.rep = r AND lower(p.period) = make_date(2025, m, 1)
$$;
-- per rep, up to a month: earned, paid, still held (hold - released over all periods)
CREATE FUNCTION pacc.money(r text, m int, OUT earned numeric, OUT paid numeric, OUT still_held numeric)
LANGUAGE sql STABLE AS $$
    SELECT sum(s.earned), sum(s.payout), sum(s.held) - sum(s.released)
      FROM spm_payout.payout_summary s JOIN spm_payout.pay_period p USING (period_id)
     WHERE s.rep = r AND lower(p.period) <= make_date(2025, m, 1)
$$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pacc TO PUBLIC;

SET ROLE :"adm";
SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods('2025-01-01', '2025-05-31', 'month')), 5,
          'setup: an admin adds five months');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('pacc', 'pacc.sales', 'seller', 'id', 'amt', 'closed');
-- field: 10% of credit, version 2 from March (also 10%); flagged: 10%, policy flag;
-- other: 10%, policy none whatever the setting
-- (the policies are set after part a, which runs under the default none)
INSERT INTO spm_payout.plan (name) VALUES ('field'), ('flagged'), ('other');
INSERT INTO spm_payout.plan_version (plan_id, version, valid, schedule)
SELECT plan_id, 1, CASE name WHEN 'field' THEN '(,2025-03-01)'::daterange ELSE '(,)' END, 'marginal(0: 0.10)'::spm.schedule
  FROM spm_payout.plan
UNION ALL
SELECT plan_id, 2, '[2025-03-01,)', 'marginal(0: 0.10)' FROM spm_payout.plan WHERE name = 'field';
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, plan_id, '[2025-01-01,)'::daterange FROM spm_payout.plan, unnest('{ann,bob}'::text[]) r WHERE name = 'field'
UNION ALL SELECT 'dee', plan_id, '[2025-01-01,)' FROM spm_payout.plan WHERE name = 'flagged'
UNION ALL SELECT 'cal', plan_id, '[2025-01-01,)' FROM spm_payout.plan WHERE name = 'other';
INSERT INTO spm_payout.draw_agreement (rep, kind, amount, term) VALUES ('bob', 'recoverable', 500, '[2025-01-01,2025-06-01)');
INSERT INTO spm_payout.rep_login VALUES (:'ann', 'ann'), (:'bob', 'bob'), (:'cal', 'cal'), (:'dee', 'dee');
RESET ROLE;
INSERT INTO pacc.sales VALUES
  (1, 'ann', 5000, '2025-01-10'), (2, 'bob', 4000, '2025-01-12'),
  (3, 'cal', 1000, '2025-01-14'), (4, 'dee', 5000, '2025-01-16');

-- ============================================= a. policy none changes nothing
SELECT pacc.run('2025-01-15') AS r_jan0 \gset
SELECT is((SELECT count(*)::int FROM spm_payout.payout_line WHERE accepted IS NOT NULL), 0,
          'a: policy none: no line is marked accepted or not');
SELECT is((SELECT count(*)::int FROM spm_payout.payout_summary WHERE held <> 0 OR released <> 0), 0,
          'a: ... nothing is held or released');
SELECT is((SELECT array_agg(payout ORDER BY rep) FROM spm_payout.payout_summary), '{500.00,500,100.00,500.00}'::numeric[],
          'a: ... everyone is paid: ann 500.00, bob his draw 500 (earned 400.00), cal 100.00, dee 500.00');
SELECT is((SELECT count(*)::int FROM spm_payout.run_phase WHERE run_id = :r_jan0 AND phase = 'acceptance'), 0,
          'a: ... and the run has no acceptance phase');
SELECT ok((SELECT input_fingerprint NOT LIKE '%acceptance%' FROM spm_payout.run WHERE run_id = :r_jan0),
          'a: ... and its input fingerprint has no acceptance part');

-- ========================================================== b. bad input
SET ROLE :"ann";
SELECT throws_ok($$SELECT spm_payout.accept_plan(NULL, 1)$$, '22004', NULL, 'b: accept_plan(NULL plan): 22004');
SELECT throws_ok($$SELECT spm_payout.accept_plan('field', NULL)$$, '22004', NULL, 'b: accept_plan(NULL version): 22004');
SELECT throws_ok($$SELECT spm_payout.accept_plan('nope', 1)$$, '22023', 'plan ''nope'' has no version 1',
                 'b: an unknown plan: 22023');
SELECT throws_ok($$SELECT spm_payout.accept_plan('field', 9)$$, '22023', 'plan ''field'' has no version 9',
                 'b: an unknown version: 22023');
SELECT throws_ok($$SELECT spm_payout.accept_plan('field', 0)$$, '22023', NULL, 'b: version 0: 22023');
SELECT throws_ok($$SELECT spm_payout.accept_plan('', 1)$$, '22023', NULL, 'b: an empty plan name: 22023');
SELECT throws_ok($$SELECT spm_payout.accept_plan('other', 1)$$, '22023',
                 'rep ann is not assigned to plan other during its version 1', 'b: a plan the rep is not on: 22023');
SELECT throws_ok($$SELECT spm_payout.accept_plan_for('bob', 'field', 1)$$, '42501', NULL,
                 'b: a rep cannot record an acceptance for someone else (42501)');
SELECT throws_ok(format($$INSERT INTO spm_payout.plan_acceptance (rep, version_id)
                          SELECT 'bob', version_id FROM spm_payout.plan_version WHERE version = 1 LIMIT 1$$), '42501', NULL,
                 'b: ... nor insert one for another rep (row-level security, 42501)');
SELECT throws_ok($$INSERT INTO spm_payout.plan_acceptance (rep, version_id, accepted_by)
                   SELECT 'ann', v.version_id, 'someone' FROM spm_payout.plan_version v JOIN spm_payout.plan p USING (plan_id)
                    WHERE p.name = 'field' AND v.version = 1$$, '42501', NULL,
                 'b: a rep cannot write accepted_by (42501)');
SELECT throws_ok($$INSERT INTO spm_payout.plan_acceptance (rep, version_id, accepted_at)
                   SELECT 'ann', v.version_id, '2020-01-01' FROM spm_payout.plan_version v JOIN spm_payout.plan p USING (plan_id)
                    WHERE p.name = 'field' AND v.version = 1$$, '42501', NULL,
                 'b: ... nor accepted_at (42501)');
SET ROLE :"nob";
SELECT throws_ok($$SELECT spm_payout.accept_plan('field', 1)$$, '42501', format('role %s is not mapped to a rep', current_user),
                 'b: a rep role mapped to no rep: 42501');
SET ROLE :"cal";
SELECT throws_ok($$SELECT spm_payout.accept_plan('field', 1)$$, '22023',
                 'rep cal is not assigned to plan field during its version 1', 'b: cal is not on plan field: 22023');
SET ROLE :"ana";
SELECT throws_ok($$SELECT spm_payout.accept_plan('field', 1)$$, '42501', NULL, 'b: an analyst cannot accept (42501)');
SELECT throws_ok($$INSERT INTO spm_payout.plan_acceptance (rep, version_id) VALUES ('ann', 1)$$, '42501', NULL,
                 'b: ... nor insert an acceptance (42501)');
SELECT throws_ok($$UPDATE spm_payout.setting SET acceptance_policy = 'hold'$$, '42501', NULL,
                 'b: ... nor change the policy (42501)');
SET ROLE :"adm";
SELECT throws_ok($$SELECT spm_payout.accept_plan_for(NULL, 'field', 1)$$, '22004', NULL, 'b: accept_plan_for(NULL rep): 22004');
SELECT throws_ok($$SELECT spm_payout.accept_plan_for('ann', NULL, 1)$$, '22004', NULL, 'b: accept_plan_for(NULL plan): 22004');
SELECT throws_ok($$SELECT spm_payout.accept_plan_for('ann', 'field', NULL)$$, '22004', NULL, 'b: accept_plan_for(NULL version): 22004');
SELECT throws_ok($$SELECT spm_payout.accept_plan_for('cal', 'field', 1)$$, '22023',
                 'rep cal is not assigned to plan field during its version 1', 'b: an admin cannot accept for a rep not on the plan: 22023');
SELECT throws_ok($$SELECT spm_payout.accept_plan_for('zed', 'field', 1)$$, '22023', NULL, 'b: ... nor for an unknown rep: 22023');
SELECT throws_ok($$SELECT spm_payout.accept_plan('field', 1)$$, '42501', NULL,
                 'b: accept_plan by an admin mapped to no rep: 42501 (use accept_plan_for)');
SELECT throws_ok($$INSERT INTO spm_payout.plan_acceptance (rep, version_id) VALUES (NULL, 1)$$, '23502', NULL,
                 'b: a NULL rep: 23502');
SELECT throws_ok($$INSERT INTO spm_payout.plan_acceptance (rep, version_id) VALUES ('ann', NULL)$$, '23502', NULL,
                 'b: a NULL version: 23502');
SELECT throws_ok($$INSERT INTO spm_payout.plan_acceptance (rep, version_id) VALUES ('ann', -1)$$, '23503', NULL,
                 'b: a version that does not exist: 23503');
SELECT throws_ok($$INSERT INTO spm_payout.setting (acceptance_policy) VALUES ('maybe')$$, '23514', NULL,
                 'b: a policy that is not none, flag or hold: 23514');
SELECT throws_ok($$UPDATE spm_payout.plan SET acceptance_policy = 'HOLD' WHERE name = 'field'$$, '23514', NULL,
                 'b: ... per plan too (23514)');
SELECT throws_ok($$INSERT INTO spm_payout.setting (acceptance_policy) VALUES (NULL)$$, '23502', NULL,
                 'b: the setting''s policy is never NULL: 23502');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM spm_payout.plan_acceptance), 0, 'b: nothing was accepted');

-- ================================================== c, d. rights, idempotence
SET ROLE :"adm";
INSERT INTO spm_payout.setting (acceptance_policy) VALUES ('hold');
UPDATE spm_payout.plan SET acceptance_policy = CASE name WHEN 'flagged' THEN 'flag' WHEN 'other' THEN 'none' END
 WHERE name IN ('flagged', 'other');
-- bob's acceptance of version 1, recorded by the admin from a signed paper
SELECT is((SELECT format('%s %s %s', rep, accepted_by = current_user, document)
             FROM spm_payout.accept_plan_for('bob', 'field', 1, 'paper 2025-01-02')),
          'bob t paper 2025-01-02', 'c: an admin records bob''s acceptance on his behalf (accepted_by: the admin)');
SET ROLE :"dee";
SELECT lives_ok($$INSERT INTO spm_payout.plan_acceptance (rep, version_id)
                  SELECT 'dee', v.version_id FROM spm_payout.plan_version v JOIN spm_payout.plan p USING (plan_id)
                   WHERE p.name = 'flagged'$$, 'c: a rep may also insert its own acceptance');
SELECT is((SELECT accepted_by FROM spm_payout.plan_acceptance WHERE rep = 'dee'), :'dee',
          'c: ... accepted_by is the rep''s role');
SELECT is((SELECT count(*)::int FROM spm_payout.plan_acceptance), 1, 'c: dee sees only her acceptance');
RESET ROLE;
-- dee's acceptance is withdrawn by the admin: the flag example needs her not to have accepted
SET ROLE :"adm";
SELECT lives_ok($$DELETE FROM spm_payout.plan_acceptance WHERE rep = 'dee'$$, 'c: an admin withdraws an acceptance');
SET ROLE :"dee";
SELECT throws_ok($$DELETE FROM spm_payout.plan_acceptance$$, '42501', NULL, 'c: a rep cannot delete acceptances (42501)');
SELECT throws_ok($$UPDATE spm_payout.plan_acceptance SET document = 'x'$$, '42501', NULL, 'c: ... nor change them (42501)');
SET ROLE :"ana";
SELECT is((SELECT count(*)::int FROM spm_payout.plan_acceptance), 1, 'c: an analyst reads every acceptance (bob''s)');
RESET ROLE;
SELECT is((SELECT array_agg(operation ORDER BY audit_id) FROM spm_payout.audit_log WHERE table_name = 'plan_acceptance'),
          '{INSERT,INSERT,DELETE}'::text[], 'd: every acceptance and withdrawal is audited');

-- ================================= e. hold, January: ann has not accepted
SELECT pacc.run('2025-01-15') AS r_jan \gset
-- ann: 10% of 5,000 = 500.00, held; bob accepted: 400.00, topped up to his draw 500
SELECT is(ARRAY[(pacc.sum_of('ann', 1)).earned, (pacc.sum_of('ann', 1)).held, (pacc.sum_of('ann', 1)).released,
                (pacc.sum_of('ann', 1)).payout], '{500.00,500.00,0,0.00}'::numeric[],
          'e: January: ann earns 500.00, all held, paid 0');
SELECT is(ARRAY[(pacc.sum_of('bob', 1)).earned, (pacc.sum_of('bob', 1)).held, (pacc.sum_of('bob', 1)).payout,
                (pacc.sum_of('bob', 1)).balance], '{400.00,0,500,100.00}'::numeric[],
          'e: January: bob accepted: 400.00 paid, topped up to 500 by his draw, owes 100.00');
SELECT is((SELECT array_agg(format('%s %s', rep, accepted) ORDER BY rep) FROM spm_payout.payout_statement
            WHERE period_start = '2025-01-01'), '{"ann f","bob t","cal ","dee f"}'::text[],
          'e: the statement says who accepted (cal: plan other, policy none)');
SELECT is((SELECT count(*)::int FROM spm_payout.run_phase WHERE run_id = :r_jan AND phase = 'acceptance'), 1,
          'e: the run has an acceptance phase');
SET ROLE :"ann";
SELECT is((SELECT format('%s %s %s', rep, held, payout) FROM spm_payout.payout_summary_view), 'ann 500.00 0.00',
          'e: ann reads her held amount in her summary');
SELECT is((SELECT count(*)::int FROM spm_payout.payout_hold WHERE rep <> 'ann'), 0, 'e: ... and only her held rows');
SELECT is((SELECT accepted FROM spm_payout.attainment_by_rep), false, 'e: ... and attainment says she has not accepted');
RESET ROLE;
CALL spm_payout.close_period('2025-01-15');

-- ========================= February: still held, then ann accepts, rerun
INSERT INTO pacc.sales VALUES (5, 'ann', 3000, '2025-02-05');
SELECT pacc.run('2025-02-15') AS r_feb1 \gset
-- ann: 300.00 more held: 800.00 held in all
SELECT is(ARRAY[(pacc.sum_of('ann', 2)).held, (pacc.sum_of('ann', 2)).released, (pacc.sum_of('ann', 2)).payout],
          '{300.00,0,0.00}'::numeric[], 'e: February before acceptance: 300.00 more held');
SET ROLE :"ann";
SELECT is((SELECT format('%s %s', rep, accepted_by = current_user) FROM spm_payout.accept_plan('field', 1, 'sha256:ab12')),
          'ann t', 'd: ann accepts version 1 of her plan');
SELECT is((SELECT count(*)::int FROM spm_payout.plan_acceptance), 1, 'c: ann sees only her own acceptance');
CREATE TEMP TABLE first_acc AS SELECT * FROM spm_payout.plan_acceptance;
SELECT is((SELECT format('%s %s', rep, document) FROM spm_payout.accept_plan('field', 1, 'another text')),
          'ann sha256:ab12', 'd: accepting again returns the first acceptance ...');
SELECT set_eq('SELECT * FROM spm_payout.plan_acceptance', 'SELECT * FROM first_acc', 'd: ... and changes nothing');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM spm_payout.audit_log WHERE table_name = 'plan_acceptance' AND new_row ->> 'rep' = 'ann'), 1,
          'd: ... nor audits anything');
-- the acceptance is an input of February's payout: closing it now is refused
SELECT throws_ok($$CALL spm_payout.close_period('2025-02-15')$$, '55000', NULL,
                 'e: February cannot close: an acceptance arrived after its run (55000)');
SELECT pacc.run('2025-02-15') AS r_feb2 \gset
-- ann: 300.00 earned, paid with January's 500.00 released: 800.00
SELECT is(ARRAY[(pacc.sum_of('ann', 2)).earned, (pacc.sum_of('ann', 2)).held, (pacc.sum_of('ann', 2)).released,
                (pacc.sum_of('ann', 2)).payout], '{300.00,0,500.00,800.00}'::numeric[],
          'e: February rerun after the acceptance: 300.00 + 500.00 released = 800.00');
SELECT is((SELECT changed_periods FROM spm_payout.run_log WHERE run_id = :r_feb2), '',
          'e: ... closed January is not re-examined as changed');
CREATE TEMP TABLE feb AS
SELECT 'summary' AS t, concat_ws(' ', rep, earned, held, released, draw_paid, recovered, balance, payout) AS r
  FROM spm_payout.payout_summary WHERE period_id = (pacc.sum_of('ann', 2)).period_id
UNION ALL
SELECT 'hold', concat_ws(' ', rep, version_id, accepted, held, released) FROM spm_payout.payout_hold
 WHERE period_id = (pacc.sum_of('ann', 2)).period_id;
SELECT pacc.run('2025-02-15') AS r_feb3 \gset
SELECT bag_eq($$SELECT 'summary' AS t, concat_ws(' ', rep, earned, held, released, draw_paid, recovered, balance, payout) AS r
                  FROM spm_payout.payout_summary WHERE period_id = (pacc.sum_of('ann', 2)).period_id
                UNION ALL
                SELECT 'hold', concat_ws(' ', rep, version_id, accepted, held, released) FROM spm_payout.payout_hold
                 WHERE period_id = (pacc.sum_of('ann', 2)).period_id$$, 'SELECT * FROM feb',
              'e: another rerun of February gives the same held and released amounts');
SELECT lives_ok($$CALL spm_payout.close_period('2025-02-15')$$, 'e: February closes after its rerun');
SELECT is(row(m.earned, m.paid, m.still_held)::text, '(800.00,800.00,0.00)', 'e: ann, January-February: 800.00 earned, 800.00 paid, nothing held')
  FROM pacc.money('ann', 2) m;

-- ========================= March: version 2, not accepted; a late January deal
INSERT INTO pacc.sales VALUES (6, 'ann', 2000, '2025-03-03'), (7, 'ann', 1000, '2025-01-20'), (8, 'bob', 6000, '2025-03-04');
SELECT pacc.run('2025-03-15') AS r_mar \gset
-- ann: version 1 (accepted): the late 1,000 pays 100.00; version 2 (not accepted): 200.00 held
SELECT is(ARRAY[(pacc.sum_of('ann', 3)).earned, (pacc.sum_of('ann', 3)).held, (pacc.sum_of('ann', 3)).released,
                (pacc.sum_of('ann', 3)).payout], '{300.00,200.00,0,100.00}'::numeric[],
          'e: March: version 1''s late 100.00 paid, version 2''s 200.00 held');
SELECT is((SELECT array_agg(format('v%s %s %s', plan_version, earned, accepted) ORDER BY plan_version)
             FROM spm_payout.payout_statement WHERE rep = 'ann' AND period_start = '2025-03-01'),
          '{"v1 100.00 t","v2 200.00 f"}'::text[], 'e: ... each version''s line says whether it is accepted');
-- bob: version 2 not accepted: 600.00 held; the ledger sees 0: draw 500 paid, owes 100 + 500 + 500
SELECT is(ARRAY[(pacc.sum_of('bob', 3)).earned, (pacc.sum_of('bob', 3)).held, (pacc.sum_of('bob', 3)).draw_paid,
                (pacc.sum_of('bob', 3)).payout, (pacc.sum_of('bob', 3)).balance],
          '{600.00,600.00,500,500,1100.00}'::numeric[],
          'e: March: bob''s 600.00 held; his draw sees no earnings: 500 drawn, balance 1,100.00');
CALL spm_payout.close_period('2025-03-15');

-- ========================= April: the admin records ann's acceptance of version 2
SET ROLE :"adm";
SELECT is((SELECT rep FROM spm_payout.accept_plan_for('ann', 'field', 2, 'e-signature 77')), 'ann',
          'c: the admin records ann''s acceptance of version 2');
RESET ROLE;
SELECT pacc.run('2025-04-15') AS r_apr \gset
SELECT is(ARRAY[(pacc.sum_of('ann', 4)).earned, (pacc.sum_of('ann', 4)).held, (pacc.sum_of('ann', 4)).released,
                (pacc.sum_of('ann', 4)).payout], '{0.00,0,200.00,200.00}'::numeric[],
          'e: April: nothing earned, March''s 200.00 released and paid');
-- bob: nothing earned, 600.00 still held; draw 500, owes 1,600.00
SELECT is(ARRAY[(pacc.sum_of('bob', 4)).held, (pacc.sum_of('bob', 4)).released, (pacc.sum_of('bob', 4)).payout,
                (pacc.sum_of('bob', 4)).balance], '{0,0,500,1600.00}'::numeric[],
          'e: April: bob''s 600.00 still held');
CALL spm_payout.close_period('2025-04-15');

-- ========================= May: plan field's policy switched to none
SET ROLE :"adm";
UPDATE spm_payout.plan SET acceptance_policy = 'none' WHERE name = 'field';
RESET ROLE;
SELECT pacc.run('2025-05-15') AS r_may \gset
-- bob: 600.00 released; the ledger sees 600.00: 100.00 above the draw recovers 100.00 of his 1,600.00
SELECT is(ARRAY[(pacc.sum_of('bob', 5)).held, (pacc.sum_of('bob', 5)).released, (pacc.sum_of('bob', 5)).recovered,
                (pacc.sum_of('bob', 5)).payout, (pacc.sum_of('bob', 5)).balance],
          '{0,600.00,100.00,500.00,1500.00}'::numeric[],
          'e: May, policy none: bob''s 600.00 released; his draw recovers 100.00 of it');
SELECT is((SELECT count(*)::int FROM spm_payout.payout_line l JOIN spm_payout.pay_period p USING (period_id)
            WHERE lower(p.period) = '2025-05-01' AND l.rep IN ('ann', 'bob') AND l.accepted IS NOT NULL), 0,
          'e: ... and field''s lines are no longer marked');

-- conservation: paid + still held = earned, per rep without a draw
-- ann: 500 + 300 + 300 + 0 + 0 = 1,100.00 earned; paid 0 + 800 + 100 + 200 + 0
SELECT is(row(m.earned, m.paid, m.still_held)::text, '(1100.00,1100.00,0.00)',
          'e: ann over five months: 1,100.00 earned, 1,100.00 paid, nothing held')
  FROM pacc.money('ann', 5) m;
SELECT is(row(m.earned, m.paid, m.still_held)::text, '(800.00,800.00,0.00)',
          'e: ... as of February: 800.00 earned and paid')
  FROM pacc.money('ann', 2) m;
SELECT is(row(m.earned, m.paid, m.still_held)::text, '(1100.00,900.00,200.00)',
          'e: ... as of March: 1,100.00 earned = 900.00 paid + 200.00 held')
  FROM pacc.money('ann', 3) m;
SELECT is_empty($$SELECT r.rep, mo FROM (SELECT DISTINCT rep FROM spm_payout.payout_summary) r
                  CROSS JOIN generate_series(1, 5) mo CROSS JOIN LATERAL pacc.money(r.rep, mo) m
                 WHERE r.rep <> 'bob' AND m.paid + m.still_held <> m.earned$$,
                'e: every rep without a draw, every month: paid + still held = earned');
-- with a draw: the ledger steps on earned - held + released
SELECT is_empty($$SELECT * FROM (
                    SELECT s.rep, s.earned - s.held + s.released AS seen, s.payout, s.forgiven, s.balance,
                           lag(s.balance, 1, 0::numeric) OVER (PARTITION BY s.rep ORDER BY lower(p.period)) AS before
                      FROM spm_payout.payout_summary s JOIN spm_payout.pay_period p USING (period_id)) x
                  WHERE x.payout - x.seen <> x.balance - x.before + x.forgiven$$,
                'e: every ledger row: payout - (earned - held + released) = balance change + forgiven');
SELECT is((SELECT sum(held) - sum(released) FROM spm_payout.payout_hold), 0::numeric,
          'e: everything held was released exactly once');
SET ROLE :"ana";
SELECT is((SELECT array_agg(DISTINCT rep ORDER BY rep) FROM spm_payout.payout_hold), '{ann,bob}'::text[],
          'c: an analyst reads every rep''s held amounts');
SET ROLE :"bob";
SELECT is((SELECT array_agg(format('%s %s', held, released) ORDER BY period_id) FROM spm_payout.payout_hold),
          '{"600.00 0","0 600.00"}'::text[], 'c: bob reads only his own held and released amounts');
SELECT throws_ok($$SELECT spm_payout_internal.store_acceptance(1, 1)$$, '42501', NULL,
                 'c: a rep cannot call the run''s acceptance step (42501)');
RESET ROLE;

-- ======================================================= f. flag
-- dee (plan flagged, policy flag) never accepted: paid as usual, marked
SELECT is((SELECT array_agg(payout ORDER BY period_id) FROM spm_payout.payout_summary WHERE rep = 'dee'),
          '{500.00,0.00,0.00,0.00,0.00}'::numeric[], 'f: flag: dee''s January 500.00 is paid although she has not accepted');
SELECT is((SELECT bool_and(accepted = false) FROM spm_payout.payout_line WHERE rep = 'dee'), true,
          'f: ... and every line of hers says not accepted');
SELECT is((SELECT count(*)::int FROM spm_payout.payout_hold WHERE rep = 'dee'), 0, 'f: ... nothing is held');

-- ======================================================= g. per plan
SELECT is((SELECT array_agg(payout ORDER BY period_id) FROM spm_payout.payout_summary WHERE rep = 'cal'),
          '{100.00,0.00,0.00,0.00,0.00}'::numeric[],
          'g: plan other (policy none) pays cal under the setting hold: 10% of 1,000 = 100.00');
SELECT is((SELECT count(*)::int FROM spm_payout.payout_line WHERE rep = 'cal' AND accepted IS NOT NULL), 0,
          'g: ... and its lines are not marked');

SELECT * FROM finish();
ROLLBACK;
