-- officehours 0001: types, tables and the constraints that make a broken booking unrepresentable.
-- Functions are in 0002, row-level security and grants in 0003.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TYPE user_role AS ENUM ('client', 'coach', 'admin');
COMMENT ON TYPE user_role IS 'What a user is: a client books calls, a coach holds office hours, an admin runs the service.';

CREATE TYPE appointment_status AS ENUM ('booked', 'cancelled');
COMMENT ON TYPE appointment_status IS 'A cancelled appointment keeps its row: nothing is hard-deleted.';

CREATE TYPE appointment_action AS ENUM ('booked', 'moved', 'cancelled');
COMMENT ON TYPE appointment_action IS 'What a row of appointment_history records.';

CREATE FUNCTION is_time_zone(zone text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    -- Declared IMMUTABLE so it can sit in a CHECK; the zone database only grows between releases.
    RETURN EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = zone)
           AND zone !~* '^(posix/|right/|localtime$)';
COMMENT ON FUNCTION is_time_zone(text) IS 'True when the text names an IANA time zone PostgreSQL knows.';

CREATE FUNCTION new_token(random_bytes integer DEFAULT 16) RETURNS text
    LANGUAGE sql VOLATILE PARALLEL SAFE
    RETURN translate(
        rtrim(encode(substr(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())
                            || uuid_send(gen_random_uuid()), 1, random_bytes), 'base64'), '='),
        '+/', '-_');
COMMENT ON FUNCTION new_token(integer) IS 'A random URL-safe token (base64url of random bytes from gen_random_uuid; at most 48 bytes).';

