-- Queries of officehours/accounts.py: users, coaching, office hours, business rules and
-- credentials. Each runs on the cursor of Database.transaction, as the acting user or the owner.

-- name: add_user
-- Creates a user and returns the new slug; the role text is cast to the user_role enum.
SELECT add_user(%(email)s, %(name)s, %(role)s::user_role, %(time_zone)s, %(password_hash)s);

-- name: user_by_slug_or_email
-- The user with this slug or email, as far as the actor may see them (no row otherwise).
SELECT slug, email, display_name, time_zone, role::text, active
FROM find_user(%s);

-- name: users_by_name
-- The users the actor may see, of one role or (role NULL) of every role, by name then slug.
SELECT slug, email, display_name, time_zone, role::text, active
FROM users
WHERE %(role)s IS NULL OR role::text = %(role)s
ORDER BY lower(display_name), slug;

-- name: set_user_active
-- Activates or deactivates a user (deactivation ends coaching and cancels future calls).
SELECT set_user_active(%s, %s);

-- name: set_password_hash
-- Stores a new password hash for the user with this slug or email.
UPDATE users SET password_hash = %(password_hash)s WHERE id = (find_user(%(who)s)).id;

-- name: assign_coach
-- Makes the coach (second) the client's (first) coach from now on.
SELECT assign_coach(%s, %s);

-- name: set_office_hours
-- Replaces a coach's weekly office hours with the rules given as three parallel arrays.
SELECT set_office_hours(
    %(coach)s, %(weekdays)s::integer[], %(starts)s::time[], %(ends)s::time[]
);

-- name: weekly_office_hours
-- A coach's weekly office hours (ISO weekday, start, end), by weekday and start.
SELECT weekday, starts, ends
FROM office_hours
WHERE coach_id = (find_user(%s)).id
ORDER BY weekday, starts;

-- name: set_office_hours_exception
-- Adds a dated exception for a coach: a day off (both times NULL) or that date's hours.
SELECT set_office_hours_exception(%(coach)s, %(day)s, %(start)s, %(end)s);

-- name: clear_office_hours_exceptions
-- Removes a coach's exceptions on one date and returns how many there were.
SELECT clear_office_hours_exceptions(%s, %s);

-- name: global_rules
-- The global value of every business rule, by name, in the columns accounts._rule reads:
-- name, kind, description, coach (NULL), value (seconds or count), overridden (false), value in
-- words, label (rule_label).
SELECT d.name, d.value_type, d.description, NULL,
       coalesce(extract(epoch FROM r.duration_value)::bigint, r.count_value), false,
       coalesce(describe_interval(r.duration_value), r.count_value::text),
       rule_label(d.name)
FROM rule_definitions d
JOIN business_rules r ON r.name = d.name AND r.coach_id IS NULL
ORDER BY d.name;

-- name: coach_rules
-- The business rules in effect for one coach (slug or email), by name, in the columns
-- accounts._rule reads: name, kind, description, coach, value (seconds or count), overridden,
-- value in words, label.
SELECT name, value_type, description, coach,
       coalesce(extract(epoch FROM duration_value)::bigint, count_value), overridden,
       coalesce(describe_interval(duration_value), count_value::text),
       rule_label(name)
FROM effective_rules
WHERE coach = (find_user(%s)).slug
ORDER BY name;

-- name: set_rule
-- Sets a business rule (name, value as text) globally (coach NULL) or for one coach.
SELECT set_rule(%s, %s, %s);

-- name: unset_rule
-- Removes a coach's override of a business rule; true when there was one.
SELECT unset_rule(%s, %s);

-- name: create_api_token
-- Creates an API token for a user (who, label); the secret is returned this once only.
SELECT handle, secret FROM create_api_token(%s, %s);

-- name: create_app_password
-- Creates a CalDAV app password for a user (who, label); the secret is returned this once only.
SELECT handle, secret FROM create_app_password(%s, %s);

-- name: revoke_credential
-- Revokes an API token or app password (kind, handle); true when there was one to revoke.
SELECT revoke_credential(%s, %s);

-- name: user_for_api_token
-- The slug of the user an API token secret belongs to, or NULL.
SELECT user_for_api_token(%s);

-- name: user_for_app_password
-- The slug of the user with this email and app password secret, or NULL.
SELECT user_for_app_password(%s, %s);

-- name: login_lookup
-- The slug and password hash of the active user with this email (no row when there is none).
SELECT slug, password_hash FROM login_lookup(%s);

-- name: send_welcome_link
-- Mails a new user (slug) without a password a welcome link to set one; returns its expiry.
SELECT send_password_link(%(who)s, 'welcome');

-- name: update_user
-- Changes a user's name and zone and (admin; NULL: unchanged) email and role.
SELECT update_user(%(who)s, %(name)s, %(time_zone)s, %(email)s, %(role)s::user_role);

-- name: time_zones
-- Every zone a user may have, by name: PostgreSQL's list under the CHECK of users.time_zone.
SELECT name FROM pg_timezone_names WHERE is_time_zone(name) ORDER BY name;

-- name: deactivation_effects
-- What deactivating the user (slug or email) would do now, in the columns of
-- accounts.DeactivationEffects.
SELECT role::text, active, coaching_ended, calls_cancelled, people_mailed, credentials_revoked
FROM deactivation_effects(%(who)s);
