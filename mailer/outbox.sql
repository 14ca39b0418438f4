-- Queries of mailer/outbox.py, run as the owner on a cursor that returns rows as dicts. All three
-- run in the one transaction of one mail, so the row mail_claim locks stays locked until the
-- outcome is committed.

-- name: claim_due_mail
-- Locks the next due mail no other mailer holds and returns every column of mail_claim() (the
-- change and both parties; a row per call of a batch, one message), which Job.from_row reads by
-- name, and how the call happens (call_kind, call_value, call_details) with the client's note in
-- the coach's mail only (call_note); no row when nothing is due.
SELECT m.*, d.kind::text AS call_kind, d.value AS call_value, d.details AS call_details,
       CASE WHEN m.recipient = 'coach' THEN d.note END AS call_note
FROM mail_claim() m
-- OFFSET 0 keeps the lookup a nested loop over the claimed rows (index scans by token and
-- id), where a flattened join would plan for the thousand rows a set-returning function is
-- assumed to return and scan the tables.
LEFT JOIN LATERAL (
    SELECT v.kind, v.value, v.details, v.note
    FROM appointments a JOIN call_details_of_appointments v ON v.appointment_id = a.id
    WHERE a.token = m.token OFFSET 0) d ON true;

-- name: mark_mail_sent
-- Marks the claimed mail (public id) sent, right after the SMTP server accepted it.
SELECT mail_sent(%s);

-- name: record_failed_attempt
-- Records a failed attempt of the claimed mail and returns its new state as the column state:
-- pending (retried after retry_in), failed, superseded, or NULL when it was no longer pending.
SELECT mail_attempt_failed(%(public_id)s, %(error)s, %(retry_in)s, %(give_up)s) AS state;
