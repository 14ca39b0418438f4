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
  -- The cursor, moved up to from when it lies before it (the first page's is the smallest
  -- there is): the index scan starts at the later of the two bounds only when both say the
  -- same, else it may start at the row comparison's and walk every older call. starts >= bounds
  -- the scan; the row comparison skips the calls at that start up to the cursor's token.
  AND a.starts >= greatest(%(after)s, %(from)s)
  AND (a.starts, a.token) > (greatest(%(after)s, %(from)s),
                             CASE WHEN %(after)s >= %(from)s THEN %(after_token)s ELSE '' END)
ORDER BY a.starts, a.token
LIMIT %(limit)s;
