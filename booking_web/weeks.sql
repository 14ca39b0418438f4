-- The queries of booking_web/weeks.py: what the week and confirm pages ask the rules, as the
-- signed-in user. The SQL functions decide which slots there are and what each means for the
-- client (sql/definitions/45_free_slots.sql); these only read their answers.

-- name: bookable_slots
-- The coach's free slots between start and end, each with whether it is inside the change
-- cut-off for the client, its month (in the client's zone), that month's booked calls and
-- whether the monthly limit is reached; moving is the token of a call being moved, or NULL.
SELECT slot_start, slot_end, inside_cutoff, month_full, month, month_calls
FROM bookable_slots(%(coach)s, %(start)s, %(end)s, %(moving)s);

-- name: slot_terms
-- For a confirm page: the end and length of a call at start with this coach, and what the rules
-- say of it for the client (cut-off, month, its calls, the monthly limit).
SELECT slot_end, slot_length, inside_cutoff, month_full, month, month_calls, month_limit
FROM slot_terms(%(coach)s, %(start)s, %(moving)s);

-- name: coach_slot_length
-- The length of a call with this coach (the slot_length rule, the coach's override or global).
SELECT rule_duration('slot_length', u.id) FROM users u WHERE u.slug = %s;

-- name: call_changes
-- Whether the actor may move or cancel this call now, whether the change cut-off alone stops
-- them, and the cut-off in words.
SELECT changeable, cutoff_closed, change_cutoff FROM call_changes(%s);
