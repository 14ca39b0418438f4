-- The queries of bench/scale_ops.py: finding the users the benchmark acts as, and the few
-- owner statements it needs around the application's own functions. Everything it measures
-- runs through the application's functions and queries, not through these.

-- name: median_coach
-- The coach with the median id: the subject of the coach's and the clients' measurements.
SELECT slug, email
FROM users
WHERE role = 'coach'
ORDER BY id
OFFSET (SELECT count(*) / 2 FROM users WHERE role = 'coach')
LIMIT 1;

-- name: first_client_of
-- The coach's (slug) current client with the lowest id: the subject client.
SELECT u.slug, u.email
FROM coaching c
JOIN users u ON u.id = c.client_id
WHERE c.coach_id = (SELECT id FROM users WHERE slug = %s) AND upper_inf(c.during)
ORDER BY u.id
LIMIT 1;

-- name: target_clients
-- Clients the writing measurements may deactivate or reassign: active ones with a coach other
-- than the subject coach (slug), so the subject's calendar stays as it was, by id, as many as
-- asked for.
SELECT u.slug
FROM coaching c
JOIN users u ON u.id = c.client_id
WHERE c.coach_id <> (SELECT id FROM users WHERE slug = %(coach)s) AND upper_inf(c.during)
  AND u.active
ORDER BY u.id
LIMIT %(count)s;

-- name: mark_appointments_stale
-- Marks a user's (slug) appointments calendar stale through the application's own
-- caldav_mark_stale, as a booking of theirs would: the next read rebuilds it.
SELECT caldav_mark_stale(ARRAY(SELECT id FROM users WHERE slug = %s), 'appointments');

-- name: touch_time_zone
-- An operator's change of a user's zone (slug) to the same zone: it fires caldav_user_changed,
-- which marks the calendars of the user and of everyone they coach or are coached by stale.
UPDATE users SET time_zone = time_zone WHERE slug = %s;
