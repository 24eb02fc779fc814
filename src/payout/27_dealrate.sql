-- spm_payout, part 2.7: rate tables of plan components (docs/components.md,
-- "Rate tables") and deal-level statements (docs/statements.md).  Included
-- whole in the 0.2.0 -> 0.3.0 upgrade, after 25_components.sql; the columns
-- plan_component.rate_column (25_components.sql) and plan.deal_statements
-- (10_catalog.sql, added on upgrade by
-- src/upgrade/0.2.0--0.3.0/spm_payout/60_dealrate.sql) belong to it too.
--
-- A component with a rate_column takes each deal's schedule from
-- component_rate by the deal's value of that column; the tiers are counted
-- on the component's credit to date.  The run writes the commission of each
-- deal (deal_commission) for those components and for the plans that ask
-- for deal statements (plan.deal_statements); nothing else pays for it.

CREATE TABLE spm_payout.component_rate (
    component_id integer NOT NULL REFERENCES spm_payout.plan_component ON DELETE CASCADE,
    value        text NOT NULL,
    schedule     spm.schedule NOT NULL,
    PRIMARY KEY (component_id, value)
);
COMMENT ON TABLE spm_payout.component_rate IS
    'rate tables (docs/components.md, "Rate tables"): the schedule of the deals whose rate_column value (as text) is value, for a component with a rate_column';
COMMENT ON COLUMN spm_payout.component_rate.value IS 'a value of the component''s rate_column, compared as text';
COMMENT ON COLUMN spm_payout.component_rate.schedule IS 'the schedule of these deals, evaluated on the component''s credit to date';
CREATE TRIGGER component_rate_audit AFTER INSERT OR UPDATE OR DELETE ON spm_payout.component_rate
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit();
SELECT pg_catalog.pg_extension_config_dump('spm_payout.component_rate', '');

-- A rate row names a component with a rate column; the rates of a version
-- that paid a closed period cannot change (as its components: 55000).
CREATE OR REPLACE FUNCTION spm_payout_internal.check_component_rate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    cid integer;
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP <> 'DELETE' AND NOT EXISTS (SELECT 1 FROM spm_payout.plan_component c
                                          WHERE c.component_id = NEW.component_id AND c.rate_column IS NOT NULL) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('component %s has no rate_column', NEW.component_id),
            HINT = 'Set plan_component.rate_column before entering its rate table.';
    END IF;
    FOREACH cid IN ARRAY ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.component_id END,
                               CASE WHEN TG_OP <> 'DELETE' THEN NEW.component_id END] LOOP
        IF EXISTS (SELECT 1 FROM spm_payout.plan_component c
                     JOIN spm_payout.payout_line l ON l.version_id = c.version_id
                     JOIN spm_payout.pay_period p ON p.period_id = l.period_id
                    WHERE c.component_id = cid AND p.status = 'closed') THEN
            RAISE EXCEPTION USING ERRCODE = '55000',
                MESSAGE = format('component %s belongs to a plan version that paid a closed pay period: its rate table cannot change', cid),
                HINT = 'End the version and add a new one with the new rates.';
        END IF;
    END LOOP;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.check_component_rate() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.check_component_rate() IS
    'trigger: a rate row names a component with a rate_column (22023); the rates of a version that paid a closed period cannot change (55000)';
CREATE TRIGGER component_rate_check BEFORE INSERT OR UPDATE OR DELETE ON spm_payout.component_rate
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.check_component_rate();

COMMENT ON COLUMN spm_payout.plan.deal_statements IS
    'true: each run writes the commission of every deal of the plan''s reps (deal_commission, docs/statements.md)';

