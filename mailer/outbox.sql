-- Queries of mailer/outbox.py, run as the owner on a cursor that returns rows as dicts. All three
-- run in the one transaction of one mail, so the row mail_claim locks stays locked until the
-- outcome is committed.

-- name: claim_due_mail
-- Locks the next due mail no other mailer holds and returns every column of mail_claim() (the
-- change and both parties), which Job.from_row reads by name: a row per call of a batch (one
-- message), no row when nothing is due.
SELECT * FROM mail_claim();

-- name: mark_mail_sent
-- Marks the claimed mail (public id) sent, right after the SMTP server accepted it.
SELECT mail_sent(%s);

-- name: record_failed_attempt
-- Records a failed attempt of the claimed mail and returns its new state as the column state:
-- pending (retried after retry_in), failed, superseded, or NULL when it was no longer pending.
SELECT mail_attempt_failed(%(public_id)s, %(error)s, %(retry_in)s, %(give_up)s) AS state;
