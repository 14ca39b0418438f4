-- The SQL of officehours.retention.

-- name: prune_batch
-- Deletes up to a batch of finished mail and of ended calls past the retention rules.
SELECT mail, calls FROM prune(%(batch)s)
