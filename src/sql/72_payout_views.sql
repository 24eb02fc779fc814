-- Payout runs, part 3: flat views for BI tools and access control.
--
-- Views have plain, typed columns with stable names (no composites, no
-- jsonb except the adjustment cause, also given as text).  They are
-- security_invoker, so the row-level security of the result tables applies
-- to whoever reads them: a rep sees only their own rows.

CREATE VIEW spm.payout_statement WITH (security_invoker = true) AS
SELECT p.label                       AS period,
       lower(p.period)               AS period_start,
       upper(p.period) - 1           AS period_end,
       p.status                      AS period_status,
       l.rep                         AS rep,
       pl.name                       AS plan,
       pl.version                    AS plan_version,
       l.line_kind                   AS line_kind,
       f.label                       AS for_period,
       l.credited::numeric           AS credited,
       l.quota::numeric              AS quota,
       l.attainment::numeric         AS attainment,
       l.earned::numeric             AS earned,
       (l.cause ->> 'reason')::text  AS reason,
       l.cause::text                 AS cause,
       l.run_id                      AS run_id,
       l.line_id                     AS line_id
  FROM spm.payout_line l
  JOIN spm.pay_period p ON p.period_id = l.period_id
  JOIN spm.pay_period f ON f.period_id = l.for_period_id
  LEFT JOIN spm.plan pl ON pl.plan_id = l.plan_id;
COMMENT ON VIEW spm.payout_statement IS
    'statement lines: commission per plan, prior-period adjustments (for_period, cause) and manual adjustments';

CREATE VIEW spm.payout_summary_view WITH (security_invoker = true) AS
SELECT p.label AS period, lower(p.period) AS period_start, upper(p.period) - 1 AS period_end,
       p.status AS period_status, s.rep, s.earned, s.draw, s.draw_kind, s.draw_paid,
       s.recovered, s.forgiven, s.balance, s.payout, s.run_id
  FROM spm.payout_summary s JOIN spm.pay_period p USING (period_id);
COMMENT ON VIEW spm.payout_summary_view IS 'per rep and period: earned, draw paid, recovered, forgiven, balance and payout';

CREATE VIEW spm.attainment_by_rep WITH (security_invoker = true) AS
SELECT p.label AS period, lower(p.period) AS period_start, l.rep, pl.name AS plan,
       l.credited, l.quota, l.attainment
  FROM spm.payout_line l
  JOIN spm.pay_period p ON p.period_id = l.period_id
  JOIN spm.plan pl ON pl.plan_id = l.plan_id
 WHERE l.line_kind = 'commission';
COMMENT ON VIEW spm.attainment_by_rep IS 'credited, quota and attainment per rep, plan and period (as computed by the last run)';

CREATE VIEW spm.draw_balance WITH (security_invoker = true) AS
SELECT p.label AS period, lower(p.period) AS period_start, s.rep, s.draw_kind, s.draw,
       s.draw_paid, s.recovered, s.forgiven, s.balance
  FROM spm.payout_summary s JOIN spm.pay_period p USING (period_id);
COMMENT ON VIEW spm.draw_balance IS 'draw ledger per rep and period: what the rep owes after each period';

CREATE VIEW spm.leaderboard WITH (security_invoker = true) AS
SELECT a.period, a.period_start, a.rep, a.plan, a.credited, a.quota, a.attainment,
       rank() OVER (PARTITION BY a.period ORDER BY a.attainment DESC NULLS LAST, a.credited DESC)::integer AS rank
  FROM spm.attainment_by_rep a;
COMMENT ON VIEW spm.leaderboard IS 'reps ranked by attainment within each period';

CREATE VIEW spm.run_log WITH (security_invoker = true) AS
SELECT r.run_id, p.label AS period, r.run_by, r.started_at, r.finished_at, r.duration,
       r.credit_rows, r.lines, r.adjustment_lines, r.reps, r.input_hash
  FROM spm.run r JOIN spm.pay_period p USING (period_id);
COMMENT ON VIEW spm.run_log IS 'every successful run: who, when, period, row counts, duration, input hash';

-- Row-level security: admins and analysts see everything, a rep only the
-- rows of the rep id its login maps to (spm.rep_login).
-- The reader is passed in by the policy: inside this SECURITY DEFINER
-- function current_user would be the owner.
CREATE FUNCTION spm.can_see_rep(rep text, reader name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM pg_roles r
                    WHERE r.rolname IN ('spm_admin', 'spm_analyst')
                      AND pg_has_role(reader, r.oid, 'MEMBER'))
        OR EXISTS (SELECT 1 FROM spm.rep_login l
                    WHERE l.login = reader AND l.rep = can_see_rep.rep)
        OR coalesce((SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = reader), false)
$$;
COMMENT ON FUNCTION spm.can_see_rep(text, name) IS
    'row-level security: true when reader is in spm_admin or spm_analyst, or is the login mapped to this rep';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['payout_line', 'payout_summary', 'credit_line'] LOOP
        EXECUTE format('ALTER TABLE spm.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON spm.%I FOR SELECT USING (spm.can_see_rep(rep, current_user))',
                       t || '_visible', t);
    END LOOP;
END $$;

-- The role pattern, created on request (roles are cluster-wide, so the
-- extension does not create them by itself).
CREATE FUNCTION spm.create_roles() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['spm_admin', 'spm_analyst', 'spm_rep'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
    GRANT USAGE ON SCHEMA spm TO spm_admin, spm_analyst, spm_rep;
    -- admins edit the catalog and run/close periods
    GRANT SELECT, INSERT, UPDATE, DELETE ON spm.pay_period, spm.source, spm.split_rule,
          spm.hierarchy_rule, spm.plan, spm.assignment, spm.quota, spm.draw_agreement,
          spm.adjustment, spm.rep_login TO spm_admin;
    GRANT SELECT ON ALL TABLES IN SCHEMA spm TO spm_admin;
    GRANT EXECUTE ON PROCEDURE spm.run_payout(text, bigint), spm.close_period(text) TO spm_admin;
    -- analysts read everything, change nothing
    GRANT SELECT ON spm.payout_statement, spm.payout_summary_view, spm.attainment_by_rep,
          spm.draw_balance, spm.leaderboard, spm.run_log, spm.payout_line, spm.payout_summary,
          spm.credit_line, spm.pay_period, spm.plan, spm.run TO spm_analyst;
    -- reps read their own statement through the views
    GRANT SELECT ON spm.payout_statement, spm.payout_summary_view, spm.attainment_by_rep,
          spm.draw_balance, spm.payout_line, spm.payout_summary, spm.pay_period,
          spm.plan TO spm_rep;
    REVOKE EXECUTE ON PROCEDURE spm.run_payout(text, bigint), spm.close_period(text) FROM PUBLIC;
END $$;
COMMENT ON FUNCTION spm.create_roles() IS
    'creates (if missing) the roles spm_admin, spm_analyst and spm_rep and grants each its rights';

REVOKE EXECUTE ON PROCEDURE spm.run_payout(text, bigint), spm.close_period(text) FROM PUBLIC;
