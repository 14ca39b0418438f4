-- officehours rules: how a call happens, and the client's note for the coach (tables in
-- migration 0051). A coach (or an admin) sets the coach's call details; the coach may give one
-- call details of its own; the client writes a note until the change cut-off. Changing what a
-- future call's details are is a new revision of that call (history action 'updated'), so its
-- mail goes out as an updated invite (REQUEST, SEQUENCE + 1), like a move. Past and cancelled
-- calls are left as they are: nobody needs a new invite for a call that is over, and each keeps
-- the details it had (a kept row of appointment_call_details, migration 0060).
--
-- Refusals: OH071 invalid_call_details (the kind or the link, number or place), OH072
-- invalid_call_text (the coach's free text), OH073 invalid_note (the client's note).

CREATE OR REPLACE VIEW call_details_of_appointments WITH (security_invoker = true) AS
SELECT a.id AS appointment_id,
       CASE WHEN own.appointment_id IS NOT NULL THEN own.kind ELSE usual.kind END AS kind,
       CASE WHEN own.appointment_id IS NOT NULL THEN own.value ELSE usual.value END AS value,
       CASE WHEN own.appointment_id IS NOT NULL THEN own.details ELSE usual.details END AS details,
       own.appointment_id IS NOT NULL AND NOT own.kept AS own,
       n.note
FROM appointments a
LEFT JOIN appointment_call_details own ON own.appointment_id = a.id
LEFT JOIN call_details usual ON usual.coach_id = a.coach_id
LEFT JOIN appointment_notes n ON n.appointment_id = a.id;
COMMENT ON VIEW call_details_of_appointments IS 'How each call happens (its own details or those kept from when it was over or cancelled, or else its coach''s), whether they are its own (set for it, not kept), and the client''s note. Row-level security of the tables below decides what a user sees through it.';

