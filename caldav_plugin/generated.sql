-- name: item_source_keys
-- The href and source key of every item of the collection /owner/name/ (owner, name): a
-- rebuild compares the keys with those of the source rows to find what changed.
SELECT href, source_key
FROM caldav_items
WHERE collection_id = (SELECT caldav_collection(%s, %s));

-- name: mark_collection_fresh
-- Marks the collection /owner/name/ (owner, name) as rebuilt from its source; the triggers
-- on the source tables mark it stale again.
UPDATE caldav_collections SET stale = false
WHERE id = (SELECT caldav_collection(%s, %s));

-- name: booked_calls_of_user
-- The booked calls of a user (owner: a slug) as coach or as client, with what the calendar
-- items are made from: token, revision, status, start, end, last change, the coach's and the
-- client's name, email and zone, whether the user is the coach, how the call happens (kind,
-- value, details) and the client's note, and last a source key: an md5 of everything the item
-- text depends on (domain: the UID domain), so a call whose key is unchanged is not rebuilt.
-- The owner's id is looked up first and the calls are asked by coach_id or client_id, so the
-- (coach_id, start) and (client_id, start) indexes serve it instead of a scan of every call.
WITH owner AS (SELECT id FROM users WHERE slug = %(owner)s)
SELECT a.token, a.revision, a.status::text, lower(a.during), upper(a.during), a.updated_at,
       co.display_name, co.email, co.time_zone, cl.display_name, cl.email, cl.time_zone,
       co.slug = %(owner)s,
       d.kind::text, d.value, d.details, d.note,
       md5(concat_ws('|', a.revision, a.status, a.during, a.updated_at, co.display_name,
                     co.email, co.time_zone, cl.display_name, cl.email, cl.time_zone, %(domain)s,
                     d.kind, d.value, d.details, d.note))
FROM owner o
JOIN appointments a ON a.coach_id = o.id OR a.client_id = o.id
JOIN users co ON co.id = a.coach_id
JOIN users cl ON cl.id = a.client_id
LEFT JOIN call_details_of_appointments d ON d.appointment_id = a.id
WHERE a.status = 'booked';

-- name: zone_today_and_clock
-- A user's time zone (slug), today's date in that zone by the rules' clock, and the clock:
-- where a coach's office hours start and the DTSTAMP of their items.
SELECT u.time_zone, (clock() AT TIME ZONE u.time_zone)::date, clock()
FROM users u
WHERE u.slug = %s;

-- name: weekly_office_hours
-- A coach's weekly office hours (slug): weekday, start and end, by weekday and start.
SELECT weekday, starts, ends
FROM office_hours h
JOIN users u ON u.id = h.coach_id
WHERE u.slug = %s
ORDER BY 1, 2;

-- name: office_hours_exceptions_from
-- A coach's dated exceptions to their office hours (slug) on or after a date: date, start
-- and end, by date and start.
SELECT on_date, starts, ends
FROM office_hours_exceptions x
JOIN users u ON u.id = x.coach_id
WHERE u.slug = %s AND on_date >= %s
ORDER BY 1, 2;
