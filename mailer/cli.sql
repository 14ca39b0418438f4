-- Queries of mailer/cli.py (`officehours mailer status`), run as the owner.

-- name: mail_counts
-- How many mails one outbox ('calls' or 'accounts') holds in each state (every state, zero
-- included): state, mails.
SELECT state::text, mails FROM mail_counts(%(outbox)s);

-- name: mail_errors
-- The latest mails of one outbox that failed for good or wait for a retry, newest first, with
-- their last error (never a password link): the recipient is NULL for password-link mail.
SELECT public_id, kind, recipient, recipient_slug, state::text, attempts, last_error,
       finished_at, next_attempt_at
FROM mail_errors(%(limit)s, %(outbox)s);
