-- officehours 0005: what a coach's own busy time collides with.

CREATE VIEW coach_conflicts WITH (security_invoker = true) AS
    SELECT a.coach_id, coach.slug AS coach, a.token AS appointment, client.slug AS client,
           client.display_name AS client_name,
           lower(a.during) AS starts, upper(a.during) AS ends,
           lower(b.during) AS busy_starts, upper(b.during) AS busy_ends,
           b.source, b.source_ref
    FROM appointments a
    JOIN busy_intervals b ON b.coach_id = a.coach_id AND b.during && a.during
    JOIN users coach ON coach.id = a.coach_id
    JOIN users client ON client.id = a.client_id
    WHERE a.status = 'booked' AND upper(a.during) > clock();
COMMENT ON VIEW coach_conflicts IS 'Booked future calls that overlap busy time the coach added later (an event in a blocking calendar is stored even when it collides). Row-level security of the underlying tables applies.';

GRANT SELECT ON coach_conflicts TO officehours_app;
