-- Queries of mailer/loop.py, run on its own autocommit connection kept open for notifications.

-- name: listen_for_mail
-- Subscribes this connection to the channel the outbox trigger (mail_enqueue in sql/) notifies
-- when mail is queued; the channel name must stay the one it passes to pg_notify.
LISTEN officehours_mail;