CREATE FUNCTION slugify(name text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN coalesce(nullif(left(trim(BOTH '-' FROM regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g')), 40), ''), 'user');
COMMENT ON FUNCTION slugify(text) IS 'The ASCII letters and digits of a name, joined by hyphens: the readable part of a user slug.';

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug          text NOT NULL,
    email         text NOT NULL,
    display_name  text NOT NULL,
    time_zone     text NOT NULL,
    role          user_role NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    deactivated_at timestamptz,
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_slug_unique UNIQUE (slug),
    CONSTRAINT user_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    CONSTRAINT user_email_format CHECK (email ~ '^[^@\s]{1,64}@[^@\s]{1,255}$' AND length(email) <= 320),
    CONSTRAINT user_display_name_sane CHECK (
        length(display_name) BETWEEN 1 AND 200
        AND display_name = btrim(display_name)
        AND display_name !~ '[[:cntrl:]]'),
    CONSTRAINT user_time_zone_valid CHECK (is_time_zone(time_zone)),
    -- One role and one active flag: a "client" who is also an "active coach" cannot be written down.
    CONSTRAINT user_deactivated_at_matches_active CHECK (active = (deactivated_at IS NULL))
);
CREATE UNIQUE INDEX user_email_unique ON users (lower(email));
COMMENT ON TABLE users IS 'Clients, coaches and admins. The slug is public; id never leaves the database.';
COMMENT ON COLUMN users.password_hash IS 'argon2 hash of the website password, or NULL when the user cannot sign in with one yet.';

CREATE FUNCTION users_fill_slug() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.slug IS NULL THEN
        NEW.slug := slugify(NEW.display_name) || '-' || lower(translate(new_token(3), '-_', 'xy'));
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION users_fill_slug() IS 'Gives a new user a slug from their name and four random characters unless one was given.';
CREATE TRIGGER users_fill_slug BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION users_fill_slug();

CREATE TABLE coaching (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    coach_id  bigint NOT NULL REFERENCES users (id),
    client_id bigint NOT NULL REFERENCES users (id),
    during    tstzrange NOT NULL DEFAULT tstzrange(now(), NULL, '[)'),
    CONSTRAINT coaching_not_self CHECK (coach_id <> client_id),
    CONSTRAINT coaching_during_starts CHECK (NOT lower_inf(during) AND NOT isempty(during)),
    CONSTRAINT coaching_one_coach_per_client EXCLUDE USING gist (client_id WITH =, during WITH &&)
);
CREATE INDEX coaching_coach ON coaching (coach_id) WHERE upper_inf(during);
COMMENT ON TABLE coaching IS 'Who coaches whom, and when. Reassigning ends the open row and starts a new one, so history is kept; the open row (upper bound infinite) is the active relationship.';

CREATE TABLE office_hours (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    coach_id bigint NOT NULL REFERENCES users (id),
    weekday  smallint NOT NULL,
    starts   time NOT NULL,
    ends     time NOT NULL,
    CONSTRAINT office_hours_weekday_iso CHECK (weekday BETWEEN 1 AND 7),
    CONSTRAINT office_hours_end_after_start CHECK (ends > starts),
    CONSTRAINT office_hours_no_overlap EXCLUDE USING gist (
        coach_id WITH =, weekday WITH =,
        tsrange(DATE '2000-01-01' + starts, DATE '2000-01-01' + ends) WITH &&)
);
COMMENT ON TABLE office_hours IS 'Weekly office hours in the coach''s own time zone (ISO weekday 1 = Monday), expanded with AT TIME ZONE so 09:00 stays 09:00 local across DST.';

CREATE TABLE office_hours_exceptions (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    coach_id bigint NOT NULL REFERENCES users (id),
    on_date  date NOT NULL,
    starts   time,
    ends     time,
    CONSTRAINT office_hours_exception_shape CHECK (
        (starts IS NULL AND ends IS NULL) OR (starts IS NOT NULL AND ends IS NOT NULL)),
    CONSTRAINT office_hours_exception_end_after_start CHECK (ends > starts),
    CONSTRAINT office_hours_exception_no_overlap EXCLUDE USING gist (
        coach_id WITH =, on_date WITH =,
        tsrange(on_date + coalesce(starts, TIME '00:00'), on_date + coalesce(ends, TIME '24:00')) WITH &&)
);
COMMENT ON TABLE office_hours_exceptions IS 'Dated exceptions. Any row for a date replaces that date''s weekly hours: a row without times is a day off, rows with times are the hours of that day (extra or shorter).';

CREATE TABLE busy_intervals (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    coach_id   bigint NOT NULL REFERENCES users (id),
    during     tstzrange NOT NULL,
    source     text NOT NULL,
    source_ref text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT busy_interval_bounded CHECK (
        NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)),
    CONSTRAINT busy_interval_source_known CHECK (source IN ('caldav', 'manual'))
);
CREATE INDEX busy_intervals_coach_during ON busy_intervals USING gist (coach_id, during);
CREATE INDEX busy_intervals_source_ref ON busy_intervals (source, source_ref);
COMMENT ON TABLE busy_intervals IS 'Time a coach is busy outside officehours (events in blocking CalDAV calendars, or entered by hand): no booking may overlap it.';
COMMENT ON COLUMN busy_intervals.source_ref IS 'What produced the interval, e.g. the CalDAV item it was expanded from, so it can be replaced as a whole.';

CREATE TABLE appointments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token       text NOT NULL DEFAULT new_token(),
    coach_id    bigint NOT NULL REFERENCES users (id),
    client_id   bigint NOT NULL REFERENCES users (id),
    during      tstzrange NOT NULL,
    status      appointment_status NOT NULL DEFAULT 'booked',
    revision    integer NOT NULL DEFAULT 1,
    series      text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT appointment_token_unique UNIQUE (token),
    CONSTRAINT appointment_not_self CHECK (coach_id <> client_id),
    CONSTRAINT appointment_range_positive CHECK (
        NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)
        AND lower_inc(during) AND NOT upper_inc(during)),
    CONSTRAINT appointment_revision_positive CHECK (revision >= 1),
    CONSTRAINT appointment_no_coach_overlap EXCLUDE USING gist (coach_id WITH =, during WITH &&)
        WHERE (status = 'booked'),
    CONSTRAINT appointment_no_client_overlap EXCLUDE USING gist (client_id WITH =, during WITH &&)
        WHERE (status = 'booked')
);
CREATE INDEX appointments_client_start ON appointments (client_id, lower(during));
CREATE INDEX appointments_coach_start ON appointments (coach_id, lower(during));
COMMENT ON TABLE appointments IS 'Booked and cancelled calls. The exclusion constraints make overlapping booked calls impossible for a coach and for a client, whichever path writes them.';
COMMENT ON COLUMN appointments.token IS 'Random public identifier: URLs, JSON, iCalendar UIDs and CalDAV paths use it, never id.';
COMMENT ON COLUMN appointments.revision IS 'Raised by every change; it is the iCalendar SEQUENCE.';

CREATE TABLE appointment_history (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appointment_id bigint NOT NULL REFERENCES appointments (id),
    revision       integer NOT NULL,
    action         appointment_action NOT NULL,
    actor_id       bigint REFERENCES users (id),
    at             timestamptz NOT NULL DEFAULT now(),
    during         tstzrange NOT NULL,
    previous_during tstzrange,
    CONSTRAINT appointment_history_one_per_revision UNIQUE (appointment_id, revision)
);
COMMENT ON TABLE appointment_history IS 'Every change of every appointment: who, when, what. Written by a trigger, never by hand.';

-- Business rules: each rule has one type, and CHECKs keep every value sane.
CREATE TABLE rule_definitions (
    name        text PRIMARY KEY,
    value_type  text NOT NULL CONSTRAINT rule_definition_type_known CHECK (value_type IN ('duration', 'count')),
    description text NOT NULL
);
COMMENT ON TABLE rule_definitions IS 'The business rules there are, with the type of value each takes.';

INSERT INTO rule_definitions (name, value_type, description) VALUES
    ('slot_length',      'duration', 'Length of a call, and the step of the slot grid inside office hours.'),
    ('minimum_notice',   'duration', 'How long before its start a call can still be booked or moved to.'),
    ('booking_horizon',  'duration', 'How far ahead a call can be booked.'),
    ('monthly_limit',    'count',    'Booked calls a client may have in one calendar month (their own time zone).'),
    ('change_cutoff',    'duration', 'How long before its start a client can still move or cancel a call.'),
    ('history_shown',    'duration', 'How far back past calls are shown to clients.'),
    ('reminder_lead',    'duration', 'How long before a call its reminder is sent.');

CREATE TABLE business_rules (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL REFERENCES rule_definitions (name),
    coach_id       bigint REFERENCES users (id),
    duration_value interval,
    count_value    integer,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT business_rule_one_per_scope UNIQUE NULLS NOT DISTINCT (name, coach_id),
    CONSTRAINT business_rule_one_value CHECK ((duration_value IS NULL) <> (count_value IS NULL)),
    CONSTRAINT rule_slot_length_sane CHECK (name <> 'slot_length' OR (
        duration_value BETWEEN INTERVAL '15 minutes' AND INTERVAL '4 hours'
        AND extract(epoch FROM duration_value)::integer % 300 = 0)),
    CONSTRAINT rule_minimum_notice_sane CHECK (name <> 'minimum_notice' OR
        duration_value BETWEEN INTERVAL '0' AND INTERVAL '30 days'),
    CONSTRAINT rule_booking_horizon_sane CHECK (name <> 'booking_horizon' OR
        duration_value BETWEEN INTERVAL '1 day' AND INTERVAL '730 days'),
    CONSTRAINT rule_monthly_limit_sane CHECK (name <> 'monthly_limit' OR
        count_value BETWEEN 1 AND 31),
    CONSTRAINT rule_change_cutoff_sane CHECK (name <> 'change_cutoff' OR
        duration_value BETWEEN INTERVAL '0' AND INTERVAL '14 days'),
    CONSTRAINT rule_history_shown_sane CHECK (name <> 'history_shown' OR
        duration_value BETWEEN INTERVAL '0' AND INTERVAL '3660 days'),
    CONSTRAINT rule_reminder_lead_sane CHECK (name <> 'reminder_lead' OR
        duration_value BETWEEN INTERVAL '0' AND INTERVAL '14 days')
);
COMMENT ON TABLE business_rules IS 'Rule values: one global row per rule (coach_id NULL) and optional per-coach overrides.';

INSERT INTO business_rules (name, duration_value, count_value) VALUES
    ('slot_length',     INTERVAL '60 minutes', NULL),
    ('minimum_notice',  INTERVAL '12 hours',   NULL),
    ('booking_horizon', INTERVAL '90 days',    NULL),
    ('monthly_limit',   NULL,                  2),
    ('change_cutoff',   INTERVAL '24 hours',   NULL),
    ('history_shown',   INTERVAL '180 days',   NULL),
    ('reminder_lead',   INTERVAL '24 hours',   NULL);

CREATE TYPE credential_kind AS ENUM ('api_token', 'app_password');
COMMENT ON TYPE credential_kind IS 'A bearer token for the JSON API, or a password for calendar apps (CalDAV). One never works as the other.';

CREATE TABLE credentials (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         credential_kind NOT NULL,
    handle       text NOT NULL DEFAULT new_token(6),
    user_id      bigint NOT NULL REFERENCES users (id),
    secret_hash  bytea NOT NULL,
    label        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT credential_handle_unique UNIQUE (handle),
    CONSTRAINT credential_hash_unique UNIQUE (secret_hash),
    CONSTRAINT credential_label_sane CHECK (length(label) <= 100 AND label !~ '[[:cntrl:]]')
);
CREATE INDEX credentials_user ON credentials (user_id, kind);
COMMENT ON TABLE credentials IS 'API tokens and CalDAV app passwords, one per device or script, revocable. Only the SHA-256 of the random secret is kept; the handle names a credential for listing and revoking.';
