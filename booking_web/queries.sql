-- The queries of booking_web/queries.py. Most run as the signed-in user, and row-level
-- security decides which rows they return; the feed-secret look-up runs before anyone is
-- signed in. Serial ids are used in joins and rule look-ups only, never selected. The call
-- queries return the same columns in the same order, the order queries._call maps them in:
-- token, coach (slug, name, email, zone), client (the same), start, end, status, revision,
-- series.

-- The call lists come in one template per list, filled per role with the column saying whose
-- rows it wants (WHERE a.client_id = ... or a.coach_id = ..., the actor evaluated once as an InitPlan) so that the
-- index on (client_id, lower(during)) or (coach_id, lower(during)) serves it; row-level
-- security stays on and still decides. Without it each list was a scan of every appointment.
-- An admin's lists are of every call.

-- name: upcoming_calls_of
-- A template: {} is the column of the actor's side, client_id or coach_id (filled with
-- psycopg2.sql.Identifier). The acting client's or coach's booked calls that have not ended, soonest first (the token breaks ties so
-- that pages are stable), as many as the limit asks for.
SELECT a.token, co.slug, co.display_name, co.email, co.time_zone,
       cl.slug, cl.display_name, cl.email, cl.time_zone,
       lower(a.during), upper(a.during), a.status::text, a.revision, a.series
FROM appointments a
JOIN users co ON co.id = a.coach_id
JOIN users cl ON cl.id = a.client_id
WHERE a.{} = (SELECT current_actor_id())
  AND a.status = 'booked' AND upper(a.during) > clock()
ORDER BY lower(a.during), a.token
LIMIT %s;

-- name: upcoming_calls_all
-- Every booked call that has not ended, soonest first, as many as the limit asks for: an
-- admin's list (row-level security shows others none).
SELECT a.token, co.slug, co.display_name, co.email, co.time_zone,
       cl.slug, cl.display_name, cl.email, cl.time_zone,
       lower(a.during), upper(a.during), a.status::text, a.revision, a.series
FROM appointments a
JOIN users co ON co.id = a.coach_id
JOIN users cl ON cl.id = a.client_id
WHERE a.status = 'booked' AND upper(a.during) > clock()
ORDER BY lower(a.during), a.token
LIMIT %s;

-- name: past_calls_of
-- A template: {} is the column of the actor's side, client_id or coach_id. The acting client's
-- or coach's booked calls that have ended, latest first, as many as the limit asks
-- for: only those within the coach's history_shown rule.
SELECT a.token, co.slug, co.display_name, co.email, co.time_zone,
       cl.slug, cl.display_name, cl.email, cl.time_zone,
       lower(a.during), upper(a.during), a.status::text, a.revision, a.series
FROM appointments a
JOIN users co ON co.id = a.coach_id
JOIN users cl ON cl.id = a.client_id
WHERE a.{} = (SELECT current_actor_id())
  AND a.status = 'booked' AND upper(a.during) <= clock()
  AND upper(a.during) > clock() - rule_duration('history_shown', a.coach_id)
ORDER BY lower(a.during) DESC, a.token
LIMIT %s;

-- name: past_calls_all
-- Every booked call that has ended within its coach's history_shown rule, latest first, as
-- many as the limit asks for: an admin's list.
SELECT a.token, co.slug, co.display_name, co.email, co.time_zone,
       cl.slug, cl.display_name, cl.email, cl.time_zone,
       lower(a.during), upper(a.during), a.status::text, a.revision, a.series
FROM appointments a
JOIN users co ON co.id = a.coach_id
JOIN users cl ON cl.id = a.client_id
WHERE a.status = 'booked' AND upper(a.during) <= clock()
  AND upper(a.during) > clock() - rule_duration('history_shown', a.coach_id)
ORDER BY lower(a.during) DESC, a.token
LIMIT %s;