-- Written only by the run, like credit_line (docs/statements.md).  Not
-- partitioned: it holds only the deals of rate-table components and of the
-- plans that ask for deal statements; a rerun deletes its period's rows
-- through the index.
CREATE TABLE spm_payout.deal_commission (
    run_id               bigint NOT NULL,
    period_id            integer NOT NULL,
    for_period_id        integer NOT NULL,
    rep                  text NOT NULL,
    version_id           integer NOT NULL,
    component_id         integer,
    source_id            integer NOT NULL,
    deal                 text,
    deal_date            date NOT NULL,
    credit               numeric NOT NULL,
    credit_to_date_after numeric NOT NULL,
    rate                 numeric,
    commission           numeric NOT NULL
);
CREATE INDEX deal_commission_period ON spm_payout.deal_commission (period_id, rep);
CREATE INDEX deal_commission_rep ON spm_payout.deal_commission (rep);
ALTER TABLE spm_payout.deal_commission ENABLE ROW LEVEL SECURITY;
SELECT pg_catalog.pg_extension_config_dump('spm_payout.deal_commission', '');
COMMENT ON TABLE spm_payout.deal_commission IS
    'the commission of each credit row of a period (docs/statements.md), for rate-table components and plans with deal_statements; its rows of a commission line add up to the line''s earned';
COMMENT ON COLUMN spm_payout.deal_commission.credit_to_date_after IS 'the credit to date of the rep''s component (or version) in the plan year, this deal included';
COMMENT ON COLUMN spm_payout.deal_commission.rate IS 'the marginal rate of the deal''s schedule at credit_to_date_after (spm.next_tier rate_now)';
COMMENT ON COLUMN spm_payout.deal_commission.commission IS 'the deal''s commission in cents (cumulative rounding, docs/statements.md)';

-- The team snapshot of the latest run that wrote deal lines: who reports to
-- whom (directly or not) over which dates, from the registered hierarchy.
-- Row-level security reads it: the hierarchy is the user's table, which a
-- policy cannot read with a rep's rights.
CREATE TABLE spm_payout.team_member (
    manager text NOT NULL,
    rep     text NOT NULL,
    valid   daterange NOT NULL
);
CREATE INDEX team_member_manager ON spm_payout.team_member (manager, rep);
-- a rep reads only the rows where it is the manager: what the policy of
-- deal_commission needs, and no more of the hierarchy
ALTER TABLE spm_payout.team_member ENABLE ROW LEVEL SECURITY;
SELECT pg_catalog.pg_extension_config_dump('spm_payout.team_member', '');
COMMENT ON TABLE spm_payout.team_member IS
    'the hierarchy as the latest run with deal lines read it (docs/statements.md): manager above rep, directly or not, over valid; read by the row-level security of deal_commission';

-- The values of the rate columns of the deals a run credits, read with the
-- caller's rights (called by write_credits, like the stage):
-- pg_temp.spm_deal_value.  A deal's value is read by its id among the
-- source rows dated in the plan year up to the end of the period (the only
-- rows a rate table prices); rows of one deal with different values take
-- the smallest (text order).  Only when some component has a rate column.
CREATE OR REPLACE FUNCTION spm_payout_internal.stage_rate_values(p spm_payout.pay_period) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    d record;
BEGIN
    PERFORM spm_payout_internal.drop_work_table('spm_deal_value');
    IF NOT EXISTS (SELECT 1 FROM spm_payout.plan_component c WHERE c.rate_column IS NOT NULL) THEN
        RETURN;
    END IF;
    CREATE TEMP TABLE spm_deal_value (component_id integer, deal text, value text) ON COMMIT DROP;
    FOR r IN SELECT c.component_id, c.rate_column, s AS src,
                    lower(spm.fiscal_period(lower(p.period), 'year', pl.year_start_month)) AS lo
               FROM spm_payout.plan_component c JOIN spm_payout.source s ON s.source_id = c.source_id
               JOIN spm_payout.plan_version v ON v.version_id = c.version_id
               JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
              WHERE c.rate_column IS NOT NULL ORDER BY c.component_id LOOP
        d := spm_payout_internal.date_expr(r.src, 't');
        EXECUTE format('INSERT INTO pg_temp.spm_deal_value SELECT %s, (t.%I)::text, min((t.%I)::text) FROM %s t
                         WHERE %s AND %s GROUP BY 2',
                       r.component_id, (r.src).deal_column, r.rate_column, (r.src).relation,
                       format(d.lo, to_char(r.lo, 'YYYY-MM-DD')), format(d.hi, to_char(upper(p.period), 'YYYY-MM-DD')));
    END LOOP;
    ANALYZE pg_temp.spm_deal_value;
