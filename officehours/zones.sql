-- The SQL of officehours.zones: PostgreSQL's view of the time zones in use.

-- name: zones_in_use
-- Every zone a user has, and how far ahead any coach takes bookings (the window to compare).
SELECT array_agg(DISTINCT time_zone ORDER BY time_zone),
       (SELECT max(duration_value) FROM business_rules WHERE name = 'booking_horizon')
FROM users

-- name: offsets
-- PostgreSQL's UTC offset (seconds) of each zone at the instants worth comparing: every noon UTC
-- of the window, and, found by hourly steps, the hours either side of each change of offset.
WITH zone AS (SELECT unnest(%(zones)s::text[]) AS name),
hours AS (
    SELECT zone.name, h AS at,
           extract(epoch FROM (h AT TIME ZONE zone.name) - (h AT TIME ZONE 'UTC'))::integer AS offset_s
    FROM zone, generate_series(date_trunc('hour', %(start)s::timestamptz),
                               %(end)s::timestamptz, INTERVAL '1 hour') AS h
),
changes AS (
    SELECT name, at, offset_s,
           lag(offset_s) OVER (PARTITION BY name ORDER BY at) AS before_s
    FROM hours
)
SELECT name, at, offset_s FROM changes
WHERE before_s IS DISTINCT FROM offset_s OR extract(hour FROM at AT TIME ZONE 'UTC') = 12
UNION ALL
SELECT name, at - INTERVAL '1 hour', before_s FROM changes
WHERE before_s IS NOT NULL AND before_s <> offset_s
ORDER BY 1, 2