CREATE OR REPLACE FUNCTION clean_call_text(p_text text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN nullif(btrim(replace(replace(p_text, E'\r\n', E'\n'), E'\r', E'\n'), E' \t\n\v\f\r'), '');
COMMENT ON FUNCTION clean_call_text(text) IS 'Typed text as it is stored: line ends as LF, white space around it taken off, NULL for nothing. The twin of ics.calls.clean_text.';

CREATE OR REPLACE FUNCTION call_input(p_kind text, p_value text, p_details text,
                                      OUT kind call_kind, OUT value text, OUT details text)
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    problem text;
BEGIN
    IF nullif(btrim(p_kind), '') IS NOT NULL THEN
        IF btrim(p_kind) NOT IN ('video', 'phone', 'place') THEN
            RAISE EXCEPTION 'Choose whether calls happen by video, by phone or at a place.'
                USING ERRCODE = 'OH071';
        END IF;
        kind := btrim(p_kind)::call_kind;
    END IF;
    value := nullif(btrim(p_value, E' \t\n\v\f\r'), '');
    problem := call_value_problem(kind, value);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION '%', problem USING ERRCODE = 'OH071';
    END IF;
    details := clean_call_text(p_details);
    problem := call_text_problem(details, 1000);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'The text for your clients %.', problem USING ERRCODE = 'OH072';
    END IF;
END $$;
COMMENT ON FUNCTION call_input(text, text, text) IS 'Typed call details (kind, link/number/place, free text) as they are stored, white space taken off; raises invalid_call_details (OH071) or invalid_call_text (OH072) with the rule''s own words.';

CREATE OR REPLACE FUNCTION set_call_details(p_coach text, p_kind text, p_value text, p_details text)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
    coach users := find_coach(p_coach);
    given record := call_input(p_kind, p_value, p_details);
    old call_details;
    updated integer;
BEGIN
    IF actor.id <> coach.id AND actor.role <> 'admin' THEN
        RAISE EXCEPTION 'Only the coach or an admin sets how the coach''s calls happen.'
            USING ERRCODE = 'OH007';
    END IF;
    PERFORM lock_coach(coach.id);
    SELECT * INTO old FROM call_details WHERE coach_id = coach.id FOR UPDATE;
    IF (old.kind, old.value, old.details) IS NOT DISTINCT FROM (given.kind, given.value, given.details) THEN
        RETURN 0;
    END IF;
    -- Every call the change does not reach (over, started or cancelled) keeps what it had.
    INSERT INTO appointment_call_details (appointment_id, kind, value, details, updated_at, kept)
    SELECT a.id, old.kind, old.value, old.details, clock(), true
    FROM appointments a
    WHERE a.coach_id = coach.id AND NOT (a.status = 'booked' AND lower(a.during) > clock())
      AND NOT EXISTS (SELECT 1 FROM appointment_call_details own WHERE own.appointment_id = a.id);
    IF given.kind IS NULL AND given.details IS NULL THEN
        DELETE FROM call_details WHERE coach_id = coach.id;
    ELSE
        INSERT INTO call_details (coach_id, kind, value, details, updated_at)
        VALUES (coach.id, given.kind, given.value, given.details, clock())
        ON CONFLICT (coach_id) DO UPDATE
            SET kind = EXCLUDED.kind, value = EXCLUDED.value, details = EXCLUDED.details,
                updated_at = EXCLUDED.updated_at;
    END IF;
    -- A new revision of every future call that follows the coach's details: its invite is sent
    -- again (appointments_record_history writes 'updated', mail_enqueue mails it).
    UPDATE appointments a SET updated_at = clock()
    WHERE a.coach_id = coach.id AND a.status = 'booked' AND lower(a.during) > clock()
      AND NOT EXISTS (SELECT 1 FROM appointment_call_details own WHERE own.appointment_id = a.id);
    GET DIAGNOSTICS updated = ROW_COUNT;
    RETURN updated;
END $$;
COMMENT ON FUNCTION set_call_details(text, text, text, text) IS 'Sets how a coach''s calls happen (kind video, phone or place, its link, number or place, and free text; all empty removes them), as the coach or an admin; each future booked call without details of its own gets a new revision and an updated invite. Every other call of the coach without details of its own (over, started or cancelled) keeps the old ones. Returns how many calls got the new ones. Raises unknown_user, wrong_role, forbidden, invalid_call_details or invalid_call_text, changing nothing.';

CREATE OR REPLACE FUNCTION set_appointment_call_details(p_token text, p_kind text, p_value text,
                                                        p_details text, p_own boolean DEFAULT true)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
    a appointments := find_appointment(p_token, actor);
    given record;
    before record;
    after record;
BEGIN
    IF actor.id <> a.coach_id AND actor.role <> 'admin' THEN
        RAISE EXCEPTION 'Only the call''s coach or an admin sets how this call happens.'
            USING ERRCODE = 'OH007';
    END IF;
    given := call_input(p_kind, p_value, p_details);
    SELECT d.kind, d.value, d.details INTO before FROM call_details_of_appointments d
    WHERE d.appointment_id = a.id;
    IF NOT p_own THEN
        DELETE FROM appointment_call_details WHERE appointment_id = a.id;
    ELSIF given.kind IS NULL AND given.details IS NULL THEN
        RAISE EXCEPTION 'Give how this call happens, or let it follow your usual details.'
            USING ERRCODE = 'OH071';
    ELSE
        INSERT INTO appointment_call_details (appointment_id, kind, value, details, updated_at)
        VALUES (a.id, given.kind, given.value, given.details, clock())
        ON CONFLICT (appointment_id) DO UPDATE
            SET kind = EXCLUDED.kind, value = EXCLUDED.value, details = EXCLUDED.details,
                updated_at = EXCLUDED.updated_at;
    END IF;
    SELECT d.kind, d.value, d.details INTO after FROM call_details_of_appointments d
    WHERE d.appointment_id = a.id;
    IF (before.kind, before.value, before.details) IS NOT DISTINCT FROM (after.kind, after.value, after.details) THEN
        RETURN false;
    END IF;
    UPDATE appointments SET updated_at = clock() WHERE id = a.id;
    RETURN true;
END $$;
COMMENT ON FUNCTION set_appointment_call_details(text, text, text, text, boolean) IS 'Gives one booked future call details of its own (p_own) or lets it follow its coach''s again, as its coach or an admin; when that changes how the call happens, the call gets a new revision and an updated invite (returns true). Raises as find_appointment, forbidden, invalid_call_details or invalid_call_text, changing nothing.';

CREATE OR REPLACE FUNCTION set_appointment_note(p_token text, p_note text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
    a appointments;
    note text := clean_call_text(p_note);
    problem text;
BEGIN
    SELECT * INTO a FROM appointments WHERE token = p_token;
    -- A call booked in this very transaction takes the note that comes with the booking,
    -- whatever the cut-off; later edits follow the rule of every change (find_appointment).
    IF FOUND AND a.created_at = now() AND a.client_id = actor.id AND a.status = 'booked' THEN
        SELECT * INTO a FROM appointments WHERE id = a.id FOR UPDATE;
    ELSE
        a := find_appointment(p_token, actor);
    END IF;
    IF actor.id <> a.client_id THEN
        RAISE EXCEPTION 'Only the client writes the note for the coach.' USING ERRCODE = 'OH007';
    END IF;
    problem := call_text_problem(note, 1000);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'The note %.', problem USING ERRCODE = 'OH073';
    END IF;
    IF note IS NULL THEN
        DELETE FROM appointment_notes WHERE appointment_id = a.id;
    ELSE
        INSERT INTO appointment_notes (appointment_id, note, updated_at) VALUES (a.id, note, clock())
        ON CONFLICT (appointment_id) DO UPDATE SET note = EXCLUDED.note, updated_at = EXCLUDED.updated_at;
    END IF;
END $$;
COMMENT ON FUNCTION set_appointment_note(text, text) IS 'Sets or (empty) removes the client''s note for the coach on one booked future call, as that client, until the change cut-off (or with the booking itself). Raises as find_appointment, forbidden or invalid_note, changing nothing.';

CREATE OR REPLACE FUNCTION appointment_notes_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    owners bigint[];
BEGIN
    SELECT ARRAY[a.coach_id, a.client_id] INTO owners FROM appointments a
    WHERE a.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.appointment_id ELSE NEW.appointment_id END;
    IF owners IS NOT NULL THEN
        PERFORM caldav_mark_stale(owners, 'appointments');
    END IF;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION appointment_notes_changed() IS 'A new, changed or removed note shows in the coach''s generated appointments calendar (and the client''s), without a new revision of the call.';
CREATE OR REPLACE TRIGGER appointment_notes_changed AFTER INSERT OR UPDATE OR DELETE ON appointment_notes
    FOR EACH ROW EXECUTE FUNCTION appointment_notes_changed();
