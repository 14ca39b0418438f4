-- officehours 0002: the functions that are the only write path for appointments, and their helpers.
--
-- Every refusal raises its own SQLSTATE in class OH (see officehours/errors.py and the README):
--   OH001 not_signed_in          OH002 unknown_user            OH003 inactive_user
--   OH004 no_coaching_relationship OH005 not_your_appointment  OH006 unknown_appointment
--   OH007 forbidden              OH008 wrong_role
--   OH010 range_not_positive     OH011 in_the_past             OH012 wrong_length
--   OH013 off_grid               OH014 outside_office_hours    OH015 coach_busy
--   OH016 slot_taken             OH017 client_already_booked   OH018 beyond_horizon
--   OH019 monthly_limit          OH020 inside_cutoff           OH021 too_soon
--   OH022 already_cancelled      OH023 same_slot               OH024 invalid_series
--   OH025 range_too_long
--   OH030 nonexistent_local_time OH031 ambiguous_local_time    OH032 invalid_time_zone
--   OH040 invalid_rule_value     OH041 unknown_rule            OH050 appointment_immutable

-- The clock ---------------------------------------------------------------------------------------

CREATE FUNCTION clock() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN coalesce(nullif(current_setting('officehours.now', true), '')::timestamptz, now());
COMMENT ON FUNCTION clock() IS 'The current time for every rule: now(), unless the transaction set officehours.now (tests and what-if checks by operators).';

-- Who is acting ----------------------------------------------------------------------------------

CREATE FUNCTION current_actor_id() RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    RETURN (SELECT id FROM users WHERE slug = nullif(current_setting('officehours.actor', true), '') AND active);
COMMENT ON FUNCTION current_actor_id() IS 'The active user named by the transaction setting officehours.actor (a slug), or NULL. Row-level security and the booking functions rely on it.';

CREATE FUNCTION current_actor_is_admin() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    RETURN coalesce((SELECT role = 'admin' FROM users WHERE id = current_actor_id()), false);
COMMENT ON FUNCTION current_actor_is_admin() IS 'True when the acting user is an active admin.';

CREATE FUNCTION require_actor() RETURNS users
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    actor users;
BEGIN
    SELECT * INTO actor FROM users WHERE id = current_actor_id();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'You need to be signed in as an active user.' USING ERRCODE = 'OH001';
    END IF;
    RETURN actor;
END $$;
COMMENT ON FUNCTION require_actor() IS 'The acting user; raises not_signed_in (OH001) when there is none.';

CREATE FUNCTION lock_coach(p_coach bigint) RETURNS void
    LANGUAGE sql VOLATILE
    RETURN pg_advisory_xact_lock(hashtextextended('officehours.coach.' || p_coach, 0));
COMMENT ON FUNCTION lock_coach(bigint) IS 'Serializes every change to one coach''s calendar (bookings, busy time) until the transaction ends, so checks and inserts cannot interleave and exclusion constraints never deadlock.';

-- Rules ------------------------------------------------------------------------------------------

CREATE FUNCTION rule_duration(p_name text, p_coach bigint) RETURNS interval
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT duration_value FROM business_rules
            WHERE name = p_name AND (coach_id = p_coach OR coach_id IS NULL)
            ORDER BY coach_id NULLS LAST LIMIT 1);
COMMENT ON FUNCTION rule_duration(text, bigint) IS 'The value of a duration rule for a coach: the coach''s override, else the global value.';

CREATE FUNCTION rule_count(p_name text, p_coach bigint) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT count_value FROM business_rules
            WHERE name = p_name AND (coach_id = p_coach OR coach_id IS NULL)
            ORDER BY coach_id NULLS LAST LIMIT 1);
COMMENT ON FUNCTION rule_count(text, bigint) IS 'The value of a count rule for a coach: the coach''s override, else the global value.';

CREATE FUNCTION describe_interval(i interval) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (WITH e(s) AS (SELECT extract(epoch FROM i)::bigint),
                 u(n, unit) AS (SELECT CASE WHEN s % 86400 = 0 AND s > 0 THEN s / 86400
                                            WHEN s % 3600 = 0 THEN s / 3600 ELSE s / 60 END,
                                       CASE WHEN s % 86400 = 0 AND s > 0 THEN 'day'
                                            WHEN s % 3600 = 0 THEN 'hour' ELSE 'minute' END
                                FROM e)
            SELECT n || ' ' || unit || CASE WHEN n = 1 THEN '' ELSE 's' END FROM u);
