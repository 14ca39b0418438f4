-- officehours 0010: the CalDAV storage (collections, items, change log) and what keeps the
-- generated calendars and busy time in step with bookings.
--
-- Paths are /<user slug>/<collection name>/<item href>. A collection is either stored (the coach's
-- own calendars: items are what the calendar app PUT) or generated (office-hours, appointments):
-- its items are built from the booking tables by caldav_plugin and kept here as a cache, so reads,
-- time-range queries and sync-collection work the same for both. Triggers on the booking tables
-- mark generated collections stale and move their revision in the same transaction as the change.
--
-- Access: the CalDAV server works as officehours_app with officehours.actor set to the signed-in
-- user, so the policies at the end of this file show each user their own collections only.

CREATE TABLE caldav_collections (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id    bigint NOT NULL REFERENCES users (id),
    name        text NOT NULL,
    kind        text NOT NULL DEFAULT 'stored',
    props       jsonb NOT NULL DEFAULT '{}',
    sync_key    text NOT NULL DEFAULT new_token(9),
    revision    bigint NOT NULL DEFAULT 0,
    stale       boolean NOT NULL DEFAULT false,
    modified_at timestamptz NOT NULL DEFAULT now(),
    blocking    boolean GENERATED ALWAYS AS (
        kind = 'stored' AND coalesce(
            lower(props ->> '{urn:x-officehours:caldav}blocking') IN ('true', '1', 'yes'),
            name = 'busy')) STORED,
    CONSTRAINT caldav_collection_name_unique UNIQUE (owner_id, name),
    CONSTRAINT caldav_collection_id_owner_unique UNIQUE (id, owner_id),
    CONSTRAINT caldav_collection_name_sane CHECK (
        length(name) BETWEEN 1 AND 255 AND name !~ '[/[:cntrl:]]' AND name NOT IN ('.', '..')),
    CONSTRAINT caldav_collection_kind_known CHECK (kind IN ('stored', 'office-hours', 'appointments')),
    CONSTRAINT caldav_collection_props_object CHECK (jsonb_typeof(props) = 'object'),
    CONSTRAINT caldav_collection_revision_counts CHECK (revision >= 0)
);
COMMENT ON TABLE caldav_collections IS 'CalDAV collections below a user''s principal. kind stored: the user''s own calendar; office-hours and appointments: generated from the booking tables (read-only). revision counts changes and, with the random sync_key, makes the sync token; stale says a generated collection must be rebuilt before it is read.';
COMMENT ON COLUMN caldav_collections.props IS 'WebDAV properties in Radicale''s form ({"tag": "VCALENDAR", "D:displayname": ...}).';
COMMENT ON COLUMN caldav_collections.blocking IS 'Events in this calendar are busy time for booking: busy is blocking unless the property {urn:x-officehours:caldav}blocking says false; other calendars when it says true.';

CREATE TABLE caldav_items (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection_id bigint NOT NULL,
    owner_id      bigint NOT NULL,
    href          text NOT NULL,
    uid           text NOT NULL,
    name          text NOT NULL,
    component     text NOT NULL,
    etag          text NOT NULL,
    body          text NOT NULL,
    during        tstzrange NOT NULL,
    source_key    text,
    modified_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT caldav_item_in_owners_collection FOREIGN KEY (collection_id, owner_id)
        REFERENCES caldav_collections (id, owner_id) ON DELETE CASCADE,
    CONSTRAINT caldav_item_href_unique UNIQUE (collection_id, href),
    CONSTRAINT caldav_item_href_sane CHECK (
        length(href) BETWEEN 1 AND 255 AND href !~ '[/[:cntrl:]]' AND href NOT IN ('.', '..'))
);
CREATE UNIQUE INDEX caldav_item_uid_unique ON caldav_items (collection_id, uid) WHERE uid <> '';
CREATE INDEX caldav_items_during ON caldav_items USING gist (collection_id, during);
COMMENT ON TABLE caldav_items IS 'One calendar object per row, with what Radicale needs to answer without parsing it: text, etag, UID, component name and the enclosing time range (GiST-indexed, so time-range queries run in SQL).';
COMMENT ON COLUMN caldav_items.during IS 'The enclosing time range Radicale computes for the item (closed at both ends, so a zero-length item is not empty).';
COMMENT ON COLUMN caldav_items.source_key IS 'Generated items: a fingerprint of the rows the item was built from, so only changed ones are rebuilt.';
COMMENT ON COLUMN caldav_items.owner_id IS 'The collection''s owner, repeated so the row-level-security check needs no join.';

