-- officehours 0055: what a service of 10,000 coaches and a million clients needs to stay as fast
-- as one of ten (issue 12; bench/scale.py measures it).
--
-- 1. The zones a user may have, as a table, so that the rule on users.time_zone is an index
-- lookup. The CHECK it replaces called is_time_zone(), which reads the whole zone database
-- (pg_timezone_names, 10 to 25 ms) for every user written.

CREATE TABLE time_zones (
    name text PRIMARY KEY
);
COMMENT ON TABLE time_zones IS 'The IANA time zones PostgreSQL knows (pg_timezone_names without the posix/ and right/ copies and localtime): the zones a user may have. officehours migrate adds those a newer zone database knows and removes those it no longer knows that no user has.';

-- The zones users have are kept even if this server's zone database no longer knows one (it
-- was accepted when stored): the upgrade must not fail on a row the old rule let in.
INSERT INTO time_zones (name)
SELECT name FROM pg_catalog.pg_timezone_names WHERE name !~* '^(posix/|right/|localtime$)'
UNION
SELECT time_zone FROM users;

ALTER TABLE users DROP CONSTRAINT user_time_zone_valid;
ALTER TABLE users ADD CONSTRAINT user_time_zone_valid
    FOREIGN KEY (time_zone) REFERENCES time_zones (name);

-- 2. The admin's lists, a page at a time by keyset on (lower(display_name), slug), of every role
-- or of one (booking_web/admin_lists.sql), and their search by any part of a name or email:
-- trigram GIN (pg_trgm, a trusted extension shipped with PostgreSQL like btree_gist), which
-- serves LIKE '%text%'.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_by_name ON users (lower(display_name), slug);
CREATE INDEX users_by_role_name ON users (role, lower(display_name), slug);
CREATE INDEX users_search ON users
    USING gin ((lower(display_name) || ' ' || lower(email)) gin_trgm_ops);

-- 3. Coaching by either side, history included: the row-level-security policies that let a
-- coach see their clients and a client their coaches, deactivation and CalDAV's triggers look
-- a user's relationships up by coach_id or client_id; the partial coaching_coach covers only
-- open ones, and the exclusion constraint's GiST index is no match for an equality lookup.
CREATE INDEX coaching_by_coach ON coaching (coach_id, client_id);
CREATE INDEX coaching_by_client ON coaching (client_id, coach_id);
