-- officehours 0011: how far each recurring busy event has been expanded, so it can be extended
-- as the booking horizon moves on.

ALTER TABLE caldav_items ADD COLUMN busy_until timestamptz;
COMMENT ON COLUMN caldav_items.busy_until IS 'For a recurring event in a blocking calendar: the end of the window its busy intervals were expanded to. When the coach''s booking horizon passes it, the event is expanded again (caldav_plugin.busy.refresh_due).';
CREATE INDEX caldav_items_busy_until ON caldav_items (owner_id, busy_until) WHERE busy_until IS NOT NULL;
