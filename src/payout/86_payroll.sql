-- spm_payout, part 86: payroll export (docs/payroll.md).
--
-- A batch per pay date exports what is owed to each rep, per pay period and
-- use (line kind and plan, draw, recovery) under its payroll earning code,
-- minus what earlier batches exported for the same rep, period and use: a
-- rerun of an exported period, or a late change paid in it, shows up as an
-- 'adjustment' line of the next batch, and the lines of an exported batch
-- never change.  Written only by
-- export_payroll() (SECURITY DEFINER); one set-based statement per batch.

CREATE TABLE spm_payout.employee (
    rep         text PRIMARY KEY,
    employee_id text NOT NULL UNIQUE CHECK (employee_id <> '')
);
COMMENT ON TABLE spm_payout.employee IS
    'maps a rep id to the payroll system''s employee id (one each way); export_payroll refuses reps without one';

CREATE TABLE spm_payout.earning_code (
    earning_code_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pays            text NOT NULL CHECK (pays IN ('commission', 'prior_year', 'manual', 'draw', 'recovery')),
    plan_id         integer REFERENCES spm_payout.plan,
    code            text NOT NULL CHECK (code <> ''),
    description     text,
    CONSTRAINT earning_code_one_per_use UNIQUE NULLS NOT DISTINCT (pays, plan_id),
    CONSTRAINT earning_code_plan_for_lines CHECK (plan_id IS NULL OR pays IN ('commission', 'prior_year'))
);
COMMENT ON TABLE spm_payout.earning_code IS
    'payroll earning code of what is paid: payout lines of a line_kind (commission and prior_year optionally per plan; plan_id NULL: any plan), draw paid (draw), draw recovered (recovery)';

