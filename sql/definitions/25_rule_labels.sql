-- officehours rules: the words people read for a business rule's name.

CREATE OR REPLACE FUNCTION rule_label(p_name text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT coalesce(d.label, initcap(replace(d.name, '_', ' ')))
            FROM rule_definitions d WHERE d.name = p_name);
COMMENT ON FUNCTION rule_label(text) IS 'A rule''s name as people read it: its label ("Change cut-off"), or for a rule without one its name as words; NULL for no such rule.';
