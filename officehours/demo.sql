-- Queries of officehours/demo.py, run as the owner.

-- name: has_no_users
-- True when the database has no users yet (so the demo may be seeded).
SELECT NOT EXISTS (SELECT 1 FROM users);

-- name: demo_people_present
-- Which of the demo's email addresses (a list) belong to users of this database.
SELECT lower(email) FROM users WHERE lower(email) = ANY(%s);