COMMENT ON FUNCTION describe_interval(interval) IS 'An interval in words for messages: 90 days, 24 hours, 45 minutes.';

-- Local time -------------------------------------------------------------------------------------

CREATE FUNCTION local_to_instant(p_local timestamp, p_zone text, p_fold integer DEFAULT NULL)
    RETURNS timestamptz
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    guess timestamptz;
    candidates timestamptz[];
BEGIN
    BEGIN
        -- Cheaper than is_time_zone(), which reads the whole zone database; the zones that
        -- reach here come from users.time_zone, which is checked with it.
        guess := p_local AT TIME ZONE p_zone;
    EXCEPTION WHEN invalid_parameter_value OR null_value_not_allowed THEN
        guess := NULL;
    END;
    IF guess IS NULL THEN
        RAISE EXCEPTION 'Unknown time zone "%".', p_zone USING ERRCODE = 'OH032';
    END IF;
    -- The offsets a day either side cover any single transition; keep those that map back.
    SELECT array_agg(DISTINCT c ORDER BY c) INTO candidates
    FROM (SELECT (p_local - ((t AT TIME ZONE p_zone) - (t AT TIME ZONE 'UTC'))) AT TIME ZONE 'UTC' AS c
          FROM unnest(ARRAY[guess - INTERVAL '1 day', guess, guess + INTERVAL '1 day']) AS t) s
    WHERE (c AT TIME ZONE p_zone) = p_local;
    IF candidates IS NULL THEN
        RAISE EXCEPTION '% does not exist in %: the clocks skip it.', p_local, p_zone
            USING ERRCODE = 'OH030', HINT = 'Choose a time outside the daylight-saving gap.';
    ELSIF cardinality(candidates) > 1 THEN
        IF p_fold IS NULL THEN
            RAISE EXCEPTION '% happens twice in %: the clocks go back.', p_local, p_zone
                USING ERRCODE = 'OH031', HINT = 'Give the UTC offset to say which one.';
        END IF;
        RETURN candidates[CASE WHEN p_fold = 0 THEN 1 ELSE cardinality(candidates) END];
    END IF;
    RETURN candidates[1];
END $$;
COMMENT ON FUNCTION local_to_instant(timestamp, text, integer) IS 'The instant of a local wall-clock time in a zone. Raises nonexistent_local_time (OH030) in a spring-forward gap and ambiguous_local_time (OH031) in a fall-back overlap unless p_fold says which (0 earlier, 1 later).';

-- Office hours as instants -----------------------------------------------------------------------

CREATE FUNCTION office_windows(p_coach bigint, p_from timestamptz, p_to timestamptz)
    RETURNS TABLE (lo timestamptz, hi timestamptz)
    LANGUAGE sql STABLE AS $$
    WITH zone AS (SELECT time_zone AS tz FROM users WHERE id = p_coach),
    days AS (
        SELECT g::date AS d, zone.tz
        FROM zone, generate_series((p_from AT TIME ZONE zone.tz)::date - 1,
                                   (p_to AT TIME ZONE zone.tz)::date + 1, INTERVAL '1 day') AS g
    ),
    local_windows AS (
        SELECT days.tz, days.d + e.starts AS lstart, days.d + e.ends AS lend
        FROM days JOIN office_hours_exceptions e ON e.coach_id = p_coach AND e.on_date = days.d
        WHERE e.starts IS NOT NULL
        UNION ALL
        SELECT days.tz, days.d + r.starts, days.d + r.ends
        FROM days JOIN office_hours r ON r.coach_id = p_coach AND r.weekday = extract(isodow FROM days.d)
        WHERE NOT EXISTS (SELECT 1 FROM office_hours_exceptions x
                          WHERE x.coach_id = p_coach AND x.on_date = days.d)
    )
    SELECT w.lo, w.hi
    FROM (SELECT lstart AT TIME ZONE tz AS lo, lend AT TIME ZONE tz AS hi FROM local_windows) w
    WHERE w.lo < w.hi AND w.hi > p_from AND w.lo < p_to
    ORDER BY w.lo
$$;
COMMENT ON FUNCTION office_windows(bigint, timestamptz, timestamptz) IS 'A coach''s office hours between two instants: weekly rules and dated exceptions turned into instants in the coach''s zone.';

