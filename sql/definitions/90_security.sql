-- officehours rules: every grant and row-level-security policy, one comment per policy.
--
-- The web app and the CalDAV server work as the role officehours_app (made by migration 0004), in
-- transactions that set officehours.actor to the signed-in user's slug. Row-level security then
-- shows that user only what they may see; the booking functions check the same actor. The owner
-- (migrations, the command line, the mailer) is not subject to these policies.
--
-- This file is the whole truth of what officehours_app may do: the grants are taken back first,
-- so a grant removed here is gone after the next migrate.
--
-- Every policy asks who is acting through (SELECT current_actor_id()) and
-- (SELECT current_actor_is_admin()): a sub-select is evaluated once per statement (an InitPlan),
-- where a bare call of these SECURITY DEFINER functions, which PostgreSQL never inlines, would
-- run once per row. The policies then compare plain columns with a constant, which the indexes
-- on coach_id and client_id serve when a query says whose rows it wants. Where a policy asks
-- about coaching it does so as `column IN (SELECT ... FROM coaching WHERE <actor's side> =
-- actor)`: the actor's relationships are read once per statement, through coaching_by_coach or
-- coaching_by_client (migration 0055), into a hashed set each row is looked up in, where
-- a correlated EXISTS would be a SubPlan over coaching for every row of users.

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM officehours_app;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM officehours_app;
GRANT USAGE ON SCHEMA public TO officehours_app;

