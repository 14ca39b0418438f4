-- Queries of officehours/call_details.py: how calls happen and the client's note, run as the
-- acting user (the setters check what they may do; row-level security decides what they see).

-- name: set_call_details
-- Sets how a coach's calls happen: coach (slug or email), kind, value, details. Returns how many
-- future calls got an updated invite.
SELECT set_call_details(%s, %s, %s, %s);

-- name: set_appointment_call_details
-- Gives one call details of its own (own true) or lets it follow its coach's: token, kind, value,
-- details, own. Returns whether how the call happens changed.
SELECT set_appointment_call_details(%s, %s, %s, %s, %s);

-- name: set_appointment_note
-- Sets or (empty) removes the client's note on one call: token, note.
SELECT set_appointment_note(%s, %s);

-- name: coach_call_details
-- How a coach's calls happen (slug), as far as the actor may see: kind, value, details; no row
-- when the coach set none.
SELECT d.kind::text, d.value, d.details
FROM call_details d
JOIN users u ON u.id = d.coach_id
WHERE u.slug = %s;

-- name: call_details_by_token
-- How one call happens and the client's note (token), as far as the actor may see: kind,
-- value, details, whether they are the call's own, note; no row for a call the actor cannot see.
SELECT d.kind::text, d.value, d.details, d.own, d.note
FROM appointments a
JOIN call_details_of_appointments d ON d.appointment_id = a.id
WHERE a.token = %s;

-- name: call_details_by_tokens
-- The same for many calls at once (an array of tokens): token first.
SELECT a.token, d.kind::text, d.value, d.details, d.own, d.note
FROM appointments a
JOIN call_details_of_appointments d ON d.appointment_id = a.id
WHERE a.token = ANY (%s);

-- name: book
-- Books a call as booking.book does (client, start), for book_with_note: the columns
-- booking.Appointment.from_row reads.
SELECT token, coach, client, starts, ends, status, revision, series
FROM book(%s, %s, NULL);

-- name: book_series
-- Books a monthly series as booking.book_series does (client, first start, months), for
-- book_with_note.
SELECT token, coach, client, starts, ends, status, revision, series
FROM book_series(%s, %s, %s);
