-- officehours 0056: what CalDAV listings need to know of an item without parsing it, and what
-- pruning the CalDAV change logs needs (caldav_changes_kept, applied by prune()).

-- The free-busy type of an item's events, found when it is stored, so a free-busy report is
-- answered from the instances column without parsing the item. NULL (items stored before, or
-- whose components differ in TRANSP or STATUS) means: parse it.
ALTER TABLE caldav_items ADD COLUMN fbtype text;
ALTER TABLE caldav_items ADD CONSTRAINT caldav_item_fbtype_known
    CHECK (fbtype IN ('BUSY', 'FREE', 'BUSY-TENTATIVE', 'TRANSPARENT'));
COMMENT ON COLUMN caldav_items.fbtype IS 'FBTYPE of the item''s VEVENT (from TRANSP and STATUS, as RFC 4791 free-busy reports them; TRANSPARENT for none), or NULL when unknown: the item is then parsed.';

-- When each change was logged, so tombstones can be let go after caldav_changes_kept.
ALTER TABLE caldav_changes ADD COLUMN changed_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX caldav_changes_tombstones ON caldav_changes (changed_at) WHERE deleted;
COMMENT ON COLUMN caldav_changes.changed_at IS 'When the href last changed (the rules'' clock): tombstones older than caldav_changes_kept are pruned.';

-- The oldest revision a sync token may still start from: raised when tombstones are pruned.
ALTER TABLE caldav_collections ADD COLUMN sync_floor bigint NOT NULL DEFAULT 0;
ALTER TABLE caldav_collections ADD CONSTRAINT caldav_collection_sync_floor_sane
    CHECK (sync_floor BETWEEN 0 AND revision);
COMMENT ON COLUMN caldav_collections.sync_floor IS 'A sync token older than this revision is refused (DAV:valid-sync-token, RFC 6578), since changes it would need were pruned: the client syncs again from empty.';

INSERT INTO rule_definitions (name, value_type, description) VALUES
    ('caldav_changes_kept', 'duration', 'How long a CalDAV calendar remembers a deleted item for clients that sync by token; a client whose token is older syncs the calendar again from the start.');

INSERT INTO business_rules (name, duration_value, count_value) VALUES
    ('caldav_changes_kept', INTERVAL '180 days', NULL);

ALTER TABLE business_rules
    ADD CONSTRAINT rule_caldav_changes_kept_sane CHECK (name <> 'caldav_changes_kept' OR
        duration_value BETWEEN INTERVAL '1 day' AND INTERVAL '3660 days'),
    ADD CONSTRAINT rule_caldav_changes_kept_is_global CHECK (
        name <> 'caldav_changes_kept' OR coach_id IS NULL);
