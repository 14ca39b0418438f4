-- Queries of officehours/embedded.py, run on the embedded server's maintenance database
-- (postgres) with autocommit, since CREATE DATABASE cannot run inside a transaction.

-- name: database_exists
-- A row when a database of this name exists, none otherwise.
SELECT 1 FROM pg_database WHERE datname = %s;

-- name: create_database
-- Creates a database. A psycopg2.sql template: the braces are filled with the database name as
-- a quoted identifier, since CREATE DATABASE takes no parameters.
CREATE DATABASE {};
