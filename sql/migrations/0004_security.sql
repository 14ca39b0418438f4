-- officehours 0004: every grant and row-level-security policy, one comment per policy.
--
-- The web app and the CalDAV server work as the role officehours_app, in transactions that set
-- officehours.actor to the signed-in user's slug. Row-level security then shows that user only
-- what they may see; the booking functions check the same actor. The owner (migrations, the
-- command line) is not subject to these policies.

DO $$
BEGIN
    CREATE ROLE officehours_app NOLOGIN;
    -- Only the role's maker may comment on it, so the comment goes with the CREATE.
    COMMENT ON ROLE officehours_app IS 'What the web app and CalDAV server do as a signed-in user: row-level security applies.';
EXCEPTION WHEN duplicate_object THEN
    NULL;  -- roles are cluster-wide: another database of this cluster made it already
END $$;

DO $$
BEGIN
    -- The owner switches to the role for every request, so it must be a member.
    IF NOT pg_has_role(current_user, 'officehours_app', 'MEMBER') THEN
        EXECUTE format('GRANT officehours_app TO %I', current_user);
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'The role officehours_app exists, but % may not use it.', current_user
        USING HINT = format('As a superuser, run: GRANT officehours_app TO %I;', current_user);
END $$;

GRANT USAGE ON SCHEMA public TO officehours_app;

-- Functions are executable by PUBLIC by default. Those that skip row-level security (SECURITY
-- DEFINER) are for the app role alone; the rest run with the caller's rights anyway.
REVOKE EXECUTE ON FUNCTION
    book(text, timestamptz, timestamptz, text), move(text, timestamptz, timestamptz), cancel(text),
    book_series(text, timestamptz, integer), free_slots(text, timestamptz, timestamptz),
    user_for_api_token(text), user_for_app_password(text, text), login_lookup(text),
    current_actor_id(), current_actor_is_admin(), users_after_deactivate(), coaching_check_parties()
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    book(text, timestamptz, timestamptz, text), move(text, timestamptz, timestamptz), cancel(text),
    book_series(text, timestamptz, integer), free_slots(text, timestamptz, timestamptz),
    user_for_api_token(text), user_for_app_password(text, text), login_lookup(text),
    current_actor_id(), current_actor_is_admin()
TO officehours_app;

-- Users: no role sees password hashes through the table; login_lookup gives them to sign-in.
GRANT SELECT (id, slug, email, display_name, time_zone, role, active, deactivated_at, created_at)
    ON users TO officehours_app;
GRANT INSERT (email, display_name, time_zone, role, password_hash) ON users TO officehours_app;
GRANT UPDATE (display_name, time_zone, password_hash, active, deactivated_at) ON users TO officehours_app;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;

CREATE POLICY users_see_self ON users FOR SELECT TO officehours_app
    USING (id = current_actor_id());
COMMENT ON POLICY users_see_self ON users IS 'Everyone sees their own account.';
CREATE POLICY users_update_self ON users FOR UPDATE TO officehours_app
    USING (id = current_actor_id()) WITH CHECK (id = current_actor_id());
COMMENT ON POLICY users_update_self ON users IS 'Everyone may change their own name, zone and password (column grants limit the rest).';
CREATE POLICY users_coach_sees_clients ON users FOR SELECT TO officehours_app
    USING (EXISTS (SELECT 1 FROM coaching c WHERE c.client_id = users.id AND c.coach_id = current_actor_id()));
COMMENT ON POLICY users_coach_sees_clients ON users IS 'A coach sees the clients they coach or have coached.';
CREATE POLICY users_client_sees_coach ON users FOR SELECT TO officehours_app
    USING (EXISTS (SELECT 1 FROM coaching c WHERE c.coach_id = users.id AND c.client_id = current_actor_id()));
COMMENT ON POLICY users_client_sees_coach ON users IS 'A client sees the coaches they have or had.';
CREATE POLICY users_admin ON users FOR ALL TO officehours_app
    USING (current_actor_is_admin()) WITH CHECK (current_actor_is_admin());
COMMENT ON POLICY users_admin ON users IS 'Admins see and manage every account.';

-- Coaching relationships.
GRANT SELECT, INSERT, UPDATE ON coaching TO officehours_app;
ALTER TABLE coaching ENABLE ROW LEVEL SECURITY;
CREATE POLICY coaching_parties ON coaching FOR SELECT TO officehours_app
    USING (current_actor_id() IN (coach_id, client_id));
COMMENT ON POLICY coaching_parties ON coaching IS 'A coach and a client see the relationships they are part of.';
CREATE POLICY coaching_admin ON coaching FOR ALL TO officehours_app
    USING (current_actor_is_admin()) WITH CHECK (current_actor_is_admin());
COMMENT ON POLICY coaching_admin ON coaching IS 'Admins see and make every assignment.';

-- Office hours and exceptions.
GRANT SELECT, INSERT, UPDATE, DELETE ON office_hours, office_hours_exceptions TO officehours_app;
ALTER TABLE office_hours ENABLE ROW LEVEL SECURITY;
ALTER TABLE office_hours_exceptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY office_hours_own ON office_hours FOR ALL TO officehours_app
    USING (coach_id = current_actor_id() OR current_actor_is_admin())
    WITH CHECK (coach_id = current_actor_id() OR current_actor_is_admin());