END $$;
COMMENT ON FUNCTION spm_payout_internal.stage_rate_values(spm_payout.pay_period) IS
    'internal: each deal''s value of the rate column of each rate-table component (pg_temp.spm_deal_value), read with the caller''s rights';

-- Called by store_run after pg_temp.spm_earn is built and before the
-- commission lines are written (docs/statements.md, "Rules and rounding"):
-- 1. rate-table components: every credit row of the plan year so far, in
--    booking order (period booked, deal date, deal), adds
--    E_v(C_after) - E_v(C_before) with E_v its value's schedule and C the
--    component's credit to date; earned to date = round(sum, 2), replacing
--    spm_earn.earned_to_date;
-- 2. the rows of the period's partition of those components and of the
--    plans with deal_statements are written to deal_commission, in cents by
--    cumulative rounding, the line's residue (if any) on the last deal.
CREATE OR REPLACE FUNCTION spm_payout_internal.store_deal_commissions(run bigint, pid integer) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p     spm_payout.pay_period;
    bad   record;
    n     bigint := 0;
    rated boolean := EXISTS (SELECT 1 FROM spm_payout.plan_component c WHERE c.rate_column IS NOT NULL);
    statements boolean := EXISTS (SELECT 1 FROM spm_payout.plan pl WHERE pl.deal_statements);
