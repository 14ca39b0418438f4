-- officehours 0012: the exact time ranges of each calendar item (every instance of a recurring
-- event), so a time-range query is answered in SQL without Radicale parsing the items.

ALTER TABLE caldav_items ADD COLUMN instances tstzmultirange;
COMMENT ON COLUMN caldav_items.instances IS 'The time ranges Radicale''s time-range filter tests (RFC 4791 9.9), one per instance, as Radicale computes them; NULL when unknown (an endless recurrence, or more than the storage expands), and then Radicale tests the item itself.';
