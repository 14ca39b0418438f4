-- Queries of officehours/password_links.py: links that set a password, under the rules of
-- sql/definitions/56_account_links.sql. Asking for a link and using one run as the owner (nobody
-- is signed in); sending one and seeing the latest run as the acting admin, or the owner.

-- name: request_password_link
-- "Forgot password": queues a link for the active account with this email, if any; returns the
-- seconds to wait instead when the address or the place asked too often (0 otherwise).
SELECT request_password_link(%(email)s, %(remote)s);

-- name: password_link_user
-- Whose password a working link sets (slug, email, name, kind); raises when it cannot be used.
SELECT slug, email, display_name, kind::text FROM password_link_user(%(secret)s);

-- name: use_password_link
-- Sets the password hash through a working link, marking it used; returns the user's slug.
SELECT use_password_link(%(secret)s, %(password_hash)s);

-- name: send_password_link
-- An admin sends a user (slug or email) a link of this kind; returns when it expires.
SELECT send_password_link(%(who)s, %(kind)s::account_link_kind);

-- name: password_link_latest
-- The newest link of a user (slug) and what became of it and of its mail; no row when none.
SELECT kind::text, created_at, expires_at, state, mail_state::text
FROM password_link_latest(%(who)s);
