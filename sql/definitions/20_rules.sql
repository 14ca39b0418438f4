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

CREATE OR REPLACE FUNCTION describe_interval(i interval) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (WITH e(s) AS (SELECT extract(epoch FROM i)::bigint),
                 u(n, unit) AS (SELECT CASE WHEN s % 86400 = 0 AND s > 0 THEN s / 86400
                                            WHEN s % 3600 = 0 THEN s / 3600 ELSE s / 60 END,
                                       CASE WHEN s % 86400 = 0 AND s > 0 THEN 'day'
                                            WHEN s % 3600 = 0 THEN 'hour' ELSE 'minute' END
                                FROM e)
            SELECT n || ' ' || unit || CASE WHEN n = 1 THEN '' ELSE 's' END FROM u);
COMMENT ON FUNCTION describe_interval(interval) IS 'An interval in words for messages: 90 days, 24 hours, 45 minutes.';

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
        RAISE EXCEPTION 'There is no rule "%".', p_name USING ERRCODE = 'OH041';
    END IF;
    IF p_coach IS NOT NULL THEN
        coach_id := (find_user(p_coach)).id;
    END IF;
    BEGIN
        IF kind = 'duration' THEN
            d := p_value::interval;
        ELSE
            n := p_value::integer;
        END IF;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION '"%" is not a valid % for %.', p_value, kind, p_name USING ERRCODE = 'OH040';
    END;
    INSERT INTO business_rules AS r (name, coach_id, duration_value, count_value)
    VALUES (p_name, coach_id, d, n)
    ON CONFLICT ON CONSTRAINT business_rule_one_per_scope
    DO UPDATE SET duration_value = EXCLUDED.duration_value, count_value = EXCLUDED.count_value,
                  updated_at = clock();
END $$;
COMMENT ON FUNCTION set_rule(text, text, text) IS 'Sets a rule globally or, with p_coach, for one coach. Raises unknown_rule, invalid_rule_value, or the rule''s CHECK constraint.';

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
