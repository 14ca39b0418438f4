-- officehours rules: the only write path for appointments (book, move, cancel, book_series), every
-- check a slot must pass, and the triggers that keep history and refuse what may never change.

CREATE OR REPLACE FUNCTION appointment_info(a appointments) RETURNS appointment_info
    LANGUAGE sql STABLE
    RETURN ROW(a.token, (SELECT slug FROM users WHERE id = a.coach_id),
               (SELECT slug FROM users WHERE id = a.client_id),
               lower(a.during), upper(a.during), a.status, a.revision, a.series)::appointment_info;
COMMENT ON FUNCTION appointment_info(appointments) IS 'An appointment row as appointment_info.';

CREATE OR REPLACE FUNCTION client_and_coach(p_client text, OUT client users, OUT coach users)
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

CREATE OR REPLACE FUNCTION locked_client_and_coach(p_client text, OUT client users, OUT coach users)
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    locked bigint;
    found_now record;
BEGIN
    -- Read, take the coach's lock, read again: deactivation and reassignment take the same lock
    -- before they change who is active or who coaches whom, so what the second read finds holds
    -- until the transaction ends. The first read needs only whose lock to take (the checks come
    -- with the second); when it finds no coach, the second read raises why. A reassignment
    -- between the two reads names another coach: take that one's lock too and read again.
    SELECT c.coach_id INTO locked
    FROM users u JOIN coaching c ON c.client_id = u.id AND upper_inf(c.during)
    WHERE u.slug = p_client OR lower(u.email) = lower(p_client)
    LIMIT 1;
    IF locked IS NOT NULL THEN
        PERFORM lock_coach(locked);
    END IF;
    FOR attempt IN 1 .. 3 LOOP
        found_now := client_and_coach(p_client);
        client := found_now.client;
        coach := found_now.coach;
        IF coach.id = locked THEN
            RETURN;
        END IF;
        PERFORM lock_coach(coach.id);
        locked := coach.id;
    END LOOP;
    RAISE EXCEPTION 'The coach of "%" keeps changing; try again.', p_client
        USING ERRCODE = 'OH004';
END $$;
COMMENT ON FUNCTION locked_client_and_coach(text) IS 'client_and_coach with the coach''s lock held: the answer stays true until the transaction ends. Raises as client_and_coach does.';

CREATE OR REPLACE FUNCTION require_may_act_for(p_actor users, p_client users, p_coach users) RETURNS void
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_actor.id <> p_client.id AND p_actor.id <> p_coach.id AND p_actor.role <> 'admin' THEN
        RAISE EXCEPTION 'You cannot act for this client.' USING ERRCODE = 'OH007';
    END IF;
END $$;
COMMENT ON FUNCTION require_may_act_for(users, users, users) IS 'Raises forbidden (OH007) unless the actor is the client, their coach or an admin.';

CREATE OR REPLACE FUNCTION check_slot(p_coach users, p_client users, p_start timestamptz, p_end timestamptz,
                           p_moving bigint DEFAULT NULL) RETURNS timestamptz
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    -- Every rule value the checks need, read at once.
    r record := slot_rules(p_coach.id);
    slot_length interval := r.slot_length;
    window_lo timestamptz;
    month_start timestamp;
    busy boolean;
    coach_taken boolean;
    client_taken boolean;
    booked integer;
    slot tstzrange;
