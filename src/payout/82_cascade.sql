-- spm_payout, part 8b: quota cascading (docs/goals.md).  New in 0.3.0 and
-- included whole in the 0.2.0 -> 0.3.0 upgrade.
--
-- A cascade splits a goal of a node of the registered hierarchy (a company,
-- a region, a team) top-down over the node's subtree, as of a date, by
-- weights (headcount, history, potential, custom), each level's children
-- together getting (1 + over_assignment) times their parent's goal,
-- penny-exact (spm.split_share: the children's goals add up to exactly
-- round(parent goal * (1 + over_assignment), 2)).  A rep's (leaf's) weight
-- is scaled by its presence (days on a plan in the period) and its ramp
-- factor (month of tenure).  A cascade is computed as a draft, reviewed,
-- and approved: approval writes the leaves' quotas (basis 'days_on_plan')
-- that runs then use.  Drafts never change a run.
--
-- Everything that reads the user's hierarchy runs with the caller's rights
-- (SECURITY INVOKER), as runs do (30_stage.sql).

CREATE TABLE spm_payout.goal_cascade (
    cascade_id      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id       integer NOT NULL REFERENCES spm_payout.pay_period,
    root            text NOT NULL CONSTRAINT goal_cascade_root_named CHECK (root <> ''),
    goal            numeric NOT NULL CONSTRAINT goal_cascade_goal_positive CHECK (goal > 0 AND goal < 'Infinity'),
    over_assignment numeric NOT NULL DEFAULT 0
                    CONSTRAINT goal_cascade_over_assignment_range CHECK (over_assignment >= 0 AND over_assignment < 'Infinity'),
    weight_basis    text NOT NULL DEFAULT 'headcount'
                    CONSTRAINT goal_cascade_weight_basis_known CHECK (weight_basis IN ('headcount', 'history', 'potential', 'custom')),
    ramp            numeric[]
                    CONSTRAINT goal_cascade_ramp_factors CHECK (ramp IS NULL OR (array_ndims(ramp) = 1 AND array_lower(ramp, 1) = 1
                                                                 AND array_position(ramp, NULL) IS NULL
                                                                 AND 0 <= ALL (ramp) AND 1 >= ALL (ramp))),
    as_of           date,
    version         integer NOT NULL CHECK (version > 0),
    status          text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved', 'superseded')),
    created_by      text NOT NULL DEFAULT spm_payout.acting_role(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    approved_by     text,
    approved_at     timestamptz,
    UNIQUE (period_id, root, version)
);
CREATE UNIQUE INDEX goal_cascade_one_approved ON spm_payout.goal_cascade (period_id, root) WHERE status = 'approved';
COMMENT ON TABLE spm_payout.goal_cascade IS
    'a top-down split of a node''s goal for a pay period over its subtree of the hierarchy (docs/goals.md); versioned per (period, root): draft, approved (its leaves'' goals are their quotas), superseded';
COMMENT ON INDEX spm_payout.goal_cascade_one_approved IS 'at most one approved cascade per pay period and root';

CREATE TABLE spm_payout.cascade_weight (
    cascade_id integer NOT NULL REFERENCES spm_payout.goal_cascade ON DELETE CASCADE,
    node       text NOT NULL,
    weight     numeric NOT NULL CONSTRAINT cascade_weight_range CHECK (weight >= 0 AND weight < 'Infinity'),
    PRIMARY KEY (cascade_id, node)
);
COMMENT ON TABLE spm_payout.cascade_weight IS
    'base weights of a cascade''s nodes (weight_basis history, potential, custom): required for every leaf; a team with a row uses it instead of the sum of its children';

CREATE TABLE spm_payout.cascade_goal (
    cascade_id       integer NOT NULL REFERENCES spm_payout.goal_cascade ON DELETE CASCADE,
    node             text NOT NULL,
    parent           text,
    depth            integer NOT NULL,
    leaf             boolean NOT NULL,
    base_weight      numeric,
    days_on_plan     integer,
    presence         numeric,
    ramp_factor      numeric,
    effective_weight numeric NOT NULL,
    goal             numeric NOT NULL,
    children_total   numeric,
    coverage         numeric,
    PRIMARY KEY (cascade_id, node)
);
CREATE INDEX cascade_goal_node ON spm_payout.cascade_goal (node);
COMMENT ON TABLE spm_payout.cascade_goal IS
    'a computed cascade, one row per node: weights used, presence and ramp factor (leaves), goal in cents, the children''s goals total and coverage (teams)';
COMMENT ON INDEX spm_payout.cascade_goal_node IS 'serves the rep policy (node = ANY (my_reps()))';

COMMENT ON COLUMN spm_payout.quota.basis IS
    'period: the quota is for the whole period and prorated to the days on the plan; days_on_plan: already prorated (a cascaded goal), shared among the rep''s plan versions by days only';
COMMENT ON COLUMN spm_payout.quota.cascade_id IS 'the approved cascade that wrote this quota (NULL: entered by hand)';

ALTER TABLE spm_payout.cascade_goal ENABLE ROW LEVEL SECURITY;

-- The state machine of a cascade (docs/goals.md, "Rules"): a cascade is
-- created as a draft with the next version number of its (period, root);
-- only a draft changes; its status changes only inside approve_cascade
-- (a guard against mistakes, not a security boundary: admins may write
-- quotas anyway).  Ramp factors are checked here for a clear 22023.
CREATE FUNCTION spm_payout_internal.cascade_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION USING ERRCODE = '55000',
                MESSAGE = format('cascade %s is %s and cannot be deleted', OLD.cascade_id, OLD.status);
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status <> 'draft' THEN
        IF NOT (OLD.status = 'approved' AND NEW.status = 'superseded'
                AND to_jsonb(NEW) - 'status' = to_jsonb(OLD) - 'status'
                AND current_setting('spm_payout.approving', true) IS NOT NULL
                AND current_setting('spm_payout.approving', true) <> '') THEN
            RAISE EXCEPTION USING ERRCODE = '55000',
                MESSAGE = format('cascade %s is %s and cannot be changed', OLD.cascade_id, OLD.status),
                HINT = 'Create a new version with spm_payout.create_cascade.';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'draft' OR NEW.approved_by IS NOT NULL OR NEW.approved_at IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = 'a cascade is created as a draft',
                HINT = 'Approve it with spm_payout.approve_cascade.';
        END IF;
        IF NEW.version IS NULL THEN
            -- the next version of the (period, root); concurrent creations
            -- of the same pair wait here, then number after each other
            PERFORM pg_advisory_xact_lock(hashtextextended(format('spm_payout.goal_cascade %s %s', NEW.period_id, NEW.root), 0));
            NEW.version := (SELECT coalesce(max(c.version), 0) + 1 FROM spm_payout.goal_cascade c
                             WHERE c.period_id = NEW.period_id AND c.root = NEW.root);
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status AND (NEW.status <> 'approved'
             OR current_setting('spm_payout.approving', true) IS DISTINCT FROM OLD.cascade_id::text) THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('the status of cascade %s changes only through spm_payout.approve_cascade', OLD.cascade_id);
    END IF;
    IF NEW.goal IS NULL OR NEW.goal <= 0 OR NEW.goal IN ('NaN', 'Infinity') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('the goal of a cascade must be a positive finite amount, not %s', coalesce(NEW.goal::text, 'NULL'));
    END IF;
    IF NEW.over_assignment IS NULL OR NEW.over_assignment < 0 OR NEW.over_assignment IN ('NaN', 'Infinity') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('over_assignment must be a finite number >= 0 (0.10: each level''s children get 110%% of their parent''s goal), not %s',
                             coalesce(NEW.over_assignment::text, 'NULL'));
    END IF;
    IF NEW.root IS NULL OR NEW.root = '' THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'the root of a cascade must be a node id of the hierarchy, not NULL or empty';
    END IF;
    IF NEW.weight_basis IS NULL OR NEW.weight_basis NOT IN ('headcount', 'history', 'potential', 'custom') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('weight_basis must be headcount, history, potential or custom, not %s', coalesce(NEW.weight_basis, 'NULL'));
    END IF;
    IF NEW.ramp IS NOT NULL AND (array_ndims(NEW.ramp) IS DISTINCT FROM 1 OR array_lower(NEW.ramp, 1) <> 1
           OR EXISTS (SELECT 1 FROM unnest(NEW.ramp) r WHERE r IS NULL OR r < 0 OR r > 1)) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('ramp must be a one-dimensional, non-empty array of factors between 0 and 1 without NULLs, not %s', NEW.ramp),
            HINT = 'E.g. ''{0.25,0.5,0.75}'': 25% of the goal in the first month on a plan, 50% in the second, 75% in the third, 100% after.';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION spm_payout_internal.cascade_check() IS
    'trigger: a cascade is created as a draft with the next version, only a draft changes, its status changes only in approve_cascade; checks goal, over_assignment, weight_basis and ramp (22023)';
CREATE TRIGGER goal_cascade_check BEFORE INSERT OR UPDATE OR DELETE ON spm_payout.goal_cascade
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.cascade_check();

-- Weights and computed goals belong to a draft: those of an approved or
-- superseded cascade are frozen.  Statement-level triggers with transition
-- tables: one check per statement, whatever the number of rows.
CREATE FUNCTION spm_payout_internal.cascade_frozen() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c record;
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT g.cascade_id, g.status INTO c FROM spm_payout.goal_cascade g
         WHERE g.status <> 'draft' AND g.cascade_id IN (SELECT n.cascade_id FROM new_rows n) LIMIT 1;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT g.cascade_id, g.status INTO c FROM spm_payout.goal_cascade g
         WHERE g.status <> 'draft' AND (g.cascade_id IN (SELECT n.cascade_id FROM new_rows n)
                                        OR g.cascade_id IN (SELECT o.cascade_id FROM old_rows o)) LIMIT 1;
    ELSE
        SELECT g.cascade_id, g.status INTO c FROM spm_payout.goal_cascade g
         WHERE g.status <> 'draft' AND g.cascade_id IN (SELECT o.cascade_id FROM old_rows o) LIMIT 1;
    END IF;
    IF c.cascade_id IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('cascade %s is %s: its %s cannot change', c.cascade_id, c.status,
                             CASE TG_TABLE_NAME WHEN 'cascade_weight' THEN 'weights' ELSE 'goals' END),
            HINT = 'Create a new version with spm_payout.create_cascade.';
    END IF;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION spm_payout_internal.cascade_frozen() IS
    'statement trigger: the weights and goals of an approved or superseded cascade cannot change (55000)';
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['cascade_weight', 'cascade_goal'] LOOP
        EXECUTE format('CREATE TRIGGER %1$I AFTER INSERT ON spm_payout.%2$I REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION spm_payout_internal.cascade_frozen()', t || '_frozen_insert', t);
        EXECUTE format('CREATE TRIGGER %1$I AFTER UPDATE ON spm_payout.%2$I REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION spm_payout_internal.cascade_frozen()', t || '_frozen_update', t);
        EXECUTE format('CREATE TRIGGER %1$I AFTER DELETE ON spm_payout.%2$I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION spm_payout_internal.cascade_frozen()', t || '_frozen_delete', t);
    END LOOP;
END $$;
CREATE TRIGGER goal_cascade_audit AFTER INSERT OR UPDATE OR DELETE ON spm_payout.goal_cascade
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit();
CREATE TRIGGER cascade_weight_audit AFTER INSERT OR UPDATE OR DELETE ON spm_payout.cascade_weight
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit();

SELECT pg_catalog.pg_extension_config_dump('spm_payout.goal_cascade', '');
SELECT pg_catalog.pg_extension_config_dump(pg_get_serial_sequence('spm_payout.goal_cascade', 'cascade_id')::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('spm_payout.cascade_weight', '');
SELECT pg_catalog.pg_extension_config_dump('spm_payout.cascade_goal', '');

-- The subtree of a node as of a date, read from the registered hierarchy
-- with the caller's rights into pg_temp.spm_cascade_tree (node, parent,
-- depth, leaf), checked: no node with two managers, no cycle, the root has
-- children.
CREATE FUNCTION spm_payout_internal.cascade_tree(root text, as_of date) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h   spm_payout.hierarchy_rule;
    bad record;
    n   integer;
BEGIN
    SELECT * INTO h FROM spm_payout.hierarchy_rule;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = 'no hierarchy is registered',
            HINT = 'A cascade splits goals along spm_payout.hierarchy_rule: register it first.';
    END IF;
    PERFORM spm_payout_internal.check_registered();
    PERFORM spm_payout_internal.drop_work_table(t) FROM unnest(ARRAY['spm_cascade_org', 'spm_cascade_tree']) t;
    CREATE TEMP TABLE spm_cascade_org (node text, parent text) ON COMMIT DROP;
    EXECUTE format('INSERT INTO pg_temp.spm_cascade_org SELECT (h.%I)::text, (h.%I)::text FROM %s h
                     WHERE h.%I @> %L::date AND h.%I IS NOT NULL',
                   h.rep_column, h.manager_column, h.relation, h.valid_column, to_char(as_of, 'YYYY-MM-DD'), h.rep_column);
    ANALYZE pg_temp.spm_cascade_org;
    CREATE TEMP TABLE spm_cascade_tree ON COMMIT DROP AS
    WITH RECURSIVE t(node, parent, depth, path) AS (
        SELECT cascade_tree.root, NULL::text, 0, ARRAY[cascade_tree.root]
        UNION ALL
        SELECT o.node, o.parent, t.depth + 1, t.path || o.node
          FROM t JOIN pg_temp.spm_cascade_org o ON o.parent = t.node
         WHERE NOT o.node = ANY (t.path)
    )
    SELECT t.node, t.parent, t.depth, t.path,
           NOT EXISTS (SELECT 1 FROM pg_temp.spm_cascade_org o WHERE o.parent = t.node) AS leaf
      FROM t;
    ANALYZE pg_temp.spm_cascade_tree;
    SELECT t.path, o.node INTO bad
      FROM pg_temp.spm_cascade_tree t JOIN pg_temp.spm_cascade_org o ON o.parent = t.node
     WHERE o.node = ANY (t.path) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('hierarchy rule: the hierarchy has a cycle on %s: %s -> %s',
                             to_char(as_of, 'YYYY-MM-DD'), array_to_string(bad.path, ' -> '), bad.node),
            DETAIL = 'Each arrow goes from a manager to a rep who reports to it.';
    END IF;
    -- a node of the subtree with two managers (one of them may be outside it)
    SELECT o.node, count(*) AS k INTO bad FROM pg_temp.spm_cascade_org o
     WHERE o.node IN (SELECT t.node FROM pg_temp.spm_cascade_tree t) GROUP BY o.node HAVING count(*) > 1
     ORDER BY o.node COLLATE "C" LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('hierarchy rule: %s has %s managers on %s', bad.node, bad.k, to_char(as_of, 'YYYY-MM-DD')),
            HINT = 'A rep has one manager on any date; end one range where the next begins.';
    END IF;
    SELECT count(*) INTO n FROM pg_temp.spm_cascade_tree;
    IF n = 1 THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('%s has no one reporting to it on %s', root, to_char(as_of, 'YYYY-MM-DD')),
            HINT = 'The root of a cascade is a node of the hierarchy with reps or teams under it on as_of.';
    END IF;
    RETURN n;
END $$;
COMMENT ON FUNCTION spm_payout_internal.cascade_tree(text, date) IS
    'internal: the subtree of a node of the registered hierarchy as of a date, into pg_temp.spm_cascade_tree, with the caller''s rights (22023: two managers, a cycle, no children)';

-- A cascade computed from its inputs, one row per node (docs/goals.md,
-- "Rules and rounding").  Set-based, one statement per level of the tree.
CREATE FUNCTION spm_payout.cascade_rows(cascade_id integer)
RETURNS TABLE (node text, parent text, depth integer, leaf boolean, base_weight numeric, days_on_plan integer,
               presence numeric, ramp_factor numeric, effective_weight numeric, goal numeric,
               children_total numeric, coverage numeric)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c     spm_payout.goal_cascade;
    p     spm_payout.pay_period;
    d     date;
    pdays integer;
    maxd  integer;
    lvl   integer;
    bad   record;
BEGIN
    SELECT * INTO c FROM spm_payout.goal_cascade g WHERE g.cascade_id = cascade_rows.cascade_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('no cascade has id %s', coalesce(cascade_rows.cascade_id::text, 'NULL'));
    END IF;
    SELECT * INTO p FROM spm_payout.pay_period k WHERE k.period_id = c.period_id;
    d := coalesce(c.as_of, lower(p.period));
    pdays := upper(p.period) - lower(p.period);
    PERFORM spm_payout_internal.cascade_tree(c.root, d);

    -- leaves: presence (days on a plan in the period) and month of tenure
    -- (from the start of the rep's earliest assignment; an assignment
    -- without a start is past any ramp)
    ALTER TABLE pg_temp.spm_cascade_tree ADD COLUMN base numeric, ADD COLUMN days integer, ADD COLUMN ramp_factor numeric,
        ADD COLUMN given numeric, ADD COLUMN w numeric, ADD COLUMN goal numeric;
    UPDATE pg_temp.spm_cascade_tree t
       SET days = coalesce(a.days, 0),
           ramp_factor = CASE WHEN a.days IS NULL OR a.days = 0 THEN NULL
                              WHEN c.ramp IS NULL OR a.unbounded THEN 1
                              ELSE coalesce(c.ramp[CASE WHEN a.since >= lower(p.period) THEN 1
                                                        ELSE 1 + 12 * extract(year FROM age(lower(p.period), a.since))::integer
                                                               + extract(month FROM age(lower(p.period), a.since))::integer END], 1) END
      FROM (SELECT s.rep, bool_or(lower_inf(s.valid)) AS unbounded, min(lower(s.valid)) AS since,
                   sum(CASE WHEN s.valid && p.period THEN upper(s.valid * p.period) - lower(s.valid * p.period) ELSE 0 END)::integer AS days
              FROM spm_payout.assignment s GROUP BY s.rep) a
     WHERE t.leaf AND a.rep = t.node;
    UPDATE pg_temp.spm_cascade_tree t SET days = 0 WHERE t.leaf AND t.days IS NULL;

    -- base weights: 1 per leaf (headcount), else cascade_weight (required
    -- for every leaf; a team with a row uses it)
    IF c.weight_basis = 'headcount' THEN
        UPDATE pg_temp.spm_cascade_tree t SET base = 1 WHERE t.leaf;
    ELSE
        UPDATE pg_temp.spm_cascade_tree t SET base = x.weight, given = CASE WHEN NOT t.leaf THEN x.weight END
          FROM spm_payout.cascade_weight x
         WHERE x.cascade_id = c.cascade_id AND x.node = t.node AND t.depth > 0;
        SELECT t.node, t.parent INTO bad FROM pg_temp.spm_cascade_tree t WHERE t.leaf AND t.base IS NULL
         ORDER BY t.node COLLATE "C" LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('cascade %s: rep %s (under %s) has no %s weight', c.cascade_id, bad.node, bad.parent, c.weight_basis),
                HINT = CASE c.weight_basis WHEN 'history' THEN 'Fill the weights with spm_payout.history_weights(cascade_id, reference_period).'
                            ELSE 'Insert a row for every rep of the subtree into spm_payout.cascade_weight.' END;
        END IF;
    END IF;

    -- effective weights, in weight x days (the period's length is a common
    -- factor of every weight, so proportions are exact): a leaf's is
    -- base x ramp factor x days on plan; a team's is its given weight x the
    -- period's days, else the sum of its children's
    UPDATE pg_temp.spm_cascade_tree t SET w = t.base * coalesce(t.ramp_factor, 0) * t.days WHERE t.leaf;
    SELECT max(t.depth) INTO maxd FROM pg_temp.spm_cascade_tree t;
    FOR lvl IN REVERSE maxd - 1 .. 0 LOOP
        UPDATE pg_temp.spm_cascade_tree t SET w = coalesce(t.given * pdays, s.total)
          FROM (SELECT k.parent, sum(k.w) AS total FROM pg_temp.spm_cascade_tree k WHERE k.depth = lvl + 1 GROUP BY k.parent) s
         WHERE t.depth = lvl AND NOT t.leaf AND s.parent = t.node;
    END LOOP;

    -- goals, top-down: a team's goal x (1 + over_assignment) split among its
    -- children by effective weight, penny-exact, ties to the earlier node id
    UPDATE pg_temp.spm_cascade_tree t SET goal = round(c.goal, 2) WHERE t.depth = 0;
    FOR lvl IN 0 .. maxd - 1 LOOP
        SELECT t.node INTO bad FROM pg_temp.spm_cascade_tree t
         WHERE t.depth = lvl AND NOT t.leaf AND t.goal > 0
           AND NOT EXISTS (SELECT 1 FROM pg_temp.spm_cascade_tree k WHERE k.parent = t.node AND k.depth = lvl + 1 AND k.w > 0)
         ORDER BY t.node COLLATE "C" LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('cascade %s: every effective weight under %s is zero', c.cascade_id, bad.node),
                DETAIL = 'An effective weight is base weight x presence x ramp factor; a rep with no days on a plan in the period, or a ramp factor 0, has none.',
                HINT = 'Give the node''s children weights, or cascade from another node.';
        END IF;
        UPDATE pg_temp.spm_cascade_tree t SET goal = s.goal
          FROM (SELECT k.node,
                       CASE WHEN pt.goal = 0 THEN 0
                            ELSE spm.split_share(pt.goal * (1 + c.over_assignment), k.w)
                                   OVER (PARTITION BY k.parent ORDER BY k.node COLLATE "C") END AS goal
                  FROM pg_temp.spm_cascade_tree k JOIN pg_temp.spm_cascade_tree pt ON pt.node = k.parent AND pt.depth = lvl
                 WHERE k.depth = lvl + 1 AND pt.goal > 0
                UNION ALL
                SELECT k.node, 0 FROM pg_temp.spm_cascade_tree k JOIN pg_temp.spm_cascade_tree pt ON pt.node = k.parent AND pt.depth = lvl
                 WHERE k.depth = lvl + 1 AND pt.goal = 0) s
         WHERE s.node = t.node AND t.depth = lvl + 1;
    END LOOP;

    RETURN QUERY
    SELECT t.node, t.parent, t.depth, t.leaf, t.base, CASE WHEN t.leaf THEN t.days END,
           CASE WHEN t.leaf THEN trim_scale(round(t.days::numeric / pdays, 12)) END, t.ramp_factor,
           trim_scale(round(t.w / pdays, 12)), t.goal, ch.total,
           CASE WHEN t.goal > 0 THEN round(ch.total / t.goal, 12) END
      FROM pg_temp.spm_cascade_tree t
      LEFT JOIN (SELECT k.parent, sum(k.goal) AS total FROM pg_temp.spm_cascade_tree k GROUP BY k.parent) ch ON ch.parent = t.node
     ORDER BY t.depth, t.node COLLATE "C";
END $$;
COMMENT ON FUNCTION spm_payout.cascade_rows(integer) IS
    'a cascade computed from its inputs (hierarchy as of as_of, assignments, weights), one row per node, without storing it; reads the hierarchy with the caller''s rights';

-- Computes a draft and stores its goals in cascade_goal (replacing them).
CREATE FUNCTION spm_payout.compute_cascade(cascade_id integer) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c spm_payout.goal_cascade;
    k text;
    n integer;
BEGIN
    SELECT * INTO c FROM spm_payout.goal_cascade g WHERE g.cascade_id = compute_cascade.cascade_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('no cascade has id %s', coalesce(compute_cascade.cascade_id::text, 'NULL'));
    END IF;
    IF c.status <> 'draft' THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format('cascade %s is %s: only a draft is computed', c.cascade_id, c.status),
            HINT = 'Create a new version with spm_payout.create_cascade.';
    END IF;
    SELECT k2.label INTO k FROM spm_payout.pay_period k2 WHERE k2.period_id = c.period_id AND k2.status = 'closed';
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format('pay period %s is closed', k);
    END IF;
    DELETE FROM spm_payout.cascade_goal g WHERE g.cascade_id = c.cascade_id;
    INSERT INTO spm_payout.cascade_goal (cascade_id, node, parent, depth, leaf, base_weight, days_on_plan, presence,
                                         ramp_factor, effective_weight, goal, children_total, coverage)
    SELECT c.cascade_id, r.* FROM spm_payout.cascade_rows(c.cascade_id) r;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
COMMENT ON FUNCTION spm_payout.compute_cascade(integer) IS
    'computes a draft cascade and stores one row per node in spm_payout.cascade_goal (replacing what was there); returns the number of nodes';

-- Creates a draft (the next version of the period and root) and computes
-- it at once when its weights need no input (headcount).
CREATE FUNCTION spm_payout.create_cascade(period text, root text, goal numeric, over_assignment numeric DEFAULT 0,
                                          weight_basis text DEFAULT 'headcount', ramp numeric[] DEFAULT NULL,
                                          as_of date DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p   spm_payout.pay_period := spm_payout.find_period(period);
    cid integer;
BEGIN
    IF p.status = 'closed' THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format('pay period %s is closed', p.label),
            HINT = 'A cascade writes quotas: cascade an open period.';
    END IF;
    INSERT INTO spm_payout.goal_cascade (period_id, root, goal, over_assignment, weight_basis, ramp, as_of, version)
    VALUES (p.period_id, root, goal, over_assignment, weight_basis, ramp, as_of, NULL)
    RETURNING goal_cascade.cascade_id INTO cid;
    IF weight_basis = 'headcount' THEN
        PERFORM spm_payout.compute_cascade(cid);
    END IF;
    RETURN cid;
END $$;
COMMENT ON FUNCTION spm_payout.create_cascade(text, text, numeric, numeric, text, numeric[], date) IS
    'creates a draft cascade of a node''s goal for a pay period (the next version of the period and root) and, for headcount weights, computes it; returns its cascade_id';

-- History weights: what each rep of the subtree was credited in a
-- reference period, by the last run of that period (its commission lines);
-- a rep without credit, or with net negative credit, weighs 0.
CREATE FUNCTION spm_payout.history_weights(cascade_id integer, reference_period text) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c   spm_payout.goal_cascade;
    ref spm_payout.pay_period := spm_payout.find_period(reference_period);
    n   integer;
BEGIN
    SELECT * INTO c FROM spm_payout.goal_cascade g WHERE g.cascade_id = history_weights.cascade_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('no cascade has id %s', coalesce(history_weights.cascade_id::text, 'NULL'));
    END IF;
    IF c.weight_basis <> 'history' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('cascade %s weighs by %s, not history', c.cascade_id, c.weight_basis);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM spm_payout.run r WHERE r.period_id = ref.period_id AND r.status = 'succeeded') THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format('pay period %s has never been run', ref.label),
            HINT = 'History weights are the credit of the reference period''s last run.';
    END IF;
    PERFORM spm_payout_internal.cascade_tree(c.root, coalesce(c.as_of, (SELECT lower(k.period) FROM spm_payout.pay_period k
                                                                         WHERE k.period_id = c.period_id)));
    DELETE FROM spm_payout.cascade_weight w WHERE w.cascade_id = c.cascade_id;
    INSERT INTO spm_payout.cascade_weight (cascade_id, node, weight)
    SELECT c.cascade_id, t.node,
           greatest(0, coalesce((SELECT sum(l.credited) FROM spm_payout.payout_line l
                                  WHERE l.period_id = ref.period_id AND l.line_kind = 'commission' AND l.rep = t.node), 0))
      FROM pg_temp.spm_cascade_tree t WHERE t.leaf;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
COMMENT ON FUNCTION spm_payout.history_weights(integer, text) IS
    'fills the weights of a history cascade''s reps with their credit in a reference period (its last run; none or negative: 0); returns the number of reps';

-- Approval: the stored goals must be what the inputs give now; the previous
-- approved version of the (period, root) is superseded; the leaves' goals
-- become their quotas (basis days_on_plan), replacing rows a cascade wrote;
-- a quota entered by hand is replaced only when replace_manual is true.
CREATE FUNCTION spm_payout.approve_cascade(cascade_id integer, replace_manual boolean DEFAULT false) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c    spm_payout.goal_cascade;
    p    spm_payout.pay_period;
    bad  record;
    n    integer;
BEGIN
    IF replace_manual IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'replace_manual must not be NULL';
    END IF;
    SELECT * INTO c FROM spm_payout.goal_cascade g WHERE g.cascade_id = approve_cascade.cascade_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('no cascade has id %s', coalesce(approve_cascade.cascade_id::text, 'NULL'));
    END IF;
    IF c.status <> 'draft' THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format('cascade %s is already %s', c.cascade_id, c.status),
            HINT = 'Only a draft is approved; create a new version with spm_payout.create_cascade.';
    END IF;
    SELECT * INTO p FROM spm_payout.pay_period k WHERE k.period_id = c.period_id FOR SHARE;
    IF p.status = 'closed' THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format('pay period %s is closed', p.label),
            HINT = 'A cascade writes quotas: cascade an open period.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM spm_payout.cascade_goal g WHERE g.cascade_id = c.cascade_id) THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format('cascade %s has not been computed', c.cascade_id),
            HINT = 'Call spm_payout.compute_cascade, review spm_payout.cascade_goal, then approve.';
    END IF;
    PERFORM spm_payout_internal.drop_work_table('spm_cascade_now');
    CREATE TEMP TABLE spm_cascade_now ON COMMIT DROP AS SELECT * FROM spm_payout.cascade_rows(c.cascade_id);
    IF EXISTS ((SELECT r.node, r.parent, r.depth, r.leaf, r.base_weight, r.days_on_plan, r.presence, r.ramp_factor,
                       r.effective_weight, r.goal, r.children_total, r.coverage
                  FROM pg_temp.spm_cascade_now r
                EXCEPT ALL
                SELECT g.node, g.parent, g.depth, g.leaf, g.base_weight, g.days_on_plan, g.presence, g.ramp_factor,
                       g.effective_weight, g.goal, g.children_total, g.coverage
                  FROM spm_payout.cascade_goal g WHERE g.cascade_id = c.cascade_id)
               UNION ALL
               (SELECT g.node, g.parent, g.depth, g.leaf, g.base_weight, g.days_on_plan, g.presence, g.ramp_factor,
                       g.effective_weight, g.goal, g.children_total, g.coverage
                  FROM spm_payout.cascade_goal g WHERE g.cascade_id = c.cascade_id
                EXCEPT ALL
                SELECT r.node, r.parent, r.depth, r.leaf, r.base_weight, r.days_on_plan, r.presence, r.ramp_factor,
                       r.effective_weight, r.goal, r.children_total, r.coverage
                  FROM pg_temp.spm_cascade_now r)) THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('the inputs of cascade %s changed since it was computed', c.cascade_id),
            DETAIL = 'The hierarchy, the assignments or the weights now give other goals than those stored in spm_payout.cascade_goal.',
            HINT = 'Call spm_payout.compute_cascade again, review, then approve.';
    END IF;
    -- the leaves' quotas: a hand-entered quota is not overwritten silently
    SELECT q.rep, q.amount INTO bad
      FROM spm_payout.cascade_goal g JOIN spm_payout.quota q ON q.rep = g.node AND q.period_id = c.period_id
     WHERE g.cascade_id = c.cascade_id AND g.leaf AND q.cascade_id IS NULL
     ORDER BY q.rep COLLATE "C" LIMIT 1;
    IF FOUND AND NOT replace_manual THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('rep %s has a quota of %s for pay period %s entered by hand', bad.rep, bad.amount, p.label),
            HINT = 'Delete it, or approve with replace_manual => true (the audit log keeps the old row).';
    END IF;
    PERFORM set_config('spm_payout.approving', c.cascade_id::text, true);
    UPDATE spm_payout.goal_cascade g SET status = 'superseded'
     WHERE g.period_id = c.period_id AND g.root = c.root AND g.status = 'approved';
    -- rows written by a cascade for a rep that gets no quota now (not a leaf
    -- of this cascade any more, or a goal of 0: a quota is > 0)
    DELETE FROM spm_payout.quota q
     WHERE q.period_id = c.period_id AND q.cascade_id IS NOT NULL
       AND (q.cascade_id IN (SELECT g.cascade_id FROM spm_payout.goal_cascade g
                              WHERE g.period_id = c.period_id AND g.root = c.root AND g.status = 'superseded')
            OR q.rep IN (SELECT g.node FROM spm_payout.cascade_goal g WHERE g.cascade_id = c.cascade_id AND g.leaf))
       AND NOT EXISTS (SELECT 1 FROM spm_payout.cascade_goal g
                        WHERE g.cascade_id = c.cascade_id AND g.leaf AND g.node = q.rep AND g.goal > 0);
    DELETE FROM spm_payout.quota q
     WHERE q.period_id = c.period_id AND q.cascade_id IS NULL
       AND q.rep IN (SELECT g.node FROM spm_payout.cascade_goal g WHERE g.cascade_id = c.cascade_id AND g.leaf AND g.goal = 0);
    INSERT INTO spm_payout.quota AS q (rep, period_id, amount, basis, cascade_id)
    SELECT g.node, c.period_id, g.goal, 'days_on_plan', c.cascade_id
      FROM spm_payout.cascade_goal g WHERE g.cascade_id = c.cascade_id AND g.leaf AND g.goal > 0
    ON CONFLICT (rep, period_id) DO UPDATE SET amount = EXCLUDED.amount, basis = EXCLUDED.basis, cascade_id = EXCLUDED.cascade_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE spm_payout.goal_cascade g SET status = 'approved', approved_by = spm_payout.acting_role(), approved_at = now()
     WHERE g.cascade_id = c.cascade_id;
    PERFORM set_config('spm_payout.approving', '', true);
    RETURN n;
END $$;
COMMENT ON FUNCTION spm_payout.approve_cascade(integer, boolean) IS
    'approves a computed draft cascade (55000 if not a draft, not computed, changed since computed, or its period is closed): supersedes the previous approved version and writes the leaves'' goals as quotas (basis days_on_plan); returns the number of quotas written';

-- Bottom-up check of a cascade: per team node, its goal, what its children
-- were given, the ratio and the gap.
CREATE VIEW spm_payout.cascade_coverage WITH (security_invoker = true) AS
SELECT g.cascade_id, c.period_id, k.label AS period, c.root, c.version, c.status, g.node, g.parent, g.depth,
       g.goal, round(g.goal * (1 + c.over_assignment), 2) AS target_total, g.children_total,
       g.coverage, g.children_total - g.goal AS gap, g.children_total - round(g.goal * (1 + c.over_assignment), 2) AS shortfall
  FROM spm_payout.cascade_goal g
  JOIN spm_payout.goal_cascade c ON c.cascade_id = g.cascade_id
  JOIN spm_payout.pay_period k ON k.period_id = c.period_id
 WHERE NOT g.leaf;
COMMENT ON VIEW spm_payout.cascade_coverage IS
    'bottom-up check of cascades: per team node, its goal, the target its children share (goal x (1 + over_assignment), cents), their goals'' total, coverage = total / goal, gap = total - goal, shortfall = total - target (0 when the cascade is intact)';

-- Bottom-up check of quotas entered by hand (or by cascades): per team
-- node of a subtree, the quotas of the reps under it for a period, compared
-- at the top with a given goal.
CREATE FUNCTION spm_payout.quota_coverage(period text, root text, root_goal numeric DEFAULT NULL, as_of date DEFAULT NULL)
RETURNS TABLE (node text, parent text, depth integer, reps bigint, reps_without_quota bigint, quota_total numeric,
               goal numeric, coverage numeric, gap numeric)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p spm_payout.pay_period := spm_payout.find_period(period);
BEGIN
    IF root_goal IS NOT NULL AND (root_goal <= 0 OR root_goal IN ('NaN', 'Infinity')) THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('root_goal must be a positive finite amount, not %s', root_goal);
    END IF;
    PERFORM spm_payout_internal.cascade_tree(quota_coverage.root, coalesce(as_of, lower(p.period)));
    RETURN QUERY
    SELECT t.node, t.parent, t.depth, count(l.node), count(l.node) FILTER (WHERE q.amount IS NULL),
           coalesce(sum(q.amount), 0),
           CASE WHEN t.depth = 0 THEN root_goal END,
           CASE WHEN t.depth = 0 THEN round(coalesce(sum(q.amount), 0) / root_goal, 12) END,
           CASE WHEN t.depth = 0 THEN coalesce(sum(q.amount), 0) - root_goal END
      FROM pg_temp.spm_cascade_tree l
     CROSS JOIN LATERAL unnest(l.path) a(anc)
      JOIN pg_temp.spm_cascade_tree t ON t.node = a.anc AND NOT t.leaf
      LEFT JOIN spm_payout.quota q ON q.rep = l.node AND q.period_id = p.period_id
     WHERE l.leaf
     GROUP BY t.node, t.parent, t.depth
     ORDER BY t.depth, t.node COLLATE "C";
END $$;
COMMENT ON FUNCTION spm_payout.quota_coverage(text, text, numeric, date) IS
    'bottom-up check of quotas: per team node under root (as of a date), its reps, those without a quota for the period, their quotas'' total, and at the root its coverage of root_goal and the gap';

-- Rights (docs/goals.md, "Rights"): admins create, compute and approve;
-- analysts read; a rep reads its own rows of cascade_goal (the node it is
-- mapped to) of approved or superseded cascades, and only the status
-- columns of goal_cascade that the policy needs.
REVOKE EXECUTE ON FUNCTION spm_payout.cascade_rows(integer), spm_payout.compute_cascade(integer),
       spm_payout.create_cascade(text, text, numeric, numeric, text, numeric[], date),
       spm_payout.history_weights(integer, text), spm_payout.approve_cascade(integer, boolean),
       spm_payout.quota_coverage(text, text, numeric, date),
       spm_payout_internal.cascade_tree(text, date) FROM PUBLIC;

CREATE FUNCTION spm_payout_internal.grants_cascade() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    GRANT SELECT, INSERT, UPDATE, DELETE ON spm_payout.goal_cascade, spm_payout.cascade_weight,
          spm_payout.cascade_goal TO spm_admin;
    GRANT SELECT ON spm_payout.goal_cascade, spm_payout.cascade_weight, spm_payout.cascade_goal,
          spm_payout.cascade_coverage TO spm_analyst;
    GRANT SELECT ON spm_payout.cascade_coverage TO spm_admin;
    GRANT EXECUTE ON FUNCTION spm_payout.cascade_rows(integer), spm_payout.compute_cascade(integer),
          spm_payout.create_cascade(text, text, numeric, numeric, text, numeric[], date),
          spm_payout.history_weights(integer, text), spm_payout.approve_cascade(integer, boolean),
          spm_payout.quota_coverage(text, text, numeric, date), spm_payout_internal.cascade_tree(text, date) TO spm_admin;
    GRANT SELECT ON spm_payout.cascade_goal TO spm_rep;
    GRANT SELECT (cascade_id, period_id, root, version, status) ON spm_payout.goal_cascade TO spm_rep;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.grants_cascade() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.grants_cascade() IS
    'internal: grants the roles their rights on cascades (called by create_roles)';

CREATE FUNCTION spm_payout_internal.policies_cascade() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.cascade_goal'::regclass AND polname = 'cascade_goal_admin') THEN
        CREATE POLICY cascade_goal_admin ON spm_payout.cascade_goal TO spm_admin USING (true) WITH CHECK (true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.cascade_goal'::regclass AND polname = 'cascade_goal_all') THEN
        CREATE POLICY cascade_goal_all ON spm_payout.cascade_goal FOR SELECT TO spm_analyst USING (true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.cascade_goal'::regclass AND polname = 'cascade_goal_own') THEN
        CREATE POLICY cascade_goal_own ON spm_payout.cascade_goal FOR SELECT TO spm_rep
            USING (node = ANY ((SELECT spm_payout.my_reps())::text[])
                   AND cascade_id IN (SELECT c.cascade_id FROM spm_payout.goal_cascade c WHERE c.status <> 'draft'));
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.policies_cascade() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.policies_cascade() IS
    'internal: creates the missing row-level security policies of cascade_goal (called by ensure_policies)';
