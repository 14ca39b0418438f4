-- officehours rules: the bookable slots of a coach, and booked calls that collide with busy time.

CREATE OR REPLACE FUNCTION coach_for_free_slots(p_actor users, p_coach text) RETURNS users
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    coach users;
BEGIN
    -- Whom the actor may ask about is decided before anything is said about the user asked
    -- for: anyone but an admin, the user themself or one of their current clients gets the
    -- one answer below, whether that user exists, is a coach, or is active (no enumeration).
    -- A current coaching relationship implies an active coach (coaching_check_parties).
    SELECT * INTO coach FROM users WHERE slug = p_coach OR lower(email) = lower(p_coach);
    IF p_actor.role <> 'admin' AND coach.id IS DISTINCT FROM p_actor.id AND NOT EXISTS (
            SELECT 1 FROM coaching c WHERE c.coach_id = coach.id AND c.client_id = p_actor.id
            AND upper_inf(c.during)) THEN
        RAISE EXCEPTION 'You can only see the free time of your own coach.' USING ERRCODE = 'OH007';
    END IF;
    coach := find_coach(p_coach);
    IF NOT coach.active THEN
        RAISE EXCEPTION 'The coach "%" is not active.', p_coach USING ERRCODE = 'OH003';
    END IF;
    RETURN coach;
END $$;
COMMENT ON FUNCTION coach_for_free_slots(users, text) IS 'The active coach (slug or email) whose free time the actor may see: the coach themself, one of their current clients, or an admin. Anyone else gets forbidden (OH007) whatever the user asked for is, so nothing about them is told; then unknown_user, wrong_role or inactive_user.';

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
    coach := coach_for_free_slots(actor, p_coach);
    IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from THEN
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

-- What the rules will say of a slot before anyone books it: the same functions check_slot and
-- find_appointment ask, so the week and confirm pages cannot promise what book() refuses.

CREATE OR REPLACE FUNCTION change_cutoff_boundary(p_coach bigint) RETURNS timestamptz
    LANGUAGE sql STABLE
    RETURN clock() + rule_duration('change_cutoff', p_coach);
COMMENT ON FUNCTION change_cutoff_boundary(bigint) IS 'The instant before which a call of this coach starts inside the change cut-off now: now plus the change_cutoff rule. Worked out once per statement by bookable_slots rather than once per slot.';

CREATE OR REPLACE FUNCTION inside_change_cutoff(p_coach bigint, p_start timestamptz) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN p_start < change_cutoff_boundary(p_coach);
COMMENT ON FUNCTION inside_change_cutoff(bigint, timestamptz) IS 'True when a call of this coach starting at p_start is inside the change cut-off now: its client can no longer move or cancel it (find_appointment through client_change_closed), and a slot there cannot be changed once booked (slot_inside_cutoff).';

CREATE OR REPLACE FUNCTION client_change_closed(a appointments, p_actor users) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN p_actor.id = a.client_id AND inside_change_cutoff(a.coach_id, lower(a.during));
COMMENT ON FUNCTION client_change_closed(appointments, users) IS 'True when the actor is the call''s client and the call is inside the change cut-off: the one test find_appointment and call_changes apply. The coach and admins are not bound by it.';

CREATE OR REPLACE FUNCTION calls_in_month(p_client users, p_at timestamptz, p_moving bigint DEFAULT NULL)
    RETURNS integer
    LANGUAGE sql STABLE
    RETURN (SELECT count(*) FROM appointments a
            WHERE a.client_id = p_client.id AND a.status = 'booked' AND a.id IS DISTINCT FROM p_moving
              AND lower(a.during) >= date_trunc('month', p_at AT TIME ZONE p_client.time_zone)
                                     AT TIME ZONE p_client.time_zone
              AND lower(a.during) < (date_trunc('month', p_at AT TIME ZONE p_client.time_zone)
                                     + INTERVAL '1 month') AT TIME ZONE p_client.time_zone);
COMMENT ON FUNCTION calls_in_month(users, timestamptz, bigint) IS 'The client''s booked calls in the calendar month (the client''s own zone) that holds p_at, not counting p_moving (a call being moved): what the monthly_limit rule counts, in check_slot and bookable_slots alike.';

CREATE OR REPLACE FUNCTION slot_inside_cutoff(p_client users, p_actor users, p_boundary timestamptz,
                                              p_start timestamptz) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    -- The cut-off binds the client only (find_appointment): for the coach or an admin a slot
    -- inside it stays changeable. p_start < p_boundary is inside_change_cutoff with the
    -- boundary worked out once (change_cutoff_boundary).
    RETURN coalesce(p_client.id = p_actor.id, false) AND p_start < p_boundary;
COMMENT ON FUNCTION slot_inside_cutoff(users, users, timestamptz, timestamptz) IS 'True when a call at p_start, once booked, could not be moved or cancelled by the client because it starts before the coach''s change_cutoff_boundary; only when the client is the actor.';

