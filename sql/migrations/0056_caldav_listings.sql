-- officehours 0056: what CalDAV listings need to know of an item without parsing it.

-- The free-busy type of an item's events, found when it is stored, so a free-busy report is
-- answered from the instances column without parsing the item. NULL (items stored before, or
-- whose components differ in TRANSP or STATUS) means: parse it.
ALTER TABLE caldav_items ADD COLUMN fbtype text;
ALTER TABLE caldav_items ADD CONSTRAINT caldav_item_fbtype_known
    CHECK (fbtype IN ('BUSY', 'FREE', 'BUSY-TENTATIVE', 'TRANSPARENT'));
COMMENT ON COLUMN caldav_items.fbtype IS 'FBTYPE of the item''s VEVENT (from TRANSP and STATUS, as RFC 4791 free-busy reports them; TRANSPARENT for none), or NULL when unknown: the item is then parsed.';
