-- officehours rules: CalDAV collections (tables in migration 0010), and the triggers that keep the
-- generated calendars in step with bookings, office hours and users, in the same transaction.

CREATE OR REPLACE FUNCTION caldav_collection(p_owner text, p_name text) RETURNS bigint
    LANGUAGE sql STABLE
    RETURN (SELECT c.id FROM caldav_collections c JOIN users u ON u.id = c.owner_id
            WHERE u.slug = p_owner AND c.name = p_name);
COMMENT ON FUNCTION caldav_collection(text, text) IS 'The collection at /<owner slug>/<name>/ as far as the caller may see it, or NULL. Keeps serial ids inside SQL.';

CREATE OR REPLACE FUNCTION caldav_ensure_home() RETURNS void
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

CREATE OR REPLACE FUNCTION caldav_mark_stale(p_owners bigint[], p_kind text) RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE caldav_collections SET stale = true, revision = revision + 1, modified_at = now()
    WHERE owner_id = ANY (p_owners) AND kind = p_kind
$$;
COMMENT ON FUNCTION caldav_mark_stale(bigint[], text) IS 'Marks generated collections of some users as out of date and moves their revision, so their sync token and ctag change in the transaction that changed their source.';

CREATE OR REPLACE FUNCTION caldav_appointments_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM caldav_mark_stale(ARRAY[NEW.coach_id, NEW.client_id], 'appointments');
    RETURN NULL;
END $$;
COMMENT ON FUNCTION caldav_appointments_changed() IS 'A booking, move or cancellation makes the coach''s and the client''s appointments calendars stale.';
CREATE OR REPLACE TRIGGER caldav_appointments_changed AFTER INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION caldav_appointments_changed();

CREATE OR REPLACE FUNCTION caldav_office_hours_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM caldav_mark_stale(ARRAY[CASE WHEN TG_OP = 'DELETE' THEN OLD.coach_id ELSE NEW.coach_id END],
                              'office-hours');
    RETURN NULL;
END $$;
COMMENT ON FUNCTION caldav_office_hours_changed() IS 'A change of weekly hours or exceptions makes the coach''s office-hours calendar stale.';
CREATE OR REPLACE TRIGGER caldav_office_hours_changed AFTER INSERT OR UPDATE OR DELETE ON office_hours
    FOR EACH ROW EXECUTE FUNCTION caldav_office_hours_changed();
CREATE OR REPLACE TRIGGER caldav_office_hours_changed AFTER INSERT OR UPDATE OR DELETE ON office_hours_exceptions
    FOR EACH ROW EXECUTE FUNCTION caldav_office_hours_changed();

CREATE OR REPLACE FUNCTION caldav_user_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM caldav_mark_stale(ARRAY[NEW.id] || ARRAY(
        SELECT CASE WHEN c.coach_id = NEW.id THEN c.client_id ELSE c.coach_id END
        FROM coaching c WHERE NEW.id IN (c.coach_id, c.client_id)), 'appointments');
    PERFORM caldav_mark_stale(ARRAY[NEW.id], 'office-hours');
    RETURN NULL;
END $$;
COMMENT ON FUNCTION caldav_user_changed() IS 'A new name, email or zone shows in the generated calendars of the user and of everyone they coach or are coached by.';
CREATE OR REPLACE TRIGGER caldav_user_changed AFTER UPDATE OF display_name, email, time_zone ON users
    FOR EACH ROW EXECUTE FUNCTION caldav_user_changed();
