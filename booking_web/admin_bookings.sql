-- The queries of booking_web/admin_bookings.py: an admin's list of every booking, as the signed-in
-- admin (row-level security shows anyone else none). The columns are those of the call queries of
-- booking_web/queries.sql, in the order queries._call maps them in.

-- name: bookings
-- Calls that start in [from, to), of one coach and one client when those are given (slug or
-- email; NULL: anyone; find_user raises unknown_user for no such user), after the keyset cursor
-- (after, after_token: the start and token of the last call of the previous page; '-infinity'
-- and '' for the first), by start and then token, as many as the limit asks for. The order and
-- the cursor are those of the index appointments_starts_token, so a page reads only its own rows
-- (never OFFSET); a coach or client filter uses their own (coach_id, lower(during)) or
-- (client_id, lower(during)) index.
SELECT a.token, co.slug, co.display_name, co.email, co.time_zone,
       cl.slug, cl.display_name, cl.email, cl.time_zone,
       a.starts, upper(a.during), a.status::text, a.revision, a.series
FROM appointments a
JOIN users co ON co.id = a.coach_id
JOIN users cl ON cl.id = a.client_id
WHERE (%(coach)s::text IS NULL OR a.coach_id = (SELECT (find_user(%(coach)s)).id))
  AND (%(client)s::text IS NULL OR a.client_id = (SELECT (find_user(%(client)s)).id))
  AND a.starts >= %(from)s AND a.starts < %(to)s
  -- starts >= after bounds the index scan; the row comparison (record_gt is not leakproof, so
  -- under row-level security it is a filter, never an index condition) skips the calls at
  -- that start up to the cursor's token.
  AND a.starts >= %(after)s AND (a.starts, a.token) > (%(after)s, %(after_token)s)
ORDER BY a.starts, a.token
LIMIT %(limit)s;
