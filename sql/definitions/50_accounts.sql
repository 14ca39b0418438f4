-- officehours rules: users and coaching relationships (signing in is in 52_sign_in.sql).
-- The functions without SECURITY DEFINER run with the caller's rights: row-level security
-- (90_security.sql) decides what the web app's role may do with them; an operator connected as
-- the owner may do everything.

CREATE OR REPLACE FUNCTION slugify(name text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN coalesce(nullif(left(trim(BOTH '-' FROM regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g')), 40), ''), 'user');
COMMENT ON FUNCTION slugify(text) IS 'The ASCII letters and digits of a name, joined by hyphens: the readable part of a user slug.';

CREATE OR REPLACE FUNCTION users_fill_slug() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.slug IS NULL THEN
        NEW.slug := slugify(NEW.display_name) || '-' || lower(translate(new_token(3), '-_', 'xy'));
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION users_fill_slug() IS 'Gives a new user a slug from their name and four random characters unless one was given.';
CREATE OR REPLACE TRIGGER users_fill_slug BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION users_fill_slug();


CREATE OR REPLACE FUNCTION add_user(p_email text, p_name text, p_role user_role, p_time_zone text,
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

CREATE OR REPLACE FUNCTION lock_coaches_of(p_user bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    coach bigint;
BEGIN
    -- In id order, as every taker of two of these locks does, so two of them never deadlock.
    FOR coach IN SELECT u.id FROM users u WHERE u.id = p_user AND u.role = 'coach'
                 UNION SELECT c.coach_id FROM coaching c WHERE c.client_id = p_user AND upper_inf(c.during)
                 ORDER BY 1 LOOP
        PERFORM lock_coach(coach);
    END LOOP;
END $$;
COMMENT ON FUNCTION lock_coaches_of(bigint) IS 'Takes the lock of every coach whose calendar a change of this user touches: the user, if a coach; their current coach, if a client. Bookings take the same lock before they read who is active, so a booking and the change never interleave.';

CREATE OR REPLACE FUNCTION set_user_active(p_user text, p_active boolean) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    u users := find_user(p_user);
BEGIN
    PERFORM lock_coaches_of(u.id);
    UPDATE users SET active = p_active,
                     deactivated_at = CASE WHEN p_active THEN NULL ELSE coalesce(deactivated_at, clock()) END
    WHERE id = u.id;
END $$;
COMMENT ON FUNCTION set_user_active(text, boolean) IS 'Activates or deactivates a user, under the lock of the coaches concerned. Deactivating ends their coaching relationships, cancels their future calls and revokes their API tokens, app passwords and feed URLs (see users_after_deactivate); activating brings none of those back.';

CREATE OR REPLACE FUNCTION users_after_deactivate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- Taken already by set_user_active; taken here too for an UPDATE made any other way.
    PERFORM lock_coaches_of(NEW.id);
    UPDATE coaching SET during = tstzrange(lower(during), greatest(lower(during), clock()), '[)')
    WHERE upper_inf(during) AND NEW.id IN (coach_id, client_id);
    UPDATE appointments SET status = 'cancelled'
    WHERE status = 'booked' AND lower(during) > clock() AND NEW.id IN (coach_id, client_id);
    -- Revoked, not hidden: activating the account again brings none of them back.
    UPDATE credentials SET revoked_at = clock() WHERE user_id = NEW.id AND revoked_at IS NULL;
    UPDATE feed_tokens SET revoked_at = clock() WHERE user_id = NEW.id AND revoked_at IS NULL;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION users_after_deactivate() IS 'A coaching relationship needs an active coach and client: deactivation ends it, cancels future calls (mail goes to both sides) and revokes the user''s API tokens, app passwords and calendar-feed URLs.';
CREATE OR REPLACE TRIGGER users_after_deactivate AFTER UPDATE OF active ON users
    FOR EACH ROW WHEN (OLD.active AND NOT NEW.active) EXECUTE FUNCTION users_after_deactivate();

CREATE OR REPLACE FUNCTION coaching_check_parties() RETURNS trigger
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
CREATE OR REPLACE TRIGGER coaching_check_parties BEFORE INSERT OR UPDATE ON coaching
    FOR EACH ROW EXECUTE FUNCTION coaching_check_parties();

CREATE OR REPLACE FUNCTION assign_coach(p_client text, p_coach text) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    client users := find_user(p_client);
    coach users := find_user(p_coach);
    locked bigint;
BEGIN
    -- coaching_check_parties guards the row; asking first refuses before anything changed.
    IF coach.role <> 'coach' OR client.role <> 'client' THEN
        RAISE EXCEPTION 'A coaching relationship joins a coach and a client.' USING ERRCODE = 'OH008';
    ELSIF NOT coach.active OR NOT client.active THEN
        RAISE EXCEPTION 'A coaching relationship needs an active coach and an active client.'
            USING ERRCODE = 'OH003';
    END IF;
    IF EXISTS (SELECT 1 FROM coaching WHERE client_id = client.id AND coach_id = coach.id
               AND upper_inf(during)) THEN
        RETURN;
    END IF;
    -- The former coach's lock and the new one's, in id order (see lock_coaches_of), before the
    -- relationship changes: a booking in flight either comes first or sees the new coach.
    FOR locked IN SELECT coach.id UNION SELECT c.coach_id FROM coaching c
                  WHERE c.client_id = client.id AND upper_inf(c.during) ORDER BY 1 LOOP
        PERFORM lock_coach(locked);
    END LOOP;
    UPDATE coaching SET during = tstzrange(lower(during), greatest(lower(during), clock()), '[)')
    WHERE client_id = client.id AND upper_inf(during);
    INSERT INTO coaching (coach_id, client_id, during)
    VALUES (coach.id, client.id, tstzrange(clock(), NULL, '[)'));
END $$;
COMMENT ON FUNCTION assign_coach(text, text) IS 'Makes p_coach the client''s coach from now on, ending the previous relationship (kept as history; its future calls are cancelled, see coaching_after_end). Raises unknown_user, wrong_role or inactive_user.';

CREATE OR REPLACE FUNCTION coaching_after_end() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM lock_coach(NEW.coach_id);
    UPDATE appointments SET status = 'cancelled'
    WHERE status = 'booked' AND coach_id = NEW.coach_id AND client_id = NEW.client_id
      AND lower(during) >= upper(NEW.during);
    RETURN NULL;
END $$;
COMMENT ON FUNCTION coaching_after_end() IS 'A coaching relationship that ends takes its future calls with it: they are cancelled in the same transaction, and the history trigger mails both sides.';
CREATE OR REPLACE TRIGGER coaching_after_end AFTER UPDATE OF during ON coaching
    FOR EACH ROW WHEN (upper_inf(OLD.during) AND NOT upper_inf(NEW.during))
    EXECUTE FUNCTION coaching_after_end();
