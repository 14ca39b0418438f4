-- officehours 0059: mail_claim() first drops the reminders whose call has started. With only
-- the indexes of all pending mail the planner read every pending row for it (80,000 future
-- reminders at 2,000 coaches: 70 ms a claim); this index gives it the due reminders alone.

CREATE INDEX mail_outbox_due_reminders ON mail_outbox (next_attempt_at)
    WHERE state = 'pending' AND kind = 'reminder';
COMMENT ON INDEX mail_outbox_due_reminders IS 'Pending reminders by when they are due: the reminders mail_claim() drops once their call has started.';