COMMENT ON POLICY office_hours_own ON office_hours IS 'A coach manages their own weekly hours; admins manage all.';
CREATE POLICY office_hours_clients ON office_hours FOR SELECT TO officehours_app
    USING (EXISTS (SELECT 1 FROM coaching c WHERE c.coach_id = office_hours.coach_id
                   AND c.client_id = current_actor_id() AND upper_inf(c.during)));
COMMENT ON POLICY office_hours_clients ON office_hours IS 'A client sees their current coach''s weekly hours.';
CREATE POLICY office_hours_exceptions_own ON office_hours_exceptions FOR ALL TO officehours_app
    USING (coach_id = current_actor_id() OR current_actor_is_admin())
    WITH CHECK (coach_id = current_actor_id() OR current_actor_is_admin());
COMMENT ON POLICY office_hours_exceptions_own ON office_hours_exceptions IS 'A coach manages their own exceptions; admins manage all.';
CREATE POLICY office_hours_exceptions_clients ON office_hours_exceptions FOR SELECT TO officehours_app
    USING (EXISTS (SELECT 1 FROM coaching c WHERE c.coach_id = office_hours_exceptions.coach_id
                   AND c.client_id = current_actor_id() AND upper_inf(c.during)));
COMMENT ON POLICY office_hours_exceptions_clients ON office_hours_exceptions IS 'A client sees their current coach''s exceptions.';

-- Busy time: private to the coach (clients see only its effect, through free_slots).
GRANT SELECT, INSERT, DELETE ON busy_intervals TO officehours_app;
ALTER TABLE busy_intervals ENABLE ROW LEVEL SECURITY;
CREATE POLICY busy_intervals_own ON busy_intervals FOR ALL TO officehours_app
    USING (coach_id = current_actor_id() OR current_actor_is_admin())
    WITH CHECK (coach_id = current_actor_id() OR current_actor_is_admin());
COMMENT ON POLICY busy_intervals_own ON busy_intervals IS 'A coach sees and manages their own busy time; admins all. Clients never see it.';

-- Appointments: read through policies; written only by the SECURITY DEFINER booking functions.
GRANT SELECT ON appointments, appointment_history TO officehours_app;
ALTER TABLE appointments ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY appointments_client ON appointments FOR SELECT TO officehours_app
    USING (client_id = current_actor_id()
           AND upper(during) > clock() - rule_duration('history_shown', coach_id));
COMMENT ON POLICY appointments_client ON appointments IS 'A client sees their own calls, past ones only as far back as the history_shown rule.';
CREATE POLICY appointments_coach ON appointments FOR SELECT TO officehours_app
    USING (coach_id = current_actor_id());
COMMENT ON POLICY appointments_coach ON appointments IS 'A coach sees the calls booked with them.';
CREATE POLICY appointments_admin ON appointments FOR SELECT TO officehours_app
    USING (current_actor_is_admin());
COMMENT ON POLICY appointments_admin ON appointments IS 'Admins see every call.';
CREATE POLICY appointment_history_visible ON appointment_history FOR SELECT TO officehours_app
    USING (EXISTS (SELECT 1 FROM appointments a WHERE a.id = appointment_history.appointment_id));
COMMENT ON POLICY appointment_history_visible ON appointment_history IS 'The history of a call is visible to whoever sees the call.';

-- Business rules: readable by every signed-in user, changed by admins.
GRANT SELECT ON rule_definitions TO officehours_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON business_rules TO officehours_app;
GRANT SELECT ON effective_rules TO officehours_app;
ALTER TABLE business_rules ENABLE ROW LEVEL SECURITY;
CREATE POLICY business_rules_read ON business_rules FOR SELECT TO officehours_app
    USING (current_actor_id() IS NOT NULL);
COMMENT ON POLICY business_rules_read ON business_rules IS 'Every signed-in user may read the rules that bind them.';
CREATE POLICY business_rules_admin ON business_rules FOR ALL TO officehours_app
    USING (current_actor_is_admin()) WITH CHECK (current_actor_is_admin());
COMMENT ON POLICY business_rules_admin ON business_rules IS 'Only admins change rules.';

-- Credentials: the owner sees and revokes their own; hashes are never readable.
GRANT SELECT (id, kind, handle, user_id, label, created_at, last_used_at, revoked_at),
      INSERT (kind, user_id, secret_hash, label), UPDATE (revoked_at)
    ON credentials TO officehours_app;
ALTER TABLE credentials ENABLE ROW LEVEL SECURITY;
CREATE POLICY credentials_own ON credentials FOR ALL TO officehours_app
    USING (user_id = current_actor_id() OR current_actor_is_admin())
    WITH CHECK (user_id = current_actor_id() OR current_actor_is_admin());
COMMENT ON POLICY credentials_own ON credentials IS 'Users manage their own API tokens and app passwords; admins may revoke any.';