-- Appointment results ----------------------------------------------------------------------------

CREATE TYPE appointment_info AS (
    token    text,
    coach    text,
    client   text,
    starts   timestamptz,
    ends     timestamptz,
    status   appointment_status,
    revision integer,
    series   text
);
COMMENT ON TYPE appointment_info IS 'What the booking functions return about an appointment: public identifiers only.';

CREATE FUNCTION appointment_info(a appointments) RETURNS appointment_info
    LANGUAGE sql STABLE
    RETURN ROW(a.token, (SELECT slug FROM users WHERE id = a.coach_id),
               (SELECT slug FROM users WHERE id = a.client_id),
               lower(a.during), upper(a.during), a.status, a.revision, a.series)::appointment_info;
COMMENT ON FUNCTION appointment_info(appointments) IS 'An appointment row as appointment_info.';

-- Checks -----------------------------------------------------------------------------------------

CREATE FUNCTION find_user(p_user text) RETURNS users
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    u users;
BEGIN
    -- Every column but the password hash, which the web app's role may not read.
    SELECT id, slug, email, display_name, time_zone, role, active, deactivated_at, NULL, created_at
    INTO u FROM users WHERE slug = p_user OR lower(email) = lower(p_user);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no user "%".', p_user USING ERRCODE = 'OH002';
    END IF;
    RETURN u;
END $$;
COMMENT ON FUNCTION find_user(text) IS 'A user by slug or email (as far as the caller may see), without the password hash; raises unknown_user (OH002).';

CREATE FUNCTION find_coach(p_coach text) RETURNS users
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    coach users := find_user(p_coach);
BEGIN
    IF coach.role <> 'coach' THEN
        RAISE EXCEPTION '"%" is not a coach.', p_coach USING ERRCODE = 'OH008';
    END IF;
    RETURN coach;
END $$;
COMMENT ON FUNCTION find_coach(text) IS 'A coach by slug or email; raises unknown_user (OH002) or wrong_role (OH008).';

CREATE FUNCTION client_and_coach(p_client text, OUT client users, OUT coach users)
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    client := find_user(p_client);
    IF client.role <> 'client' THEN
        RAISE EXCEPTION '"%" is not a client.', p_client USING ERRCODE = 'OH008';
    ELSIF NOT client.active THEN
        RAISE EXCEPTION 'The account of "%" is not active.', p_client USING ERRCODE = 'OH003';
    END IF;
    SELECT u.* INTO coach FROM coaching c JOIN users u ON u.id = c.coach_id
    WHERE c.client_id = client.id AND upper_inf(c.during);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'No coach is assigned to "%" yet.', p_client USING ERRCODE = 'OH004';
    ELSIF NOT coach.active THEN
        RAISE EXCEPTION 'The coach of "%" is not active.', p_client USING ERRCODE = 'OH003';
    END IF;
END $$;
COMMENT ON FUNCTION client_and_coach(text) IS 'An active client (by slug or email) and their active coach; raises unknown_user, wrong_role, inactive_user or no_coaching_relationship.';

CREATE FUNCTION require_may_act_for(p_actor users, p_client users, p_coach users) RETURNS void
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_actor.id <> p_client.id AND p_actor.id <> p_coach.id AND p_actor.role <> 'admin' THEN
        RAISE EXCEPTION 'You cannot act for this client.' USING ERRCODE = 'OH007';
    END IF;
END $$;
COMMENT ON FUNCTION require_may_act_for(users, users, users) IS 'Raises forbidden (OH007) unless the actor is the client, their coach or an admin.';

