-- officehours rules: the bookable slots of a coach, and booked calls that collide with busy time.

CREATE OR REPLACE FUNCTION free_slots(p_coach text, p_from timestamptz, p_to timestamptz)
    RETURNS TABLE (slot_start timestamptz, slot_end timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
    coach users;
    slot_length interval;
    earliest timestamptz;
    latest timestamptz;
    blocked tstzmultirange;
BEGIN
    -- Whom the actor may ask about is decided before anything is said about the user asked
    -- for: anyone but an admin, the user themself or one of their current clients gets the
    -- one answer below, whether that user exists, is a coach, or is active (no enumeration).
    -- A current coaching relationship implies an active coach (coaching_check_parties).
    SELECT * INTO coach FROM users WHERE slug = p_coach OR lower(email) = lower(p_coach);
    IF actor.role <> 'admin' AND coach.id IS DISTINCT FROM actor.id AND NOT EXISTS (
            SELECT 1 FROM coaching c WHERE c.coach_id = coach.id AND c.client_id = actor.id
            AND upper_inf(c.during)) THEN
        RAISE EXCEPTION 'You can only see the free time of your own coach.' USING ERRCODE = 'OH007';
    END IF;
    coach := find_coach(p_coach);
    IF NOT coach.active THEN
        RAISE EXCEPTION 'The coach "%" is not active.', p_coach USING ERRCODE = 'OH003';
    ELSIF p_from IS NULL OR p_to IS NULL OR p_to <= p_from THEN
        RAISE EXCEPTION 'The end of the range must come after its start.' USING ERRCODE = 'OH010';
    ELSIF p_to - p_from > INTERVAL '400 days' THEN
        RAISE EXCEPTION 'Ask for at most 400 days at a time.' USING ERRCODE = 'OH025';
    END IF;
    slot_length := rule_duration('slot_length', coach.id);
    earliest := greatest(p_from, clock() + rule_duration('minimum_notice', coach.id));
    latest := least(p_to, clock() + rule_duration('booking_horizon', coach.id) + slot_length);
    IF latest <= earliest THEN
        RETURN;
    END IF;
    -- Everything that blocks the window, gathered once through the GiST indexes, so the cost
    -- follows the size of the window, never the length of the coach's history.
    SELECT coalesce(range_agg(during), '{}'::tstzmultirange) INTO blocked FROM (
        SELECT a.during FROM appointments a
        WHERE a.coach_id = coach.id AND a.status = 'booked'
          AND a.during && tstzrange(earliest, latest)
        UNION ALL
        SELECT b.during FROM busy_intervals b
        WHERE b.coach_id = coach.id AND b.during && tstzrange(earliest, latest)) AS taken;
    RETURN QUERY
        SELECT s, s + slot_length
        FROM office_windows(coach.id, earliest, latest) w,
             generate_series(w.lo, w.hi - slot_length, slot_length) AS s
        WHERE s >= earliest AND s + slot_length <= latest
          AND NOT tstzrange(s, s + slot_length) && blocked
        ORDER BY s;
END $$;
COMMENT ON FUNCTION free_slots(text, timestamptz, timestamptz) IS 'The bookable slots of a coach (slug or email) between two instants: on the grid inside office hours and exceptions, minus booked calls, busy time, minimum notice, and the horizon. The actor must be the coach, one of their current clients, or an admin; anyone else gets forbidden whatever the user asked for is (unknown, no coach, inactive), so nothing about them is told.';

-- What a coach's own busy time collides with.

CREATE OR REPLACE VIEW coach_conflicts WITH (security_invoker = true) AS
    SELECT a.coach_id, coach.slug AS coach, a.token AS appointment, client.slug AS client,
           client.display_name AS client_name,
           lower(a.during) AS starts, upper(a.during) AS ends,
           lower(b.during) AS busy_starts, upper(b.during) AS busy_ends,
           b.source, b.source_ref
    FROM appointments a
    JOIN busy_intervals b ON b.coach_id = a.coach_id AND b.during && a.during
    JOIN users coach ON coach.id = a.coach_id
    JOIN users client ON client.id = a.client_id
    WHERE a.status = 'booked' AND upper(a.during) > clock();
COMMENT ON VIEW coach_conflicts IS 'Booked future calls that overlap busy time the coach added later (an event in a blocking calendar is stored even when it collides). Row-level security of the underlying tables applies.';
