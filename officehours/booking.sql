-- Queries of officehours/booking.py: the booking functions of sql/, run as the acting user (the
-- database checks what they may do) or as the owner for coach_of_client and local_to_instant.
-- The appointment queries all return the columns Appointment.from_row reads, in its order:
-- token, coach, client, starts, ends, status, revision, series.

-- name: book
-- Books a call for a client (slug or email) with their coach: client, start, end (NULL for the
-- default length). Returns the new appointment.
SELECT token, coach, client, starts, ends, status, revision, series
FROM book(%s, %s, %s);

-- name: move
-- Moves a booked call (token) to a new slot (start, end or NULL), atomically, with a reason
-- or NULL. Returns the appointment as moved.
SELECT token, coach, client, starts, ends, status, revision, series
FROM move(%s, %s, %s, %s);

-- name: cancel
-- Cancels a booked call (token), with a reason or NULL. Returns the appointment as cancelled.
SELECT token, coach, client, starts, ends, status, revision, series
FROM cancel(%s, %s);

-- name: book_series
-- Books the same weekday and local time for a number of months, all or nothing: client, first
-- start, months. Returns the appointments booked, in the order book_series gives them.
SELECT token, coach, client, starts, ends, status, revision, series
FROM book_series(%s, %s, %s);

-- name: free_slots
-- The bookable slots of a coach (slug or email) between two instants, as free_slots orders them.
SELECT slot_start, slot_end FROM free_slots(%s, %s, %s);

-- name: coach_of_client
-- The slug of a client's current coach.
SELECT (client_and_coach(%s)).coach.slug;

-- name: local_to_instant
-- The instant of a wall-clock time in a zone (local, zone, fold or NULL); refuses times in DST
-- gaps and overlaps unless fold says which of two.
SELECT local_to_instant(%s, %s, %s);

-- name: cancel_series
-- Cancels the calls of a series in one transaction: token of one of its calls, and whether only
-- from that call on. Returns the appointments cancelled, by start.
SELECT token, coach, client, starts, ends, status, revision, series
FROM cancel_series(%s, %s);

-- name: series_calls
-- The calls cancel_series would cancel (token, from this call on), by start, as the acting user
-- sees them.
SELECT s.token, coach.slug, client.slug, lower(s.during), upper(s.during), s.status::text,
       s.revision, s.series
FROM series_calls(%s, %s) AS s
JOIN users coach ON coach.id = s.coach_id
JOIN users client ON client.id = s.client_id;
