-- officehours 0055: the zones a user may have, as a table, so that the rule on users.time_zone
-- is an index lookup. The CHECK it replaces called is_time_zone(), which reads the whole zone
-- database (pg_timezone_names, 10 to 25 ms) for every user written.

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
