-- Queries of booking_web/admin_lists.py: the admin's lists of users and of clients with their
-- coach, a page at a time. Each page is found by keyset, (lower(display_name), slug) after or
-- before the last row seen, through the indexes of migration 0055 (users_by_name,
-- users_by_role_name; users_search for the search), never by OFFSET: a page costs the same on
-- page 1 and page 20,000, with a thousand users or a million. Run as the signed-in admin, so
-- row-level security applies; %(role)s, %(pattern)s and %(name)s are NULL when not asked for.

-- name: cursor_key
-- The sort key of the row a page starts after or ends before: lower(display_name), slug.
SELECT lower(display_name), slug FROM users WHERE slug = %(slug)s;

-- name: users_after
-- Users of one role (or all), matching the search pattern (or all), after the key, by name.
SELECT slug, email, display_name, time_zone, role::text, active
FROM users
WHERE (%(role)s::text IS NULL OR role = %(role)s::user_role)
  AND (%(pattern)s::text IS NULL
       OR lower(display_name) || ' ' || lower(email) LIKE %(pattern)s::text)
  AND (%(name)s::text IS NULL OR (lower(display_name), slug) > (%(name)s::text, %(slug)s::text))
ORDER BY lower(display_name), slug
LIMIT %(limit)s;

-- name: users_before
-- The same list read backwards: the users just before the key, nearest first.
SELECT slug, email, display_name, time_zone, role::text, active
FROM users
WHERE (%(role)s::text IS NULL OR role = %(role)s::user_role)
  AND (%(pattern)s::text IS NULL
       OR lower(display_name) || ' ' || lower(email) LIKE %(pattern)s::text)
  AND (lower(display_name), slug) < (%(name)s::text, %(slug)s::text)
ORDER BY lower(display_name) DESC, slug DESC
LIMIT %(limit)s;

-- name: clients_after
-- Active clients matching the search pattern (or all) after the key, by name, each with their
-- current coach (slug and name, NULL when they have none).
SELECT u.slug, u.display_name, u.email, u.time_zone, co.slug, co.display_name
FROM users u
LEFT JOIN coaching c ON c.client_id = u.id AND upper_inf(c.during)
LEFT JOIN users co ON co.id = c.coach_id
WHERE u.role = 'client' AND u.active
  AND (%(pattern)s::text IS NULL
       OR lower(u.display_name) || ' ' || lower(u.email) LIKE %(pattern)s::text)
  AND (%(name)s::text IS NULL OR (lower(u.display_name), u.slug) > (%(name)s::text, %(slug)s::text))
ORDER BY lower(u.display_name), u.slug
LIMIT %(limit)s;

-- name: clients_before
-- The same list read backwards: the clients just before the key, nearest first.
SELECT u.slug, u.display_name, u.email, u.time_zone, co.slug, co.display_name
FROM users u
LEFT JOIN coaching c ON c.client_id = u.id AND upper_inf(c.during)
LEFT JOIN users co ON co.id = c.coach_id
WHERE u.role = 'client' AND u.active
  AND (%(pattern)s::text IS NULL
       OR lower(u.display_name) || ' ' || lower(u.email) LIKE %(pattern)s::text)
  AND (lower(u.display_name), u.slug) < (%(name)s::text, %(slug)s::text)
ORDER BY lower(u.display_name) DESC, u.slug DESC
LIMIT %(limit)s;

-- name: coach_named
-- The coach with this slug or email (case-insensitive), through the unique indexes on both.
SELECT slug, email, display_name, time_zone, role::text, active
FROM users
WHERE role = 'coach' AND (slug = %(who)s OR lower(email) = lower(%(who)s));
