-- officehours 0003: users, coaching, office hours, rules and credentials.
-- These functions are SECURITY INVOKER: row-level security (0004) decides what the web app's
-- role may do with them; an operator connected as the owner may do everything.

CREATE FUNCTION add_user(p_email text, p_name text, p_role user_role, p_time_zone text,
                         p_password_hash text DEFAULT NULL) RETURNS text
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    new_slug text;
BEGIN
    IF p_time_zone IS NULL OR NOT is_time_zone(p_time_zone) THEN
        RAISE EXCEPTION 'Unknown time zone "%".', p_time_zone USING ERRCODE = 'OH032';
    END IF;
    INSERT INTO users (email, display_name, role, time_zone, password_hash)
    VALUES (btrim(p_email), btrim(p_name), p_role, p_time_zone, p_password_hash)
    RETURNING slug INTO new_slug;
    RETURN new_slug;
END $$;
COMMENT ON FUNCTION add_user(text, text, user_role, text, text) IS 'Creates a user and returns their slug. Raises invalid_time_zone, or the constraint errors of users (email_taken, ...).';

CREATE FUNCTION set_user_active(p_user text, p_active boolean) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    u users := find_user(p_user);
BEGIN
    UPDATE users SET active = p_active,
                     deactivated_at = CASE WHEN p_active THEN NULL ELSE coalesce(deactivated_at, clock()) END
    WHERE id = u.id;
END $$;
COMMENT ON FUNCTION set_user_active(text, boolean) IS 'Activates or deactivates a user. Deactivating ends their coaching relationships and cancels their future calls (see users_after_deactivate).';

CREATE FUNCTION users_after_deactivate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE coaching SET during = tstzrange(lower(during), greatest(lower(during), clock()), '[)')
    WHERE upper_inf(during) AND NEW.id IN (coach_id, client_id);
    UPDATE appointments SET status = 'cancelled'
    WHERE status = 'booked' AND lower(during) > clock() AND NEW.id IN (coach_id, client_id);
    RETURN NULL;
END $$;
COMMENT ON FUNCTION users_after_deactivate() IS 'A coaching relationship needs an active coach and client: deactivation ends it and cancels future calls.';
CREATE TRIGGER users_after_deactivate AFTER UPDATE OF active ON users
    FOR EACH ROW WHEN (OLD.active AND NOT NEW.active) EXECUTE FUNCTION users_after_deactivate();

CREATE FUNCTION coaching_check_parties() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    coach users;
    client users;
BEGIN
    IF NOT upper_inf(NEW.during) THEN
        RETURN NEW;
    END IF;
    SELECT * INTO coach FROM users WHERE id = NEW.coach_id;
    SELECT * INTO client FROM users WHERE id = NEW.client_id;
    IF coach.role <> 'coach' OR client.role <> 'client' THEN
        RAISE EXCEPTION 'A coaching relationship joins a coach and a client.' USING ERRCODE = 'OH008';
    ELSIF NOT coach.active OR NOT client.active THEN
        RAISE EXCEPTION 'A coaching relationship needs an active coach and an active client.'
            USING ERRCODE = 'OH003';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION coaching_check_parties() IS 'An open coaching relationship needs an active user of role coach and one of role client.';
CREATE TRIGGER coaching_check_parties BEFORE INSERT OR UPDATE ON coaching
    FOR EACH ROW EXECUTE FUNCTION coaching_check_parties();

CREATE FUNCTION assign_coach(p_client text, p_coach text) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    client users := find_user(p_client);
    coach users := find_user(p_coach);
BEGIN
    IF EXISTS (SELECT 1 FROM coaching WHERE client_id = client.id AND coach_id = coach.id
               AND upper_inf(during)) THEN
        RETURN;
    END IF;
    UPDATE coaching SET during = tstzrange(lower(during), greatest(lower(during), clock()), '[)')
    WHERE client_id = client.id AND upper_inf(during);
    INSERT INTO coaching (coach_id, client_id, during)
    VALUES (coach.id, client.id, tstzrange(clock(), NULL, '[)'));
END $$;
COMMENT ON FUNCTION assign_coach(text, text) IS 'Makes p_coach the client''s coach from now on, ending the previous relationship (kept as history). Raises unknown_user, wrong_role or inactive_user.';

-- Office hours -----------------------------------------------------------------------------------

CREATE FUNCTION set_office_hours(p_coach text, p_weekdays integer[], p_starts time[], p_ends time[])
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

