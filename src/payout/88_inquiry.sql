-- spm_payout, part 88: inquiries (docs/inquiries.md).
--
-- A rep asks about a statement line or a deal of its own; an analyst or
-- admin resolves the inquiry (optionally with a manual adjustment booked in
-- an open period) or rejects it.  Reps insert their own rows under
-- row-level security; a SECURITY DEFINER trigger checks that the line or
-- deal is the rep's, and resolving goes through SECURITY DEFINER functions
-- that check the acting role (docs/security.md).  Every change is audited.

CREATE TABLE spm_payout.inquiry (
    inquiry_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rep           text NOT NULL,
    period_id     integer NOT NULL REFERENCES spm_payout.pay_period,
    line_id       bigint,
    source_id     integer REFERENCES spm_payout.source,
    deal          text,
    question      text NOT NULL CONSTRAINT inquiry_question_not_blank CHECK (btrim(question) <> ''),
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'rejected')),
    raised_by     text NOT NULL DEFAULT spm_payout.acting_role(),
    raised_at     timestamptz NOT NULL DEFAULT now(),
    line          jsonb,
    resolution    text,
    resolved_by   text,
    resolved_at   timestamptz,
    adjustment_id integer REFERENCES spm_payout.adjustment,
    CONSTRAINT inquiry_about_something CHECK (line_id IS NOT NULL OR deal IS NOT NULL),
    CONSTRAINT inquiry_deal_source CHECK ((deal IS NULL) = (source_id IS NULL)),
    CONSTRAINT inquiry_settled CHECK ((status = 'open') = (resolved_at IS NULL)
                                      AND (status = 'open') = (resolution IS NULL)
                                      AND (status = 'open') = (resolved_by IS NULL)),
    CONSTRAINT inquiry_adjustment_resolves CHECK (adjustment_id IS NULL OR status = 'resolved')
);
CREATE INDEX inquiry_rep ON spm_payout.inquiry (rep);
CREATE INDEX inquiry_open ON spm_payout.inquiry (status, raised_at) WHERE status = 'open';
COMMENT ON TABLE spm_payout.inquiry IS
    'a rep''s question about a payout line or a deal credited to it in a pay period; open until an analyst or admin resolves it (optionally with an adjustment) or rejects it';

-- What a rep may ask about: a payout line of its own in that period (the
-- line as it was is kept in line: a rerun replaces lines), or a deal
-- credited to it in that period (source found when the deal is in one
-- source only).  A new inquiry is open.
CREATE FUNCTION spm_payout_internal.check_inquiry() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    l       spm_payout.payout_line;
    sources integer[];
    lbl     text;
BEGIN
    IF spm_payout_internal.restoring() THEN
        RETURN NEW;
    END IF;
    SELECT p.label INTO lbl FROM spm_payout.pay_period p WHERE p.period_id = NEW.period_id;
    IF NEW.line_id IS NOT NULL THEN
        SELECT * INTO l FROM spm_payout.payout_line pl WHERE pl.line_id = NEW.line_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('no payout line %s', NEW.line_id),
                HINT = 'Give a line_id of your statement (spm_payout.payout_statement.line_id); a rerun replaces a period''s lines.';
        END IF;
        IF l.rep IS DISTINCT FROM NEW.rep THEN
            RAISE EXCEPTION USING ERRCODE = '42501',
                MESSAGE = format('payout line %s is not a line of rep %s', NEW.line_id, NEW.rep);
        END IF;
        IF l.period_id <> NEW.period_id THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('payout line %s is not a line of pay period %s', NEW.line_id, lbl);
        END IF;
        NEW.line := jsonb_build_object('line_kind', l.line_kind, 'plan_id', l.plan_id, 'version_id', l.version_id,
                                       'earned', l.earned, 'run_id', l.run_id);
    ELSE
        NEW.line := NULL;
    END IF;
    IF NEW.deal IS NOT NULL OR NEW.source_id IS NOT NULL THEN
        sources := ARRAY(SELECT DISTINCT c.source_id FROM spm_payout.credit_line c
                          WHERE c.period_id = NEW.period_id AND c.rep = NEW.rep AND c.deal = NEW.deal
                            AND (NEW.source_id IS NULL OR c.source_id = NEW.source_id)
                          ORDER BY 1);
        IF cardinality(sources) = 0 THEN
            RAISE EXCEPTION USING ERRCODE = '42501',
                MESSAGE = format('deal %s is not credited to rep %s in pay period %s', coalesce(NEW.deal, 'NULL'), NEW.rep, lbl);
        ELSIF cardinality(sources) > 1 THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('deal %s is in %s sources', NEW.deal, cardinality(sources)),
                HINT = 'Name the source (spm_payout.source.name).';
        END IF;
        NEW.source_id := sources[1];
    END IF;
    NEW.status := 'open';
    NEW.resolution := NULL;
    NEW.resolved_by := NULL;
    NEW.resolved_at := NULL;
    NEW.adjustment_id := NULL;
    RETURN NEW;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.check_inquiry() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.check_inquiry() IS
    'trigger: an inquiry is about a payout line of its rep in its period (22023 unknown, 42501 another rep''s) or a deal credited to its rep in its period (42501 otherwise); it starts open';
