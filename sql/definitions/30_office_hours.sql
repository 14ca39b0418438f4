-- officehours rules: local wall-clock time, and a coach's weekly office hours and dated
-- exceptions, turned into instants in the coach's own zone.

CREATE OR REPLACE FUNCTION local_to_instant(p_local timestamp, p_zone text, p_fold integer DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION office_windows(p_coach bigint, p_from timestamptz, p_to timestamptz)
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

CREATE OR REPLACE FUNCTION set_office_hours(p_coach text, p_weekdays integer[], p_starts time[], p_ends time[])
    RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    coach users := find_coach(p_coach);
BEGIN
    DELETE FROM office_hours WHERE coach_id = coach.id;
    INSERT INTO office_hours (coach_id, weekday, starts, ends)
    SELECT coach.id, w, s, e FROM unnest(p_weekdays, p_starts, p_ends) AS r (w, s, e);
END $$;
COMMENT ON FUNCTION set_office_hours(text, integer[], time[], time[]) IS 'Replaces a coach''s weekly office hours with the given rules (ISO weekday, local start, local end). Raises the office_hours constraint errors.';

CREATE OR REPLACE FUNCTION set_office_hours_exception(p_coach text, p_date date, p_starts time DEFAULT NULL,
                                           p_ends time DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    coach users := find_coach(p_coach);
BEGIN
    IF p_starts IS NOT NULL AND p_ends IS NOT NULL THEN
        -- Refuse local times the coach's clock never shows (or shows twice) that day.
        PERFORM local_to_instant(p_date + p_starts, coach.time_zone);
        PERFORM local_to_instant(p_date + p_ends, coach.time_zone);
    END IF;
    -- A day off replaces whatever that date had; hours replace a day off.
    DELETE FROM office_hours_exceptions
    WHERE coach_id = coach.id AND on_date = p_date AND (p_starts IS NULL OR starts IS NULL);
    INSERT INTO office_hours_exceptions (coach_id, on_date, starts, ends)
    VALUES (coach.id, p_date, p_starts, p_ends);
END $$;
COMMENT ON FUNCTION set_office_hours_exception(text, date, time, time) IS 'Adds a dated exception: a day off (no times) or hours for that date, which replace the weekly hours that day. Raises nonexistent_local_time or ambiguous_local_time for times inside a DST change.';

CREATE OR REPLACE FUNCTION clear_office_hours_exceptions(p_coach text, p_date date) RETURNS integer
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    coach users := find_user(p_coach);
    removed integer;
BEGIN
    DELETE FROM office_hours_exceptions WHERE coach_id = coach.id AND on_date = p_date;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END $$;
COMMENT ON FUNCTION clear_office_hours_exceptions(text, date) IS 'Removes a date''s exceptions, so the weekly hours apply again; returns how many were removed.';
