-- Install the oldest released version and upgrade through every version to
-- the default, so the whole suite runs against an upgraded install.
SELECT min(version COLLATE "C") AS oldest
  FROM pg_available_extension_versions WHERE name = 'spm' \gset
CREATE EXTENSION spm VERSION :'oldest';
ALTER EXTENSION spm UPDATE;
SELECT e.extversion = a.default_version AS at_default_version
  FROM pg_extension e JOIN pg_available_extensions a ON a.name = e.extname
 WHERE e.extname = 'spm';
-- every version after the oldest is reachable by an upgrade script
SELECT v.version AS unreachable
  FROM pg_available_extension_versions v
 WHERE v.name = 'spm' AND v.version <> :'oldest'
   AND NOT EXISTS (SELECT 1 FROM pg_extension_update_paths('spm') p
                    WHERE p.source = :'oldest' AND p.target = v.version AND p.path IS NOT NULL);
-- the extension is not relocatable and lives in schema spm
SELECT extrelocatable, extnamespace::regnamespace FROM pg_extension WHERE extname = 'spm';
-- every function, aggregate, type and operator of spm is documented
SELECT p.oid::regprocedure AS undocumented_function
  FROM pg_proc p WHERE p.pronamespace = 'spm'::regnamespace
   AND obj_description(p.oid, 'pg_proc') IS NULL;
SELECT t.oid::regtype AS undocumented_type
  FROM pg_type t WHERE t.typnamespace = 'spm'::regnamespace
   AND t.typtype IN ('b', 'c', 'e', 'd') AND t.typrelid = 0 AND t.typcategory <> 'A'
   AND obj_description(t.oid, 'pg_type') IS NULL;
SELECT o.oid::regoperator AS undocumented_operator
  FROM pg_operator o WHERE o.oprnamespace = 'spm'::regnamespace
   AND obj_description(o.oid, 'pg_operator') IS NULL;