BEGIN
    SELECT * INTO p FROM spm_payout.pay_period k WHERE k.period_id = pid;
    -- the lines are joined with every deal row: without statistics the
    -- planner loops over them
    ANALYZE pg_temp.spm_earn;
    PERFORM spm_payout_internal.drop_work_table('spm_deal_rows');
    IF NOT rated THEN
        -- no rate table (and no value staged): no row
        CREATE TEMP TABLE spm_deal_rows (period_id integer, for_period_id integer, rep text, version_id integer,
                                         component_id integer, source_id integer, deal text, deal_date date,
                                         amount numeric, booked date, value text, schedule spm.schedule,
                                         after numeric, before numeric, incr numeric) ON COMMIT DROP;
    ELSE
    -- 1. every credit row of the plan year so far of the rate-table
    -- components, with its schedule and increment
    CREATE TEMP TABLE spm_deal_rows ON COMMIT DROP AS
    WITH r AS (
        SELECT l.period_id, l.for_period_id, l.rep, l.version_id, l.component_id, l.source_id, l.deal, l.deal_date,
               l.amount, lower(b.period) AS booked, v.value, cr.schedule
          FROM spm_payout.plan_component c
          JOIN spm_payout.plan_version pv ON pv.version_id = c.version_id
          JOIN spm_payout.plan pl ON pl.plan_id = pv.plan_id
          JOIN spm_payout.pay_period f ON f.period <@ spm.fiscal_period(lower(p.period), 'year', pl.year_start_month)
          JOIN spm_payout.credit_line l ON l.for_period_id = f.period_id AND l.component_id = c.component_id
          JOIN spm_payout.pay_period b ON b.period_id = l.period_id AND lower(b.period) <= lower(p.period)
          LEFT JOIN pg_temp.spm_deal_value v ON v.component_id = c.component_id AND v.deal = l.deal
          LEFT JOIN spm_payout.component_rate cr ON cr.component_id = c.component_id AND cr.value = v.value
         WHERE c.rate_column IS NOT NULL
    ), w AS (
        SELECT r.*, sum(r.amount) OVER g AS after
          FROM r WINDOW g AS (PARTITION BY r.rep, r.version_id, r.component_id
                              ORDER BY r.booked, r.deal_date, r.deal, r.amount ROWS UNBOUNDED PRECEDING)
    )
    SELECT w.*, w.after - w.amount AS before,
           -- E_v(x) = sign(x) * apply(schedule_v, |x|), written out (a function
           -- with a SET clause is not inlined: docs/statements.md, "Cost")
           sign(w.after) * spm.apply(w.schedule, abs(w.after))
           - sign(w.after - w.amount) * spm.apply(w.schedule, abs(w.after - w.amount)) AS incr
      FROM w;
    END IF;
    SELECT c.name AS component, pl.name AS plan, r.deal, r.value INTO bad
      FROM pg_temp.spm_deal_rows r JOIN spm_payout.plan_component c ON c.component_id = r.component_id
      JOIN spm_payout.plan_version pv ON pv.version_id = c.version_id JOIN spm_payout.plan pl ON pl.plan_id = pv.plan_id
     WHERE r.schedule IS NULL ORDER BY r.booked, r.deal_date, r.deal LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'P0002',
            MESSAGE = format('component %s of plan %s: deal %s has %s, which its rate table does not list',
                             bad.component, bad.plan, coalesce(bad.deal, 'NULL'),
                             CASE WHEN bad.value IS NULL THEN 'no value' ELSE format('value %L', bad.value) END),
            HINT = 'Add a row for this value to spm_payout.component_rate.';
    END IF;
    UPDATE pg_temp.spm_earn e SET earned_to_date = x.earned
      FROM (SELECT r.rep, r.version_id, r.component_id, round(sum(r.incr), 2) AS earned
              FROM pg_temp.spm_deal_rows r GROUP BY 1, 2, 3) x
     WHERE e.rep = x.rep AND e.version_id = x.version_id AND e.component_id = x.component_id;

    -- 2. the period's deal lines.  Each row pays round(S_after, 2) -
    -- round(S_before, 2), S the running sum of the increments; the last row
    -- of a line also takes the line's residue: its earned minus what its rows
    -- add up to (round(S at its last row, 2) - round(S before its first, 2)),
    -- 0 unless earlier periods paid something else (docs/statements.md)
    DELETE FROM spm_payout.deal_commission d WHERE d.period_id = pid;
    INSERT INTO spm_payout.deal_commission (run_id, period_id, for_period_id, rep, version_id, component_id, source_id,
                                            deal, deal_date, credit, credit_to_date_after, rate, commission)
    WITH rated_rows AS (
        -- rate-table components: the increments of the whole year, so far
        SELECT r.*, sum(r.incr) OVER g - r.incr AS s_before, sum(r.incr) OVER g AS s_after,
               sum(r.incr) FILTER (WHERE r.period_id <> pid) OVER w AS s_prior,
               row_number() OVER g = count(*) OVER w AS last
          FROM pg_temp.spm_deal_rows r
        WINDOW w AS (PARTITION BY r.rep, r.version_id, r.component_id),
               g AS (w ORDER BY r.booked, r.deal_date, r.deal, r.amount ROWS UNBOUNDED PRECEDING)
    ), plain AS (
        -- the plans with deal statements, components without a rate table nor
        -- a gate: the period's rows after the credit to date before them
        SELECT l.*, l.cum0 + sum(l.amount) OVER g AS after, row_number() OVER g = count(*) OVER w AS last
          FROM (SELECT l.*, coalesce(c.schedule, pv.schedule) AS sched, coalesce(c.base, pv.base) AS base,
                       e.quota_to_date AS quota, e.target_to_date AS target, e.earned_to_date - e.paid_before AS line_earned,
                       e.credited_to_date - sum(l.amount) OVER (PARTITION BY l.rep, l.version_id, l.component_id) AS cum0
                  FROM spm_payout.credit_line l
                  JOIN spm_payout.plan_version pv ON pv.version_id = l.version_id
                  JOIN spm_payout.plan pl ON pl.plan_id = pv.plan_id AND pl.deal_statements
                  LEFT JOIN spm_payout.plan_component c ON c.component_id = l.component_id
                  JOIN pg_temp.spm_earn e ON e.rep = l.rep AND e.version_id = l.version_id
                                         AND coalesce(e.component_id, 0) = coalesce(l.component_id, 0)
                 -- statements: evaluated once, nothing read when no plan asks for deal lines
                 WHERE statements AND l.period_id = pid AND c.rate_column IS NULL AND c.gate_component IS NULL) l
        WINDOW w AS (PARTITION BY l.rep, l.version_id, l.component_id),
               g AS (w ORDER BY l.deal_date, l.deal, l.amount, l.via, l.from_rep ROWS UNBOUNDED PRECEDING)
    ), lines AS (
        SELECT r.for_period_id, r.rep, r.version_id, r.component_id, r.source_id, r.deal, r.deal_date,
               r.amount, r.after, r.schedule, 'amount' AS base, NULL::numeric AS quota,
               round(r.s_after, 2) - round(r.s_before, 2) AS cents,
               CASE WHEN r.last THEN e.earned_to_date - e.paid_before - round(r.s_after, 2)
                                     + round(coalesce(r.s_prior, 0), 2) END AS residue
          FROM rated_rows r
          LEFT JOIN pg_temp.spm_earn e ON e.rep = r.rep AND e.version_id = r.version_id AND e.component_id = r.component_id
         WHERE r.period_id = pid
        UNION ALL
        SELECT x.for_period_id, x.rep, x.version_id, x.component_id, x.source_id, x.deal, x.deal_date,
               x.amount, x.after, x.sched, x.base, x.quota,
               -- E of the rule of docs/payout.md ("The cumulative rule"), odd for negative credit
               round(sign(x.after) * CASE x.base WHEN 'amount' THEN spm.apply(x.sched, abs(x.after)) WHEN 'quota' THEN spm.apply(x.sched, abs(x.after), x.quota) ELSE x.target * spm.apply(x.sched, spm.attainment(abs(x.after), x.quota)) END, 2)
               - round(sign((x.after - x.amount)) * CASE x.base WHEN 'amount' THEN spm.apply(x.sched, abs((x.after - x.amount))) WHEN 'quota' THEN spm.apply(x.sched, abs((x.after - x.amount)), x.quota) ELSE x.target * spm.apply(x.sched, spm.attainment(abs((x.after - x.amount)), x.quota)) END, 2),
               CASE WHEN x.last THEN x.line_earned - round(sign(x.after) * CASE x.base WHEN 'amount' THEN spm.apply(x.sched, abs(x.after)) WHEN 'quota' THEN spm.apply(x.sched, abs(x.after), x.quota) ELSE x.target * spm.apply(x.sched, spm.attainment(abs(x.after), x.quota)) END, 2)
                                     + round(sign(x.cum0) * CASE x.base WHEN 'amount' THEN spm.apply(x.sched, abs(x.cum0)) WHEN 'quota' THEN spm.apply(x.sched, abs(x.cum0), x.quota) ELSE x.target * spm.apply(x.sched, spm.attainment(abs(x.cum0), x.quota)) END, 2) END
          FROM plain x WHERE x.quota IS NOT NULL OR x.base = 'amount'
    )
    SELECT run, pid, c.for_period_id, c.rep, c.version_id, c.component_id, c.source_id, c.deal, c.deal_date,
           c.amount, c.after,
           CASE c.base WHEN 'amount' THEN (spm.next_tier(c.schedule, abs(c.after))).rate_now
                       WHEN 'quota' THEN (spm.next_tier(c.schedule, abs(c.after), c.quota)).rate_now END,
           c.cents + coalesce(c.residue, 0)
      FROM lines c;
    GET DIAGNOSTICS n = ROW_COUNT;

    -- the team snapshot read by the row-level security of deal_commission
    DELETE FROM spm_payout.team_member;
    INSERT INTO spm_payout.team_member (manager, rep, valid)
    WITH RECURSIVE t (manager, rep, valid, depth) AS (
        SELECT o.manager, o.rep, o.valid, 1 FROM pg_temp.spm_stage_org o
         WHERE o.manager IS NOT NULL AND NOT isempty(o.valid)
        UNION ALL
        SELECT o.manager, t.rep, t.valid * o.valid, t.depth + 1
          FROM t JOIN pg_temp.spm_stage_org o ON o.rep = t.manager AND o.valid && t.valid
         WHERE o.manager IS NOT NULL AND t.depth < 64
    )
    SELECT DISTINCT t.manager, t.rep, t.valid FROM t WHERE t.manager <> t.rep;
    RETURN n;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.store_deal_commissions(bigint, integer) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.store_deal_commissions(bigint, integer) IS
    'internal: earned to date of rate-table components and the period''s deal lines (deal_commission) and team snapshot (docs/statements.md)';

