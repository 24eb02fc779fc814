-- tools/ext_catalog.sql — a canonical text description of every object an
-- extension owns, one line per fact, for comparing a fresh install with an
-- upgraded one (tools/test_upgrade.sh).  psql variable :ext names the
-- extension.  Object identities are printed by name, never by OID.
WITH m AS (
    SELECT d.classid, d.objid
      FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE d.deptype = 'e' AND e.extname = :'ext'
), rel AS (
    SELECT c.* FROM pg_class c JOIN m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
), fn AS (
    SELECT p.* FROM pg_proc p JOIN m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
), facts AS (
    -- every member, by description
    SELECT 'member ' || pg_describe_object(m.classid, m.objid, 0) AS fact FROM m
    UNION ALL
    -- comments on members and their columns
    SELECT 'comment ' || pg_describe_object(m.classid, m.objid, ds.objsubid) || ': ' || ds.description
      FROM m JOIN pg_description ds ON ds.classoid = m.classid AND ds.objoid = m.objid
    UNION ALL
    -- functions, procedures and aggregates: signature, body, properties
    SELECT 'function ' || f.oid::regprocedure::text || ' -> ' || pg_get_function_result(f.oid)
           || ' kind=' || f.prokind::text || ' vol=' || f.provolatile::text || ' par=' || f.proparallel::text
           || ' strict=' || f.proisstrict || ' secdef=' || f.prosecdef || ' lang=' || l.lanname
           || ' config=' || coalesce(f.proconfig::text, '') || ' acl=' || coalesce(f.proacl::text, '')
           || ' src=' || md5(f.prosrc)
      FROM fn f JOIN pg_language l ON l.oid = f.prolang
    UNION ALL
    SELECT 'aggregate ' || a.aggfnoid::regprocedure::text || ' ' || concat_ws(',', a.aggtransfn, a.aggfinalfn,
           a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn,
           a.aggtranstype::regtype, a.aggmtranstype::regtype, a.aggfinalextra, a.aggfinalmodify, a.agginitval)
      FROM pg_aggregate a JOIN fn f ON f.oid = a.aggfnoid
    UNION ALL
    -- relations: kind, options, row-level security, privileges
    SELECT 'relation ' || r.oid::regclass::text || ' kind=' || r.relkind::text || ' rls=' || r.relrowsecurity
           || ' opts=' || coalesce(r.reloptions::text, '') || ' acl=' || coalesce(r.relacl::text, '')
           || ' partkey=' || coalesce(pg_get_partkeydef(r.oid), '')
      FROM rel r
    UNION ALL
    -- columns in their order, with type, nullability, default, identity
    SELECT 'column ' || r.oid::regclass::text || ' #' || row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum)
           || ' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull
           || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
           || ' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '') || ' acl=' || coalesce(a.attacl::text, '')
      FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = r.oid AND ad.adnum = a.attnum
     WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
    UNION ALL
    SELECT 'constraint ' || r.oid::regclass::text || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
      FROM rel r JOIN pg_constraint co ON co.conrelid = r.oid
    UNION ALL
    SELECT 'index ' || r.oid::regclass::text || ' ' || pg_get_indexdef(i.indexrelid)
      FROM rel r JOIN pg_index i ON i.indrelid = r.oid
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid)
      FROM rel r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
    UNION ALL
    SELECT 'view ' || r.oid::regclass::text || ' ' || pg_get_viewdef(r.oid)
      FROM rel r WHERE r.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'policy ' || r.oid::regclass::text || ' ' || p.polname || ' ' || p.polcmd::text || ' ' || p.polpermissive
           || ' roles=' || (SELECT string_agg(CASE WHEN x = 0 THEN 'public' ELSE x::regrole::text END, ',' ORDER BY 1)
                              FROM unnest(p.polroles) x)
           || ' using=' || coalesce(pg_get_expr(p.polqual, p.polrelid), '')
           || ' check=' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
      FROM rel r JOIN pg_policy p ON p.polrelid = r.oid
    UNION ALL
    SELECT 'schema ' || n.nspname || ' acl=' || coalesce(n.nspacl::text, '')
      FROM pg_namespace n JOIN m ON m.classid = 'pg_namespace'::regclass AND m.objid = n.oid
    UNION ALL
    SELECT 'dumped ' || x::regclass::text || ' ' || coalesce(c.cond, '')
      FROM pg_extension e, unnest(e.extconfig) WITH ORDINALITY x(x, i)
      LEFT JOIN LATERAL (SELECT e.extcondition[x.i] AS cond) c ON true
     WHERE e.extname = :'ext'
)
SELECT fact FROM facts ORDER BY fact COLLATE "C";