CREATE FUNCTION check_slot(p_coach users, p_client users, p_start timestamptz, p_end timestamptz,
                           p_moving bigint DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    slot_length interval := rule_duration('slot_length', p_coach.id);
    window_lo timestamptz;
    month_start timestamp;
    booked integer;
    slot tstzrange;
BEGIN
    IF p_start IS NULL OR p_end IS NULL OR p_end <= p_start OR p_start = '-infinity' OR p_end = 'infinity' THEN
        RAISE EXCEPTION 'The end of a call must come after its start.' USING ERRCODE = 'OH010';
    END IF;
    slot := tstzrange(p_start, p_end, '[)');
    IF p_start < clock() THEN
        RAISE EXCEPTION 'That time is in the past.' USING ERRCODE = 'OH011';
    ELSIF p_end - p_start <> slot_length THEN
        RAISE EXCEPTION 'A call lasts %.', describe_interval(slot_length) USING ERRCODE = 'OH012';
    ELSIF p_start < clock() + rule_duration('minimum_notice', p_coach.id) THEN
        RAISE EXCEPTION 'Calls must be booked at least % ahead.', describe_interval(rule_duration('minimum_notice', p_coach.id))
            USING ERRCODE = 'OH021';
    ELSIF p_start > clock() + rule_duration('booking_horizon', p_coach.id) THEN
        RAISE EXCEPTION 'Calls can be booked at most % ahead.', describe_interval(rule_duration('booking_horizon', p_coach.id))
            USING ERRCODE = 'OH018';
    END IF;

    SELECT w.lo INTO window_lo FROM office_windows(p_coach.id, p_start, p_end) w
    WHERE w.lo <= p_start AND w.hi >= p_end LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'That time is outside your coach''s office hours.' USING ERRCODE = 'OH014';
    ELSIF extract(epoch FROM p_start - window_lo)::numeric % extract(epoch FROM slot_length)::numeric <> 0 THEN
        RAISE EXCEPTION 'Calls start on the hour grid of the office hours.' USING ERRCODE = 'OH013';
    END IF;

    IF EXISTS (SELECT 1 FROM busy_intervals b WHERE b.coach_id = p_coach.id AND b.during && slot) THEN
        RAISE EXCEPTION 'Your coach is busy then.' USING ERRCODE = 'OH015';
    ELSIF EXISTS (SELECT 1 FROM appointments a WHERE a.coach_id = p_coach.id AND a.status = 'booked'
                  AND a.during && slot AND a.id IS DISTINCT FROM p_moving) THEN
        RAISE EXCEPTION 'That slot has just been taken.' USING ERRCODE = 'OH016';
    ELSIF EXISTS (SELECT 1 FROM appointments a WHERE a.client_id = p_client.id AND a.status = 'booked'
                  AND a.during && slot AND a.id IS DISTINCT FROM p_moving) THEN
        RAISE EXCEPTION 'You already have a call at that time.' USING ERRCODE = 'OH017';
    END IF;

    month_start := date_trunc('month', p_start AT TIME ZONE p_client.time_zone);
    SELECT count(*) INTO booked FROM appointments a
    WHERE a.client_id = p_client.id AND a.status = 'booked' AND a.id IS DISTINCT FROM p_moving
      AND lower(a.during) >= month_start AT TIME ZONE p_client.time_zone
      AND lower(a.during) < (month_start + INTERVAL '1 month') AT TIME ZONE p_client.time_zone;
    IF booked >= rule_count('monthly_limit', p_coach.id) THEN
        RAISE EXCEPTION 'You already have % call(s) booked in %.', booked, to_char(month_start, 'FMMonth YYYY')
            USING ERRCODE = 'OH019';
    END IF;
END $$;
COMMENT ON FUNCTION check_slot(users, users, timestamptz, timestamptz, bigint) IS 'Every rule a new slot must meet, each refusal with its own SQLSTATE. p_moving is the appointment being moved, which does not count against itself.';

CREATE FUNCTION find_appointment(p_token text, p_actor users) RETURNS appointments
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    a appointments;
BEGIN
    SELECT * INTO a FROM appointments WHERE token = p_token;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no appointment "%".', p_token USING ERRCODE = 'OH006';
    ELSIF p_actor.id NOT IN (a.client_id, a.coach_id) AND p_actor.role <> 'admin' THEN
        RAISE EXCEPTION 'That appointment is not yours.' USING ERRCODE = 'OH005';
    END IF;
    PERFORM lock_coach(a.coach_id);
    SELECT * INTO a FROM appointments WHERE id = a.id FOR UPDATE;
    IF a.status = 'cancelled' THEN
        RAISE EXCEPTION 'That appointment is already cancelled.' USING ERRCODE = 'OH022';
    ELSIF lower(a.during) < clock() THEN
        RAISE EXCEPTION 'That call has already started or is over.' USING ERRCODE = 'OH011';
    ELSIF p_actor.id = a.client_id
          AND lower(a.during) - rule_duration('change_cutoff', a.coach_id) < clock() THEN
        RAISE EXCEPTION 'Calls cannot be moved or cancelled less than % before they start.',
            describe_interval(rule_duration('change_cutoff', a.coach_id)) USING ERRCODE = 'OH020';
    END IF;
    RETURN a;
END $$;
COMMENT ON FUNCTION find_appointment(text, users) IS 'A booked, future appointment the actor may change, locked for the change. The change cut-off binds clients; their coach and admins may change a call until it starts.';

-- The write path ---------------------------------------------------------------------------------

CREATE FUNCTION book(p_client text, p_start timestamptz, p_end timestamptz DEFAULT NULL,
                     p_series text DEFAULT NULL) RETURNS appointment_info
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
    cc record := client_and_coach(p_client);
    a appointments;
    slot_end timestamptz;
BEGIN
    PERFORM require_may_act_for(actor, cc.client, cc.coach);
    PERFORM lock_coach((cc.coach).id);
    slot_end := coalesce(p_end, p_start + rule_duration('slot_length', (cc.coach).id));
    PERFORM check_slot(cc.coach, cc.client, p_start, slot_end);
    INSERT INTO appointments (coach_id, client_id, during, series)
    VALUES ((cc.coach).id, (cc.client).id, tstzrange(p_start, slot_end, '[)'), p_series)
    RETURNING * INTO a;
    RETURN appointment_info(a);
END $$;
COMMENT ON FUNCTION book(text, timestamptz, timestamptz, text) IS 'Books a call for a client (slug or email) with their coach at p_start (end defaults to start plus the slot length). Runs every check under the coach''s lock; raises a distinct error per broken rule.';

CREATE FUNCTION move(p_token text, p_start timestamptz, p_end timestamptz DEFAULT NULL)
    RETURNS appointment_info
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
    a appointments := find_appointment(p_token, actor);
    client users;
    coach users;
    new_end timestamptz;
BEGIN
    SELECT * INTO client FROM users WHERE id = a.client_id;
    SELECT * INTO coach FROM users WHERE id = a.coach_id;
    IF NOT client.active OR NOT coach.active THEN
        RAISE EXCEPTION 'This call''s client or coach is no longer active.' USING ERRCODE = 'OH003';
    END IF;
    new_end := coalesce(p_end, p_start + rule_duration('slot_length', coach.id));
    IF p_start = lower(a.during) AND new_end = upper(a.during) THEN
        RAISE EXCEPTION 'The call is already at that time.' USING ERRCODE = 'OH023';
    END IF;
    PERFORM check_slot(coach, client, p_start, new_end, a.id);
    -- One UPDATE: the old slot is freed only if the new one is taken.
    UPDATE appointments SET during = tstzrange(p_start, new_end, '[)') WHERE id = a.id RETURNING * INTO a;
    RETURN appointment_info(a);
END $$;
COMMENT ON FUNCTION move(text, timestamptz, timestamptz) IS 'Moves a booked call to a new slot atomically, under the same checks as book. Raises as book does, plus unknown_appointment, not_your_appointment, already_cancelled, inside_cutoff and same_slot.';

CREATE FUNCTION cancel(p_token text) RETURNS appointment_info
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
    a appointments := find_appointment(p_token, actor);
BEGIN
    UPDATE appointments SET status = 'cancelled' WHERE id = a.id RETURNING * INTO a;
    RETURN appointment_info(a);
END $$;
COMMENT ON FUNCTION cancel(text) IS 'Cancels a booked call: a status change, never a delete. Raises unknown_appointment, not_your_appointment, already_cancelled, in_the_past or inside_cutoff.';

CREATE FUNCTION book_series(p_client text, p_first_start timestamptz, p_months integer)
    RETURNS SETOF appointment_info
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    cc record := client_and_coach(p_client);
    tz text := (cc.coach).time_zone;
    first_local timestamp := p_first_start AT TIME ZONE tz;
    weekday integer := extract(isodow FROM first_local);
    nth integer := (extract(day FROM first_local)::integer - 1) / 7 + 1;
    series text := new_token();
    month_first date;
    day date;
    state text;
    message text;
    hint text;
    constraint_name text;
BEGIN
    IF p_months IS NULL OR p_months NOT BETWEEN 1 AND 12 THEN
        RAISE EXCEPTION 'A series is 1 to 12 months long.' USING ERRCODE = 'OH024';
    END IF;
    FOR i IN 0 .. p_months - 1 LOOP
        month_first := (date_trunc('month', first_local) + make_interval(months => i))::date;
        -- The same weekday and time each month: the nth such weekday, or the last when nth is 5.
        day := month_first + ((weekday - extract(isodow FROM month_first)::integer + 7) % 7) + (nth - 1) * 7;
        IF date_trunc('month', day) <> month_first THEN
            day := day - 7;
        END IF;
        BEGIN
            RETURN NEXT book(p_client, local_to_instant(day + first_local::time, tz, 0), NULL, series);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                                    hint = PG_EXCEPTION_HINT, constraint_name = CONSTRAINT_NAME;
            RAISE EXCEPTION '%: %', to_char(day, 'FMMonth YYYY'), message
                USING ERRCODE = state, DETAIL = 'month=' || to_char(day, 'YYYY-MM'),
                      HINT = hint, CONSTRAINT = constraint_name;
        END;
    END LOOP;
END $$;
COMMENT ON FUNCTION book_series(text, timestamptz, integer) IS 'Books the same weekday and local time (the coach''s zone) for p_months months from p_first_start, all or nothing. A refusal keeps the code of the broken rule and names the month in its message and in DETAIL (month=YYYY-MM).';

CREATE FUNCTION free_slots(p_coach text, p_from timestamptz, p_to timestamptz)
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
    coach := find_coach(p_coach);
    IF NOT coach.active THEN
        RAISE EXCEPTION 'The coach "%" is not active.', p_coach USING ERRCODE = 'OH003';
    ELSIF actor.id <> coach.id AND actor.role <> 'admin' AND NOT EXISTS (
            SELECT 1 FROM coaching c WHERE c.coach_id = coach.id AND c.client_id = actor.id
            AND upper_inf(c.during)) THEN
        RAISE EXCEPTION 'You can only see the free time of your own coach.' USING ERRCODE = 'OH007';
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
COMMENT ON FUNCTION free_slots(text, timestamptz, timestamptz) IS 'The bookable slots of a coach (slug or email) between two instants: on the grid inside office hours and exceptions, minus booked calls, busy time, minimum notice, and the horizon. The actor must be the coach, one of their clients, or an admin.';

-- History, revisions and immutability ------------------------------------------------------------

CREATE FUNCTION appointments_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.token <> OLD.token OR NEW.coach_id <> OLD.coach_id OR NEW.client_id <> OLD.client_id
       OR NEW.created_at <> OLD.created_at OR NEW.series IS DISTINCT FROM OLD.series
       OR (OLD.status = 'cancelled') THEN
        RAISE EXCEPTION 'Only the time of a booked call can change, and a cancelled call stays cancelled.'
            USING ERRCODE = 'OH050';
    END IF;
    NEW.revision := OLD.revision + 1;
    NEW.updated_at := clock();
    RETURN NEW;
END $$;
COMMENT ON FUNCTION appointments_before_update() IS 'Raises the revision on every change and refuses changes to what identifies an appointment.';
CREATE TRIGGER appointments_before_update BEFORE UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_before_update();

CREATE FUNCTION appointments_record_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO appointment_history (appointment_id, revision, action, actor_id, at, during, previous_during)
    VALUES (NEW.id, NEW.revision,
            CASE WHEN TG_OP = 'INSERT' THEN 'booked'
                 WHEN NEW.status = 'cancelled' THEN 'cancelled'
                 ELSE 'moved' END::appointment_action,
            current_actor_id(), clock(), NEW.during,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.during END);
    RETURN NULL;
END $$;
COMMENT ON FUNCTION appointments_record_history() IS 'Writes one appointment_history row per change: who, when, what.';
CREATE TRIGGER appointments_record_history AFTER INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_record_history();

CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted (and history is never rewritten).', TG_TABLE_NAME
        USING ERRCODE = 'OH050';
END $$;
COMMENT ON FUNCTION refuse_delete() IS 'Keeps history: appointments are never deleted, their history never changed.';
CREATE TRIGGER appointments_no_delete BEFORE DELETE ON appointments
    FOR EACH ROW EXECUTE FUNCTION refuse_delete();
CREATE TRIGGER appointment_history_no_delete BEFORE DELETE OR UPDATE ON appointment_history
    FOR EACH ROW EXECUTE FUNCTION refuse_delete();
