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

CREATE OR REPLACE FUNCTION users_check_role_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    coached integer;
    calls integer;
BEGIN
    -- A coaching relationship joins a coach and a client (coaching_check_parties); a role
    -- change must not leave one that joins anything else, nor calls booked under the old role.
    SELECT count(*) INTO coached FROM coaching c
    WHERE upper_inf(c.during) AND NEW.id IN (c.coach_id, c.client_id);
    IF coached > 0 AND OLD.role = 'coach' THEN
        RAISE EXCEPTION '% coaches % client% now: give % another coach on the Coaching page first.',
            OLD.display_name, coached, CASE WHEN coached = 1 THEN '' ELSE 's' END,
            CASE WHEN coached = 1 THEN 'them' ELSE 'each of them' END USING ERRCODE = 'OH008';
    ELSIF coached > 0 THEN
        RAISE EXCEPTION '% has a coach: only a client without one can change role.', OLD.display_name
            USING ERRCODE = 'OH008';
    END IF;
    SELECT count(*) INTO calls FROM appointments a
    WHERE a.status = 'booked' AND upper(a.during) > clock() AND NEW.id IN (a.coach_id, a.client_id);
    IF calls > 0 THEN
        RAISE EXCEPTION '% has % call% booked: a role can change only without any.',
            OLD.display_name, calls, CASE WHEN calls = 1 THEN '' ELSE 's' END USING ERRCODE = 'OH008';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION users_check_role_change() IS 'Refuses (wrong_role) a change of role while the user is part of an open coaching relationship or has calls booked that have not ended: a coach with clients cannot become a client.';
CREATE OR REPLACE TRIGGER users_check_role_change BEFORE UPDATE OF role ON users
    FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role) EXECUTE FUNCTION users_check_role_change();

CREATE OR REPLACE FUNCTION update_user(p_user text, p_name text, p_time_zone text,
                                       p_email text DEFAULT NULL, p_role user_role DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    caller text := CASE current_setting('role') WHEN 'none' THEN session_user::text
                   ELSE current_setting('role') END;
    owner boolean := has_table_privilege(caller, 'users', 'UPDATE');
    actor users;
    target users;
BEGIN
    SELECT * INTO actor FROM users WHERE id = current_actor_id();
    IF actor.id IS NULL AND NOT owner THEN
        RAISE EXCEPTION 'You need to be signed in as an active user.' USING ERRCODE = 'OH001';
    END IF;
    SELECT * INTO target FROM users WHERE slug = p_user OR lower(email) = lower(p_user);
    IF NOT FOUND AND (owner OR actor.role = 'admin') THEN
        RAISE EXCEPTION 'There is no user "%".', p_user USING ERRCODE = 'OH002';
    ELSIF NOT (owner OR actor.role = 'admin') AND target.id IS DISTINCT FROM actor.id THEN
        RAISE EXCEPTION 'You can only change your own profile.' USING ERRCODE = 'OH007';
    ELSIF NOT (owner OR actor.role = 'admin')
          AND (p_email IS DISTINCT FROM NULL OR p_role IS DISTINCT FROM NULL) THEN
        RAISE EXCEPTION 'Only an admin changes an email address or a role.' USING ERRCODE = 'OH007';
    ELSIF target.id = actor.id AND p_role IS DISTINCT FROM NULL AND p_role <> target.role THEN
        RAISE EXCEPTION 'You cannot change your own role: another admin can.' USING ERRCODE = 'OH007';
    END IF;
    IF p_time_zone IS NULL OR NOT is_time_zone(p_time_zone) THEN
        RAISE EXCEPTION 'Unknown time zone "%".', left(p_time_zone, 60) USING ERRCODE = 'OH032';
    END IF;
    -- A role change takes the lock of the coaches concerned, as deactivation does, so a
    -- booking in flight and users_check_role_change never interleave.
    IF p_role IS DISTINCT FROM NULL AND p_role <> target.role THEN
        PERFORM lock_coaches_of(target.id);
    END IF;
    UPDATE users SET display_name = btrim(p_name), time_zone = p_time_zone,
                     email = coalesce(btrim(p_email), email), role = coalesce(p_role, role)
    WHERE id = target.id;
END $$;
COMMENT ON FUNCTION update_user(text, text, text, text, user_role) IS 'Changes a user''s name and time zone (the user themself, an admin or the owner) and, for an admin or the owner, email and role (NULL: unchanged). Times already stored do not change; every page and mail shows them in the new zone. Raises not_signed_in, forbidden, unknown_user, invalid_time_zone, wrong_role (users_check_role_change) or the constraint errors of users (email_taken, invalid_email, invalid_name).';

CREATE OR REPLACE FUNCTION deactivation_effects(p_user text)
    RETURNS TABLE (role user_role, active boolean, coaching_ended integer, calls_cancelled integer,
                   people_mailed integer, credentials_revoked integer)
    LANGUAGE sql STABLE AS $$
    -- What users_after_deactivate would do now, counted the way it selects the rows.
    WITH u AS (SELECT * FROM find_user(p_user)),
         calls AS (SELECT a.* FROM appointments a, u
                   WHERE a.status = 'booked' AND lower(a.during) > clock()
                     AND u.id IN (a.coach_id, a.client_id))
    SELECT u.role, u.active,
           (SELECT count(*)::integer FROM coaching c
            WHERE upper_inf(c.during) AND u.id IN (c.coach_id, c.client_id)),
           (SELECT count(*)::integer FROM calls),
           (SELECT count(DISTINCT p)::integer FROM calls, unnest(ARRAY[calls.coach_id, calls.client_id]) AS p),
           (SELECT count(*)::integer FROM credentials cr WHERE cr.user_id = u.id AND cr.revoked_at IS NULL)
    FROM u
$$;
COMMENT ON FUNCTION deactivation_effects(text) IS 'What deactivating a user (slug or email) would do now, for the admin''s confirmation: the open coaching relationships it ends, the future calls it cancels, how many people (both sides of those calls) get the cancellation mail, and the API tokens and app passwords it revokes. Counts what the caller may see (an admin: everything). Raises unknown_user.';
