-- officehours 0053: mail about calls changed together goes out as one message per person. The
-- change mail of a series' calls written in one transaction (a series booked or cancelled) shares
-- a batch key; mailers claim, send and settle a batch's rows for one recipient together.

ALTER TABLE mail_outbox ADD COLUMN batch text;
COMMENT ON COLUMN mail_outbox.batch IS 'Groups the change mail of one series written in one transaction (the series token and the transaction id): the rows of a batch for one recipient are one message, claimed and settled together. NULL: a mail of its own.';

CREATE INDEX mail_outbox_pending_batch ON mail_outbox (batch, recipient, id)
    WHERE state = 'pending' AND batch IS NOT NULL;
