-- Queries of mailer/account_mail.py, run as the owner on a cursor that returns rows as dicts,
-- all three in the one transaction of one mail (the row stays locked until its outcome is in).

-- name: claim_account_mail
-- Locks the next due account mail and returns every column of account_mail_claim(), which
-- AccountJob.from_row reads by name (the link's secret included); no row when nothing is due.
SELECT * FROM account_mail_claim();

-- name: mark_account_mail_sent
-- Marks the claimed mail sent and forgets the link's secret.
SELECT account_mail_sent(%(public_id)s);

-- name: record_failed_account_mail
-- Records a failed attempt; returns the new state as the column state (pending, failed, NULL).
SELECT account_mail_attempt_failed(%(public_id)s, %(error)s, %(retry_in)s, %(give_up)s) AS state;