CREATE TABLE caldav_changes (
    collection_id bigint NOT NULL,
    owner_id      bigint NOT NULL,
    href          text NOT NULL,
    revision      bigint NOT NULL,
    deleted       boolean NOT NULL,
    CONSTRAINT caldav_change_in_owners_collection FOREIGN KEY (collection_id, owner_id)
        REFERENCES caldav_collections (id, owner_id) ON DELETE CASCADE,
    CONSTRAINT caldav_change_one_per_href PRIMARY KEY (collection_id, href)
);
CREATE INDEX caldav_changes_since ON caldav_changes (collection_id, revision);
COMMENT ON TABLE caldav_changes IS 'The change log of each collection: the revision at which each href last changed, and whether it was deleted (a tombstone). sync-collection from revision R reads the rows above R, so it costs the size of the change.';

-- Helpers ----------------------------------------------------------------------------------------

CREATE FUNCTION caldav_collection(p_owner text, p_name text) RETURNS bigint
    LANGUAGE sql STABLE
    RETURN (SELECT c.id FROM caldav_collections c JOIN users u ON u.id = c.owner_id
            WHERE u.slug = p_owner AND c.name = p_name);
COMMENT ON FUNCTION caldav_collection(text, text) IS 'The collection at /<owner slug>/<name>/ as far as the caller may see it, or NULL. Keeps serial ids inside SQL.';

CREATE FUNCTION caldav_ensure_home() RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    me record;
BEGIN
    SELECT id, role INTO me FROM users WHERE id = current_actor_id();
    IF NOT FOUND OR me.role = 'admin' THEN
        RETURN;
    END IF;
    INSERT INTO caldav_collections (owner_id, name, kind, props, stale)
    SELECT me.id, d.name, d.kind, d.props, d.kind <> 'stored'
    FROM (VALUES
        ('appointments', 'appointments', jsonb_build_object(
            'tag', 'VCALENDAR', 'D:displayname', 'Coaching calls',
            'C:supported-calendar-component-set', 'VEVENT', 'ICAL:calendar-color', '#2a7ab0')),
        ('office-hours', 'office-hours', jsonb_build_object(
            'tag', 'VCALENDAR', 'D:displayname', 'Office hours',
            'C:supported-calendar-component-set', 'VEVENT', 'ICAL:calendar-color', '#3c9d5d')),
        ('busy', 'stored', jsonb_build_object(
            'tag', 'VCALENDAR', 'D:displayname', 'Busy',
            'C:calendar-description', 'Events here block booking.',
            'C:supported-calendar-component-set', 'VEVENT', 'ICAL:calendar-color', '#b0412a'))
    ) AS d (name, kind, props)
    WHERE (me.role = 'coach' OR d.name = 'appointments')
      AND NOT EXISTS (SELECT 1 FROM caldav_collections c WHERE c.owner_id = me.id AND c.name = d.name)
    ON CONFLICT (owner_id, name) DO NOTHING;
END $$;
COMMENT ON FUNCTION caldav_ensure_home() IS 'Creates the acting user''s standard collections when missing: appointments for everyone, office-hours and a blocking busy calendar for coaches.';

CREATE FUNCTION caldav_mark_stale(p_owners bigint[], p_kind text) RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE caldav_collections SET stale = true, revision = revision + 1, modified_at = now()
    WHERE owner_id = ANY (p_owners) AND kind = p_kind
$$;
COMMENT ON FUNCTION caldav_mark_stale(bigint[], text) IS 'Marks generated collections of some users as out of date and moves their revision, so their sync token and ctag change in the transaction that changed their source.';