-- name: history_of
-- A template: {} is the column of the actor's side, client_id or coach_id. The acting client's
-- or coach's history: calls that have ended or were cancelled, within the coach's
-- history_shown rule, latest first, older than the page cursor (before, before_token: the
-- start and token of the last call of the previous page; 'infinity' and '' for the first), as
-- many as the limit asks for. Each row is the call's columns, then for a cancelled call when it
-- was cancelled, the reason given, who did it (their name, NULL when the reader may not see
-- them) and what they are to the call (client, coach, admin or system: no one signed in).
SELECT a.token, co.slug, co.display_name, co.email, co.time_zone,
       cl.slug, cl.display_name, cl.email, cl.time_zone,
       lower(a.during), upper(a.during), a.status::text, a.revision, a.series,
       h.at, h.reason, ch.display_name,
       CASE WHEN h.id IS NULL THEN NULL WHEN h.actor_id IS NULL THEN 'system'
            WHEN h.actor_id = a.client_id THEN 'client' WHEN h.actor_id = a.coach_id THEN 'coach'
            ELSE 'admin' END
FROM appointments a
JOIN users co ON co.id = a.coach_id
JOIN users cl ON cl.id = a.client_id
LEFT JOIN appointment_history h ON h.appointment_id = a.id AND h.action = 'cancelled'
LEFT JOIN users ch ON ch.id = h.actor_id
WHERE a.{} = (SELECT current_actor_id())
  AND (a.status = 'cancelled' OR upper(a.during) <= clock())
  AND upper(a.during) > clock() - rule_duration('history_shown', a.coach_id)
  AND (lower(a.during), a.token) < (%(before)s, %(before_token)s)
ORDER BY lower(a.during) DESC, a.token DESC
LIMIT %(limit)s;

-- name: actor_role
-- The acting user's role, for the lists that pick their query by it; no row for no one.
SELECT role::text FROM users WHERE id = (SELECT current_actor_id());

-- name: call_by_token
-- The call with this token, whatever its status, if the actor may see it; no row otherwise.
SELECT a.token, co.slug, co.display_name, co.email, co.time_zone,
       cl.slug, cl.display_name, cl.email, cl.time_zone,
       lower(a.during), upper(a.during), a.status::text, a.revision, a.series
FROM appointments a
JOIN users co ON co.id = a.coach_id
JOIN users cl ON cl.id = a.client_id
WHERE a.token = %s;

-- name: own_coach_with_rules
-- The acting client's current coach (slug, name, email, zone) with the coach's
-- booking_horizon and monthly_limit rules; no row when no coach is assigned. There is at
-- most one row: coaching_one_coach_per_client lets a client have one coach at a time.
SELECT co.slug, co.display_name, co.email, co.time_zone,
       rule_duration('booking_horizon', co.id), rule_count('monthly_limit', co.id)
FROM coaching c
JOIN users co ON co.id = c.coach_id
WHERE c.client_id = current_actor_id() AND upper_inf(c.during);

-- name: coach_exceptions_since
-- A coach's dated office-hours exceptions on or after a date, by date; a day off (no start)
-- comes before special hours on the same date.
SELECT e.on_date, e.starts, e.ends
FROM office_hours_exceptions e
JOIN users u ON u.id = e.coach_id
WHERE u.slug = %(coach)s AND e.on_date >= %(since)s
ORDER BY e.on_date, e.starts NULLS FIRST;

-- name: own_current_clients
-- The acting coach's current clients (slug, name, email, zone), by name and then slug.
SELECT u.slug, u.display_name, u.email, u.time_zone
FROM coaching c
JOIN users u ON u.id = c.client_id
WHERE c.coach_id = current_actor_id() AND upper_inf(c.during)
ORDER BY lower(u.display_name), u.slug;

-- name: own_conflicts
-- The acting coach's booked future calls that overlap their busy time, soonest first.
SELECT appointment, client_name, starts, ends, busy_starts, busy_ends
FROM coach_conflicts
WHERE coach_id = current_actor_id()
ORDER BY starts;

-- name: own_credentials
-- The acting user's unrevoked credentials of one kind ('api_token' or 'app_password'),
-- oldest first, without their secrets.
SELECT handle, label, created_at, last_used_at
FROM credentials
WHERE kind = %s AND user_id = current_actor_id() AND revoked_at IS NULL
ORDER BY created_at;

-- name: has_feed_token
-- Whether the acting user has an active calendar-feed secret.
SELECT has_feed_token();

-- name: create_feed_token
-- Makes a new calendar-feed secret for the acting user, revoking the old one; returns it.
SELECT create_feed_token();

-- name: revoke_feed_token
-- Revokes the acting user's calendar-feed secret; returns whether there was one.
SELECT revoke_feed_token();

-- name: user_for_feed_token
-- The slug of the user whose calendar-feed secret this is, NULL when it is no one's.
SELECT user_for_feed_token(%s);
