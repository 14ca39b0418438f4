-- Queries of mailer/cli.py (`officehours mailer status`), run as the owner.

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
