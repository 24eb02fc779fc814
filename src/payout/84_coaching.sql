-- spm_payout, part 84: coaching signals (docs/coaching.md).
--
-- What a manager reads every week, per rep and pay period as of a date:
-- attainment so far, pace, the rate still needed, the trend against the
-- same point of earlier periods, rank in the team and an at-risk flag; per
-- team, how many reps are below 50%, between 50% and 100%, at or above.
-- Read from what the runs stored (credit_line, period_credit, payout_line),
-- with the reader's rights: the functions are SECURITY INVOKER and the views
-- security_invoker, so row-level security decides which reps a reader sees.

CREATE FUNCTION spm_payout.coaching(as_of date)
RETURNS TABLE (period text, period_start date, period_end date, as_of_date date, rep text, manager text,
               days_in_period integer, days_elapsed integer, days_left integer,
               quota numeric, credited numeric, attainment numeric,
               daily_rate numeric, run_rate numeric, projected_attainment numeric,
               required_daily_rate numeric,
               prev_period text, prev_attainment numeric, prev_change numeric,
               year_ago_period text, year_ago_attainment numeric, year_ago_change numeric,
               run_attainment_to_date numeric,
               team_rank integer, team_size integer, at_risk boolean)
LANGUAGE plpgsql STABLE STRICT SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    h record;
    team_reps text[] := '{}';
    team_mgrs text[] := '{}';
