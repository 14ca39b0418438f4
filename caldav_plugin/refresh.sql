-- name: due_coaches
-- The slugs of the coaches with a recurring item of a blocking calendar whose busy time the
-- booking horizon has reached, by slug.
SELECT DISTINCT u.slug
FROM caldav_items i
JOIN caldav_collections c ON c.id = i.collection_id
JOIN users u ON u.id = i.owner_id
WHERE i.busy_until IS NOT NULL AND u.role = 'coach' AND c.blocking
  AND i.busy_until < clock() + rule_duration('booking_horizon', u.id)
ORDER BY 1;

-- name: lock_coach
-- Takes a coach's (slug) calendar lock, lock_coach, until the transaction ends: the lock every
-- booking and busy-time change takes. Taken after the owner's CalDAV lock, the order a CalDAV
-- write takes them in, so a refresh and a write never deadlock.
SELECT lock_coach(id)
FROM users
WHERE slug = %s;
