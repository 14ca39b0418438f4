-- officehours rules: the business rules' values (global, or per coach) and how they read in words.

CREATE OR REPLACE FUNCTION rule_duration(p_name text, p_coach bigint) RETURNS interval
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT duration_value FROM business_rules
            WHERE name = p_name AND (coach_id = p_coach OR coach_id IS NULL)
            ORDER BY coach_id NULLS LAST LIMIT 1);
COMMENT ON FUNCTION rule_duration(text, bigint) IS 'The value of a duration rule for a coach: the coach''s override, else the global value.';

CREATE OR REPLACE FUNCTION rule_count(p_name text, p_coach bigint) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT count_value FROM business_rules
            WHERE name = p_name AND (coach_id = p_coach OR coach_id IS NULL)
            ORDER BY coach_id NULLS LAST LIMIT 1);
COMMENT ON FUNCTION rule_count(text, bigint) IS 'The value of a count rule for a coach: the coach''s override, else the global value.';

CREATE OR REPLACE FUNCTION slot_rules(p_coach bigint, OUT slot_length interval, OUT minimum_notice interval,
                                      OUT booking_horizon interval, OUT monthly_limit integer)
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    -- One read for the four rules every booking checks, where rule_duration and rule_count would
    -- take one each; the same precedence: the coach's override, else the global value.
    SELECT (array_agg(duration_value ORDER BY coach_id NULLS LAST) FILTER (WHERE name = 'slot_length'))[1],
           (array_agg(duration_value ORDER BY coach_id NULLS LAST) FILTER (WHERE name = 'minimum_notice'))[1],
           (array_agg(duration_value ORDER BY coach_id NULLS LAST) FILTER (WHERE name = 'booking_horizon'))[1],
           (array_agg(count_value ORDER BY coach_id NULLS LAST) FILTER (WHERE name = 'monthly_limit'))[1]
    FROM business_rules
    WHERE name IN ('slot_length', 'minimum_notice', 'booking_horizon', 'monthly_limit')
      AND (coach_id = p_coach OR coach_id IS NULL)
$$;
COMMENT ON FUNCTION slot_rules(bigint) IS 'The rules a new slot must meet, for a coach (their overrides, else the global values): slot length, minimum notice, booking horizon and monthly limit.';

CREATE OR REPLACE FUNCTION describe_interval(i interval) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (WITH e(s) AS (SELECT extract(epoch FROM i)::bigint),
                 u(n, unit) AS (SELECT CASE WHEN s % 86400 = 0 AND s > 0 THEN s / 86400
                                            WHEN s % 3600 = 0 AND s > 0 THEN s / 3600
                                            ELSE s / 60 END,
                                       CASE WHEN s % 86400 = 0 AND s > 0 THEN 'day'
                                            WHEN s % 3600 = 0 AND s > 0 THEN 'hour'
                                            ELSE 'minute' END
                                FROM e)
            SELECT n || ' ' || unit || CASE WHEN n = 1 THEN '' ELSE 's' END FROM u);
COMMENT ON FUNCTION describe_interval(interval) IS 'An interval in words, for messages and for the rules'' values as the admin page and the CLI show them (which set_rule reads back as they are): 90 days, 24 hours, 45 minutes, 0 minutes.';

CREATE OR REPLACE FUNCTION rule_duration_from_text(p_value text) RETURNS interval
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN length(p_value) <= 60
                 AND p_value ~* '^\s*(0|([0-9]{1,6}\s*(minutes?|hours?|days?)\s*)+)$'
           THEN justify_hours(make_interval(secs => 60 * (
                SELECT coalesce(sum(m[1]::bigint * CASE lower(m[2]) WHEN 'day' THEN 1440
                                                                     WHEN 'hour' THEN 60
                                                                     ELSE 1 END), 0)
                FROM regexp_matches(p_value, '([0-9]+)\s*(day|hour|minute)', 'gi') AS m)))
           END;
COMMENT ON FUNCTION rule_duration_from_text(text) IS 'A duration rule''s value from text such as "90 minutes", "1 day 12 hours" or "0", in the one form rule_duration_canonical keeps (whole minutes, justified); NULL for anything else: months, years and seconds have no place in a rule.';

CREATE OR REPLACE FUNCTION set_rule(p_name text, p_value text, p_coach text DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    kind text;
    coach_id bigint;
    d interval;
    n integer;
BEGIN
    SELECT value_type INTO kind FROM rule_definitions WHERE name = p_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no rule "%".', left(p_name, 60) USING ERRCODE = 'OH041';
    END IF;
    IF p_coach IS NOT NULL THEN
        coach_id := (find_user(p_coach)).id;
    END IF;
    -- Only what reads back as it was written: PostgreSQL's own casts would take '3 months',
    -- '90 seconds' or '1e3' and keep something the rules and pages read otherwise.
    IF kind = 'duration' THEN
        d := rule_duration_from_text(p_value);
        IF d IS NULL THEN
            RAISE EXCEPTION '"%" is not a length of time for %: give whole minutes, hours or days, like "45 minutes", "12 hours" or "90 days" (not months, years or seconds).',
                left(p_value, 60), p_name USING ERRCODE = 'OH040';
        END IF;
    ELSE
        IF p_value IS NULL OR p_value !~ '^\s*[0-9]{1,6}\s*$' THEN
            RAISE EXCEPTION '"%" is not a whole number for %: give one like 2, in the digits 0 to 9.',
                left(p_value, 60), p_name USING ERRCODE = 'OH040';
        END IF;
        n := p_value::integer;
    END IF;
    INSERT INTO business_rules AS r (name, coach_id, duration_value, count_value)
    VALUES (p_name, coach_id, d, n)
    ON CONFLICT ON CONSTRAINT business_rule_one_per_scope
    DO UPDATE SET duration_value = EXCLUDED.duration_value, count_value = EXCLUDED.count_value,
                  updated_at = clock();
END $$;
COMMENT ON FUNCTION set_rule(text, text, text) IS 'Sets a rule globally or, with p_coach, for one coach, from text: whole minutes, hours or days for a duration (rule_duration_from_text), ASCII digits for a count. Raises unknown_rule, invalid_rule_value (naming the units allowed), or the rule''s CHECK constraint.';

CREATE OR REPLACE FUNCTION unset_rule(p_name text, p_coach text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    u users := find_user(p_coach);
BEGIN
    DELETE FROM business_rules WHERE name = p_name AND coach_id = u.id;
    RETURN FOUND;
END $$;
COMMENT ON FUNCTION unset_rule(text, text) IS 'Removes a coach''s override so the global value applies again; true when there was one.';

CREATE OR REPLACE VIEW effective_rules WITH (security_invoker = true) AS
    SELECT d.name, d.value_type, d.description, u.slug AS coach,
           coalesce(o.duration_value, g.duration_value) AS duration_value,
           coalesce(o.count_value, g.count_value) AS count_value,
           o.id IS NOT NULL AS overridden
    FROM rule_definitions d
    JOIN business_rules g ON g.name = d.name AND g.coach_id IS NULL
    LEFT JOIN users u ON u.role = 'coach'
    LEFT JOIN business_rules o ON o.name = d.name AND o.coach_id = u.id;
COMMENT ON VIEW effective_rules IS 'Every rule for every coach (coach NULL: the global value), with whether the coach overrides it.';
