-- officehours 0050: links that set a password (forgot password, welcome), and the small outbox
-- of the mail that carries them. The rules that use them are in definitions/56_account_links.sql.

CREATE TYPE account_link_kind AS ENUM ('password_reset', 'welcome');
COMMENT ON TYPE account_link_kind IS 'Why a link to set a password was made: password_reset (asked for on the sign-in page, valid an hour) or welcome (an account made without a password, valid welcome_link_valid).';

CREATE TABLE account_links (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    kind        account_link_kind NOT NULL,
    secret_hash bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    CONSTRAINT account_link_hash_unique UNIQUE (secret_hash),
    CONSTRAINT account_link_expires_after_creation CHECK (expires_at > created_at),
    CONSTRAINT account_link_used_or_revoked CHECK (used_at IS NULL OR revoked_at IS NULL)
);
CREATE INDEX account_links_open_by_user ON account_links (user_id)
    WHERE used_at IS NULL AND revoked_at IS NULL;
COMMENT ON TABLE account_links IS 'Single-use links that set a user''s password. The link holds a random secret (256 bits); only its SHA-256 is kept here. A link works once, until expires_at, and only while no newer link of the user was made (revoked_at).';

CREATE TABLE account_mail (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id       text NOT NULL DEFAULT new_token(),
    link_id         bigint NOT NULL REFERENCES account_links (id),
    kind            account_link_kind NOT NULL,
    user_id         bigint NOT NULL REFERENCES users (id),
    link_secret     text,
    state           mail_state NOT NULL DEFAULT 'pending',
    next_attempt_at timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    max_attempts    integer NOT NULL DEFAULT 10,
    last_error      text,
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    CONSTRAINT account_mail_public_id_unique UNIQUE (public_id),
    CONSTRAINT account_mail_one_per_link UNIQUE (link_id),
    CONSTRAINT account_mail_attempts_sane CHECK (attempts >= 0 AND max_attempts BETWEEN 1 AND 100),
    CONSTRAINT account_mail_finished_matches_state CHECK ((state = 'pending') = (finished_at IS NULL)),
    -- The secret is kept only while the mail may still go out: see the table's comment.
    CONSTRAINT account_mail_secret_only_pending CHECK (state = 'pending' OR link_secret IS NULL),
    CONSTRAINT account_mail_secret_while_pending CHECK (state <> 'pending' OR link_secret IS NOT NULL)
);
CREATE INDEX account_mail_due ON account_mail (next_attempt_at, id) WHERE state = 'pending';
COMMENT ON TABLE account_mail IS 'Mail carrying a link to set a password, written in the transaction that made the link and sent by the mailers like appointment mail (claimed FOR UPDATE SKIP LOCKED). Not granted to officehours_app.';
COMMENT ON COLUMN account_mail.link_secret IS 'The link''s secret, in clear, while the mail is pending: the mailer cannot make the link from its hash. Cleared when the mail is sent, fails for good or is superseded, so the table never holds a usable credential longer than it takes to send it.';

-- Asking for a password link is limited like a sign-in (definitions/52_sign_in.sql): per address
-- (an owner asking again and again, or someone filling another's mailbox) and per place.
INSERT INTO sign_in_limits (scope, attempts, first_delay, max_delay, forget_after, description) VALUES
    ('reset-address', 3, '5 minutes', '1 hour', '1 hour',
     'Forgot-password requests, per email address (whether or not an account has it): three an hour without waiting.'),
    ('reset-remote', 20, '1 minute', '15 minutes', '1 hour',
     'Forgot-password requests, per IP for every address.');

INSERT INTO rule_definitions (name, value_type, description) VALUES
    ('welcome_link_valid', 'duration', 'How long the link in the welcome mail of an account made without a password stays valid.');

INSERT INTO business_rules (name, duration_value, count_value) VALUES
    ('welcome_link_valid', INTERVAL '7 days', NULL);

ALTER TABLE business_rules
    ADD CONSTRAINT rule_welcome_link_valid_sane CHECK (name <> 'welcome_link_valid' OR (
        coach_id IS NULL AND duration_value BETWEEN INTERVAL '1 hour' AND INTERVAL '30 days'));
