-- The queries of bench/scale_load.py: they build a database of a given size as the owner, with
-- set-based SQL (generate_series, INSERT ... SELECT: one statement per step, never one row per
-- round trip), through the application's own tables, constraints and check triggers.
--
-- Coaches are coach-<n>, clients client-<n>-<j> (the j-th client of coach n), so the subject
-- users of the benchmark are found again by slug. The TEMP tables live in the loading session
-- only: nothing is added to the schema that is measured.

-- name: users_exist
-- Whether the database holds any user: the loader builds empty databases only.
SELECT EXISTS (SELECT 1 FROM users);

-- name: add_admin
-- The admin whose pages are measured.
INSERT INTO users (slug, email, display_name, time_zone, role)
VALUES ('scale-admin', 'admin@scale.example', 'Scale Admin', 'UTC', 'admin');

-- name: add_coaches
-- Coaches first..last (coach-<n>), each in one of the zones, round robin.
INSERT INTO users (slug, email, display_name, time_zone, role)
SELECT 'coach-' || n, 'coach' || n || '@scale.example', 'Coach ' || n,
       (%(zones)s::text[])[1 + n %% cardinality(%(zones)s::text[])], 'coach'
FROM generate_series(%(first)s::int, %(last)s::int) AS n
ORDER BY n;

-- name: add_clients
-- The clients of coaches first..last (client-<n>-<j>, j = 1..clients), zones round robin.
INSERT INTO users (slug, email, display_name, time_zone, role)
SELECT 'client-' || n || '-' || j, 'client' || n || '-' || j || '@scale.example',
       'Client ' || n || '-' || j,
       (%(zones)s::text[])[1 + (n + j) %% cardinality(%(zones)s::text[])], 'client'
FROM generate_series(%(first)s::int, %(last)s::int) AS n,
     generate_series(1, %(clients)s::int) AS j
ORDER BY n, j;

-- name: make_parties
-- Every client with their coach, their number j and the coach's zone, from the slugs (TEMP:
-- the loading session's helper, not part of the schema).
CREATE TEMP TABLE scale_parties AS
SELECT co.id AS coach_id, cl.id AS client_id, split_part(cl.slug, '-', 3)::int AS j,
       co.time_zone AS coach_tz
FROM users cl
JOIN users co ON co.slug = 'coach-' || split_part(cl.slug, '-', 2)
WHERE cl.role = 'client';

-- name: add_coaching
-- Each client's open relationship with their coach, from a month before the first call
-- (coaching_check_parties checks every row).
INSERT INTO coaching (coach_id, client_id, during)
SELECT coach_id, client_id, tstzrange(%(since)s, NULL, '[)')
FROM scale_parties
ORDER BY client_id;

-- name: add_caldav_homes
-- Every coach's standard CalDAV collections, made by the application's own caldav_ensure_home
-- as each coach: as if each had connected a calendar app before the two years began. Clients
-- get theirs when they first connect; none has in this database.
DO $$
DECLARE
    coach text;
BEGIN
    FOR coach IN SELECT slug FROM users WHERE role = 'coach' ORDER BY id LOOP
        PERFORM set_config('officehours.actor', coach, true);
        PERFORM caldav_ensure_home();
    END LOOP;
    PERFORM set_config('officehours.actor', '', true);
END $$;

-- name: add_office_hours
-- Monday to Friday, 09:00 to 17:00 in each coach's zone (the caldav_office_hours_changed
-- trigger stays on and marks the office-hours calendars stale, as it would).
INSERT INTO office_hours (coach_id, weekday, starts, ends)
SELECT u.id, d, TIME '09:00', TIME '17:00'
FROM users u, generate_series(1, 5) AS d
WHERE u.role = 'coach'
ORDER BY u.id, d;

-- name: make_grid
-- The office-hours grid of each month of calls, in local time: every weekday hour from 09:00
-- to 16:00, numbered k = 0, 1, ... in an order that looks random (md5) but is the same in
-- every run, so that the calls of a month spread over its days and hours.
CREATE TEMP TABLE scale_grid AS
SELECT m, (row_number() OVER (PARTITION BY m ORDER BY md5(local_start::text)) - 1)::int AS k,
       local_start
FROM (SELECT m, d::timestamp + make_interval(hours => h) AS local_start
      FROM generate_series(0, %(months)s::int - 1) AS m,
           LATERAL generate_series(%(first_month)s::date + make_interval(months => m),
                                   %(first_month)s::date + make_interval(months => m + 1)
                                       - INTERVAL '1 day',
                                   INTERVAL '1 day') AS d,
           generate_series(9, 16) AS h
      WHERE extract(isodow FROM d) <= 5) AS s;

-- name: grid_slots_per_month
-- The fewest slots any month of the grid has.
SELECT min(n) FROM (SELECT count(*) AS n FROM scale_grid GROUP BY m) AS s;

-- name: slot_length
-- The global slot length: the length of every call laid on the grid.
SELECT rule_duration('slot_length', NULL);

-- name: disable_history_and_caldav_triggers
-- Switched off for the bulk insert only, inside its transaction, and written below by hand,
-- set-based: appointments_record_history (one appointment_history row per call),
-- caldav_appointments_changed (two collection UPDATEs per call) and appointment_history_mail
-- (the outbox rows of each change). Row by row they would cost minutes at full size. Named
-- triggers, not session_replication_role = replica: that would also skip the foreign-key
-- checks, which are triggers too, and every constraint stays on.
ALTER TABLE appointments DISABLE TRIGGER appointments_record_history;
ALTER TABLE appointments DISABLE TRIGGER caldav_appointments_changed;
ALTER TABLE appointment_history DISABLE TRIGGER appointment_history_mail;

