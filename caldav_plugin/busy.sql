-- name: lock_coach_and_window
-- Takes the coach's advisory lock (lock_coach, the lock every booking takes too) and returns
-- the coach's time zone, the rules' clock and the end of their booking horizon; no row when
-- the slug is not a coach's.
SELECT lock_coach(u.id), u.time_zone, clock(),
       clock() + rule_duration('booking_horizon', u.id)
FROM users u
WHERE u.slug = %s AND u.role = 'coach';

-- name: delete_caldav_busy_intervals
-- Deletes the busy intervals that came from CalDAV items, named by an array of source refs
-- (their paths), before they are written again.
DELETE FROM busy_intervals
WHERE source = 'caldav' AND source_ref = ANY(%s);

-- name: set_busy_until
-- Records how far the busy time of some of an owner's items is expanded. Parameters: the
-- source refs of the recurring items, the end of their expansion, the source refs of all the
-- items written, the owner's slug. Recurring items get that end and the others NULL, so only
-- recurring ones are found again when the booking horizon reaches it.
UPDATE caldav_items i
SET busy_until = CASE WHEN r = ANY(%s) THEN %s::timestamptz END
FROM caldav_collections c, users u, unnest(%s::text[]) AS r
WHERE c.id = i.collection_id AND u.id = c.owner_id AND u.slug = %s
  AND r = '/' || u.slug || '/' || c.name || '/' || i.href;

-- name: insert_busy_intervals
-- Adds a coach's busy intervals from CalDAV items. Parameters: parallel arrays of source
-- refs, starts and ends, and the coach's slug.
INSERT INTO busy_intervals (coach_id, during, source, source_ref)
SELECT u.id, tstzrange(s, e, '[)'), 'caldav', r
FROM users u, unnest(%s::text[], %s::timestamptz[], %s::timestamptz[]) AS x (r, s, e)
WHERE u.slug = %s;

-- name: items_due_for_busy_refresh
-- The collection name, href and text of an owner's (slug) recurring items of blocking
-- calendars whose busy time the booking horizon has reached; the partial index on
-- (owner_id, busy_until) makes it cheap when there are none.
SELECT c.name, i.href, i.body
FROM caldav_items i
JOIN caldav_collections c ON c.id = i.collection_id
JOIN users u ON u.id = i.owner_id
WHERE u.slug = %s AND i.owner_id = u.id AND i.busy_until IS NOT NULL
  AND i.busy_until < clock() + rule_duration('booking_horizon', u.id) AND c.blocking;

-- name: item_texts_of_collection
-- The href and text of every item of the collection /owner/name/ (owner, name), to rebuild
-- its busy time.
SELECT href, body
FROM caldav_items
WHERE collection_id = (SELECT caldav_collection(%s, %s));
