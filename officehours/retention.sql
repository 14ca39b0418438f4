-- The SQL of officehours.retention.

-- name: prune_batch
-- Deletes up to a batch of finished mail, of ended calls, of CalDAV tombstones and of stale
-- sign-in counters, and of password links that are over, past the retention rules; how many
-- of each.
SELECT mail, calls, changes, sign_ins, links FROM prune(%(batch)s)