CREATE FUNCTION set_office_hours_exception(p_coach text, p_date date, p_starts time DEFAULT NULL,
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

CREATE FUNCTION clear_office_hours_exceptions(p_coach text, p_date date) RETURNS integer
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

-- Business rules ---------------------------------------------------------------------------------

CREATE FUNCTION set_rule(p_name text, p_value text, p_coach text DEFAULT NULL) RETURNS void
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

CREATE FUNCTION unset_rule(p_name text, p_coach text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    u users := find_user(p_coach);
BEGIN
    DELETE FROM business_rules WHERE name = p_name AND coach_id = u.id;
    RETURN FOUND;
END $$;
COMMENT ON FUNCTION unset_rule(text, text) IS 'Removes a coach''s override so the global value applies again; true when there was one.';

CREATE VIEW effective_rules WITH (security_invoker = true) AS
    SELECT d.name, d.value_type, d.description, u.slug AS coach,
           coalesce(o.duration_value, g.duration_value) AS duration_value,
           coalesce(o.count_value, g.count_value) AS count_value,
           o.id IS NOT NULL AS overridden
    FROM rule_definitions d
    JOIN business_rules g ON g.name = d.name AND g.coach_id IS NULL
    LEFT JOIN users u ON u.role = 'coach'
    LEFT JOIN business_rules o ON o.name = d.name AND o.coach_id = u.id;
COMMENT ON VIEW effective_rules IS 'Every rule for every coach (coach NULL: the global value), with whether the coach overrides it.';

-- Credentials ------------------------------------------------------------------------------------

CREATE FUNCTION secret_hash(p_secret text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN sha256(convert_to(p_secret, 'UTF8'));
COMMENT ON FUNCTION secret_hash(text) IS 'SHA-256 of a random secret. Enough for 256-bit random secrets, which need no slow hash.';

CREATE FUNCTION create_credential(p_user text, p_kind credential_kind, p_secret text,
                                  p_label text DEFAULT '') RETURNS text
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    u users := find_user(p_user);
    made text;
BEGIN
    INSERT INTO credentials (kind, user_id, secret_hash, label)
    VALUES (p_kind, u.id, secret_hash(p_secret), coalesce(p_label, '')) RETURNING handle INTO made;
    RETURN made;
END $$;
COMMENT ON FUNCTION create_credential(text, credential_kind, text, text) IS 'Stores the hash of a new secret of a user; returns its handle.';

CREATE FUNCTION create_api_token(p_user text, p_label text DEFAULT '')
    RETURNS TABLE (handle text, secret text)
    LANGUAGE sql VOLATILE AS $$
    SELECT create_credential(p_user, 'api_token', s, p_label), s
    FROM (SELECT 'oh_' || new_token(32) AS s) AS new
$$;
COMMENT ON FUNCTION create_api_token(text, text) IS 'Creates an API token (256 random bits); the secret is returned this once and only its hash is kept.';

CREATE FUNCTION create_app_password(p_user text, p_label text DEFAULT '')
    RETURNS TABLE (handle text, secret text)
    LANGUAGE sql VOLATILE AS $$
    SELECT create_credential(p_user, 'app_password', s, p_label), s
    FROM (SELECT new_token(18) AS s) AS new
$$;
COMMENT ON FUNCTION create_app_password(text, text) IS 'Creates a CalDAV app password (144 random bits); the secret is returned this once and only its hash is kept.';

CREATE FUNCTION user_for_api_token(p_secret text) RETURNS text
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE credentials c SET last_used_at = clock()
    FROM users u
    WHERE c.secret_hash = secret_hash(p_secret) AND c.kind = 'api_token' AND c.revoked_at IS NULL
      AND u.id = c.user_id AND u.active
    RETURNING u.slug
$$;
COMMENT ON FUNCTION user_for_api_token(text) IS 'The slug of the active user owning an unrevoked API token, or NULL.';

CREATE FUNCTION user_for_app_password(p_email text, p_secret text) RETURNS text
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE credentials c SET last_used_at = clock()
    FROM users u
    WHERE c.secret_hash = secret_hash(p_secret) AND c.kind = 'app_password'
      AND c.revoked_at IS NULL AND u.id = c.user_id AND u.active
      AND lower(u.email) = lower(p_email)
    RETURNING u.slug
$$;
COMMENT ON FUNCTION user_for_app_password(text, text) IS 'The slug of the active user with this email and unrevoked app password, or NULL.';

CREATE FUNCTION login_lookup(p_email text) RETURNS TABLE (slug text, password_hash text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT slug, password_hash FROM users WHERE lower(email) = lower(p_email) AND active
$$;
COMMENT ON FUNCTION login_lookup(text) IS 'The slug and password hash of an active user by email, for signing in.';

CREATE FUNCTION revoke_credential(p_kind text, p_handle text) RETURNS boolean
    LANGUAGE sql VOLATILE AS $$
    UPDATE credentials SET revoked_at = clock()
    WHERE kind = p_kind::credential_kind AND handle = p_handle AND revoked_at IS NULL
    RETURNING true
$$;
COMMENT ON FUNCTION revoke_credential(text, text) IS 'Revokes an API token or app password by handle (as far as the caller may see it); true when one was revoked.';