-- Triggers on the booking tables -----------------------------------------------------------------

CREATE FUNCTION caldav_appointments_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM caldav_mark_stale(ARRAY[NEW.coach_id, NEW.client_id], 'appointments');
    RETURN NULL;
END $$;
COMMENT ON FUNCTION caldav_appointments_changed() IS 'A booking, move or cancellation makes the coach''s and the client''s appointments calendars stale.';
CREATE TRIGGER caldav_appointments_changed AFTER INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION caldav_appointments_changed();

CREATE FUNCTION caldav_office_hours_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM caldav_mark_stale(ARRAY[CASE WHEN TG_OP = 'DELETE' THEN OLD.coach_id ELSE NEW.coach_id END],
                              'office-hours');
    RETURN NULL;
END $$;
COMMENT ON FUNCTION caldav_office_hours_changed() IS 'A change of weekly hours or exceptions makes the coach''s office-hours calendar stale.';
CREATE TRIGGER caldav_office_hours_changed AFTER INSERT OR UPDATE OR DELETE ON office_hours
    FOR EACH ROW EXECUTE FUNCTION caldav_office_hours_changed();
CREATE TRIGGER caldav_office_hours_changed AFTER INSERT OR UPDATE OR DELETE ON office_hours_exceptions
    FOR EACH ROW EXECUTE FUNCTION caldav_office_hours_changed();

CREATE FUNCTION caldav_user_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM caldav_mark_stale(ARRAY[NEW.id] || ARRAY(
        SELECT CASE WHEN c.coach_id = NEW.id THEN c.client_id ELSE c.coach_id END
        FROM coaching c WHERE NEW.id IN (c.coach_id, c.client_id)), 'appointments');
    PERFORM caldav_mark_stale(ARRAY[NEW.id], 'office-hours');
    RETURN NULL;
END $$;
COMMENT ON FUNCTION caldav_user_changed() IS 'A new name, email or zone shows in the generated calendars of the user and of everyone they coach or are coached by.';
CREATE TRIGGER caldav_user_changed AFTER UPDATE OF display_name, email, time_zone ON users
    FOR EACH ROW EXECUTE FUNCTION caldav_user_changed();

-- Grants and row-level security ------------------------------------------------------------------

GRANT SELECT, INSERT, UPDATE, DELETE ON caldav_collections, caldav_items, caldav_changes TO officehours_app;
REVOKE EXECUTE ON FUNCTION caldav_mark_stale(bigint[], text), caldav_appointments_changed(),
    caldav_office_hours_changed(), caldav_user_changed() FROM PUBLIC;

ALTER TABLE caldav_collections ENABLE ROW LEVEL SECURITY;
ALTER TABLE caldav_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE caldav_changes ENABLE ROW LEVEL SECURITY;

-- (SELECT current_actor_id()) is evaluated once per statement, not once per row.
CREATE POLICY caldav_collections_own ON caldav_collections FOR ALL TO officehours_app
    USING (owner_id = (SELECT current_actor_id()))
    WITH CHECK (owner_id = (SELECT current_actor_id())
                AND (kind <> 'stored'
                     OR EXISTS (SELECT 1 FROM users u WHERE u.id = owner_id AND u.role = 'coach')));
COMMENT ON POLICY caldav_collections_own ON caldav_collections IS 'A user sees and changes only their own collections; only coaches keep calendars of their own (clients have their generated appointments only).';
CREATE POLICY caldav_items_own ON caldav_items FOR ALL TO officehours_app
    USING (owner_id = (SELECT current_actor_id()))
    WITH CHECK (owner_id = (SELECT current_actor_id()));
COMMENT ON POLICY caldav_items_own ON caldav_items IS 'A user sees and changes only the items of their own collections.';
CREATE POLICY caldav_changes_own ON caldav_changes FOR ALL TO officehours_app
    USING (owner_id = (SELECT current_actor_id()))
    WITH CHECK (owner_id = (SELECT current_actor_id()));
COMMENT ON POLICY caldav_changes_own ON caldav_changes IS 'A user sees and writes only the change log of their own collections.';
