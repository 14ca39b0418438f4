-- officehours 0021: a stamp of the acting user's password, so the website can end every other
-- session of a user whose password changes (its sessions are signed cookies that keep no state
-- on the server; each carries the stamp it was made with, and the website compares it with this
-- one whenever it loads the signed-in user).
--
-- SECURITY DEFINER because the column grants of 0004 keep users.password_hash from the web role,
-- and that should stay so. What the function gives away is nothing: it answers only for the
-- acting user (current_actor_id(): the session's own, active user) and never for anyone else; it
-- returns a SHA-256 of the stored argon2 string, which is no password and no hash any sign-in
-- accepts, and from which neither the salt nor the argon2 hash can be recovered, so it is no
-- help in guessing the password either. It changes exactly when the stored hash changes.

CREATE FUNCTION password_stamp() RETURNS bytea
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    RETURN (SELECT sha256(convert_to(coalesce(password_hash, ''), 'UTF8'))
            FROM users WHERE id = current_actor_id());
COMMENT ON FUNCTION password_stamp() IS 'SHA-256 of the acting user''s stored password hash (of the empty string when they have none), NULL without an active actor. It changes whenever the password does: the website keeps a keyed digest of it in each session and ends the sessions whose digest no longer matches.';

REVOKE EXECUTE ON FUNCTION password_stamp() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION password_stamp() TO officehours_app;
