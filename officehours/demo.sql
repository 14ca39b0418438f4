-- Queries of officehours/demo.py, run as the owner.

-- name: has_no_users
-- True when the database has no users yet (so the demo may be seeded).
SELECT NOT EXISTS (SELECT 1 FROM users);
