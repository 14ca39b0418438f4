-- The queries of caldav_plugin/session.py: the owner's lock, and the savepoint of each write
-- (its name, an identifier, fills the braces).

-- name: lock_owner
-- Takes the advisory lock of one user's calendars (slug) until the transaction ends: every
-- CalDAV write of that user takes it before anything else, across processes and hosts.
SELECT pg_advisory_xact_lock(hashtextextended('officehours.caldav.' || %s, 0));

-- name: savepoint
-- Sets the savepoint of one write (MKCOL, PUT, MOVE, DELETE, PROPPATCH).
SAVEPOINT {}

-- name: rollback_to_savepoint
-- Undoes a refused write; the request goes on.
ROLLBACK TO SAVEPOINT {}

-- name: release_savepoint
-- Keeps what the write did.
RELEASE SAVEPOINT {}
