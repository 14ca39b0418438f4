-- officehours 0060: a call that is over, or was cancelled, keeps the details it had when its
-- coach changes theirs. Only future booked calls follow the coach's new details (and get the
-- updated invite); set_call_details copies the coach's old details onto every other call of
-- theirs that has none of its own, marked kept, so its page, mail and calendars go on saying
-- how it happened. A kept row may be empty: the coach had no details then.

ALTER TABLE appointment_call_details ADD COLUMN kept boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN appointment_call_details.kept IS 'True: the coach''s usual details as they were when the coach changed them, kept for a call that was over or cancelled by then; false: details the coach or an admin gave this one call.';

ALTER TABLE appointment_call_details DROP CONSTRAINT appointment_call_details_not_empty;
ALTER TABLE appointment_call_details ADD CONSTRAINT appointment_call_details_not_empty
    CHECK (kept OR kind IS NOT NULL OR details IS NOT NULL);
