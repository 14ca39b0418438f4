-- The SQL of officehours.db: how a transaction starts. Both settings are LOCAL: they end with
-- the transaction, so a pooled connection carries nothing over to the next one.

-- name: act_as
-- Runs the rest of the transaction as the web app's role (row-level security applies) for the
-- user with this slug, with the rules' clock at now (NULL: the real time).
SET LOCAL ROLE officehours_app;
SELECT set_config('officehours.actor', %(actor)s, true),
       set_config('officehours.now', coalesce(%(now)s, ''), true)

-- name: set_clock
-- The rules' clock for the rest of an owner's transaction (tests and what-if checks).
SELECT set_config('officehours.now', %(now)s, true)