CREATE OR REPLACE FUNCTION client_month(p_client users, p_actor users, p_at timestamptz) RETURNS date
    LANGUAGE sql STABLE
    RETURN date_trunc('month', p_at AT TIME ZONE coalesce(p_client.time_zone, p_actor.time_zone))::date;
COMMENT ON FUNCTION client_month(users, users, timestamptz) IS 'The first day of the calendar month holding p_at in the client''s zone (the actor''s when there is no client): the month the monthly_limit rule counts in.';

CREATE OR REPLACE FUNCTION month_outlook(p_coach users, p_client users, p_actor users, p_at timestamptz,
                                         p_moving bigint DEFAULT NULL,
                                         OUT month date, OUT month_calls integer, OUT month_full boolean)
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    month := client_month(p_client, p_actor, p_at);
    month_calls := CASE WHEN p_client.id IS NULL THEN 0 ELSE calls_in_month(p_client, p_at, p_moving) END;
    month_full := p_client.id IS NOT NULL AND month_calls >= rule_count('monthly_limit', p_coach.id);
END $$;
COMMENT ON FUNCTION month_outlook(users, users, users, timestamptz, bigint) IS 'The client''s month holding p_at (client_month), its booked calls (calls_in_month, not counting p_moving) and whether the monthly limit is reached. A NULL client (a coach or admin looking) has no month to fill.';

CREATE OR REPLACE FUNCTION booking_parties(p_actor users, p_coach text, p_moving text,
                                           p_client text DEFAULT NULL,
                                           OUT coach users, OUT client users, OUT moving appointments)
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    coach := coach_for_free_slots(p_actor, p_coach);
    IF p_moving IS NOT NULL THEN
        SELECT * INTO moving FROM appointments WHERE token = p_moving;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'There is no appointment "%".', left(p_moving, 60) USING ERRCODE = 'OH006';
        ELSIF (p_actor.id NOT IN (moving.client_id, moving.coach_id) AND p_actor.role <> 'admin')
              OR moving.coach_id <> coach.id THEN
            RAISE EXCEPTION 'That appointment is not yours.' USING ERRCODE = 'OH005';
        END IF;
        SELECT * INTO client FROM users WHERE id = moving.client_id;
    ELSIF p_actor.role = 'client' THEN
        client := p_actor;
    ELSIF p_client IS NOT NULL THEN
        -- The coach (or an admin) booking for one of the coach's current clients: one answer
        -- for anyone else, whether that user exists or not.
        SELECT u.* INTO client FROM users u
        JOIN coaching c ON c.client_id = u.id AND c.coach_id = coach.id AND upper_inf(c.during)
        WHERE u.slug = p_client;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'That is not one of the coach''s current clients.' USING ERRCODE = 'OH004';
        END IF;
    END IF;
END $$;
COMMENT ON FUNCTION booking_parties(users, text, text, text) IS 'For the week and confirm pages: the coach whose time the actor may see (coach_for_free_slots), the client the slots are for (the moved call''s client, else the actor when a client, else p_client when it names one of the coach''s current clients, else NULL), and the call being moved (by token; unknown_appointment or not_your_appointment when the actor may not move it). A p_client who is not a current client of the coach raises no_coaching_relationship.';

