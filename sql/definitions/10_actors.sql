-- officehours rules: the clock, who is acting, and finding users and coaches.
--
-- Every refusal of every function raises its own SQLSTATE in class OH (officehours/errors.py maps
-- them to error codes; the README lists them):
--   OH001 not_signed_in          OH002 unknown_user            OH003 inactive_user
--   OH004 no_coaching_relationship OH005 not_your_appointment  OH006 unknown_appointment
--   OH007 forbidden              OH008 wrong_role
--   OH010 range_not_positive     OH011 in_the_past             OH012 wrong_length
--   OH013 off_grid               OH014 outside_office_hours    OH015 coach_busy
--   OH016 slot_taken             OH017 client_already_booked   OH018 beyond_horizon
--   OH019 monthly_limit          OH020 inside_cutoff           OH021 too_soon
--   OH022 already_cancelled      OH023 same_slot               OH024 invalid_series
--   OH025 range_too_long
--   OH030 nonexistent_local_time OH031 ambiguous_local_time    OH032 invalid_time_zone
--   OH040 invalid_rule_value     OH041 unknown_rule            OH050 appointment_immutable
--   OH060 link_unknown           OH061 link_expired            OH062 link_used
--   OH071 invalid_call_details   OH072 invalid_call_text       OH073 invalid_note

CREATE OR REPLACE FUNCTION clock() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN coalesce(nullif(current_setting('officehours.now', true), '')::timestamptz, now());
COMMENT ON FUNCTION clock() IS 'The current time for every rule: now(), unless the transaction set officehours.now (tests and what-if checks by operators).';

CREATE OR REPLACE FUNCTION is_time_zone(zone text) RETURNS boolean
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN EXISTS (SELECT 1 FROM time_zones WHERE name = zone);
COMMENT ON FUNCTION is_time_zone(text) IS 'True when the text names an IANA time zone PostgreSQL knows: a row of time_zones, the table the foreign key user_time_zone_valid of users refers to (migration 0055).';

CREATE OR REPLACE FUNCTION current_actor_id() RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    RETURN (SELECT id FROM users WHERE slug = nullif(current_setting('officehours.actor', true), '') AND active);
COMMENT ON FUNCTION current_actor_id() IS 'The active user named by the transaction setting officehours.actor (a slug), or NULL. Row-level security and the booking functions rely on it.';

CREATE OR REPLACE FUNCTION current_actor_is_admin() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    RETURN coalesce((SELECT role = 'admin' FROM users WHERE id = current_actor_id()), false);
COMMENT ON FUNCTION current_actor_is_admin() IS 'True when the acting user is an active admin.';

CREATE OR REPLACE FUNCTION require_actor() RETURNS users
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    actor users;
BEGIN
    SELECT * INTO actor FROM users WHERE id = current_actor_id();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'You need to be signed in as an active user.' USING ERRCODE = 'OH001';
    END IF;
    RETURN actor;
END $$;
COMMENT ON FUNCTION require_actor() IS 'The acting user; raises not_signed_in (OH001) when there is none.';

CREATE OR REPLACE FUNCTION lock_coach(p_coach bigint) RETURNS void
    LANGUAGE sql VOLATILE
    RETURN pg_advisory_xact_lock(hashtextextended('officehours.coach.' || p_coach, 0));
COMMENT ON FUNCTION lock_coach(bigint) IS 'Serializes every change to one coach''s calendar (bookings, busy time) until the transaction ends, so checks and inserts cannot interleave and exclusion constraints never deadlock.';

CREATE OR REPLACE FUNCTION user_id_for(p_user text) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    -- A slug has no @ and an email has one: at most one user matches.
    RETURN (SELECT id FROM users WHERE slug = p_user OR lower(email) = lower(p_user));
COMMENT ON FUNCTION user_id_for(text) IS 'The id of the user with this slug or email (case-insensitive), or NULL, whoever may see them: find_user''s index lookup. Under row-level security PostgreSQL would not use the index on lower(email) (lower() is not leakproof) and read every user; find_user then reads the row by id as the caller, so the policies still decide what is found.';

CREATE OR REPLACE FUNCTION find_user(p_user text) RETURNS users
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    u users;
    wanted bigint := user_id_for(p_user);
BEGIN
    -- Every column but the password hash, which the web app's role may not read. By id, which
    -- row-level security lets an index find (see user_id_for).
    SELECT id, slug, email, display_name, time_zone, role, active, deactivated_at, NULL, created_at
    INTO u FROM users WHERE id = wanted;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no user "%".', p_user USING ERRCODE = 'OH002';
    END IF;
    RETURN u;
END $$;
COMMENT ON FUNCTION find_user(text) IS 'A user by slug or email (as far as the caller may see), without the password hash; raises unknown_user (OH002).';

CREATE OR REPLACE FUNCTION find_coach(p_coach text) RETURNS users
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    coach users := find_user(p_coach);
BEGIN
    IF coach.role <> 'coach' THEN
        RAISE EXCEPTION '"%" is not a coach.', p_coach USING ERRCODE = 'OH008';
    END IF;
    RETURN coach;
END $$;
COMMENT ON FUNCTION find_coach(text) IS 'A coach by slug or email; raises unknown_user (OH002) or wrong_role (OH008).';
