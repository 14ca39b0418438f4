-- officehours rules: signing in. Website sessions (web_sessions) and the limits on failed
-- sign-ins (sign_in_limits, sign_in_counters), for website passwords, CalDAV app passwords and
-- API bearer tokens alike.
--
-- secret_hash, user_for_api_token and user_for_app_password come from 55_credentials.sql,
-- laid after this file: the functions that call them are PL/pgSQL, whose bodies are bound when
-- they first run.
--
-- Every function here that reads a secret or a counter is SECURITY DEFINER: the web app's role
-- has no grant on those tables (90_security.sql), and only the owner's connection (the website
-- and CalDAV before anyone is signed in) may call them, except end_web_sessions, which runs as
-- the acting user.
--
-- A limit is checked and recorded in one transaction, under an advisory lock per key: two
-- guesses for the same key never both see the count before either is recorded. Keys are
-- chosen so that an attacker cannot keep an owner out: the hard stop is per address and IP;
-- per address alone and per IP alone the wait grows to a minute at most.

CREATE OR REPLACE FUNCTION login_lookup(p_email text) RETURNS TABLE (slug text, password_hash text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT slug, password_hash FROM users WHERE lower(email) = lower(p_email) AND active
$$;
COMMENT ON FUNCTION login_lookup(text) IS 'The slug and password hash of an active user by email, for signing in.';

CREATE OR REPLACE FUNCTION sign_in_place(p_remote text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    address inet;
BEGIN
    BEGIN
        address := p_remote::inet;
    EXCEPTION WHEN invalid_text_representation THEN
        RETURN coalesce(nullif(left(p_remote, 100), ''), 'unknown');
    END;
    -- One IPv6 host gets a whole /64, so that is what one place is; IPv4 (also mapped into
    -- IPv6) is one address.
    IF family(address) = 6 AND NOT address << '::ffff:0:0/96'::inet THEN
        RETURN network(set_masklen(address, 64))::text;
    END IF;
    RETURN host(address);
END $$;
COMMENT ON FUNCTION sign_in_place(text) IS 'The place a sign-in comes from, as a limit key: the IPv4 address, the IPv6 /64, or the text given when it is no IP address.';

CREATE OR REPLACE FUNCTION sign_in_wait(p_scopes text[], p_keys text[]) RETURNS integer
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    lock_key text;
    wait integer;
BEGIN
    -- In one order (scope, then key), so two sign-ins that share keys never deadlock.
    FOR lock_key IN SELECT k.scope || ' ' || k.key FROM unnest(p_scopes, p_keys) AS k(scope, key)
                    ORDER BY k.scope, k.key LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('officehours.sign_in ' || lock_key, 0));
    END LOOP;
    SELECT coalesce(max(greatest(0, ceil(extract(epoch FROM
               c.last_failure_at
               + least(l.max_delay, l.first_delay * power(2, least(c.failures - l.attempts, 20)))
               - clock())))), 0)::integer
    INTO wait
    FROM unnest(p_scopes, p_keys) AS k(scope, key)
    JOIN sign_in_counters c ON c.scope = k.scope AND c.key = k.key
    JOIN sign_in_limits l ON l.scope = c.scope
    WHERE c.failures >= l.attempts AND c.last_failure_at > clock() - l.forget_after;
    RETURN wait;
END $$;
COMMENT ON FUNCTION sign_in_wait(text[], text[]) IS 'Takes the lock of each key (scope and key, in pairs) until the transaction ends, and returns how many seconds the next attempt must wait: 0 while every key is under its limit, else first_delay doubled for each failure past it, up to max_delay, from the last failure.';

CREATE OR REPLACE FUNCTION sign_in_failed(p_scopes text[], p_keys text[]) RETURNS void
    LANGUAGE sql VOLATILE
    BEGIN ATOMIC
        INSERT INTO sign_in_counters AS c (scope, key, failures, last_failure_at)
        SELECT k.scope, k.key, 1, clock() FROM unnest(p_scopes, p_keys) AS k(scope, key)
        ON CONFLICT (scope, key) DO UPDATE
            SET failures = CASE WHEN c.last_failure_at <= clock() - (
                                    SELECT l.forget_after FROM sign_in_limits l WHERE l.scope = c.scope)
                                THEN 1 ELSE c.failures + 1 END,
                last_failure_at = clock();
        DELETE FROM sign_in_counters c USING sign_in_limits l
        WHERE l.scope = c.scope AND c.last_failure_at <= clock() - l.forget_after
          AND c.last_failure_at <= clock() - (SELECT min(forget_after) FROM sign_in_limits);
    END;
COMMENT ON FUNCTION sign_in_failed(text[], text[]) IS 'Counts a failed sign-in for each key (scope and key, in pairs; the caller holds their locks, see sign_in_wait), starting again after forget_after, and forgets the counters that went stale.';

CREATE OR REPLACE FUNCTION sign_in_address(p_email text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce(nullif(lower(left(btrim(p_email), 320)), ''), '-');
COMMENT ON FUNCTION sign_in_address(text) IS 'An email address as a limit key: trimmed, in lower case.';

CREATE OR REPLACE FUNCTION begin_password_sign_in(p_email text, p_remote text) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    address text := sign_in_address(p_email);
    place text := sign_in_place(p_remote);
    scopes text[] := ARRAY['password', 'password-address', 'password-remote'];
    keys text[] := ARRAY[address || ' ' || place, address, place];
    wait integer := sign_in_wait(scopes, keys);
BEGIN
    IF wait = 0 THEN
        -- Counted as a failure until password_sign_in_succeeded says otherwise: the website
        -- checks the password (slowly) after this transaction, and a guess made meanwhile
        -- must already count this one.
        PERFORM sign_in_failed(scopes, keys);
    END IF;
    RETURN wait;
END $$;
COMMENT ON FUNCTION begin_password_sign_in(text, text) IS 'Before the website checks a password for an email from a remote address: the seconds to wait (the password must then not be checked: too_many_attempts), or 0, and the attempt is counted as failed until password_sign_in_succeeded.';

CREATE OR REPLACE FUNCTION password_sign_in_succeeded(p_email text, p_remote text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    address text := sign_in_address(p_email);
    place text := sign_in_place(p_remote);
BEGIN
    PERFORM sign_in_wait(ARRAY['password', 'password-address', 'password-remote'],
                         ARRAY[address || ' ' || place, address, place]);
    -- The right password from this place forgets its failures there; elsewhere, only this
    -- attempt is taken back.
    DELETE FROM sign_in_counters WHERE scope = 'password' AND key = address || ' ' || place;
    UPDATE sign_in_counters SET failures = failures - 1
    WHERE failures > 0
      AND ((scope = 'password-address' AND key = address) OR (scope = 'password-remote' AND key = place));
END $$;
COMMENT ON FUNCTION password_sign_in_succeeded(text, text) IS 'After the right password: forgets the failures of that email from that place, and takes back the failure begin_password_sign_in counted for the email and for the place.';

CREATE OR REPLACE FUNCTION app_password_sign_in(p_email text, p_secret text, p_remote text)
    RETURNS TABLE (slug text, retry_after integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    address text := sign_in_address(p_email);
    place text := sign_in_place(p_remote);
    scopes text[] := ARRAY['app-password', 'app-password-remote'];
    keys text[] := ARRAY[address || ' ' || place, place];
    wait integer := sign_in_wait(scopes, keys);
    found text;
BEGIN
    IF wait > 0 THEN
        RETURN QUERY SELECT NULL::text, wait;
        RETURN;
    END IF;
    found := user_for_app_password(p_email, p_secret);
    IF found IS NULL THEN
        PERFORM sign_in_failed(scopes, keys);
    ELSE
        DELETE FROM sign_in_counters c WHERE c.scope = 'app-password' AND c.key = keys[1];
    END IF;
    RETURN QUERY SELECT found, 0;
END $$;
COMMENT ON FUNCTION app_password_sign_in(text, text, text) IS 'CalDAV sign-in: the slug of the active user with this email and app password (NULL when none, or a NULL secret), or the seconds to wait when that email from that place, or that place, failed too often. Checked and counted in one transaction.';

CREATE OR REPLACE FUNCTION api_token_sign_in(p_secret text, p_remote text)
    RETURNS TABLE (slug text, email text, display_name text, time_zone text, role text,
                   active boolean, retry_after integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    keys text[] := ARRAY[sign_in_place(p_remote)];
    wait integer := sign_in_wait(ARRAY['api-token-remote'], keys);
    found text;
BEGIN
    IF wait > 0 THEN
        RETURN QUERY SELECT NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::boolean, wait;
        RETURN;
    END IF;
    found := user_for_api_token(p_secret);
    IF found IS NULL THEN
        PERFORM sign_in_failed(ARRAY['api-token-remote'], keys);
    END IF;
    RETURN QUERY SELECT u.slug, u.email, u.display_name, u.time_zone, u.role::text, u.active, 0
                 FROM users u WHERE u.slug = found;
END $$;
COMMENT ON FUNCTION api_token_sign_in(text, text) IS 'JSON API sign-in: the active user owning this unrevoked bearer token (no row when none, or a NULL secret), or only the seconds to wait when the remote place failed too often. Checked and counted in one transaction.';

-- Website sessions. The lifetimes are here and only here: a session ends 7 days after it was
-- last used, and 30 days after it began in any case.

CREATE OR REPLACE FUNCTION web_session_expired(s web_sessions) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN s.last_seen_at < clock() - INTERVAL '7 days' OR s.created_at < clock() - INTERVAL '30 days';
COMMENT ON FUNCTION web_session_expired(web_sessions) IS 'True when a session was idle for more than 7 days or began more than 30 days ago.';

CREATE OR REPLACE FUNCTION open_web_session(p_user text) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    who bigint;
    secret text := new_token(32);
BEGIN
    SELECT id INTO who FROM users WHERE slug = p_user AND active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'You need to be signed in as an active user.' USING ERRCODE = 'OH001';
    END IF;
    DELETE FROM web_sessions WHERE last_seen_at < clock() - INTERVAL '7 days';
    INSERT INTO web_sessions (user_id, secret_hash, created_at, last_seen_at)
    VALUES (who, secret_hash(secret), clock(), clock());
    RETURN secret;
END $$;
COMMENT ON FUNCTION open_web_session(text) IS 'Starts a website session for the active user with this slug (after the website checked their password) and returns its secret, for the cookie, this once; only its hash is kept. Raises not_signed_in for an inactive or unknown user.';

CREATE OR REPLACE FUNCTION web_session_user(p_secret text)
    RETURNS TABLE (slug text, email text, display_name text, time_zone text, role text, active boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    s web_sessions;
BEGIN
    SELECT * INTO s FROM web_sessions WHERE secret_hash = secret_hash(p_secret);
    IF NOT FOUND THEN
        RETURN;
    ELSIF web_session_expired(s) THEN
        DELETE FROM web_sessions WHERE id = s.id;
        RETURN;
    ELSIF s.last_seen_at < clock() - INTERVAL '5 minutes' THEN
        -- Not on every request: a write per page would cost more than the idle limit needs.
        UPDATE web_sessions SET last_seen_at = clock() WHERE id = s.id;
    END IF;
    RETURN QUERY SELECT u.slug, u.email, u.display_name, u.time_zone, u.role::text, u.active
                 FROM users u WHERE u.id = s.user_id AND u.active;
END $$;
COMMENT ON FUNCTION web_session_user(text) IS 'The active user whose live session has this secret (no row when it ended, expired or is unknown), noting that the session is in use.';

CREATE OR REPLACE FUNCTION end_web_session(p_secret text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM web_sessions WHERE secret_hash = secret_hash(p_secret);
    RETURN FOUND;
END $$;
COMMENT ON FUNCTION end_web_session(text) IS 'Signing out: ends the session with this secret, for every copy of its cookie; true when there was one.';

CREATE OR REPLACE FUNCTION end_web_sessions(p_user text) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
    target bigint;
    ended integer;
BEGIN
    SELECT id INTO target FROM users WHERE slug = p_user OR lower(email) = lower(p_user);
    IF actor.role = 'admin' AND target IS NULL THEN
        RAISE EXCEPTION 'There is no user "%".', p_user USING ERRCODE = 'OH002';
    ELSIF target IS DISTINCT FROM actor.id AND actor.role <> 'admin' THEN
        RAISE EXCEPTION 'You can only sign yourself out everywhere.' USING ERRCODE = 'OH007';
    END IF;
    DELETE FROM web_sessions WHERE user_id = target;
    GET DIAGNOSTICS ended = ROW_COUNT;
    RETURN ended;
END $$;
COMMENT ON FUNCTION end_web_sessions(text) IS '"Sign out everywhere": ends every website session of a user (slug or email): the acting user''s own, or anyone''s for an admin. Returns how many ended. Raises forbidden, or unknown_user for an admin.';

CREATE OR REPLACE FUNCTION users_end_sessions() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM web_sessions WHERE user_id = NEW.id;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION users_end_sessions() IS 'A new password or deactivation ends every website session of the user, however it was made (account page, admin, command line); activating the account again brings none back.';
CREATE OR REPLACE TRIGGER users_end_sessions AFTER UPDATE OF active, password_hash ON users
    FOR EACH ROW
    WHEN ((OLD.active AND NOT NEW.active) OR OLD.password_hash IS DISTINCT FROM NEW.password_hash)
    EXECUTE FUNCTION users_end_sessions();