BEGIN
    p_end := coalesce(p_end, p_start + slot_length);
    IF p_start IS NULL OR p_end <= p_start OR p_start = '-infinity' OR p_end = 'infinity' THEN
        RAISE EXCEPTION 'The end of a call must come after its start.' USING ERRCODE = 'OH010';
    END IF;
    slot := tstzrange(p_start, p_end, '[)');
    IF p_start < clock() THEN
        RAISE EXCEPTION 'That time is in the past.' USING ERRCODE = 'OH011';
    ELSIF p_end - p_start <> slot_length THEN
        RAISE EXCEPTION 'A call lasts %.', describe_interval(slot_length) USING ERRCODE = 'OH012';
    ELSIF p_start < clock() + r.minimum_notice THEN
        RAISE EXCEPTION 'Calls must be booked at least % ahead.', describe_interval(r.minimum_notice)
            USING ERRCODE = 'OH021';
    ELSIF p_start > clock() + r.booking_horizon THEN
        RAISE EXCEPTION 'Calls can be booked at most % ahead.', describe_interval(r.booking_horizon)
            USING ERRCODE = 'OH018';
    END IF;

    SELECT w.lo INTO window_lo FROM office_windows(p_coach.id, p_start, p_end) w
    WHERE w.lo <= p_start AND w.hi >= p_end LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'That time is outside your coach''s office hours.' USING ERRCODE = 'OH014';
    ELSIF extract(epoch FROM p_start - window_lo)::numeric % extract(epoch FROM slot_length)::numeric <> 0 THEN
        RAISE EXCEPTION 'Calls start on the hour grid of the office hours.' USING ERRCODE = 'OH013';
    END IF;

    -- The clashes and the month's count in one statement (each a probe of its own index), then
    -- the refusals in their order.
    month_start := date_trunc('month', p_start AT TIME ZONE p_client.time_zone);
    SELECT EXISTS (SELECT 1 FROM busy_intervals b WHERE b.coach_id = p_coach.id AND b.during && slot),
           EXISTS (SELECT 1 FROM appointments a WHERE a.coach_id = p_coach.id AND a.status = 'booked'
                   AND a.during && slot AND a.id IS DISTINCT FROM p_moving),
           EXISTS (SELECT 1 FROM appointments a WHERE a.client_id = p_client.id AND a.status = 'booked'
                   AND a.during && slot AND a.id IS DISTINCT FROM p_moving),
           calls_in_month(p_client, p_start, p_moving)
    INTO busy, coach_taken, client_taken, booked;
    IF busy THEN
        RAISE EXCEPTION 'Your coach is busy then.' USING ERRCODE = 'OH015';
    ELSIF coach_taken THEN
        RAISE EXCEPTION 'That slot has just been taken.' USING ERRCODE = 'OH016';
    ELSIF client_taken THEN
        RAISE EXCEPTION 'You already have a call at that time.' USING ERRCODE = 'OH017';
    END IF;
    IF booked >= r.monthly_limit THEN
        RAISE EXCEPTION 'You already have % booked in %.',
            booked || CASE WHEN booked = 1 THEN ' call' ELSE ' calls' END, to_char(month_start, 'FMMonth YYYY')
            USING ERRCODE = 'OH019';
    END IF;
    RETURN p_end;
END $$;
COMMENT ON FUNCTION check_slot(users, users, timestamptz, timestamptz, bigint) IS 'Every rule a new slot must meet, each refusal with its own SQLSTATE; returns the slot''s end (p_end NULL: the start plus the slot length). p_moving is the appointment being moved, which does not count against itself.';

CREATE OR REPLACE FUNCTION find_appointment(p_token text, p_actor users) RETURNS appointments
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
    ELSIF client_change_closed(a, p_actor) THEN
        RAISE EXCEPTION 'Calls cannot be moved or cancelled less than % before they start.',
            describe_interval(rule_duration('change_cutoff', a.coach_id)) USING ERRCODE = 'OH020';
    END IF;
    RETURN a;
END $$;
COMMENT ON FUNCTION find_appointment(text, users) IS 'A booked, future appointment the actor may change, locked for the change. The change cut-off binds clients; their coach and admins may change a call until it starts.';

CREATE OR REPLACE FUNCTION book(p_client text, p_start timestamptz, p_end timestamptz DEFAULT NULL,
                     p_series text DEFAULT NULL) RETURNS appointment_info
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
    cc record := locked_client_and_coach(p_client);
    a appointments;
    slot_end timestamptz;
BEGIN
    PERFORM require_may_act_for(actor, cc.client, cc.coach);
    slot_end := check_slot(cc.coach, cc.client, p_start, p_end);
    INSERT INTO appointments (coach_id, client_id, during, series)
    VALUES ((cc.coach).id, (cc.client).id, tstzrange(p_start, slot_end, '[)'), p_series)
    RETURNING * INTO a;
    -- appointment_info(a) with the slugs in hand: it would read both users again.
    RETURN ROW(a.token, (cc.coach).slug, (cc.client).slug, lower(a.during), upper(a.during),
               a.status, a.revision, a.series)::appointment_info;
