-- The SQL of officehours.schema: the scratch database the snapshot is made from.

-- name: create_database
-- A new empty database; the braces are its name, filled in as an identifier.
CREATE DATABASE {}

-- name: drop_database
-- Drops the scratch database, even with connections left.
DROP DATABASE IF EXISTS {} WITH (FORCE)
