-- Queries of booking_web/admin.py, run as officehours_app for the signed-in admin: the mail
-- outbox is not granted to that role, so its SECURITY DEFINER report functions (sql/definitions/
-- 60_mail.sql) check that the actor is an admin.

-- name: mail_counts
-- How many mails are in each state (every state, zero included): state, mails.
SELECT state::text, mails FROM mail_counts();

-- name: mail_errors
-- The latest mails that failed for good or wait for a retry, newest first, with their last error.
SELECT public_id, kind::text, recipient::text, recipient_slug, state::text, attempts, last_error,
       finished_at, next_attempt_at
FROM mail_errors(%(limit)s);

-- name: account_mail_counts
-- How many password-link mails are in each state (every state, zero included): state, mails.
SELECT state::text, mails FROM account_mail_counts();

-- name: account_mail_errors
-- The latest password-link mails that failed or wait for a retry, newest first, with their last
-- error (never the link).
SELECT public_id, kind::text, recipient_slug, state::text, attempts, last_error, finished_at,
       next_attempt_at
FROM account_mail_errors(%(limit)s);
