-- The queries of booking_web/weeks.py: what the week and confirm pages ask the rules, as the
-- signed-in user. The SQL functions decide which slots there are and what each means for the
-- client (sql/definitions/45_free_slots.sql); these only read their answers.

-- name: coach_week
-- The one statement of the week pages and of the availability API (coach_week in
-- sql/definitions/45_free_slots.sql): the coach (the one named by slug, or with a NULL slug
-- the acting client's current coach) with the booking_horizon, monthly_limit and slot_length
-- rules, then on each row one of the coach's free slots between start and end, with whether it
-- is inside the change cut-off for the client, its month (in the client's zone), that month's
-- booked calls and whether the monthly limit is reached; moving is the token of a call being
-- moved, or NULL; client the slug of the client a coach books for, or NULL. No row when there
-- is no such coach the actor may see; one row with NULL slot columns when the week has no free
-- slot.
SELECT slug, display_name, email, time_zone, horizon, monthly_limit, slot_length,
       slot_start, slot_end, inside_cutoff, month_full, month, month_calls
FROM coach_week(%(coach)s, %(start)s, %(end)s, %(moving)s, %(client)s);

-- name: slot_terms
-- For a confirm page: the end and length of a call at start with this coach, and what the rules
-- say of it for the client (cut-off, month, its calls, the monthly limit); client as in
-- coach_week.
SELECT slot_end, slot_length, inside_cutoff, month_full, month, month_calls, month_limit
FROM slot_terms(%(coach)s, %(start)s, %(moving)s, %(client)s);

-- name: call_changes
-- Whether the actor may move or cancel this call now, whether the change cut-off alone stops
-- them, and the cut-off in words.
SELECT changeable, cutoff_closed, change_cutoff FROM call_changes(%s);
