-- officehours 0052: the name a person reads for each business rule ("Change cut-off" for
-- change_cutoff), kept beside the rule it names so every page and command shows the same words.
-- NULL for a rule added without one: rule_label() then reads its name as words.

ALTER TABLE rule_definitions ADD COLUMN label text;
COMMENT ON COLUMN rule_definitions.label IS 'The rule''s name as people read it (the admin rules page); NULL reads the name as words (rule_label).';

UPDATE rule_definitions AS d SET label = v.label
FROM (VALUES
    ('slot_length',     'Call length'),
    ('minimum_notice',  'Minimum notice'),
    ('booking_horizon', 'Booking horizon'),
    ('monthly_limit',   'Calls per month'),
    ('change_cutoff',   'Change cut-off'),
    ('history_shown',   'Past calls shown'),
    ('reminder_lead',   'Reminder lead time'),
    ('mail_kept',       'Sent mail kept'),
    ('calls_kept',      'Past calls kept')) AS v(name, label)
WHERE d.name = v.name;
