-- officehours 0061: the mail reports (/admin/mail, `officehours mailer status`) read only what
-- they show, however much sent mail the outboxes keep. They counted every row of both outboxes
-- and sorted every row for the last errors: 595 ms for /admin/mail at 960,000 outbox rows
-- against 18 ms at 9,600. Now they count the mail finished in the last day by when it finished,
-- and take the last errors newest first from an index of the mail that has an error. The first
-- index also gives prune() the finished mail older than mail_kept without a scan of the rest;
-- it carries the state, so the day's counts are read from the index alone.

CREATE INDEX mail_outbox_finished ON mail_outbox (finished_at) INCLUDE (state) WHERE state <> 'pending';
COMMENT ON INDEX mail_outbox_finished IS 'Finished mail (sent, failed, superseded) by when it finished: the day''s counts of the mail report, and what prune() deletes.';
CREATE INDEX mail_outbox_errors ON mail_outbox ((coalesce(finished_at, next_attempt_at)) DESC, id DESC)
    WHERE last_error IS NOT NULL AND state IN ('failed', 'pending');
COMMENT ON INDEX mail_outbox_errors IS 'Mail that failed or waits for a retry, with its error, newest first: the last errors of the mail report.';

CREATE INDEX account_mail_finished ON account_mail (finished_at) INCLUDE (state) WHERE state <> 'pending';
COMMENT ON INDEX account_mail_finished IS 'Finished password-link mail by when it finished: the day''s counts of the mail report.';
CREATE INDEX account_mail_errors ON account_mail ((coalesce(finished_at, next_attempt_at)) DESC, id DESC)
    WHERE last_error IS NOT NULL AND state IN ('failed', 'pending');
COMMENT ON INDEX account_mail_errors IS 'Password-link mail that failed or waits for a retry, with its error, newest first: the last errors of the mail report.';