CREATE OR REPLACE FUNCTION bookable_slots(p_coach text, p_from timestamptz, p_to timestamptz,
                                          p_moving text DEFAULT NULL, p_client text DEFAULT NULL)
    RETURNS TABLE (slot_start timestamptz, slot_end timestamptz, inside_cutoff boolean,
                   month_full boolean, month date, month_calls integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    actor users := require_actor();
    p record := booking_parties(actor, p_coach, p_moving, p_client);
    boundary timestamptz := change_cutoff_boundary((p.coach).id);
BEGIN
    -- One count per month the window touches, and one look at the cut-off rule, not one of
    -- each per slot.
    RETURN QUERY
        WITH f AS MATERIALIZED (
            SELECT fs.slot_start, fs.slot_end, client_month(p.client, actor, fs.slot_start) AS m
            FROM free_slots(p_coach, p_from, p_to) fs),
        months AS (
            SELECT firsts.m, o.month_calls, o.month_full
            FROM (SELECT f.m, min(f.slot_start) AS first_at FROM f GROUP BY f.m) firsts,
                 LATERAL month_outlook(p.coach, p.client, actor, firsts.first_at, (p.moving).id) o)
        SELECT f.slot_start, f.slot_end, slot_inside_cutoff(p.client, actor, boundary, f.slot_start),
               months.month_full, f.m, months.month_calls
        FROM f JOIN months ON months.m = f.m
        ORDER BY f.slot_start;
END $$;
COMMENT ON FUNCTION bookable_slots(text, timestamptz, timestamptz, text, text) IS 'free_slots with what the rules say of each slot for the client: inside the change cut-off (slot_inside_cutoff), and its month''s calls and whether its monthly limit is reached (month_outlook). p_moving is the token of a call being moved, which does not count against its month; p_client the client a coach or admin books for (booking_parties). Raises as free_slots and booking_parties do.';

CREATE OR REPLACE FUNCTION coach_week(p_coach text, p_from timestamptz, p_to timestamptz,
                                      p_moving text DEFAULT NULL, p_client text DEFAULT NULL)
    RETURNS TABLE (slug text, display_name text, email text, time_zone text, horizon interval,
                   monthly_limit integer, slot_length interval, slot_start timestamptz,
                   slot_end timestamptz, inside_cutoff boolean, month_full boolean, month date,
                   month_calls integer)
    LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
    -- A function, not a statement the web app sends, so that its plan (row-level security
    -- expanded into it) is made once per connection rather than once per page. It runs with
    -- the caller's rights: row-level security decides which coach the actor may see, as ever.
    RETURN QUERY
        WITH co AS MATERIALIZED (
            SELECT co.slug, co.display_name, co.email, co.time_zone,
                   rule_duration('booking_horizon', co.id) AS horizon,
                   rule_count('monthly_limit', co.id) AS monthly_limit,
                   rule_duration('slot_length', co.id) AS slot_length
            FROM users co
            WHERE co.id = CASE
                WHEN p_coach IS NULL THEN
                    (SELECT c.coach_id FROM coaching c
                     WHERE c.client_id = current_actor_id() AND upper_inf(c.during))
                ELSE (SELECT u.id FROM users u WHERE u.slug = p_coach)
            END
        )
        SELECT co.slug, co.display_name, co.email, co.time_zone, co.horizon, co.monthly_limit,
               co.slot_length,
               s.slot_start, s.slot_end, s.inside_cutoff, s.month_full, s.month, s.month_calls
        FROM co
        LEFT JOIN LATERAL bookable_slots(co.slug, p_from, p_to, p_moving, p_client) s ON true
        ORDER BY s.slot_start;
END $$;
COMMENT ON FUNCTION coach_week(text, timestamptz, timestamptz, text, text) IS 'The week pages'' and the availability API''s one statement: the coach (by slug, or with a NULL slug the acting client''s current coach) with the booking_horizon, monthly_limit and slot_length rules, then on each row one of the coach''s bookable_slots between p_from and p_to (for the call p_moving, a token, when one is being moved, or for p_client when a coach books for that client). No row when there is no such coach the actor may see (row-level security decides); one row with NULL slot columns when there is no free slot. Raises as bookable_slots does.';

CREATE OR REPLACE FUNCTION slot_terms(p_coach text, p_start timestamptz, p_moving text DEFAULT NULL,
                                      p_client text DEFAULT NULL)
    RETURNS TABLE (slot_end timestamptz, slot_length interval, inside_cutoff boolean,
                   month_full boolean, month date, month_calls integer, month_limit integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    actor users := require_actor();
    p record := booking_parties(actor, p_coach, p_moving, p_client);
    o record;
    slot_len interval := rule_duration('slot_length', (p.coach).id);
BEGIN
    IF p_start IS NULL OR NOT isfinite(p_start) THEN
        RAISE EXCEPTION 'Give the start of the call.' USING ERRCODE = 'OH010';
    END IF;
    o := month_outlook(p.coach, p.client, actor, p_start, (p.moving).id);
    RETURN QUERY SELECT p_start + slot_len, slot_len,
                        slot_inside_cutoff(p.client, actor, change_cutoff_boundary((p.coach).id), p_start),
                        o.month_full,
                        o.month, o.month_calls, rule_count('monthly_limit', (p.coach).id);
END $$;
COMMENT ON FUNCTION slot_terms(text, timestamptz, text, text) IS 'For a confirm page: the end and length of a call starting at p_start with this coach (the slot_length rule), whether it is inside the change cut-off for the client (the moved call''s, the acting client, or p_client for a coach or admin booking for them: booking_parties), and its month_outlook with the monthly limit. Says nothing of whether the slot is free: book() and move() decide that. Raises as booking_parties does.';

CREATE OR REPLACE FUNCTION call_changes(p_token text)
    RETURNS TABLE (changeable boolean, cutoff_closed boolean, change_cutoff text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    actor users := require_actor();
    a appointments;
    closed boolean;
BEGIN
    SELECT * INTO a FROM appointments WHERE token = p_token;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no appointment "%".', left(p_token, 60) USING ERRCODE = 'OH006';
    ELSIF actor.id NOT IN (a.client_id, a.coach_id) AND actor.role <> 'admin' THEN
        RAISE EXCEPTION 'That appointment is not yours.' USING ERRCODE = 'OH005';
    END IF;
    closed := a.status = 'booked' AND lower(a.during) >= clock() AND client_change_closed(a, actor);
    RETURN QUERY SELECT a.status = 'booked' AND lower(a.during) >= clock() AND NOT closed, closed,
                        describe_interval(rule_duration('change_cutoff', a.coach_id));
END $$;
COMMENT ON FUNCTION call_changes(text) IS 'Whether the actor may move or cancel this call now, by the tests find_appointment applies (booked, not started, and for its client outside the change cut-off); whether the cut-off alone is what stops them; and the cut-off in words. Raises unknown_appointment or not_your_appointment.';

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
