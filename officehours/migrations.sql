-- The SQL of officehours.migrations: bookkeeping of what has been applied, and taking the
-- definitions (sql/definitions) away before they are laid again.

-- name: lock
-- One migrating process at a time, until its transaction ends: it keeps two starting servers apart.
SELECT pg_advisory_xact_lock(%(lock)s)

-- name: create_bookkeeping
-- The tables that say which migrations and which definitions a database has.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS schema_definitions (
    file text PRIMARY KEY, checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now());
COMMENT ON TABLE schema_migrations IS 'The numbered migrations (sql/migrations) applied to this database, with the checksum of the text that was applied.';
COMMENT ON TABLE schema_definitions IS 'The definitions files (sql/definitions) in force, with their checksums: when any differs from the code''s, they are all laid again.'

-- name: applied_migrations
-- The version and checksum of every migration applied.
SELECT version, checksum FROM schema_migrations

-- name: record_migration
-- Notes a migration as applied.
INSERT INTO schema_migrations (version, name, checksum) VALUES (%(version)s, %(name)s, %(checksum)s)

-- name: applied_definitions
-- The file name and checksum of every definitions file in force.
SELECT file, checksum FROM schema_definitions

-- name: forget_definitions
-- Before the definitions are laid again.
DELETE FROM schema_definitions

-- name: record_definitions
-- Notes one definitions file as in force.
INSERT INTO schema_definitions (file, checksum) VALUES (%(file)s, %(checksum)s)

-- name: drop_definitions
-- Takes away everything the definitions make: every row-level-security policy, trigger, view and
-- function of the public schema, except what belongs to an extension and the functions the data
-- itself uses (in a CHECK, a column default or generated column, or an index, and what those
-- call), which live in migrations. Policies, triggers and views go first, since they use the
-- functions; the functions go in one DROP, so those that use each other go together.
DO $drop$
DECLARE
    victim record;
    doomed text;
BEGIN
    FOR victim IN SELECT p.polname, c.oid::regclass AS tab FROM pg_policy p
                  JOIN pg_class c ON c.oid = p.polrelid
                  WHERE c.relnamespace = 'public'::regnamespace LOOP
        EXECUTE format('DROP POLICY %I ON %s', victim.polname, victim.tab);
    END LOOP;
    FOR victim IN SELECT t.tgname, c.oid::regclass AS tab FROM pg_trigger t
                  JOIN pg_class c ON c.oid = t.tgrelid
                  WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', victim.tgname, victim.tab);
    END LOOP;
    SELECT string_agg(c.oid::regclass::text, ', ') INTO doomed FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e');
    IF doomed IS NOT NULL THEN
        EXECUTE 'DROP VIEW ' || doomed;
    END IF;
    WITH RECURSIVE pinned(fn) AS (
        SELECT d.refobjid FROM pg_depend d
        WHERE d.refclassid = 'pg_proc'::regclass
          AND (d.classid IN ('pg_constraint'::regclass, 'pg_attrdef'::regclass)
               OR (d.classid = 'pg_class'::regclass
                   AND EXISTS (SELECT 1 FROM pg_class i WHERE i.oid = d.objid AND i.relkind IN ('i', 'I'))))
        UNION
        SELECT d.refobjid FROM pg_depend d JOIN pinned ON d.objid = pinned.fn
        WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_proc'::regclass
    )
    SELECT string_agg(p.oid::regprocedure::text, ', ') INTO doomed FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace
      AND p.oid NOT IN (SELECT fn FROM pinned)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e');
    IF doomed IS NOT NULL THEN
        EXECUTE 'DROP FUNCTION ' || doomed;
    END IF;
END
$drop$

-- name: refresh_time_zones
-- Keeps the zones a user may have (time_zones, migration 0055) those of this server's zone
-- database: adds the zones a newer one knows, and removes those it no longer knows that no user
-- has (zone by zone: a zone is almost never removed, so users is hardly ever read).
DO $zones$
DECLARE
    gone text;
BEGIN
    INSERT INTO time_zones (name)
    SELECT name FROM pg_catalog.pg_timezone_names WHERE name !~* '^(posix/|right/|localtime$)'
    ON CONFLICT (name) DO NOTHING;
    FOR gone IN SELECT name FROM time_zones
                EXCEPT SELECT name FROM pg_catalog.pg_timezone_names
                       WHERE name !~* '^(posix/|right/|localtime$)' LOOP
        DELETE FROM time_zones t WHERE t.name = gone
            AND NOT EXISTS (SELECT 1 FROM users u WHERE u.time_zone = gone);
    END LOOP;
END
$zones$

-- name: users_breaking_address_rules
-- Users whose stored email or display name breaks the rules of migration 0030 (which added them
-- NOT VALID, so such rows were kept): slug and column, for `officehours migrate` to report.
SELECT slug, 'email' AS breaks FROM users WHERE NOT is_email_address(email)
UNION ALL
SELECT slug, 'display_name' FROM users WHERE NOT is_display_name(display_name)
ORDER BY 1, 2

-- name: validate_address_rules
-- Validates each address CHECK of 0030 still NOT VALID once no row breaks it: from then on the
-- database itself vouches for every row. Does nothing when they are valid already.
DO $validate$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'user_email_format' AND NOT convalidated)
       AND NOT EXISTS (SELECT 1 FROM users WHERE NOT is_email_address(email)) THEN
        ALTER TABLE users VALIDATE CONSTRAINT user_email_format;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'user_display_name_sane' AND NOT convalidated)
       AND NOT EXISTS (SELECT 1 FROM users WHERE NOT is_display_name(display_name)) THEN
        ALTER TABLE users VALIDATE CONSTRAINT user_display_name_sane;
    END IF;
END
$validate$
