-- officehours 0058: links that set a password, and their mail, are let go once they are over.
-- A global business rule, applied by prune() (sql/definitions/80_retention.sql): a link that was
-- used, replaced or has expired is deleted account_links_kept after that, with its mail once the
-- mail is finished. A link that still works, or whose mail is pending, is never deleted; the
-- foreign key from account_mail stays NO ACTION, so prune deletes the mail first, then the link.

INSERT INTO rule_definitions (name, value_type, description, label) VALUES
    ('account_links_kept', 'duration',
     'How long a password link that was used, replaced or expired is kept, with its finished mail.',
     'Password links kept');

INSERT INTO business_rules (name, duration_value, count_value) VALUES
    ('account_links_kept', INTERVAL '30 days', NULL);

ALTER TABLE business_rules
    ADD CONSTRAINT rule_account_links_kept_sane CHECK (name <> 'account_links_kept' OR
        duration_value BETWEEN INTERVAL '1 day' AND INTERVAL '3660 days'),
    ADD CONSTRAINT rule_account_links_kept_is_global CHECK (
        name <> 'account_links_kept' OR coach_id IS NULL);

-- prune() looks for links that are over by when they ended.
CREATE INDEX account_links_ended ON account_links
    ((least(expires_at, coalesce(used_at, revoked_at, expires_at))));
