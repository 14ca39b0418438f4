-- officehours 0020: what the booking website keeps in PostgreSQL, so any number of web processes
-- on any number of hosts agree: failed sign-ins (rate limiting) and calendar-feed tokens.

CREATE TABLE login_failures (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email   text NOT NULL,
    remote  text NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_at ON login_failures (lower(email), at);
CREATE INDEX login_failures_remote_at ON login_failures (remote, at);
COMMENT ON TABLE login_failures IS 'Failed website sign-ins, by email and remote address, for rate limiting. Rows older than an hour are useless and are pruned by note_login_failure.';

CREATE FUNCTION login_allowed(p_email text, p_remote text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    RETURN (SELECT count(*) < 5 FROM login_failures
            WHERE lower(email) = lower(p_email) AND at > clock() - INTERVAL '15 minutes')
       AND (SELECT count(*) < 50 FROM login_failures
            WHERE remote = p_remote AND at > clock() - INTERVAL '15 minutes');
COMMENT ON FUNCTION login_allowed(text, text) IS 'False while an email has 5 or more failed sign-ins in the last 15 minutes, or a remote address 50 or more: the website then refuses to check passwords (too_many_attempts).';

CREATE FUNCTION note_login_failure(p_email text, p_remote text) RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    BEGIN ATOMIC
        DELETE FROM login_failures WHERE at < clock() - INTERVAL '1 hour';
        INSERT INTO login_failures (email, remote, at) VALUES (left(p_email, 320), left(p_remote, 100), clock());
    END;
COMMENT ON FUNCTION note_login_failure(text, text) IS 'Records a failed sign-in, and forgets those older than an hour.';

CREATE FUNCTION forget_login_failures(p_email text) RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    BEGIN ATOMIC
        DELETE FROM login_failures WHERE lower(email) = lower(p_email);
    END;
COMMENT ON FUNCTION forget_login_failures(text) IS 'Clears an email''s failed sign-ins after a successful one.';

CREATE TABLE feed_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    secret_hash bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CONSTRAINT feed_token_hash_unique UNIQUE (secret_hash)
);
CREATE UNIQUE INDEX feed_token_one_active_per_user ON feed_tokens (user_id) WHERE revoked_at IS NULL;
COMMENT ON TABLE feed_tokens IS 'Secrets in the private calendar-feed URL (webcal) of a user''s appointments; at most one active per user. Only the SHA-256 of the secret is kept.';

CREATE FUNCTION create_feed_token() RETURNS text
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

CREATE FUNCTION revoke_feed_token() RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    actor users := require_actor();
BEGIN
    UPDATE feed_tokens SET revoked_at = clock() WHERE user_id = actor.id AND revoked_at IS NULL;
    RETURN FOUND;
END $$;
COMMENT ON FUNCTION revoke_feed_token() IS 'Revokes the acting user''s calendar-feed URL; true when there was one.';

CREATE FUNCTION has_feed_token() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    RETURN EXISTS (SELECT 1 FROM feed_tokens WHERE user_id = current_actor_id() AND revoked_at IS NULL);
COMMENT ON FUNCTION has_feed_token() IS 'True when the acting user has an active calendar-feed URL.';

CREATE FUNCTION user_for_feed_token(p_secret text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    RETURN (SELECT u.slug FROM feed_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.secret_hash = secret_hash(p_secret) AND t.revoked_at IS NULL AND u.active);
COMMENT ON FUNCTION user_for_feed_token(text) IS 'The slug of the active user whose unrevoked calendar-feed secret this is, or NULL.';

REVOKE EXECUTE ON FUNCTION login_allowed(text, text), note_login_failure(text, text),
    forget_login_failures(text), create_feed_token(), revoke_feed_token(), has_feed_token(),
    user_for_feed_token(text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION create_feed_token(), revoke_feed_token(), has_feed_token()
TO officehours_app;