CREATE OR REPLACE VIEW spm_payout.deal_statement WITH (security_invoker = true) AS
SELECT pp.label AS period, lower(pp.period) AS period_start, d.rep, pl.name AS plan, c.name AS component,
       d.deal, d.deal_date, d.credit, d.credit_to_date_after AS credit_to_date, d.rate, d.commission
  FROM spm_payout.deal_commission d
  JOIN spm_payout.pay_period pp ON pp.period_id = d.period_id
  JOIN spm_payout.plan_version v ON v.version_id = d.version_id
  JOIN spm_payout.plan pl ON pl.plan_id = v.plan_id
  LEFT JOIN spm_payout.plan_component c ON c.component_id = d.component_id;
COMMENT ON VIEW spm_payout.deal_statement IS
    'each deal''s credit, rate reached and commission per period, rep, plan and component (docs/statements.md); a rep sees its own lines, a manager its team''s';

CREATE OR REPLACE FUNCTION spm_payout_internal.grants_dealrate() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    GRANT SELECT, INSERT, UPDATE, DELETE ON spm_payout.component_rate TO spm_admin;
    GRANT SELECT ON spm_payout.component_rate, spm_payout.deal_commission, spm_payout.team_member,
          spm_payout.deal_statement TO spm_admin, spm_analyst;
    GRANT SELECT ON spm_payout.component_rate, spm_payout.deal_commission, spm_payout.team_member,
          spm_payout.deal_statement TO spm_rep;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.grants_dealrate() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.grants_dealrate() IS
    'internal: rights on rate tables and deal lines (admins edit rates; analysts read all; reps read rates and, by row-level security, their own and their team''s deal lines)';

