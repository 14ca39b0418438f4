-- officehours 0031: the website's sessions, kept in PostgreSQL so that signing out, a new
-- password, deactivation and "sign out everywhere" end every copy of a session cookie at once;
-- and counters of failed sign-ins, keyed by place so that guessing is stopped without keeping
-- an account's owner out. The rules that use them are in definitions/52_sign_in.sql.

CREATE TABLE web_sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    secret_hash  bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    CONSTRAINT web_session_hash_unique UNIQUE (secret_hash),
    CONSTRAINT web_session_seen_after_start CHECK (last_seen_at >= created_at)
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen_at);
COMMENT ON TABLE web_sessions IS 'Signed-in sessions of the website. The cookie holds a random secret; only its SHA-256 is kept here. A session ends when its row goes: on signing out, a new password, deactivation, "sign out everywhere", or when it has been idle or alive too long (see web_session_user).';

CREATE TABLE sign_in_limits (
    scope        text PRIMARY KEY,
    attempts     integer NOT NULL,
    first_delay  interval NOT NULL,
    max_delay    interval NOT NULL,
    forget_after interval NOT NULL,
    description  text NOT NULL,
    CONSTRAINT sign_in_limit_attempts_sane CHECK (attempts BETWEEN 1 AND 1000),
    CONSTRAINT sign_in_limit_delays_sane CHECK (
        first_delay > INTERVAL '0' AND max_delay >= first_delay AND max_delay <= forget_after
        AND forget_after <= INTERVAL '1 day')
);
COMMENT ON TABLE sign_in_limits IS 'How many failed sign-ins each kind of key allows before the next attempt must wait: first_delay, doubled with each further failure up to max_delay. Failures are forgotten forget_after the last one.';

INSERT INTO sign_in_limits (scope, attempts, first_delay, max_delay, forget_after, description) VALUES
    ('password', 5, '1 minute', '15 minutes', '1 hour',
     'Website passwords, per email address and IP: stops guessing from one place.'),
    ('password-address', 20, '5 seconds', '1 minute', '1 hour',
     'Website passwords, per email address from anywhere: slows guessing from many places, never keeping the owner out for more than a minute.'),
    ('password-remote', 50, '1 second', '1 minute', '1 hour',
     'Website passwords, per IP for every address: slows one guesser without shutting out the others behind the same NAT.'),
    ('app-password', 10, '1 minute', '15 minutes', '1 hour',
     'CalDAV app passwords, per email address and IP.'),
    ('app-password-remote', 50, '1 second', '1 minute', '1 hour',
     'CalDAV app passwords, per IP for every address.'),
    ('api-token-remote', 20, '1 second', '1 minute', '1 hour',
     'API bearer tokens, per IP.');

CREATE TABLE sign_in_counters (
    scope           text NOT NULL REFERENCES sign_in_limits (scope),
    key             text NOT NULL,
    failures        integer NOT NULL,
    last_failure_at timestamptz NOT NULL,
    PRIMARY KEY (scope, key),
    CONSTRAINT sign_in_counter_failures_sane CHECK (failures >= 0),
    CONSTRAINT sign_in_counter_key_sane CHECK (length(key) BETWEEN 1 AND 500)
);
CREATE INDEX sign_in_counters_last_failure ON sign_in_counters (last_failure_at);
COMMENT ON TABLE sign_in_counters IS 'Recent failed sign-ins per key (an email address and IP, an address, an IP or IPv6 /64), counted under sign_in_limits. Rows are forgotten once stale.';

-- Replaced by sign_in_counters: a row per failure, counted in one transaction and recorded in
-- another, let concurrent guesses through and kept the owner out with the guesser. Migration
-- 0020 made functions on it; on a database built from empty they exist at this point (the
-- definitions are laid after the migrations), elsewhere they were taken away already.
DROP FUNCTION IF EXISTS login_allowed(text, text), note_login_failure(text, text),
    forget_login_failures(text);
DROP TABLE login_failures;