BEGIN
    -- The team: the rep's manager as of as_of in the registered hierarchy,
    -- read with the reader's rights; none when there is no hierarchy or the
    -- reader may not read it (docs/coaching.md, "Teams").
    IF has_table_privilege('spm_payout.hierarchy_rule', 'SELECT') THEN
        SELECT r.relation, r.rep_column, r.manager_column, r.valid_column INTO h
          FROM spm_payout.hierarchy_rule r;
        IF FOUND AND has_column_privilege(h.relation, h.rep_column, 'SELECT')
                 AND has_column_privilege(h.relation, h.manager_column, 'SELECT')
                 AND has_column_privilege(h.relation, h.valid_column, 'SELECT') THEN
            EXECUTE format('SELECT coalesce(array_agg(t.r ORDER BY t.r), ''{}''), coalesce(array_agg(t.m ORDER BY t.r), ''{}'')
                              FROM (SELECT DISTINCT ON (%1$I::text) %1$I::text AS r, %2$I::text AS m
                                      FROM %3$s WHERE %4$I @> $1 AND %2$I IS NOT NULL
                                     ORDER BY %1$I::text, %2$I::text) t',
                           h.rep_column, h.manager_column, h.relation, h.valid_column)
               INTO team_reps, team_mgrs USING as_of;
        END IF;
    END IF;

    RETURN QUERY
    WITH cc AS (
        -- which credit of a plan version is measured against the rep's quota
        -- (docs/coaching.md, "Plan components"): all of it (NULL) without
        -- components; else its first credit component (lowest id) counting
        -- every deal at its amount (no filter, no measure column); none (-1)
        -- when there is no such component.  Summing the components would
        -- count a deal once per component.
        SELECT v.version_id,
               CASE WHEN NOT EXISTS (SELECT 1 FROM spm_payout.plan_component k WHERE k.version_id = v.version_id) THEN NULL
                    ELSE coalesce((SELECT min(k.component_id) FROM spm_payout.plan_component k
                                    WHERE k.version_id = v.version_id AND k.kind = 'credit'
                                      AND k.filter_column IS NULL AND k.measure_column IS NULL), -1) END AS comp
          FROM spm_payout.plan_version v
    ), cur AS (
        SELECT pp.period_id, pp.label, lower(pp.period) AS s, upper(pp.period) AS e
          FROM spm_payout.pay_period pp WHERE pp.period @> as_of
    ), prv AS (
        -- the pay period just before (the latest one ending by the start)
        SELECT pp.period_id, pp.label, lower(pp.period) AS s, upper(pp.period) AS e
          FROM spm_payout.pay_period pp, cur
         WHERE upper(pp.period) <= cur.s
         ORDER BY upper(pp.period) DESC LIMIT 1
    ), ago AS (
        -- the pay period holding the same start date a year earlier
        SELECT pp.period_id, pp.label, lower(pp.period) AS s, upper(pp.period) AS e
          FROM spm_payout.pay_period pp, cur
         WHERE pp.period @> (cur.s - interval '1 year')::date
    ), per AS (
        -- each period with the day its credit is counted up to: as_of, and
        -- the same day offset from the start in the earlier periods (their
        -- last day when they are shorter)
        SELECT x.*, (SELECT max(pc.run_id) FROM spm_payout.period_credit pc
                      WHERE pc.for_period_id = x.period_id) AS credit_run      -- its latest computation
          FROM (SELECT 'cur'::text AS k, cur.period_id, cur.label, as_of AS upto FROM cur
                UNION ALL
                SELECT 'prv', prv.period_id, prv.label, least(prv.s + (as_of - cur.s), prv.e - 1) FROM prv, cur
                UNION ALL
                SELECT 'ago', ago.period_id, ago.label, least(ago.s + (as_of - cur.s), ago.e - 1) FROM ago, cur) x
    ), q AS (
        -- the period's quota per rep, as the latest computation of the
        -- period prorated it (summed over the rep's plan versions)
        SELECT per.k, pc.rep, sum(pc.quota) AS quota
          FROM per JOIN spm_payout.period_credit pc ON pc.for_period_id = per.period_id AND pc.run_id = per.credit_run
          JOIN cc ON cc.version_id = pc.version_id
         WHERE pc.component_id IS NOT DISTINCT FROM cc.comp
         GROUP BY per.k, pc.rep
    ), c AS (
        -- credit of deals dated up to the counting day (late changes
        -- booked in later periods included), credit without a plan left out
        SELECT per.k, cl.rep, sum(cl.amount) AS credited
          FROM per JOIN spm_payout.credit_line cl ON cl.for_period_id = per.period_id AND cl.deal_date <= per.upto
          JOIN cc ON cc.version_id = cl.version_id
         WHERE cl.component_id IS NOT DISTINCT FROM cc.comp
         GROUP BY per.k, cl.rep
    ), ytd AS (
        -- plan-year attainment to date as the period's latest run computed it
        SELECT l.rep, spm.attainment(sum(l.credited_to_date), sum(l.quota_to_date)) AS a
          FROM cur JOIN spm_payout.payout_line l ON l.period_id = cur.period_id AND l.line_kind = 'commission'
          JOIN cc ON cc.version_id = l.version_id
         WHERE l.run_id = (SELECT max(x.run_id) FROM spm_payout.payout_line x
                            WHERE x.period_id = cur.period_id AND x.line_kind = 'commission')
           AND l.component_id IS NOT DISTINCT FROM cc.comp
         GROUP BY l.rep
    ), base AS (
        SELECT cur.label, cur.s, cur.e, q.rep, q.quota, coalesce(c.credited, 0) AS credited,
               (cur.e - cur.s) AS days, (as_of - cur.s + 1) AS elapsed, (cur.e - as_of - 1) AS remaining,
               tm.m AS manager
          FROM cur JOIN q ON q.k = 'cur'
          LEFT JOIN c ON c.k = 'cur' AND c.rep = q.rep
          LEFT JOIN unnest(team_reps, team_mgrs) AS tm(r, m) ON tm.r = q.rep
    ), sig AS (
        SELECT b.*, spm.attainment(b.credited, b.quota) AS att,
               spm.pace(b.credited, b.quota, daterange(b.s, b.e), as_of) AS pace,
               -- n / d rounded to cents, half away from zero, exactly: sign(n) * floor((200|n| + d) / 2d) / 100
               sign(b.credited) * div(200 * abs(b.credited) + b.elapsed, 2 * b.elapsed) * 0.01 AS daily,
               sign(b.credited) * div(200 * abs(b.credited) * b.days + b.elapsed, 2 * b.elapsed) * 0.01 AS projected,
               CASE WHEN b.quota IS NULL THEN NULL
                    WHEN b.credited >= b.quota THEN 0.00
                    WHEN b.remaining = 0 THEN NULL
                    ELSE div(200 * (b.quota - b.credited) + b.remaining, 2 * b.remaining) * 0.01 END AS required
          FROM base b
    )
    SELECT g.label, g.s, g.e - 1, as_of, g.rep, g.manager,
           g.days, g.elapsed, g.remaining,
           g.quota, g.credited, g.att,
           g.daily, g.projected, g.pace, g.required,
           (SELECT per.label FROM per WHERE per.k = 'prv'), pa.a, g.att - pa.a,
           (SELECT per.label FROM per WHERE per.k = 'ago'), ya.a, g.att - ya.a,
           ytd.a,
           (rank() OVER w)::integer, (count(*) OVER (PARTITION BY g.manager))::integer,
           g.pace < 0.8
      FROM sig g
      LEFT JOIN (SELECT q.rep, spm.attainment(coalesce(c.credited, 0), q.quota) AS a
                   FROM q LEFT JOIN c ON c.k = q.k AND c.rep = q.rep WHERE q.k = 'prv') pa ON pa.rep = g.rep
      LEFT JOIN (SELECT q.rep, spm.attainment(coalesce(c.credited, 0), q.quota) AS a
                   FROM q LEFT JOIN c ON c.k = q.k AND c.rep = q.rep WHERE q.k = 'ago') ya ON ya.rep = g.rep
      LEFT JOIN ytd ON ytd.rep = g.rep
    WINDOW w AS (PARTITION BY g.manager ORDER BY g.att DESC NULLS LAST, g.credited DESC)
     ORDER BY g.manager NULLS LAST, 24, g.rep;
END $$;
COMMENT ON FUNCTION spm_payout.coaching(date) IS
    'coaching signals per rep for the pay period containing as_of: quota, credit of deals dated up to as_of, attainment, daily and run rate, projected attainment (spm.pace), required daily rate, attainment at the same day of the previous period and a year earlier, plan-year attainment of the latest run, rank in the team (the rep''s manager as of as_of), at_risk = projected attainment < 0.8; rows the reader may see';

CREATE FUNCTION spm_payout.team_distribution(as_of date)
RETURNS TABLE (period text, period_start date, manager text, reps integer,
               below_50 integer, from_50_to_100 integer, at_least_100 integer, no_quota integer,
               median_attainment numeric, avg_attainment numeric, at_risk integer)
LANGUAGE sql STABLE STRICT SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.period, c.period_start, c.manager, count(*)::integer,
           (count(*) FILTER (WHERE c.attainment < 0.5))::integer,
           (count(*) FILTER (WHERE c.attainment >= 0.5 AND c.attainment < 1))::integer,
           (count(*) FILTER (WHERE c.attainment >= 1))::integer,
           (count(*) FILTER (WHERE c.attainment IS NULL))::integer,
           percentile_disc(0.5) WITHIN GROUP (ORDER BY c.attainment),
           round(avg(c.attainment), 12),
           (count(*) FILTER (WHERE c.at_risk))::integer
      FROM spm_payout.coaching(as_of) c
     GROUP BY c.period, c.period_start, c.manager
     ORDER BY c.manager NULLS LAST
$$;
COMMENT ON FUNCTION spm_payout.team_distribution(date) IS
    'per team (manager) for the pay period containing as_of: reps below 50% attainment, from 50% to below 100%, at or above 100%, without a quota; lower median and mean attainment; reps at risk; over the rows of spm_payout.coaching the reader may see';

CREATE VIEW spm_payout.coaching_signals WITH (security_invoker = true) AS
SELECT * FROM spm_payout.coaching(current_date);
COMMENT ON VIEW spm_payout.coaching_signals IS 'spm_payout.coaching(current_date): the coaching signals of today''s pay period';

CREATE VIEW spm_payout.team_distribution_view WITH (security_invoker = true) AS
SELECT * FROM spm_payout.team_distribution(current_date);
COMMENT ON VIEW spm_payout.team_distribution_view IS 'spm_payout.team_distribution(current_date): attainment buckets per team for today''s pay period';

REVOKE EXECUTE ON FUNCTION spm_payout.coaching(date), spm_payout.team_distribution(date) FROM PUBLIC;

-- Rights: every role reads the signals; a rep sees its own rows (the
-- row-level security of credit_line, period_credit and payout_line).
CREATE FUNCTION spm_payout_internal.grants_coaching() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    GRANT EXECUTE ON FUNCTION spm_payout.coaching(date), spm_payout.team_distribution(date)
          TO spm_admin, spm_analyst, spm_rep;
    GRANT SELECT ON spm_payout.coaching_signals, spm_payout.team_distribution_view
          TO spm_admin, spm_analyst, spm_rep;
    -- the quota of the rep's own periods (policy period_credit_own)
    GRANT SELECT ON spm_payout.period_credit TO spm_rep;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.grants_coaching() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.grants_coaching() IS
    'internal: grants the coaching functions and views to spm_admin, spm_analyst and spm_rep (and period_credit, under its row-level security, to spm_rep); called by create_roles()';