-- Functions are executable by PUBLIC by default. Those that skip row-level security (SECURITY
-- DEFINER) are for the app role alone, or for the owner alone (triggers, the mailer's); the rest
-- run with the caller's rights anyway.
REVOKE EXECUTE ON FUNCTION
    book(text, timestamptz, timestamptz, text), move(text, timestamptz, timestamptz, text), cancel(text, text),
    book_series(text, timestamptz, integer), free_slots(text, timestamptz, timestamptz),
    cancel_series(text, boolean),
    user_for_api_token(text), user_for_app_password(text, text), login_lookup(text),
    current_actor_id(), current_actor_is_admin(), users_after_deactivate(), coaching_check_parties(),
    coaching_after_end(),
    create_feed_token(), revoke_feed_token(), has_feed_token(), user_for_feed_token(text),
    mail_enqueue(), mail_claim(), mail_sent(text), mail_attempt_failed(text, text, interval, boolean),
    mail_require_reader(), outbox_named(text), mail_counts(text), mail_errors(integer, text),
    caldav_mark_stale(bigint[], text), caldav_appointments_changed(),
    caldav_office_hours_changed(), caldav_user_changed(), prune(integer),
    admin_users(user_role, text, text, text, boolean, integer),
    admin_clients(text, text, text, boolean, integer), user_id_for(text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    book(text, timestamptz, timestamptz, text), move(text, timestamptz, timestamptz, text), cancel(text, text),
    book_series(text, timestamptz, integer), free_slots(text, timestamptz, timestamptz),
    cancel_series(text, boolean), series_calls(text, boolean),
    user_for_api_token(text), user_for_app_password(text, text), login_lookup(text),
    current_actor_id(), current_actor_is_admin(),
    create_feed_token(), revoke_feed_token(), has_feed_token(),
    mail_counts(text), mail_errors(integer, text),
    admin_users(user_role, text, text, text, boolean, integer),
    admin_clients(text, text, text, boolean, integer), user_id_for(text)
TO officehours_app;

-- What the week and confirm pages ask of the rules (45_free_slots.sql), as free_slots is.
REVOKE EXECUTE ON FUNCTION
    bookable_slots(text, timestamptz, timestamptz, text, text), slot_terms(text, timestamptz, text, text),
    call_changes(text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    bookable_slots(text, timestamptz, timestamptz, text, text), slot_terms(text, timestamptz, text, text),
    call_changes(text)
TO officehours_app;

-- Signing in (52_sign_in.sql): sessions and the limits on failed sign-ins are the owner's
-- connection's business, before anyone is signed in; the acting user may only end sessions.
REVOKE EXECUTE ON FUNCTION
    begin_password_sign_in(text, text), password_sign_in_succeeded(text, text),
    app_password_sign_in(text, text, text), api_token_sign_in(text, text),
    open_web_session(text), web_session_user(text), end_web_session(text),
    end_web_sessions(text), users_end_sessions()
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION end_web_sessions(text) TO officehours_app;

-- Users: no role sees password hashes through the table; login_lookup gives them to sign-in.
-- Sessions (web_sessions), failed sign-ins (sign_in_limits, sign_in_counters) and feed secrets
-- (feed_tokens) are not granted at all: only the SECURITY DEFINER functions above reach them.
GRANT SELECT (id, slug, email, display_name, time_zone, role, active, deactivated_at, created_at)
    ON users TO officehours_app;

GRANT INSERT (email, display_name, time_zone, role, password_hash) ON users TO officehours_app;

GRANT UPDATE (display_name, time_zone, password_hash, active, deactivated_at) ON users TO officehours_app;

-- The zones a user may have: public knowledge, for the forms that offer them.
GRANT SELECT ON time_zones TO officehours_app;

ALTER TABLE users ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS users_see_self ON users;
CREATE POLICY users_see_self ON users FOR SELECT TO officehours_app
    USING (id = (SELECT current_actor_id()));
COMMENT ON POLICY users_see_self ON users IS 'Everyone sees their own account.';

DROP POLICY IF EXISTS users_update_self ON users;
CREATE POLICY users_update_self ON users FOR UPDATE TO officehours_app
    USING (id = (SELECT current_actor_id())) WITH CHECK (id = (SELECT current_actor_id()));
COMMENT ON POLICY users_update_self ON users IS 'Everyone may change their own name, zone and password (column grants limit the rest).';

DROP POLICY IF EXISTS users_coach_sees_clients ON users;
CREATE POLICY users_coach_sees_clients ON users FOR SELECT TO officehours_app
    USING (id IN (SELECT c.client_id FROM coaching c WHERE c.coach_id = (SELECT current_actor_id())));
COMMENT ON POLICY users_coach_sees_clients ON users IS 'A coach sees the clients they coach or have coached.';

DROP POLICY IF EXISTS users_client_sees_coach ON users;
CREATE POLICY users_client_sees_coach ON users FOR SELECT TO officehours_app
    USING (id IN (SELECT c.coach_id FROM coaching c WHERE c.client_id = (SELECT current_actor_id())));
COMMENT ON POLICY users_client_sees_coach ON users IS 'A client sees the coaches they have or had.';

DROP POLICY IF EXISTS users_admin ON users;
CREATE POLICY users_admin ON users FOR ALL TO officehours_app
    USING ((SELECT current_actor_is_admin())) WITH CHECK ((SELECT current_actor_is_admin()));
COMMENT ON POLICY users_admin ON users IS 'Admins see and manage every account.';

-- Coaching relationships.
GRANT SELECT, INSERT, UPDATE ON coaching TO officehours_app;

ALTER TABLE coaching ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS coaching_parties ON coaching;
CREATE POLICY coaching_parties ON coaching FOR SELECT TO officehours_app
    USING ((SELECT current_actor_id()) IN (coach_id, client_id));
COMMENT ON POLICY coaching_parties ON coaching IS 'A coach and a client see the relationships they are part of.';

DROP POLICY IF EXISTS coaching_admin ON coaching;
CREATE POLICY coaching_admin ON coaching FOR ALL TO officehours_app
    USING ((SELECT current_actor_is_admin())) WITH CHECK ((SELECT current_actor_is_admin()));
COMMENT ON POLICY coaching_admin ON coaching IS 'Admins see and make every assignment.';

-- Office hours and exceptions.
GRANT SELECT, INSERT, UPDATE, DELETE ON office_hours, office_hours_exceptions TO officehours_app;

ALTER TABLE office_hours ENABLE ROW LEVEL SECURITY;

ALTER TABLE office_hours_exceptions ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS office_hours_own ON office_hours;
CREATE POLICY office_hours_own ON office_hours FOR ALL TO officehours_app
    USING (coach_id = (SELECT current_actor_id()) OR (SELECT current_actor_is_admin()))
    WITH CHECK (coach_id = (SELECT current_actor_id()) OR (SELECT current_actor_is_admin()));
COMMENT ON POLICY office_hours_own ON office_hours IS 'A coach manages their own weekly hours; admins manage all.';

DROP POLICY IF EXISTS office_hours_clients ON office_hours;
CREATE POLICY office_hours_clients ON office_hours FOR SELECT TO officehours_app
    USING (coach_id IN (SELECT c.coach_id FROM coaching c
                        WHERE c.client_id = (SELECT current_actor_id()) AND upper_inf(c.during)));
COMMENT ON POLICY office_hours_clients ON office_hours IS 'A client sees their current coach''s weekly hours.';

DROP POLICY IF EXISTS office_hours_exceptions_own ON office_hours_exceptions;
CREATE POLICY office_hours_exceptions_own ON office_hours_exceptions FOR ALL TO officehours_app
    USING (coach_id = (SELECT current_actor_id()) OR (SELECT current_actor_is_admin()))
    WITH CHECK (coach_id = (SELECT current_actor_id()) OR (SELECT current_actor_is_admin()));
COMMENT ON POLICY office_hours_exceptions_own ON office_hours_exceptions IS 'A coach manages their own exceptions; admins manage all.';

DROP POLICY IF EXISTS office_hours_exceptions_clients ON office_hours_exceptions;
CREATE POLICY office_hours_exceptions_clients ON office_hours_exceptions FOR SELECT TO officehours_app
    USING (coach_id IN (SELECT c.coach_id FROM coaching c
                        WHERE c.client_id = (SELECT current_actor_id()) AND upper_inf(c.during)));
COMMENT ON POLICY office_hours_exceptions_clients ON office_hours_exceptions IS 'A client sees their current coach''s exceptions.';

-- Busy time: private to the coach (clients see only its effect, through free_slots).
GRANT SELECT, INSERT, DELETE ON busy_intervals TO officehours_app;

ALTER TABLE busy_intervals ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS busy_intervals_own ON busy_intervals;
CREATE POLICY busy_intervals_own ON busy_intervals FOR ALL TO officehours_app
    USING (coach_id = (SELECT current_actor_id()) OR (SELECT current_actor_is_admin()))
    WITH CHECK (coach_id = (SELECT current_actor_id()) OR (SELECT current_actor_is_admin()));
COMMENT ON POLICY busy_intervals_own ON busy_intervals IS 'A coach sees and manages their own busy time; admins all. Clients never see it.';

-- Appointments: read through policies; written only by the SECURITY DEFINER booking functions.
GRANT SELECT ON appointments, appointment_history TO officehours_app;

ALTER TABLE appointments ENABLE ROW LEVEL SECURITY;

ALTER TABLE appointment_history ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS appointments_client ON appointments;
CREATE POLICY appointments_client ON appointments FOR SELECT TO officehours_app
    USING (client_id = (SELECT current_actor_id())
           AND upper(during) > clock() - rule_duration('history_shown', coach_id));
COMMENT ON POLICY appointments_client ON appointments IS 'A client sees their own calls, past ones only as far back as the history_shown rule.';

DROP POLICY IF EXISTS appointments_coach ON appointments;
CREATE POLICY appointments_coach ON appointments FOR SELECT TO officehours_app
    USING (coach_id = (SELECT current_actor_id()));
COMMENT ON POLICY appointments_coach ON appointments IS 'A coach sees the calls booked with them.';

DROP POLICY IF EXISTS appointments_admin ON appointments;
CREATE POLICY appointments_admin ON appointments FOR SELECT TO officehours_app
    USING ((SELECT current_actor_is_admin()));
COMMENT ON POLICY appointments_admin ON appointments IS 'Admins see every call.';

DROP POLICY IF EXISTS appointment_history_visible ON appointment_history;
CREATE POLICY appointment_history_visible ON appointment_history FOR SELECT TO officehours_app
    USING (EXISTS (SELECT 1 FROM appointments a WHERE a.id = appointment_history.appointment_id));
COMMENT ON POLICY appointment_history_visible ON appointment_history IS 'The history of a call is visible to whoever sees the call.';

-- Business rules: readable by every signed-in user, changed by admins.
GRANT SELECT ON rule_definitions TO officehours_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON business_rules TO officehours_app;

GRANT SELECT ON effective_rules TO officehours_app;

ALTER TABLE business_rules ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS business_rules_read ON business_rules;
CREATE POLICY business_rules_read ON business_rules FOR SELECT TO officehours_app
    USING ((SELECT current_actor_id()) IS NOT NULL);
COMMENT ON POLICY business_rules_read ON business_rules IS 'Every signed-in user may read the rules that bind them.';

DROP POLICY IF EXISTS business_rules_admin ON business_rules;
CREATE POLICY business_rules_admin ON business_rules FOR ALL TO officehours_app
    USING ((SELECT current_actor_is_admin())) WITH CHECK ((SELECT current_actor_is_admin()));
COMMENT ON POLICY business_rules_admin ON business_rules IS 'Only admins change rules.';

-- Credentials: the owner sees and revokes their own; hashes are never readable.
GRANT SELECT (id, kind, handle, user_id, label, created_at, last_used_at, revoked_at),
      INSERT (kind, user_id, secret_hash, label), UPDATE (revoked_at)
    ON credentials TO officehours_app;

ALTER TABLE credentials ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS credentials_own ON credentials;
CREATE POLICY credentials_own ON credentials FOR ALL TO officehours_app
    USING (user_id = (SELECT current_actor_id()) OR (SELECT current_actor_is_admin()))
    WITH CHECK (user_id = (SELECT current_actor_id()) OR (SELECT current_actor_is_admin()));
COMMENT ON POLICY credentials_own ON credentials IS 'Users manage their own API tokens and app passwords; admins may revoke any.';

-- Busy time a booked call collides with: the view applies the policies of its tables.
GRANT SELECT ON coach_conflicts TO officehours_app;

-- CalDAV storage: each user's own collections, items and change log.
GRANT SELECT, INSERT, UPDATE, DELETE ON caldav_collections, caldav_items, caldav_changes TO officehours_app;

ALTER TABLE caldav_collections ENABLE ROW LEVEL SECURITY;

ALTER TABLE caldav_items ENABLE ROW LEVEL SECURITY;

ALTER TABLE caldav_changes ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS caldav_collections_own ON caldav_collections;
CREATE POLICY caldav_collections_own ON caldav_collections FOR ALL TO officehours_app
    USING (owner_id = (SELECT current_actor_id()))
    WITH CHECK (owner_id = (SELECT current_actor_id())
                AND (kind <> 'stored'
                     OR EXISTS (SELECT 1 FROM users u WHERE u.id = owner_id AND u.role = 'coach')));
COMMENT ON POLICY caldav_collections_own ON caldav_collections IS 'A user sees and changes only their own collections; only coaches keep calendars of their own (clients have their generated appointments only).';

DROP POLICY IF EXISTS caldav_items_own ON caldav_items;
CREATE POLICY caldav_items_own ON caldav_items FOR ALL TO officehours_app
    USING (owner_id = (SELECT current_actor_id()))
    WITH CHECK (owner_id = (SELECT current_actor_id()));
COMMENT ON POLICY caldav_items_own ON caldav_items IS 'A user sees and changes only the items of their own collections.';

DROP POLICY IF EXISTS caldav_changes_own ON caldav_changes;
CREATE POLICY caldav_changes_own ON caldav_changes FOR ALL TO officehours_app
    USING (owner_id = (SELECT current_actor_id()))
    WITH CHECK (owner_id = (SELECT current_actor_id()));
COMMENT ON POLICY caldav_changes_own ON caldav_changes IS 'A user sees and writes only the change log of their own collections.';

-- How calls happen and the client's note (42_call_details.sql): read through the policies,
-- written only by the SECURITY DEFINER setters. A note is seen by whoever sees its call: the
-- call's client, its coach and admins (appointments' own policies decide), never another client.
REVOKE EXECUTE ON FUNCTION
    set_call_details(text, text, text, text),
    set_appointment_call_details(text, text, text, text, boolean),
    set_appointment_note(text, text), appointment_notes_changed()
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    set_call_details(text, text, text, text),
    set_appointment_call_details(text, text, text, text, boolean),
    set_appointment_note(text, text)
TO officehours_app;
GRANT SELECT ON call_details, appointment_call_details, appointment_notes,
    call_details_of_appointments TO officehours_app;

ALTER TABLE call_details ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_call_details ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_notes ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS call_details_visible ON call_details;
CREATE POLICY call_details_visible ON call_details FOR SELECT TO officehours_app
    USING (coach_id = (SELECT current_actor_id()) OR (SELECT current_actor_is_admin())
           OR EXISTS (SELECT 1 FROM coaching c WHERE c.coach_id = call_details.coach_id
                      AND c.client_id = (SELECT current_actor_id()))
           OR EXISTS (SELECT 1 FROM appointments a WHERE a.coach_id = call_details.coach_id));
COMMENT ON POLICY call_details_visible ON call_details IS 'How a coach''s calls happen is seen by the coach, admins, the coach''s clients (now or before) and whoever sees one of the coach''s calls.';

DROP POLICY IF EXISTS appointment_call_details_visible ON appointment_call_details;
CREATE POLICY appointment_call_details_visible ON appointment_call_details FOR SELECT TO officehours_app
    USING (EXISTS (SELECT 1 FROM appointments a WHERE a.id = appointment_call_details.appointment_id));
COMMENT ON POLICY appointment_call_details_visible ON appointment_call_details IS 'A call''s own details are seen by whoever sees the call.';

DROP POLICY IF EXISTS appointment_notes_visible ON appointment_notes;
CREATE POLICY appointment_notes_visible ON appointment_notes FOR SELECT TO officehours_app
    USING (EXISTS (SELECT 1 FROM appointments a WHERE a.id = appointment_notes.appointment_id));
COMMENT ON POLICY appointment_notes_visible ON appointment_notes IS 'The client''s note is seen by whoever sees the call: its client, its coach and admins, never another client.';
-- Accounts (50_accounts.sql, 56_account_links.sql): a user changes their own profile, an admin
-- anyone's, through update_user, which checks who may change what; password links and their
-- outbox are the owner's connection's business, but for an admin sending one or seeing the last.
REVOKE EXECUTE ON FUNCTION update_user(text, text, text, text, user_role), users_check_role_change()
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    update_user(text, text, text, text, user_role),
    send_password_link(text, account_link_kind), password_link_latest(text)
TO officehours_app;