END $$;
COMMENT ON FUNCTION book(text, timestamptz, timestamptz, text) IS 'Books a call for a client (slug or email) with their coach at p_start (end defaults to start plus the slot length). Reads the client, the coach and their relationship and runs every check under the coach''s lock; raises a distinct error per broken rule.';

CREATE OR REPLACE FUNCTION move(p_token text, p_start timestamptz, p_end timestamptz DEFAULT NULL,
                                p_reason text DEFAULT NULL)
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
    -- find_appointment holds the coach's lock, so these stay true until the move commits.
    IF NOT client.active OR NOT coach.active THEN
        RAISE EXCEPTION 'This call''s client or coach is no longer active.' USING ERRCODE = 'OH003';
    ELSIF NOT EXISTS (SELECT 1 FROM coaching c WHERE c.client_id = client.id
                      AND c.coach_id = coach.id AND upper_inf(c.during)) THEN
        RAISE EXCEPTION 'This call is with a coach who no longer coaches this client.'
            USING ERRCODE = 'OH004';
    END IF;
    new_end := coalesce(p_end, p_start + rule_duration('slot_length', coach.id));
    IF p_start = lower(a.during) AND new_end = upper(a.during) THEN
        RAISE EXCEPTION 'The call is already at that time.' USING ERRCODE = 'OH023';
    END IF;
    PERFORM check_slot(coach, client, p_start, new_end, a.id);
    PERFORM set_change_reason(p_reason);
    -- One UPDATE: the old slot is freed only if the new one is taken.
    UPDATE appointments SET during = tstzrange(p_start, new_end, '[)') WHERE id = a.id RETURNING * INTO a;
    PERFORM set_change_reason(NULL);
    RETURN appointment_info(a);
END $$;
COMMENT ON FUNCTION move(text, timestamptz, timestamptz, text) IS 'Moves a booked call to a new slot atomically, under the same checks as book, with an optional reason kept in its history (blank: none). Raises as book does, plus unknown_appointment, not_your_appointment, already_cancelled, inside_cutoff, same_slot, invalid_reason, and no_coaching_relationship when the client has another coach now.';

CREATE OR REPLACE FUNCTION cancel(p_token text, p_reason text DEFAULT NULL) RETURNS appointment_info
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
    a appointments := find_appointment(p_token, actor);
BEGIN
    PERFORM set_change_reason(p_reason);
    UPDATE appointments SET status = 'cancelled' WHERE id = a.id RETURNING * INTO a;
    PERFORM set_change_reason(NULL);
    RETURN appointment_info(a);
END $$;
COMMENT ON FUNCTION cancel(text, text) IS 'Cancels a booked call: a status change, never a delete, with an optional reason kept in its history (blank: none). Raises unknown_appointment, not_your_appointment, already_cancelled, in_the_past, inside_cutoff or invalid_reason.';

