-- officehours 0040: how long what is over is kept. Two global business rules, applied by
-- prune() (sql/definitions/80_retention.sql), which `officehours prune` and `serve` run.

INSERT INTO rule_definitions (name, value_type, description) VALUES
    ('mail_kept',  'duration', 'How long mail that was sent, failed or superseded stays in the outbox.'),
    ('calls_kept', 'duration', 'How long a call is kept after it ended, with its history and mail (never less than history_shown).');

INSERT INTO business_rules (name, duration_value, count_value) VALUES
    ('mail_kept',  INTERVAL '90 days',   NULL),
    ('calls_kept', INTERVAL '3660 days', NULL);

ALTER TABLE business_rules
    ADD CONSTRAINT rule_mail_kept_sane CHECK (name <> 'mail_kept' OR
        duration_value BETWEEN INTERVAL '1 day' AND INTERVAL '3660 days'),
    ADD CONSTRAINT rule_calls_kept_sane CHECK (name <> 'calls_kept' OR
        duration_value BETWEEN INTERVAL '30 days' AND INTERVAL '36600 days'),
    ADD CONSTRAINT rule_retention_is_global CHECK (
        name NOT IN ('mail_kept', 'calls_kept') OR coach_id IS NULL);
