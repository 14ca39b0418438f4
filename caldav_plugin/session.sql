-- The queries of caldav_plugin/session.py. Below the owner's lock come the savepoints of the
-- writes, three queries each (set, roll back to, release). A savepoint name cannot be a
-- parameter, so each write's is written out; each write has a name of its own because they
-- nest (a MOVE deletes and uploads inside its own savepoint), and a ROLLBACK TO must go back
-- to the savepoint of the write that failed.

-- name: lock_owner
-- Takes the advisory lock of one user's calendars (slug) until the transaction ends: every
-- CalDAV write of that user takes it before anything else, across processes and hosts.
SELECT pg_advisory_xact_lock(hashtextextended('officehours.caldav.' || %s, 0));

-- name: savepoint_caldav_create
-- Sets the savepoint of creating a collection (MKCOL, MKCALENDAR, PUT of a whole calendar).
SAVEPOINT caldav_create;

-- name: rollback_to_savepoint_caldav_create
-- Undoes a refused creation of a collection; the request goes on.
ROLLBACK TO SAVEPOINT caldav_create;

-- name: release_savepoint_caldav_create
-- Keeps what the creation of a collection wrote.
RELEASE SAVEPOINT caldav_create;

-- name: savepoint_caldav_move
-- Sets the savepoint of a MOVE of an item.
SAVEPOINT caldav_move;

-- name: rollback_to_savepoint_caldav_move
-- Undoes a refused MOVE, its delete and its upload both.
ROLLBACK TO SAVEPOINT caldav_move;

-- name: release_savepoint_caldav_move
-- Keeps what a MOVE wrote.
RELEASE SAVEPOINT caldav_move;

-- name: savepoint_caldav_upload
-- Sets the savepoint of a PUT of an item.
SAVEPOINT caldav_upload;

-- name: rollback_to_savepoint_caldav_upload
-- Undoes a refused PUT of an item.
ROLLBACK TO SAVEPOINT caldav_upload;

-- name: release_savepoint_caldav_upload
-- Keeps what a PUT of an item wrote.
RELEASE SAVEPOINT caldav_upload;

-- name: savepoint_caldav_delete
-- Sets the savepoint of a DELETE of an item or a collection.
SAVEPOINT caldav_delete;

-- name: rollback_to_savepoint_caldav_delete
-- Undoes a refused DELETE.
ROLLBACK TO SAVEPOINT caldav_delete;

-- name: release_savepoint_caldav_delete
-- Keeps what a DELETE wrote.
RELEASE SAVEPOINT caldav_delete;

-- name: savepoint_caldav_set_meta
-- Sets the savepoint of a PROPPATCH of a collection.
SAVEPOINT caldav_set_meta;

-- name: rollback_to_savepoint_caldav_set_meta
-- Undoes a refused PROPPATCH.
ROLLBACK TO SAVEPOINT caldav_set_meta;

-- name: release_savepoint_caldav_set_meta
-- Keeps what a PROPPATCH wrote.
RELEASE SAVEPOINT caldav_set_meta;
