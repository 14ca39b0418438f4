-- officehours 0030: one definition of an email address and of a display name (issue 8).
--
-- The CHECKs of 0001 let through what the mailer, the invites and the calendars cannot carry
-- (dot@example.com., a@e..com, [a]@example.com, a name with U+2028), so one stored value stopped
-- all mail or took a coach's calendar offline. These functions are the SQL twins of
-- ics/addresses.py (is_email_address, name_problem), which says what is allowed and why;
-- tests/sql/test_addresses.py runs one corpus through both. They live in this migration, not in
-- sql/definitions, because the users CHECKs use them.
--
-- The constraints are added NOT VALID, so a database whose users already break them still
-- migrates and loses nothing: `officehours migrate` names those users (slug and column) every
-- time it runs, and validates each constraint once no row breaks it. New and changed rows are
-- checked at once either way.

CREATE FUNCTION is_email_address(address text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN address ~ ('^[A-Za-z0-9!#$%&''*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&''*+/=?^_`{|}~-]+)*'
                      '@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                      '(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$')
        AND length(split_part(address, '@', 1)) <= 64
        AND length(split_part(address, '@', 2)) <= 253
        AND length(address) <= 254
        AND address ~ '[A-Za-z]$'
        -- "ab--" starting a label is reserved for IDNA (RFC 5891), except the A-labels' "xn--".
        AND split_part(address, '@', 2) !~* '(^|\.)(?!xn)[^.]{2}--'
        AND split_part(address, '@', 2) !~* '(^|\.)(arpa|invalid|local|localhost|onion|test)$';
COMMENT ON FUNCTION is_email_address(text) IS 'True when the text is an email address in the form officehours stores: an ASCII dot-atom before the @ (at most 64 characters), a host name with a dot and a top-level domain ending in a letter after it (IDN as A-labels), 254 characters in all, no special-use domain. The twin of ics.addresses.is_email_address; input goes through ics.addresses.email_address (email-validator) first.';

CREATE FUNCTION is_display_name(name text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN length(name) BETWEEN 1 AND 200
        AND name !~ ('^[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]'
                     '|[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]$')
        AND name !~ ('[\x01-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e'
                     '\u2066-\u2069\ufeff\ufff9-\ufffb]');
COMMENT ON FUNCTION is_display_name(text) IS 'True when the text is an acceptable display name: 1 to 200 characters, no white space at either end, no control characters, line or paragraph separators (U+2028, U+2029), text-direction marks, byte order mark or interlinear annotations (they break mail headers and calendar lines, or make a name show as another). The twin of ics.addresses.name_problem.';

ALTER TABLE users DROP CONSTRAINT user_email_format,
    ADD CONSTRAINT user_email_format CHECK (is_email_address(email)) NOT VALID;
ALTER TABLE users DROP CONSTRAINT user_display_name_sane,
    ADD CONSTRAINT user_display_name_sane CHECK (is_display_name(display_name)) NOT VALID;