-- name: enable_history_and_caldav_triggers
-- The same triggers on again, in the same transaction.
ALTER TABLE appointments ENABLE TRIGGER appointments_record_history;
ALTER TABLE appointments ENABLE TRIGGER caldav_appointments_changed;
ALTER TABLE appointment_history ENABLE TRIGGER appointment_history_mail;

-- name: add_appointments
-- The calls: in month m each coach has calls k = 0 .. calls - 1 on slot k of the grid, with
-- client j = (m * calls + k) mod clients + 1, so every client's calls are months apart and a
-- coach's never overlap. Each was booked by the client two weeks ahead (a day before NOW for
-- the calls of the next two weeks); rows go in in booking order, as they would have.
INSERT INTO appointments (coach_id, client_id, during, created_at, updated_at)
SELECT p.coach_id, p.client_id, tstzrange(s.starts, s.starts + %(slot)s::interval, '[)'),
       b.at, b.at
FROM scale_grid g
JOIN scale_parties p ON p.j = (g.m * %(calls)s::int + g.k) %% %(clients)s::int + 1
CROSS JOIN LATERAL (SELECT g.local_start AT TIME ZONE p.coach_tz AS starts) AS s
CROSS JOIN LATERAL (SELECT least(s.starts - INTERVAL '14 days',
                                 %(now)s::timestamptz - INTERVAL '1 day') AS at) AS b
WHERE g.k < %(calls)s::int
ORDER BY b.at, p.coach_id;

-- name: add_history
-- What appointments_record_history writes for a booking: revision 1, action booked, by the
-- client, at the booking time.
INSERT INTO appointment_history (appointment_id, revision, action, actor_id, at, during)
SELECT id, revision, 'booked', client_id, created_at, during
FROM appointments
ORDER BY id;

-- name: add_outbox
-- What appointment_history_mail writes for a booking, as the mailer left it: the booking mail
-- to both sides, sent seconds after the booking, and a reminder to both sides at the call
-- minus reminder_lead (when that came after the booking): sent when due before NOW, else
-- still pending.
INSERT INTO mail_outbox (history_id, appointment_id, revision, kind, recipient, recipient_id,
                         state, due_at, next_attempt_at, attempts, created_at, finished_at)
SELECT h.id, a.id, h.revision, m.kind, m.recipient,
       CASE m.recipient WHEN 'client' THEN a.client_id ELSE a.coach_id END,
       CASE WHEN m.due <= %(now)s THEN 'sent' ELSE 'pending' END::mail_state,
       m.due, m.due, CASE WHEN m.due <= %(now)s THEN 1 ELSE 0 END, h.at,
       CASE WHEN m.due <= %(now)s THEN m.due + INTERVAL '3 seconds' END
FROM appointment_history h
JOIN appointments a ON a.id = h.appointment_id
CROSS JOIN LATERAL (SELECT rule_duration('reminder_lead', a.coach_id) AS lead) AS r
CROSS JOIN LATERAL (VALUES ('booked'::mail_kind, 'client'::mail_recipient, h.at),
                           ('booked', 'coach', h.at),
                           ('reminder', 'client', lower(h.during) - r.lead),
                           ('reminder', 'coach', lower(h.during) - r.lead)) AS m (kind, recipient, due)
WHERE m.kind = 'booked' OR (r.lead > INTERVAL '0' AND m.due > h.at)
ORDER BY h.id, m.kind, m.recipient;

-- name: mark_appointment_calendars
-- What caldav_appointments_changed does per call, in one UPDATE: the coach's and the client's
-- appointments calendars stale, their revision moved once per call.
UPDATE caldav_collections c
SET revision = c.revision + n.calls, stale = true, modified_at = now()
FROM (SELECT coach_id AS owner_id, count(*) AS calls FROM appointments GROUP BY coach_id
      UNION ALL
      SELECT client_id, count(*) FROM appointments GROUP BY client_id) AS n
WHERE c.owner_id = n.owner_id AND c.kind = 'appointments';

-- name: add_busy
-- Busy time entered by hand: busy interval i of each coach takes slot calls + i / months of
-- month i mod months, a slot no call uses.
INSERT INTO busy_intervals (coach_id, during, source, created_at)
SELECT co.id,
       tstzrange(g.local_start AT TIME ZONE co.time_zone,
                 (g.local_start AT TIME ZONE co.time_zone) + %(slot)s::interval, '[)'),
       'manual', (g.local_start AT TIME ZONE co.time_zone) - INTERVAL '7 days'
FROM users co
CROSS JOIN generate_series(0, %(busy)s::int - 1) AS i
JOIN scale_grid g ON g.m = i %% %(months)s::int AND g.k = %(calls)s::int + i / %(months)s::int
WHERE co.role = 'coach'
ORDER BY co.id, i;

-- name: counts
-- How many rows the main tables hold, and the database's size in bytes.
SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM coaching),
       (SELECT count(*) FROM appointments), (SELECT count(*) FROM appointment_history),
       (SELECT count(*) FROM mail_outbox), (SELECT count(*) FROM busy_intervals),
       (SELECT count(*) FROM caldav_collections), pg_database_size(current_database());

-- name: vacuum_analyze
-- The steady state, not the write burst: visibility map set and statistics current, for the
-- tables the load wrote.
VACUUM (ANALYZE) users, coaching, office_hours, caldav_collections, appointments,
    appointment_history, mail_outbox, busy_intervals;

-- name: checkpoint
-- Writes the load out, so the measurements do not share the disk with it (superuser or
-- pg_checkpoint; skipped otherwise).
CHECKPOINT;
