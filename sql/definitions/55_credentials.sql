-- officehours rules: API tokens, CalDAV app passwords and calendar-feed secrets. Only the SHA-256 of
-- each random secret is kept.

CREATE OR REPLACE FUNCTION secret_hash(p_secret text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN sha256(convert_to(p_secret, 'UTF8'));
COMMENT ON FUNCTION secret_hash(text) IS 'SHA-256 of a random secret. Enough for 256-bit random secrets, which need no slow hash.';

CREATE OR REPLACE FUNCTION create_credential(p_user text, p_kind credential_kind, p_secret text,
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

CREATE OR REPLACE FUNCTION create_api_token(p_user text, p_label text DEFAULT '')
    RETURNS TABLE (handle text, secret text)
    LANGUAGE sql VOLATILE AS $$
    SELECT create_credential(p_user, 'api_token', s, p_label), s
    FROM (SELECT 'oh_' || new_token(32) AS s) AS new
$$;
COMMENT ON FUNCTION create_api_token(text, text) IS 'Creates an API token (256 random bits); the secret is returned this once and only its hash is kept.';

CREATE OR REPLACE FUNCTION create_app_password(p_user text, p_label text DEFAULT '')
    RETURNS TABLE (handle text, secret text)
    LANGUAGE sql VOLATILE AS $$
    SELECT create_credential(p_user, 'app_password', s, p_label), s
    FROM (SELECT new_token(18) AS s) AS new
$$;
COMMENT ON FUNCTION create_app_password(text, text) IS 'Creates a CalDAV app password (144 random bits); the secret is returned this once and only its hash is kept.';

CREATE OR REPLACE FUNCTION user_for_api_token(p_secret text) RETURNS text
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE credentials c SET last_used_at = clock()
    FROM users u
    WHERE c.secret_hash = secret_hash(p_secret) AND c.kind = 'api_token' AND c.revoked_at IS NULL
      AND u.id = c.user_id AND u.active
    RETURNING u.slug
$$;
COMMENT ON FUNCTION user_for_api_token(text) IS 'The slug of the active user owning an unrevoked API token, or NULL.';

CREATE OR REPLACE FUNCTION user_for_app_password(p_email text, p_secret text) RETURNS text
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE credentials c SET last_used_at = clock()
    FROM users u
    WHERE c.secret_hash = secret_hash(p_secret) AND c.kind = 'app_password'
      AND c.revoked_at IS NULL AND u.id = c.user_id AND u.active
      AND lower(u.email) = lower(p_email)
    RETURNING u.slug
$$;
COMMENT ON FUNCTION user_for_app_password(text, text) IS 'The slug of the active user with this email and unrevoked app password, or NULL.';

CREATE OR REPLACE FUNCTION revoke_credential(p_kind text, p_handle text) RETURNS boolean
    LANGUAGE sql VOLATILE AS $$
    UPDATE credentials SET revoked_at = clock()
    WHERE kind = p_kind::credential_kind AND handle = p_handle AND revoked_at IS NULL
    RETURNING true
$$;
COMMENT ON FUNCTION revoke_credential(text, text) IS 'Revokes an API token or app password by handle (as far as the caller may see it); true when one was revoked.';

CREATE OR REPLACE FUNCTION create_feed_token() RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
    secret text := new_token(24);
BEGIN
    UPDATE feed_tokens SET revoked_at = clock() WHERE user_id = actor.id AND revoked_at IS NULL;
    INSERT INTO feed_tokens (user_id, secret_hash, created_at) VALUES (actor.id, secret_hash(secret), clock());
    RETURN secret;
END $$;
COMMENT ON FUNCTION create_feed_token() IS 'Makes a new calendar-feed secret for the acting user, revoking the previous one; the secret is returned this once.';

CREATE OR REPLACE FUNCTION revoke_feed_token() RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
BEGIN
    UPDATE feed_tokens SET revoked_at = clock() WHERE user_id = actor.id AND revoked_at IS NULL;
    RETURN FOUND;
END $$;
COMMENT ON FUNCTION revoke_feed_token() IS 'Revokes the acting user''s calendar-feed URL; true when there was one.';

CREATE OR REPLACE FUNCTION has_feed_token() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    RETURN EXISTS (SELECT 1 FROM feed_tokens WHERE user_id = current_actor_id() AND revoked_at IS NULL);
COMMENT ON FUNCTION has_feed_token() IS 'True when the acting user has an active calendar-feed URL.';

CREATE OR REPLACE FUNCTION user_for_feed_token(p_secret text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    RETURN (SELECT u.slug FROM feed_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.secret_hash = secret_hash(p_secret) AND t.revoked_at IS NULL AND u.active);
COMMENT ON FUNCTION user_for_feed_token(text) IS 'The slug of the active user whose unrevoked calendar-feed secret this is, or NULL.';
