-- spm_payout, part 6: flat views for BI tools (docs/bi.md).
-- Only CREATE OR REPLACE statements: included whole in upgrade scripts.
--
-- Plain, typed columns with stable names: no composites, arrays, intervals
-- or jsonb (the adjustment cause is given as text), so every column maps to
-- a standard JDBC/ODBC type.  security_invoker: the row-level security of
-- the result tables applies to whoever reads them.

CREATE OR REPLACE VIEW spm_payout.payout_statement WITH (security_invoker = true) AS
SELECT p.label                 AS period,
       lower(p.period)         AS period_start,
       upper(p.period) - 1     AS period_end,
       p.status                AS period_status,
       l.rep                   AS rep,
       pl.name                 AS plan,
       v.version               AS plan_version,
       l.line_kind             AS line_kind,
       f.label                 AS for_period,
       l.credited              AS credited,
       l.late_credit           AS late_credit,
       l.credited_to_date      AS credited_to_date,
       l.quota_to_date         AS quota_to_date,
       l.attainment_to_date    AS attainment_to_date,
       l.earned_to_date        AS earned_to_date,
       l.paid_before           AS paid_before,
       l.earned                AS earned,
       (l.cause ->> 'reason')  AS reason,
       l.cause::text           AS cause,
       l.run_id                AS run_id,
       l.line_id               AS line_id,
       l.accepted              AS accepted,
       pl.currency             AS currency,
       pc.name                 AS component
  FROM spm_payout.payout_line l
  JOIN spm_payout.pay_period p ON p.period_id = l.period_id
  JOIN spm_payout.pay_period f ON f.period_id = l.for_period_id
  LEFT JOIN spm_payout.plan pl ON pl.plan_id = l.plan_id
  LEFT JOIN spm_payout.plan_version v ON v.version_id = l.version_id
  LEFT JOIN spm_payout.plan_component pc ON pc.component_id = l.component_id;
COMMENT ON VIEW spm_payout.payout_statement IS
    'statement lines: commission per plan version and component (to date and this period), prior-year corrections and manual adjustments; currency: the plan''s (docs/currency.md); component: NULL under a version without components (docs/components.md)';

CREATE OR REPLACE VIEW spm_payout.payout_summary_view WITH (security_invoker = true) AS
SELECT p.label AS period, lower(p.period) AS period_start, upper(p.period) - 1 AS period_end,
       p.status AS period_status, s.rep, s.earned, s.draw, s.draw_kind, s.draw_paid,
       s.recovered, s.forgiven, s.balance, s.payout, s.run_id, s.held, s.released,
       s.plan_currency, s.currency, s.fx_rate, s.payout_local
  FROM spm_payout.payout_summary s JOIN spm_payout.pay_period p USING (period_id);
COMMENT ON VIEW spm_payout.payout_summary_view IS
    'per rep and period: earned, draw paid, recovered, forgiven, balance and payout (in plan_currency), and the payout in the rep''s currency (docs/currency.md)';

CREATE OR REPLACE VIEW spm_payout.credit_statement WITH (security_invoker = true) AS
SELECT p.label AS period, f.label AS for_period, c.rep, pl.name AS plan, v.version AS plan_version,
       s.name AS source, c.deal, c.deal_date, c.via, c.from_rep, c.depth::integer AS depth, c.amount,
       pl.currency AS currency, pc.name AS component
  FROM spm_payout.credit_line c
  JOIN spm_payout.pay_period p ON p.period_id = c.period_id
  JOIN spm_payout.pay_period f ON f.period_id = c.for_period_id
  LEFT JOIN spm_payout.source s ON s.source_id = c.source_id
  LEFT JOIN spm_payout.plan_version v ON v.version_id = c.version_id
  LEFT JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
  LEFT JOIN spm_payout.plan_component pc ON pc.component_id = c.component_id;
COMMENT ON VIEW spm_payout.credit_statement IS
    'deal-level credit: what each deal credited to whom (direct, split or roll-up), in the period it was booked; for_period <> period marks a late change; amount in the plan''s currency (docs/currency.md)';

CREATE OR REPLACE VIEW spm_payout.attainment_by_rep WITH (security_invoker = true) AS
SELECT p.label AS period, lower(p.period) AS period_start, l.rep, pl.name AS plan, v.version AS plan_version,
       l.credited, l.credited_to_date, l.quota_to_date, l.attainment_to_date, l.accepted, pc.name AS component
  FROM spm_payout.payout_line l
  JOIN spm_payout.pay_period p ON p.period_id = l.period_id
  JOIN spm_payout.plan pl ON pl.plan_id = l.plan_id
  JOIN spm_payout.plan_version v ON v.version_id = l.version_id
  LEFT JOIN spm_payout.plan_component pc ON pc.component_id = l.component_id
 WHERE l.line_kind = 'commission';
COMMENT ON VIEW spm_payout.attainment_by_rep IS
    'credit this period and to date, quota and attainment to date per rep, plan version and period (as computed by the last run)';

CREATE OR REPLACE VIEW spm_payout.draw_balance WITH (security_invoker = true) AS
SELECT p.label AS period, lower(p.period) AS period_start, s.rep, s.draw_kind, s.draw,
       s.draw_paid, s.recovered, s.forgiven, s.balance
  FROM spm_payout.payout_summary s JOIN spm_payout.pay_period p USING (period_id);
COMMENT ON VIEW spm_payout.draw_balance IS 'draw ledger per rep and period: what the rep owes after each period';

CREATE OR REPLACE VIEW spm_payout.leaderboard WITH (security_invoker = true) AS
SELECT a.period, a.period_start, a.plan, a.rep, a.credited_to_date, a.quota_to_date, a.attainment_to_date,
       rank() OVER (PARTITION BY a.period, a.plan, a.component
                    ORDER BY a.attainment_to_date DESC NULLS LAST, a.credited_to_date DESC)::integer AS rank,
       a.component
  FROM spm_payout.attainment_by_rep a;
COMMENT ON VIEW spm_payout.leaderboard IS 'reps ranked by attainment to date within each period, plan and plan component (docs/components.md)';

CREATE OR REPLACE VIEW spm_payout.run_log WITH (security_invoker = true) AS
SELECT r.run_id, p.label AS period, r.status, r.run_by, r.started_at, r.finished_at,
       round(extract(epoch FROM r.finished_at - r.started_at), 3) AS duration_seconds,
       r.credit_rows, r.lines, r.reps,
       array_to_string(r.examined, ', ') AS examined_periods,
       array_to_string(r.changed, ', ') AS changed_periods,
       r.input_fingerprint, r.failed_phase, r.error_sqlstate, r.error_message
  FROM spm_payout.run r JOIN spm_payout.pay_period p USING (period_id);
COMMENT ON VIEW spm_payout.run_log IS
    'every run, succeeded or failed: who, when, period, duration in seconds, row counts, closed periods examined and changed, error';

CREATE OR REPLACE VIEW spm_payout.run_phase_log WITH (security_invoker = true) AS
SELECT ph.run_id, p.label AS period, ph.step, ph.phase, ph.rows, ph.ms
  FROM spm_payout.run_phase ph JOIN spm_payout.run r USING (run_id) JOIN spm_payout.pay_period p USING (period_id);
COMMENT ON VIEW spm_payout.run_phase_log IS 'each phase of each run with its row count and milliseconds';