CREATE OR REPLACE FUNCTION spm_payout_internal.policies_dealrate() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.deal_commission'::regclass AND polname = 'deal_commission_all') THEN
        CREATE POLICY team_member_all ON spm_payout.team_member FOR SELECT TO spm_admin, spm_analyst USING (true);
        CREATE POLICY team_member_own ON spm_payout.team_member FOR SELECT TO spm_rep
            USING (manager = ANY ((SELECT spm_payout.my_reps())::text[]));
        CREATE POLICY deal_commission_all ON spm_payout.deal_commission FOR SELECT TO spm_admin, spm_analyst USING (true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.deal_commission'::regclass AND polname = 'deal_commission_team') THEN
        -- a rep's own lines, and those of the reps below it on the deal's date
        CREATE POLICY deal_commission_team ON spm_payout.deal_commission FOR SELECT TO spm_rep
            USING (rep = ANY ((SELECT spm_payout.my_reps())::text[])
                   OR EXISTS (SELECT 1 FROM spm_payout.team_member t
                               WHERE t.manager = ANY ((SELECT spm_payout.my_reps())::text[])
                                 AND t.rep = deal_commission.rep AND t.valid @> deal_commission.deal_date));
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.policies_dealrate() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.policies_dealrate() IS
    'internal: row-level security of deal_commission (admins and analysts: every row; a rep: its own and, on the deal''s date, its team''s)';
