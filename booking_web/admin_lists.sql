-- Queries of booking_web/admin_lists.py: the admin's lists of users and of clients with their
-- coach, a page at a time. Each page is found by keyset, (lower(display_name), slug) after or
-- before the last row seen, never by OFFSET: a page costs the same on page 1 and page 20,000,
-- with a thousand users or a million. The lists are admin_users and admin_clients
-- (sql/definitions/57_admin_lists.sql), which check that the actor is an admin; %(role)s,
-- %(pattern)s and %(name)s are NULL when not asked for.

-- name: cursor_key
-- The sort key of the row a page starts after or ends before: lower(display_name), slug.
SELECT lower(display_name), slug FROM users WHERE slug = %(slug)s;

-- name: users_page
-- A page of users of one role (or all) matching the pattern (or all), after the key by name
-- (before it, nearest first, when backward).
SELECT slug, email, display_name, time_zone, role::text, active
FROM admin_users(%(role)s::user_role, %(pattern)s, %(name)s, %(slug)s, %(backward)s, %(limit)s);

-- name: clients_page
-- A page of active clients with their current coach, as users_page.
SELECT slug, display_name, email, time_zone, coach_slug, coach_name
FROM admin_clients(%(pattern)s, %(name)s, %(slug)s, %(backward)s, %(limit)s);

-- name: coach_named
-- The coach with this slug or email (case-insensitive), as far as the actor may see them; no
-- row when that user is not a coach (find_user raises unknown_user when there is no such user).
SELECT slug, email, display_name, time_zone, role::text, active
FROM find_user(%(who)s) WHERE role = 'coach';
