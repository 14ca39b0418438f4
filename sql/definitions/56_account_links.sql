-- officehours rules: links that set a password (tables in migration 0050). A forgotten password
-- and a welcome to an account made without one both end in the same place: a single-use link,
-- mailed through the account_mail outbox, that sets a new password under the policy of
-- officehours/passwords.py and ends every session of the user (users_end_sessions).
--
-- Only the SHA-256 of a link's secret is kept in account_links (secret_hash, 55_credentials.sql);
-- the secret in clear waits in account_mail until the mail is sent. Each user has at most one
-- link that works: making one revokes the others, and supersedes their unsent mail.
--
-- Every function here is SECURITY DEFINER: the web app's role has no grant on these tables.
-- Asking for a link and using one run on the owner's connection (nobody is signed in); sending
-- one is for an admin (the web app's role, acting as an admin) or the owner (the command line).

CREATE OR REPLACE FUNCTION password_link_valid_for(p_kind account_link_kind) RETURNS interval
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE p_kind WHEN 'password_reset' THEN INTERVAL '1 hour'
                       ELSE rule_duration('welcome_link_valid', NULL) END;
COMMENT ON FUNCTION password_link_valid_for(account_link_kind) IS 'How long a new link works: an hour for a forgotten password, the welcome_link_valid rule for a welcome.';

CREATE OR REPLACE FUNCTION make_password_link(p_user bigint, p_kind account_link_kind)
    RETURNS timestamptz
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    secret text := new_token(32);
    link bigint;
    expires timestamptz := clock() + password_link_valid_for(p_kind);
BEGIN
    -- One working link per user: the newest. Its older siblings stop working, and their mail,
    -- if no mailer holds it right now, is not sent at all.
    UPDATE account_links SET revoked_at = clock()
    WHERE user_id = p_user AND used_at IS NULL AND revoked_at IS NULL;
    UPDATE account_mail SET state = 'superseded', link_secret = NULL, finished_at = clock()
    WHERE id IN (SELECT m.id FROM account_mail m WHERE m.user_id = p_user AND m.state = 'pending'
                 FOR UPDATE SKIP LOCKED);
    INSERT INTO account_links (user_id, kind, secret_hash, created_at, expires_at)
    VALUES (p_user, p_kind, secret_hash(secret), clock(), expires)
    RETURNING id INTO link;
    INSERT INTO account_mail (link_id, kind, user_id, link_secret, next_attempt_at, created_at)
    VALUES (link, p_kind, p_user, secret, clock(), clock());
    PERFORM pg_notify('officehours_mail', '');
    RETURN expires;
END $$;
COMMENT ON FUNCTION make_password_link(bigint, account_link_kind) IS 'Makes a new link that sets the password of a user (revoking the older ones) and queues its mail, waking the mailers; returns when the link expires.';

CREATE OR REPLACE FUNCTION request_password_link(p_email text, p_remote text) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    scopes text[] := ARRAY['reset-address', 'reset-remote'];
    keys text[] := ARRAY[sign_in_address(p_email), sign_in_place(p_remote)];
    wait integer := sign_in_wait(scopes, keys);
    who bigint;
BEGIN
    IF wait > 0 THEN
        RETURN wait;
    END IF;
    -- Every request counts, whether or not an account has the address: the limit then says
    -- nothing about which addresses exist.
    PERFORM sign_in_failed(scopes, keys);
    SELECT id INTO who FROM users WHERE lower(email) = lower(btrim(p_email)) AND active;
    IF FOUND THEN
        PERFORM make_password_link(who, 'password_reset');
    END IF;
    RETURN 0;
END $$;
COMMENT ON FUNCTION request_password_link(text, text) IS '"Forgot password": mails a link valid an hour to the active account with this email, if there is one, and returns 0; or returns the seconds to wait when this address, or this place, asked too often (nothing is done then). The answer is the same whether or not the account exists.';

CREATE OR REPLACE FUNCTION password_link_require_admin() RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
BEGIN
    -- The role that called (see mail_require_reader): the owner may, the web app's role only
    -- for an admin.
    IF NOT (current_actor_is_admin()
            OR has_table_privilege(CASE current_setting('role') WHEN 'none' THEN session_user::text
                                   ELSE current_setting('role') END, 'account_links', 'INSERT')) THEN
        RAISE EXCEPTION 'Only an admin may send a password link.' USING ERRCODE = 'OH007';
    END IF;
END $$;
COMMENT ON FUNCTION password_link_require_admin() IS 'Raises forbidden (OH007) unless the acting user is an admin or the calling role may write account_links itself (the owner: the command line).';

CREATE OR REPLACE FUNCTION send_password_link(p_user text, p_kind account_link_kind)
    RETURNS timestamptz
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    u users;
BEGIN
    PERFORM password_link_require_admin();
    SELECT * INTO u FROM users WHERE slug = p_user OR lower(email) = lower(p_user);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no user "%".', p_user USING ERRCODE = 'OH002';
    ELSIF NOT u.active THEN
        RAISE EXCEPTION 'The account of % is not active: activate it before sending a password link.',
            u.display_name USING ERRCODE = 'OH003';
    END IF;
    RETURN make_password_link(u.id, p_kind);
END $$;
COMMENT ON FUNCTION send_password_link(text, account_link_kind) IS 'An admin (or the owner) sends a user (slug or email) a link to set their password: a welcome or a password reset, revoking older links. Returns when it expires. Raises forbidden, unknown_user or inactive_user.';

CREATE OR REPLACE FUNCTION password_link_state(l account_links, u users) RETURNS text
    LANGUAGE sql STABLE
    RETURN CASE WHEN l.id IS NULL OR u.id IS NULL OR NOT u.active THEN 'unknown'
                WHEN l.used_at IS NOT NULL THEN 'used'
                WHEN l.revoked_at IS NOT NULL THEN 'replaced'
                WHEN l.expires_at <= clock() THEN 'expired'
                ELSE 'valid' END;
COMMENT ON FUNCTION password_link_state(account_links, users) IS 'What a link is worth now: valid, used, replaced (a newer link was made), expired, or unknown (no such link, or its account is not active).';

CREATE OR REPLACE FUNCTION password_link_check(p_state text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    CASE p_state
    WHEN 'valid' THEN
        RETURN;
    WHEN 'used' THEN
        RAISE EXCEPTION 'This link was used already: each link sets a password once. Ask for a new one below.'
            USING ERRCODE = 'OH062';
    WHEN 'replaced' THEN
        RAISE EXCEPTION 'A newer link was sent since this one: use the link in the latest mail, or ask for a new one below.'
            USING ERRCODE = 'OH061';
    WHEN 'expired' THEN
        RAISE EXCEPTION 'This link has expired. Ask for a new one below.' USING ERRCODE = 'OH061';
    ELSE
        RAISE EXCEPTION 'This link is not valid: check that it is the whole link from the mail, or ask for a new one below.'
            USING ERRCODE = 'OH060';
    END CASE;
END $$;
COMMENT ON FUNCTION password_link_check(text) IS 'Raises the error of a link that cannot be used (link_unknown OH060, link_expired OH061 for an expired or replaced one, link_used OH062); returns for a valid one.';

CREATE OR REPLACE FUNCTION password_link_user(p_secret text)
    RETURNS TABLE (slug text, email text, display_name text, kind account_link_kind)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    l account_links;
    u users;
BEGIN
    SELECT * INTO l FROM account_links WHERE secret_hash = secret_hash(p_secret);
    SELECT * INTO u FROM users WHERE id = l.user_id;
    PERFORM password_link_check(password_link_state(l, u));
    RETURN QUERY SELECT u.slug, u.email, u.display_name, l.kind;
END $$;
COMMENT ON FUNCTION password_link_user(text) IS 'Whose password a working link sets (for the form, and for the password policy, which refuses a password made of the name or email). Raises link_unknown, link_expired or link_used.';

CREATE OR REPLACE FUNCTION use_password_link(p_secret text, p_password_hash text) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    l account_links;
    u users;
BEGIN
    -- Locked: of two uses of one link at once, the second waits and then finds it used.
    SELECT * INTO l FROM account_links WHERE secret_hash = secret_hash(p_secret) FOR UPDATE;
    SELECT * INTO u FROM users WHERE id = l.user_id;
    PERFORM password_link_check(password_link_state(l, u));
    IF p_password_hash IS NULL OR p_password_hash !~ '^\$argon2' THEN
        RAISE EXCEPTION 'A password link sets an argon2 hash.' USING ERRCODE = 'OH007';
    END IF;
    UPDATE account_links SET used_at = clock() WHERE id = l.id;
    -- A new password ends every website session of the user (users_end_sessions).
    UPDATE users SET password_hash = p_password_hash WHERE id = u.id;
    RETURN u.slug;
END $$;
COMMENT ON FUNCTION use_password_link(text, text) IS 'Sets the password (its argon2 hash) of the user a working link belongs to, marks the link used and ends every session of the user; returns their slug. Raises link_unknown, link_expired or link_used.';

CREATE OR REPLACE FUNCTION password_link_latest(p_user text)
    RETURNS TABLE (kind account_link_kind, created_at timestamptz, expires_at timestamptz,
                   state text, mail_state mail_state)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM password_link_require_admin();
    RETURN QUERY
        SELECT l.kind, l.created_at, l.expires_at, password_link_state(l, u), m.state
        FROM users u
        JOIN account_links l ON l.user_id = u.id
        LEFT JOIN account_mail m ON m.link_id = l.id
        WHERE u.slug = p_user
        ORDER BY l.created_at DESC, l.id DESC
        LIMIT 1;
END $$;
COMMENT ON FUNCTION password_link_latest(text) IS 'The newest password link of a user (slug) and what became of it and its mail, for the admin''s page of that user; no row when none was made. Raises forbidden for anyone but an admin or the owner.';

-- The mailers' side, like mail_claim (60_mail.sql), for the owner's connection only.

CREATE OR REPLACE FUNCTION account_mail_claim()
    RETURNS TABLE (public_id text, kind account_link_kind, attempts integer, link_secret text,
                   expires_at timestamptz, created_at timestamptz,
                   name text, email text, time_zone text)
    LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- A link that stopped working (used, replaced, expired) before its mail went out is not
    -- worth sending.
    UPDATE account_mail SET state = 'superseded', link_secret = NULL, finished_at = clock()
    WHERE id IN (SELECT m.id FROM account_mail m JOIN account_links l ON l.id = m.link_id
                 JOIN users u ON u.id = m.user_id
                 WHERE m.state = 'pending' AND password_link_state(l, u) <> 'valid'
                 FOR UPDATE OF m SKIP LOCKED);
    RETURN QUERY
        WITH claimed AS (
            SELECT m.id FROM account_mail m
            WHERE m.state = 'pending' AND m.next_attempt_at <= clock()
            ORDER BY m.next_attempt_at, m.id
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        )
        SELECT m.public_id, m.kind, m.attempts, m.link_secret, l.expires_at, m.created_at,
               u.display_name, u.email, u.time_zone
        FROM claimed
        JOIN account_mail m ON m.id = claimed.id
        JOIN account_links l ON l.id = m.link_id
        JOIN users u ON u.id = m.user_id;
END $$;
COMMENT ON FUNCTION account_mail_claim() IS 'Locks the next due account mail no other mailer holds (FOR UPDATE SKIP LOCKED) until the transaction ends and returns what it takes to write it, the link''s secret included; first drops pending mail whose link stopped working. No row when nothing is due.';

CREATE OR REPLACE FUNCTION account_mail_sent(p_public_id text) RETURNS void
    LANGUAGE sql VOLATILE
    BEGIN ATOMIC
        UPDATE account_mail SET state = 'sent', attempts = attempts + 1, finished_at = clock(),
                                last_error = NULL, link_secret = NULL
        WHERE public_id = p_public_id AND state = 'pending';
    END;
COMMENT ON FUNCTION account_mail_sent(text) IS 'Marks a claimed account mail sent and forgets the link''s secret, which only the recipient has from now on.';

CREATE OR REPLACE FUNCTION account_mail_attempt_failed(p_public_id text, p_error text,
                                                       p_retry_in interval,
                                                       p_give_up boolean DEFAULT false)
    RETURNS mail_state
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    m account_mail;
BEGIN
    UPDATE account_mail SET attempts = attempts + 1, last_error = left(p_error, 2000)
    WHERE public_id = p_public_id AND state = 'pending' RETURNING * INTO m;
    IF NOT FOUND THEN
        RETURN NULL;
    ELSIF p_give_up OR m.attempts >= m.max_attempts THEN
        UPDATE account_mail SET state = 'failed', finished_at = clock(), link_secret = NULL
        WHERE id = m.id;
        RETURN 'failed';
    END IF;
    UPDATE account_mail SET next_attempt_at = clock() + p_retry_in WHERE id = m.id;
    RETURN 'pending';
END $$;
COMMENT ON FUNCTION account_mail_attempt_failed(text, text, interval, boolean) IS 'Records a failed attempt of a claimed account mail: retried after p_retry_in, or given up (failed, forgetting the secret) after max_attempts or at once with p_give_up. Returns the new state.';

-- Nobody but the owner runs these unless 90_security.sql grants it.
REVOKE EXECUTE ON FUNCTION
    make_password_link(bigint, account_link_kind), request_password_link(text, text),
    send_password_link(text, account_link_kind), password_link_user(text),
    use_password_link(text, text), password_link_latest(text),
    account_mail_claim(), account_mail_sent(text),
    account_mail_attempt_failed(text, text, interval, boolean)
FROM PUBLIC;