CREATE TABLE spm_payout.payroll_batch (
    batch_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pay_date     date NOT NULL UNIQUE CHECK (pay_date > '-infinity' AND pay_date < 'infinity'),
    include_open boolean NOT NULL,
    periods      integer[] NOT NULL,
    status       text NOT NULL DEFAULT 'building' CHECK (status IN ('building', 'exported')),
    created_by   text NOT NULL DEFAULT spm_payout.acting_role(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    exported_at  timestamptz,
    CONSTRAINT payroll_batch_exported_at CHECK ((status = 'exported') = (exported_at IS NOT NULL))
);
COMMENT ON TABLE spm_payout.payroll_batch IS
    'one payroll export per pay date: the periods it covered (ended by the pay date; closed ones, or open ones too when include_open), who made it and when; exported batches are locked';

CREATE TABLE spm_payout.payroll_line (
    payroll_line_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id        bigint NOT NULL REFERENCES spm_payout.payroll_batch,
    rep             text NOT NULL,
    employee_id     text NOT NULL,
    earning_code    text NOT NULL,
    period_id       integer NOT NULL REFERENCES spm_payout.pay_period,
    amount          numeric NOT NULL CHECK (amount <> 0 AND amount = round(amount, 2)),
    kind            text NOT NULL CHECK (kind IN ('regular', 'adjustment')),
    pays            text NOT NULL CHECK (pays IN ('commission', 'prior_year', 'manual', 'draw', 'recovery')),
    plan_id         integer,
    CONSTRAINT payroll_line_once UNIQUE NULLS NOT DISTINCT (batch_id, rep, period_id, pays, plan_id)
);
CREATE INDEX payroll_line_key ON spm_payout.payroll_line (rep, period_id);
COMMENT ON TABLE spm_payout.payroll_line IS
    'an amount exported to payroll: rep (and its employee id), earning code, pay period, cents, and what it pays (pays: line_kind, draw or recovery; plan_id for commission and prior_year); adjustment = a change to a period an earlier batch exported';

-- Exported batches are locked: their lines are neither added, changed nor
-- deleted, and the batch row stays as it is.  Lines are added by one
-- statement per batch: the check on inserts is per statement.
CREATE FUNCTION spm_payout_internal.keep_exported() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b spm_payout.payroll_batch;
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('spm_payout.%I cannot be truncated', TG_TABLE_NAME),
            DETAIL = 'Exported payroll batches are locked.';
    END IF;
    IF TG_TABLE_NAME = 'payroll_batch' THEN
        b := OLD;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT pb.* INTO b FROM spm_payout.payroll_batch pb
         WHERE pb.status = 'exported' AND pb.batch_id IN (SELECT a.batch_id FROM added a) LIMIT 1;
    ELSE
        SELECT pb.* INTO b FROM spm_payout.payroll_batch pb WHERE pb.batch_id = OLD.batch_id;
    END IF;
    IF b.status = 'exported' THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('payroll batch %s (pay date %s) is exported', b.batch_id, to_char(b.pay_date, 'YYYY-MM-DD')),
            DETAIL = 'An exported batch and its lines cannot be changed, added to or deleted.',
            HINT = 'Corrections are exported as adjustment lines of the next batch.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.keep_exported() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.keep_exported() IS
    'trigger: an exported payroll batch and its lines cannot be changed, added to, deleted or truncated (55000)';
CREATE TRIGGER payroll_batch_locked BEFORE UPDATE OR DELETE ON spm_payout.payroll_batch
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.keep_exported();
CREATE TRIGGER payroll_line_locked BEFORE UPDATE OR DELETE ON spm_payout.payroll_line
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.keep_exported();
CREATE TRIGGER payroll_line_added AFTER INSERT ON spm_payout.payroll_line
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION spm_payout_internal.keep_exported();
CREATE TRIGGER payroll_batch_no_truncate BEFORE TRUNCATE ON spm_payout.payroll_batch
    FOR EACH STATEMENT EXECUTE FUNCTION spm_payout_internal.keep_exported();
CREATE TRIGGER payroll_line_no_truncate BEFORE TRUNCATE ON spm_payout.payroll_line
    FOR EACH STATEMENT EXECUTE FUNCTION spm_payout_internal.keep_exported();

-- What is owed per rep, period and use (line_kind and plan, draw,
-- recovery) for a set of periods, from the results as they are now
-- (docs/payroll.md, "Rules and rounding").  The draw ledger pays
-- payout = max(earned - held + released, 0) + draw_paid - recovered, so
-- when a period's paid earnings (earned - held + released) are >= 0 its
-- lines are owed per line_kind and plan, and what plan acceptance held or
-- released (docs/acceptance.md) is owed under the plan's 'commission' use
-- (negative when held); when they are negative nothing of them is paid
-- (the ledger carries them as a balance, recovered later).  The draw paid
-- is owed as 'draw', the recovered amount, negative, as 'recovery'.  Not
-- rounded.  PL/pgSQL: payout_hold is created by a later part
-- (90_acceptance.sql).
CREATE FUNCTION spm_payout_internal.payroll_owed(periods integer[])
RETURNS TABLE (rep text, period_id integer, pays text, plan_id integer, amount numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
    WITH paid AS (
        SELECT s.rep, s.period_id FROM spm_payout.payout_summary s
         WHERE s.period_id = ANY (periods) AND s.earned - s.held + s.released >= 0
    )
    SELECT l.rep, l.period_id, l.line_kind, l.plan_id, sum(l.earned)
      FROM spm_payout.payout_line l
      JOIN paid p ON p.period_id = l.period_id AND p.rep = l.rep
     GROUP BY l.rep, l.period_id, l.line_kind, l.plan_id
    UNION ALL
    SELECT h.rep, h.period_id, 'commission', v.plan_id, sum(h.released - h.held)
      FROM spm_payout.payout_hold h
      JOIN paid p ON p.period_id = h.period_id AND p.rep = h.rep
      JOIN spm_payout.plan_version v ON v.version_id = h.version_id
     GROUP BY h.rep, h.period_id, v.plan_id
    HAVING sum(h.released - h.held) <> 0
    UNION ALL
    SELECT s.rep, s.period_id, 'draw', NULL::integer, s.draw_paid
      FROM spm_payout.payout_summary s WHERE s.period_id = ANY (periods) AND s.draw_paid <> 0
    UNION ALL
    SELECT s.rep, s.period_id, 'recovery', NULL::integer, -s.recovered
      FROM spm_payout.payout_summary s WHERE s.period_id = ANY (periods) AND s.recovered <> 0;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.payroll_owed(integer[]) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.payroll_owed(integer[]) IS
    'internal: what the current results owe per rep, period and use (line_kind and plan, draw, recovery), before rounding';

-- What a new batch exports for the covered periods: owed (rounded to the
-- cent per rep, period and use) minus what every batch so far exported for
-- the same rep, period and use, with the earning code of that use now
-- (the plan's own, else the one for every plan; NULL: none).
CREATE FUNCTION spm_payout_internal.payroll_due(periods integer[])
RETURNS TABLE (rep text, period_id integer, pays text, plan_id integer, code text, amount numeric, kind text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH owed AS (
        SELECT o.rep, o.period_id, o.pays, o.plan_id, round(sum(o.amount), 2) AS amount
          FROM spm_payout_internal.payroll_owed(periods) o
         GROUP BY o.rep, o.period_id, o.pays, o.plan_id
    ), done AS (
        SELECT pl.rep, pl.period_id, pl.pays, pl.plan_id, sum(pl.amount) AS amount
          FROM spm_payout.payroll_line pl
         GROUP BY pl.rep, pl.period_id, pl.pays, pl.plan_id
    ), diff AS (
        SELECT coalesce(o.rep, d.rep) AS rep, coalesce(o.period_id, d.period_id) AS period_id,
               coalesce(o.pays, d.pays) AS pays, coalesce(o.plan_id, d.plan_id) AS plan_id,
               coalesce(o.amount, 0) - coalesce(d.amount, 0) AS amount
          FROM owed o
          FULL JOIN done d ON d.rep = o.rep AND d.period_id = o.period_id AND d.pays = o.pays
                          AND coalesce(d.plan_id, -1) = coalesce(o.plan_id, -1)
    )
    SELECT f.rep, f.period_id, f.pays, f.plan_id,
           (SELECT c.code FROM spm_payout.earning_code c
             WHERE c.pays = f.pays AND (c.plan_id = f.plan_id OR c.plan_id IS NULL)
             ORDER BY c.plan_id NULLS LAST LIMIT 1),
           f.amount,
           CASE WHEN EXISTS (SELECT 1 FROM spm_payout.payroll_line pl WHERE pl.rep = f.rep AND pl.period_id = f.period_id)
                THEN 'adjustment' ELSE 'regular' END
      FROM diff f
     WHERE f.amount <> 0
$$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.payroll_due(integer[]) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.payroll_due(integer[]) IS
    'internal: the lines a new payroll batch exports: owed now (cents) minus what earlier batches exported, per rep, period and use, with the use''s earning code';

CREATE FUNCTION spm_payout.export_payroll(pay_date date, include_open boolean DEFAULT false)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b       bigint;
    latest  date;
    covered integer[];
    missing text;
    bad     text;
BEGIN
    IF pay_date IS NULL OR include_open IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004',
            MESSAGE = 'spm_payout.export_payroll: pay_date and include_open must not be NULL';
    END IF;
    IF pay_date IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('pay date %s is not a finite date', pay_date);
    END IF;
    -- one export at a time: each batch subtracts what the earlier ones exported
    PERFORM pg_advisory_xact_lock(hashtext('spm_payout.payroll'), 0);
    SELECT pb.batch_id INTO b FROM spm_payout.payroll_batch pb WHERE pb.pay_date = export_payroll.pay_date;
    IF FOUND THEN
        RETURN b;   -- idempotent: the batch of this pay date, unchanged
    END IF;
    SELECT max(pb.pay_date) INTO latest FROM spm_payout.payroll_batch pb;
    IF latest > pay_date THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('pay date %s precedes the latest payroll batch (%s)',
                             to_char(pay_date, 'YYYY-MM-DD'), to_char(latest, 'YYYY-MM-DD')),
            HINT = 'Export pay dates in order; what changed is exported by the next batch.';
    END IF;
    -- the periods ended by the pay date (closed ones, or every run one with
    -- include_open), and every period an earlier batch covered
    covered := ARRAY(
        SELECT k.period_id FROM spm_payout.pay_period k
         WHERE (upper(k.period) - 1 <= export_payroll.pay_date AND (k.status = 'closed' OR export_payroll.include_open)
                AND EXISTS (SELECT 1 FROM spm_payout.payout_summary s WHERE s.period_id = k.period_id))
            OR k.period_id IN (SELECT unnest(pb.periods) FROM spm_payout.payroll_batch pb)
         ORDER BY lower(k.period));
    -- what is due, computed once: both checks and the lines read the same rows
    PERFORM spm_payout_internal.drop_work_table('spm_payroll_due');
    CREATE TEMP TABLE spm_payroll_due ON COMMIT DROP AS SELECT * FROM spm_payout_internal.payroll_due(covered);
    SELECT CASE WHEN o.plan_id IS NULL THEN format('%s amounts', o.pays)
                ELSE format('%s lines of plan %L', o.pays, (SELECT p.name FROM spm_payout.plan p WHERE p.plan_id = o.plan_id)) END
      INTO missing
      FROM pg_temp.spm_payroll_due o WHERE o.code IS NULL
     ORDER BY o.pays, o.plan_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('no earning code for %s', missing),
            HINT = 'Add a row to spm_payout.earning_code (pays, plan_id NULL for every plan, code).';
    END IF;
    SELECT string_agg(DISTINCT d.rep, ', ' ORDER BY d.rep) INTO bad
      FROM pg_temp.spm_payroll_due d
     WHERE NOT EXISTS (SELECT 1 FROM spm_payout.employee e WHERE e.rep = d.rep);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('no employee id for rep %s', split_part(bad, ', ', 1)),
            DETAIL = format('Reps owed money without an employee id: %s.', bad),
            HINT = 'Add them to spm_payout.employee (rep, employee_id).';
    END IF;

    INSERT INTO spm_payout.payroll_batch (pay_date, include_open, periods, created_by)
    VALUES (export_payroll.pay_date, export_payroll.include_open, covered, spm_payout.acting_role())
    RETURNING batch_id INTO b;
    INSERT INTO spm_payout.payroll_line (batch_id, rep, employee_id, earning_code, period_id, amount, kind, pays, plan_id)
    SELECT b, d.rep, e.employee_id, d.code, d.period_id, d.amount, d.kind, d.pays, d.plan_id
      FROM pg_temp.spm_payroll_due d
      JOIN spm_payout.employee e ON e.rep = d.rep;
    UPDATE spm_payout.payroll_batch pb SET status = 'exported', exported_at = now() WHERE pb.batch_id = b;
    RETURN b;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout.export_payroll(date, boolean) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout.export_payroll(date, boolean) IS
    'creates the payroll batch of a pay date (or returns the existing one): what is owed per rep, period and earning code for the closed periods ended by the pay date (open ones too with include_open), minus what earlier batches exported; the batch is locked';

-- The file payroll imports: plain typed columns, one row per line
-- (COPY (SELECT ... WHERE batch_id = N) TO STDOUT WITH (FORMAT csv, HEADER)).
CREATE VIEW spm_payout.payroll_file WITH (security_invoker = true) AS
SELECT l.batch_id                 AS batch_id,
       b.pay_date                 AS pay_date,
       l.employee_id              AS employee_id,
       l.earning_code             AS earning_code,
       l.amount::numeric(15, 2)   AS amount,
       p.label                    AS period,
       lower(p.period)            AS period_start,
       upper(p.period) - 1        AS period_end,
       l.kind                     AS kind,
       l.pays                     AS pays,
       l.rep                      AS rep,
       l.payroll_line_id          AS payroll_line_id
  FROM spm_payout.payroll_line l
  JOIN spm_payout.payroll_batch b ON b.batch_id = l.batch_id
  JOIN spm_payout.pay_period p ON p.period_id = l.period_id;
COMMENT ON VIEW spm_payout.payroll_file IS
    'payroll lines as a flat file (employee id, earning code, pay date, amount in cents, period, regular or adjustment): the source of the CSV export';

ALTER TABLE spm_payout.payroll_line ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION spm_payout_internal.grants_payroll() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    GRANT SELECT, INSERT, UPDATE, DELETE ON spm_payout.employee, spm_payout.earning_code TO spm_admin;
    GRANT SELECT ON spm_payout.employee, spm_payout.earning_code, spm_payout.payroll_batch,
          spm_payout.payroll_line, spm_payout.payroll_file TO spm_admin, spm_analyst;
    GRANT SELECT ON spm_payout.payroll_batch, spm_payout.payroll_line, spm_payout.payroll_file TO spm_rep;
    GRANT EXECUTE ON FUNCTION spm_payout.export_payroll(date, boolean) TO spm_admin;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.grants_payroll() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.grants_payroll() IS
    'internal (called by create_roles): admins edit employee ids and earning codes and export; analysts read; reps read their own payroll lines';

CREATE FUNCTION spm_payout_internal.policies_payroll() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.payroll_line'::regclass AND polname = 'payroll_line_all') THEN
        CREATE POLICY payroll_line_all ON spm_payout.payroll_line FOR SELECT TO spm_admin, spm_analyst USING (true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.payroll_line'::regclass AND polname = 'payroll_line_own') THEN
        CREATE POLICY payroll_line_own ON spm_payout.payroll_line FOR SELECT TO spm_rep
            USING (rep = ANY ((SELECT spm_payout.my_reps())::text[]));
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.policies_payroll() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.policies_payroll() IS
    'internal (called by ensure_policies): admins and analysts read every payroll line, a rep its own';

CREATE TRIGGER employee_audit AFTER INSERT OR UPDATE OR DELETE ON spm_payout.employee
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit();
CREATE TRIGGER earning_code_audit AFTER INSERT OR UPDATE OR DELETE ON spm_payout.earning_code
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit();
CREATE TRIGGER payroll_batch_audit AFTER INSERT OR UPDATE OR DELETE ON spm_payout.payroll_batch
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit();

DO $$
DECLARE
    t text;
    s text;
BEGIN
    FOREACH t IN ARRAY ARRAY['employee', 'earning_code', 'payroll_batch', 'payroll_line'] LOOP
        PERFORM pg_catalog.pg_extension_config_dump(format('spm_payout.%I', t)::regclass, '');
        FOR s IN SELECT pg_get_serial_sequence(format('spm_payout.%I', t), a.attname)
                   FROM pg_attribute a
                  WHERE a.attrelid = format('spm_payout.%I', t)::regclass AND a.attidentity <> '' LOOP
            PERFORM pg_catalog.pg_extension_config_dump(s::regclass, '');
        END LOOP;
    END LOOP;
END $$;
