-- Queries of officehours/signin.py: signing in with a website password, an API token or a
-- CalDAV app password, under the limits of sql/definitions/52_sign_in.sql, and website
-- sessions. They run as the owner, before anyone is signed in; end_web_sessions runs as the
-- acting user.

-- name: begin_password_sign_in
-- The seconds a password sign-in for this email from this address must wait (0: check it; it
-- counts as failed until password_sign_in_succeeded).
SELECT begin_password_sign_in(%(email)s, %(remote)s);

-- name: password_sign_in_succeeded
-- After the right password: forgets that place's failures for the email.
SELECT password_sign_in_succeeded(%(email)s, %(remote)s);

-- name: api_token_sign_in
-- The user of a bearer token (no row when none) or the seconds to wait, in the columns
-- signin._user reads then retry_after.
SELECT slug, email, display_name, time_zone, role, active, retry_after
FROM api_token_sign_in(%(secret)s, %(remote)s);

-- name: app_password_sign_in
-- The slug of the user with this email and app password (NULL when none), and the seconds to
-- wait (0 unless limited).
SELECT slug, retry_after FROM app_password_sign_in(%(email)s, %(secret)s, %(remote)s);

-- name: open_web_session
-- Starts a website session for the user with this slug; its secret is returned this once.
SELECT open_web_session(%(slug)s);

-- name: web_session_user
-- The user of a live session (no row when it ended or expired), in the columns signin._user
-- reads.
SELECT slug, email, display_name, time_zone, role, active FROM web_session_user(%(secret)s);

-- name: end_web_session
-- Signing out: ends the session with this secret.
SELECT end_web_session(%(secret)s);

-- name: end_web_sessions
-- "Sign out everywhere" for a user (slug or email); returns how many sessions ended.
SELECT end_web_sessions(%(who)s);
