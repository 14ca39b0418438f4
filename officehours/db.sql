-- The SQL of officehours.db: how a transaction starts, and the pool's check of a connection.
-- Every setting is LOCAL: it ends with the transaction, so a pooled connection carries nothing
-- over to the next one. A limit passed as NULL leaves the server's (or the role's) setting.

-- name: act_as
-- Runs the rest of the transaction as the web app's role (row-level security applies) for the
-- user with this slug, with the rules' clock at now (NULL: the real time) and the pool's limits
-- on waiting for locks and on each statement.
SET LOCAL ROLE officehours_app;
SELECT set_config('officehours.actor', %(actor)s, true),
       set_config('officehours.now', coalesce(%(now)s, ''), true),
       set_config('lock_timeout', coalesce(%(lock_timeout)s, current_setting('lock_timeout')), true),
       set_config('statement_timeout',
                  coalesce(%(statement_timeout)s, current_setting('statement_timeout')), true)

-- name: as_owner
-- The rules' clock (NULL: the real time) and the pool's limits for the rest of an owner's
-- transaction.
SELECT set_config('officehours.now', coalesce(%(now)s, ''), true),
       set_config('lock_timeout', coalesce(%(lock_timeout)s, current_setting('lock_timeout')), true),
       set_config('statement_timeout',
                  coalesce(%(statement_timeout)s, current_setting('statement_timeout')), true)

-- name: begin
-- Starts a transaction (sent with its settings and its first statement, in one message).
BEGIN

-- name: commit
-- Ends a transaction whose block finished: its work is kept.
COMMIT

-- name: rollback
-- Ends a transaction whose block raised, or that a connection was left in: its work is undone.
ROLLBACK

-- name: ping
-- The cheapest statement the server must answer: the check of a connection in doubt.
SELECT 1