CREATE OR REPLACE FUNCTION set_change_reason(p_reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- A transaction-local setting, as the actor is: the history trigger reads it for the one
    -- UPDATE of cancel() or move(), which set it back to empty straight after.
    PERFORM set_config('officehours.reason', coalesce(btrim(p_reason), ''), true);
END $$;
COMMENT ON FUNCTION set_change_reason(text) IS 'Hands the reason of the next change to the history trigger (NULL or blank: no reason); cancel() and move() call it around their UPDATE.';

CREATE OR REPLACE FUNCTION change_reason() RETURNS text
    LANGUAGE sql STABLE
    RETURN nullif(current_setting('officehours.reason', true), '');
COMMENT ON FUNCTION change_reason() IS 'The reason set_change_reason handed over for the change being recorded, or NULL.';

CREATE OR REPLACE FUNCTION book_series(p_client text, p_first_start timestamptz, p_months integer)
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

CREATE OR REPLACE FUNCTION appointments_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE TRIGGER appointments_before_update BEFORE UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_before_update();

CREATE OR REPLACE FUNCTION appointments_record_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO appointment_history (appointment_id, revision, action, actor_id, at, during, previous_during,
                                     reason)
    VALUES (NEW.id, NEW.revision,
            CASE WHEN TG_OP = 'INSERT' THEN 'booked'
                 WHEN NEW.status = 'cancelled' THEN 'cancelled'
                 -- Same time, same status: how the call happens changed (42_call_details.sql).
                 WHEN NEW.during = OLD.during THEN 'updated'
                 ELSE 'moved' END::appointment_action,
            current_actor_id(), clock(), NEW.during,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.during END,
            CASE WHEN TG_OP = 'UPDATE' THEN change_reason() END);
    RETURN NULL;
END $$;
COMMENT ON FUNCTION appointments_record_history() IS 'Writes one appointment_history row per change: who, when, what, and why when cancel() or move() was given a reason.';
CREATE OR REPLACE TRIGGER appointments_record_history AFTER INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_record_history();

CREATE OR REPLACE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- prune() (retention) alone deletes, and says so for its own transaction.
    IF TG_OP = 'DELETE' AND current_setting('officehours.pruning', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% rows are never deleted (and history is never rewritten).', TG_TABLE_NAME
        USING ERRCODE = 'OH050';
END $$;
COMMENT ON FUNCTION refuse_delete() IS 'Keeps history: appointments are never deleted, their history never changed, except by prune() when the retention rules say a call is old enough.';
CREATE OR REPLACE TRIGGER appointments_no_delete BEFORE DELETE ON appointments
    FOR EACH ROW EXECUTE FUNCTION refuse_delete();
CREATE OR REPLACE TRIGGER appointment_history_no_delete BEFORE DELETE OR UPDATE ON appointment_history
    FOR EACH ROW EXECUTE FUNCTION refuse_delete();

CREATE OR REPLACE FUNCTION series_calls(p_token text, p_from_this boolean)
    RETURNS SETOF appointments
    LANGUAGE sql STABLE
    BEGIN ATOMIC
        SELECT s.* FROM appointments a JOIN appointments s ON s.series = a.series
        WHERE a.token = p_token AND s.status = 'booked' AND lower(s.during) > clock()
          AND (NOT p_from_this OR lower(s.during) >= lower(a.during))
        ORDER BY lower(s.during);
    END;
COMMENT ON FUNCTION series_calls(text, boolean) IS 'The calls cancel_series(p_token, p_from_this) cancels: the booked calls of the series of call p_token that have not started, from that call on when p_from_this, by start. Runs with the caller''s rights (row-level security decides what they see).';

CREATE OR REPLACE FUNCTION cancel_series(p_token text, p_from_this boolean)
    RETURNS SETOF appointment_info
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
    a appointments;
    s appointments;
    found_one boolean := false;
    state text;
    message text;
BEGIN
    SELECT * INTO a FROM appointments WHERE token = p_token;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no appointment "%".', p_token USING ERRCODE = 'OH006';
    ELSIF actor.id NOT IN (a.client_id, a.coach_id) AND actor.role <> 'admin' THEN
        RAISE EXCEPTION 'That appointment is not yours.' USING ERRCODE = 'OH005';
    ELSIF a.series IS NULL THEN
        RAISE EXCEPTION 'That call is not part of a series.' USING ERRCODE = 'OH024';
    END IF;
    -- Each call under the rules of cancel (find_appointment: who may, cut-off), all or nothing.
    FOR s IN SELECT * FROM series_calls(p_token, p_from_this) LOOP
        found_one := true;
        BEGIN
            PERFORM find_appointment(s.token, actor);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
            RAISE EXCEPTION 'The call of %: %', to_char(lower(s.during) AT TIME ZONE actor.time_zone,
                                                         'FMDD FMMonth YYYY'), message
                USING ERRCODE = state, DETAIL = 'token=' || s.token;
        END;
        UPDATE appointments SET status = 'cancelled' WHERE id = s.id RETURNING * INTO s;
        RETURN NEXT appointment_info(s);
    END LOOP;
    IF NOT found_one THEN
        RAISE EXCEPTION 'This series has no calls left to cancel.' USING ERRCODE = 'OH022';
    END IF;
END $$;
COMMENT ON FUNCTION cancel_series(text, boolean) IS 'Cancels a monthly series in one transaction: every call series_calls lists (all those to come, or from call p_token on when p_from_this), each under the rules of cancel, all or nothing. Raises as cancel does (a refusal names the call''s date, its token in DETAIL), invalid_series when the call is in no series, already_cancelled when none is left.';