CREATE TRIGGER inquiry_check BEFORE INSERT ON spm_payout.inquiry
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.check_inquiry();
CREATE TRIGGER inquiry_audit AFTER INSERT OR UPDATE OR DELETE ON spm_payout.inquiry
    FOR EACH ROW EXECUTE FUNCTION spm_payout_internal.audit();

-- Raised by a rep, with the rep's own rights: row-level security lets it
-- insert only rows of its own reps.
CREATE FUNCTION spm_payout.raise_inquiry(period text, question text, line_id bigint DEFAULT NULL,
                                         deal text DEFAULT NULL, source text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p    spm_payout.pay_period;
    mine text[] := spm_payout.my_reps();
    r    text;
    sid  integer;
    id   bigint;
BEGIN
    IF period IS NULL OR question IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004',
            MESSAGE = 'spm_payout.raise_inquiry: period and question must not be NULL';
    END IF;
    IF btrim(question) = '' THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'spm_payout.raise_inquiry: the question is empty';
    END IF;
    IF line_id IS NULL AND deal IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'spm_payout.raise_inquiry: give a line_id or a deal';
    END IF;
    IF source IS NOT NULL AND deal IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'spm_payout.raise_inquiry: a source is given without a deal';
    END IF;
    p := spm_payout.find_period(period);
    -- rep_login maps a role to one rep (its primary key is the login)
    IF cardinality(mine) <> 1 THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('role %s is not mapped to a rep', current_user),
            HINT = 'spm_payout.rep_login maps roles to reps.';
    END IF;
    r := mine[1];
    IF source IS NOT NULL THEN
        SELECT s.source_id INTO sid FROM spm_payout.source s WHERE s.name = raise_inquiry.source;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('no source is named %L', source);
        END IF;
    END IF;
    INSERT INTO spm_payout.inquiry (rep, period_id, line_id, source_id, deal, question)
    VALUES (r, p.period_id, raise_inquiry.line_id, sid, raise_inquiry.deal, raise_inquiry.question)
    RETURNING inquiry_id INTO id;
    RETURN id;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout.raise_inquiry(text, text, bigint, text, text) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout.raise_inquiry(text, text, bigint, text, text) IS
    'a rep asks about a payout line or a deal of its own in a pay period (the rep its role is mapped to in rep_login); returns the inquiry id';

-- Settles an open inquiry, as the extension owner (analysts cannot write
-- adjustments themselves): called by resolve_inquiry and reject_inquiry
-- (SECURITY DEFINER, EXECUTE granted to spm_admin and spm_analyst only), it
-- checks again that the acting role is a member of one of them.
CREATE FUNCTION spm_payout_internal.settle_inquiry(id bigint, new_status text, resolution text,
                                                   amount numeric, adjustment_period text)
RETURNS spm_payout.inquiry LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    who text := spm_payout.acting_role();
    q   spm_payout.inquiry;
    p   spm_payout.pay_period;
    adj integer;
BEGIN
    IF NOT (pg_has_role(who, 'spm_admin', 'MEMBER') OR pg_has_role(who, 'spm_analyst', 'MEMBER')) THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('role %s may not settle inquiries', who),
            HINT = 'Inquiries are resolved or rejected by members of spm_admin or spm_analyst.';
    END IF;
    IF id IS NULL OR resolution IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'inquiry_id and resolution must not be NULL';
    END IF;
    IF btrim(resolution) = '' THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'the resolution is empty';
    END IF;
    IF amount IS NOT NULL AND (amount = 0 OR amount IN ('NaN', 'Infinity', '-Infinity')) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('adjustment %s is not a finite, non-zero amount', amount),
            HINT = 'Pass NULL for a resolution without an adjustment.';
    END IF;
    IF amount IS NULL AND adjustment_period IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'an adjustment period is given without an adjustment';
    END IF;
    SELECT * INTO q FROM spm_payout.inquiry i WHERE i.inquiry_id = id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('no inquiry %s', id);
    END IF;
    IF q.status <> 'open' THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('inquiry %s is already %s', id, q.status),
            DETAIL = format('%s by %s at %s.', initcap(q.status), q.resolved_by, q.resolved_at);
    END IF;
    IF amount IS NOT NULL THEN
        IF adjustment_period IS NULL THEN
            SELECT * INTO p FROM spm_payout.pay_period k WHERE k.period_id = q.period_id;
        ELSE
            p := spm_payout.find_period(adjustment_period);
        END IF;
        IF p.status = 'closed' THEN
            RAISE EXCEPTION USING ERRCODE = '55000',
                MESSAGE = format('pay period %s is closed', p.label),
                HINT = 'Pass adjustment_period => an open pay period.';
        END IF;
        INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason, author)
        VALUES (q.rep, p.period_id, amount, format('inquiry %s: %s', id, resolution), who)
        RETURNING adjustment_id INTO adj;
    END IF;
    UPDATE spm_payout.inquiry i
       SET status = new_status, resolution = settle_inquiry.resolution, resolved_by = who,
           resolved_at = now(), adjustment_id = adj
     WHERE i.inquiry_id = id
    RETURNING * INTO q;
    RETURN q;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.settle_inquiry(bigint, text, text, numeric, text) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.settle_inquiry(bigint, text, text, numeric, text) IS
    'internal: resolves or rejects an open inquiry (55000 if settled), booking an adjustment in an open period when an amount is given; members of spm_admin or spm_analyst only (42501)';

CREATE FUNCTION spm_payout.resolve_inquiry(inquiry_id bigint, resolution text, adjustment numeric DEFAULT NULL,
                                           adjustment_period text DEFAULT NULL)
RETURNS spm_payout.inquiry LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM spm_payout_internal.settle_inquiry(inquiry_id, 'resolved', resolution, adjustment, adjustment_period)
$$;
REVOKE EXECUTE ON FUNCTION spm_payout.resolve_inquiry(bigint, text, numeric, text) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout.resolve_inquiry(bigint, text, numeric, text) IS
    'resolves an open inquiry; with an amount, books a manual adjustment for its rep in the inquiry''s period or adjustment_period (open: 55000 otherwise), paid by the next run';

CREATE FUNCTION spm_payout.reject_inquiry(inquiry_id bigint, resolution text)
RETURNS spm_payout.inquiry LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM spm_payout_internal.settle_inquiry(inquiry_id, 'rejected', resolution, NULL, NULL)
$$;
REVOKE EXECUTE ON FUNCTION spm_payout.reject_inquiry(bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION spm_payout.reject_inquiry(bigint, text) IS
    'rejects an open inquiry with an explanation (55000 if already settled)';

ALTER TABLE spm_payout.inquiry ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION spm_payout_internal.grants_inquiry() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    GRANT SELECT ON spm_payout.inquiry TO spm_admin, spm_analyst, spm_rep;
    GRANT INSERT (rep, period_id, line_id, source_id, deal, question) ON spm_payout.inquiry TO spm_rep;
    GRANT EXECUTE ON FUNCTION spm_payout.raise_inquiry(text, text, bigint, text, text) TO spm_rep;
    GRANT EXECUTE ON FUNCTION spm_payout.resolve_inquiry(bigint, text, numeric, text),
          spm_payout.reject_inquiry(bigint, text) TO spm_admin, spm_analyst;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.grants_inquiry() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.grants_inquiry() IS
    'internal (called by create_roles): reps raise and read their own inquiries; admins and analysts read all and settle them';

CREATE FUNCTION spm_payout_internal.policies_inquiry() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.inquiry'::regclass AND polname = 'inquiry_all') THEN
        CREATE POLICY inquiry_all ON spm_payout.inquiry FOR SELECT TO spm_admin, spm_analyst USING (true);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.inquiry'::regclass AND polname = 'inquiry_own') THEN
        CREATE POLICY inquiry_own ON spm_payout.inquiry FOR SELECT TO spm_rep
            USING (rep = ANY ((SELECT spm_payout.my_reps())::text[]));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'spm_payout.inquiry'::regclass AND polname = 'inquiry_raise') THEN
        CREATE POLICY inquiry_raise ON spm_payout.inquiry FOR INSERT TO spm_rep
            WITH CHECK (rep = ANY ((SELECT spm_payout.my_reps())::text[]));
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION spm_payout_internal.policies_inquiry() FROM PUBLIC;
COMMENT ON FUNCTION spm_payout_internal.policies_inquiry() IS
    'internal (called by ensure_policies): admins and analysts read every inquiry; a rep reads and raises only its own';

DO $$
DECLARE
    s text;
BEGIN
    PERFORM pg_catalog.pg_extension_config_dump('spm_payout.inquiry'::regclass, '');
    FOR s IN SELECT pg_get_serial_sequence('spm_payout.inquiry', a.attname)
               FROM pg_attribute a WHERE a.attrelid = 'spm_payout.inquiry'::regclass AND a.attidentity <> '' LOOP
        PERFORM pg_catalog.pg_extension_config_dump(s::regclass, '');
    END LOOP;
END $$;
