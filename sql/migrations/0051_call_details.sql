-- officehours 0051: how a call happens (a video link, a phone number or a place, plus free text),
-- set per coach with an optional override per call, and the client's note for the coach.
--
-- call_value_problem and call_text_problem are the SQL twins of ics/calls.py (value_problem,
-- text_problem), which says what is allowed and why; tests/sql/test_call_details.py runs one
-- corpus through both. They live in this migration, not in sql/definitions, because the CHECKs
-- below use them. Each returns the message to show, or NULL when the value is acceptable, so the
-- setters in sql/definitions/42_call_details.sql raise the very words the CHECK stands for.
--
-- 'updated' is the history action and the mail of a call whose details changed: a new revision,
-- mailed as an updated invite (METHOD:REQUEST, SEQUENCE + 1) like a move.

CREATE TYPE call_kind AS ENUM ('video', 'phone', 'place');
COMMENT ON TYPE call_kind IS 'How a call happens: a video link, a phone number, or a place to meet.';

ALTER TYPE appointment_action ADD VALUE IF NOT EXISTS 'updated';
ALTER TYPE mail_kind ADD VALUE IF NOT EXISTS 'updated';

CREATE FUNCTION call_value_problem(p_kind call_kind, p_value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN p_kind IS NULL AND p_value IS NULL THEN NULL
        WHEN p_kind IS NULL THEN 'Choose whether calls happen by video, by phone or at a place.'
        WHEN p_value IS NULL OR p_value = '' THEN CASE p_kind
            WHEN 'video' THEN 'Give the link of the video call.'
            WHEN 'phone' THEN 'Give the phone number to call.'
            ELSE 'Give the place where you meet.' END
        WHEN p_value ~ ('[\x01-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e'
                        '\u2066-\u2069\ufeff\ufff9-\ufffb]')
            THEN 'The link, number or place must be one line, without control characters or text-direction marks.'
        WHEN p_value ~ '^[ \t\n\v\f\r]|[ \t\n\v\f\r]$' THEN 'The link, number or place must not start or end with a space.'
        WHEN p_kind = 'video' AND length(p_value) > 500 THEN 'A video link is at most 500 characters.'
        WHEN p_kind = 'video' AND p_value !~ ('^https://[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                                              '(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*'
                                              '(:[0-9]{1,5})?'
                                              '([/?#][A-Za-z0-9._~:/?#@!$&''()*+,;=%-]*)?$')
            THEN 'A video link is an https:// address, like https://meet.example.org/room.'
        WHEN p_kind = 'phone' AND (p_value !~ '^\+?[0-9(][0-9 ().-]*[0-9]$'
                                   OR length(regexp_replace(p_value, '[^0-9]', '', 'g')) NOT BETWEEN 5 AND 15
                                   OR length(p_value) > 40)
            THEN 'A phone number has 5 to 15 digits, with an optional + in front and spaces, dashes, dots or brackets between.'
        WHEN p_kind = 'place' AND length(p_value) > 300 THEN 'A place is at most 300 characters.'
        ELSE NULL
    END;
COMMENT ON FUNCTION call_value_problem(call_kind, text) IS 'Why a call''s kind and value do not go together (a video link is an https:// URL of at most 500 characters, a phone number 5 to 15 digits, a place at most 300 characters, each one line without control characters or surrounding spaces), or NULL when they do. The twin of ics.calls.value_problem.';

CREATE FUNCTION call_text_problem(p_text text, p_max integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN p_text IS NULL THEN NULL
        WHEN length(p_text) > p_max THEN format('is at most %s characters', p_max)
        WHEN p_text !~ '[^ \t\n\v\f\r]' THEN 'must not be blank'
        WHEN p_text ~ '^[ \t\n\v\f\r]|[ \t\n\v\f\r]$' THEN 'must not start or end with a space'
        WHEN p_text ~ ('[\x01-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e'
                       '\u2066-\u2069\ufeff\ufff9-\ufffb]')
            THEN 'must not contain control characters or text-direction marks (line breaks are fine)'
        ELSE NULL
    END;
COMMENT ON FUNCTION call_text_problem(text, integer) IS 'Why a free text about a call (the coach''s instructions, the client''s note) is not acceptable: longer than p_max, blank, padded with spaces, or holding control characters other than the line feed or text-direction marks; NULL when it is. The twin of ics.calls.text_problem.';

CREATE TABLE call_details (
    coach_id    bigint PRIMARY KEY REFERENCES users (id),
    kind        call_kind,
    value       text,
    details     text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT call_details_value_valid CHECK (call_value_problem(kind, value) IS NULL),
    CONSTRAINT call_details_text_valid CHECK (call_text_problem(details, 1000) IS NULL),
    CONSTRAINT call_details_not_empty CHECK (kind IS NOT NULL OR details IS NOT NULL)
);
COMMENT ON TABLE call_details IS 'How a coach''s calls happen, unless a call has its own (appointment_call_details): a video link, a phone number or a place, and free text. Written only by set_call_details.';
COMMENT ON COLUMN call_details.value IS 'The video link (https), the phone number or the place, as kind says.';
COMMENT ON COLUMN call_details.details IS 'Free text for the client, such as "I will call you on the number you give".';

CREATE TABLE appointment_call_details (
    appointment_id bigint PRIMARY KEY REFERENCES appointments (id) ON DELETE CASCADE,
    kind           call_kind,
    value          text,
    details        text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT appointment_call_details_value_valid CHECK (call_value_problem(kind, value) IS NULL),
    CONSTRAINT appointment_call_details_text_valid CHECK (call_text_problem(details, 1000) IS NULL),
    CONSTRAINT appointment_call_details_not_empty CHECK (kind IS NOT NULL OR details IS NOT NULL)
);
COMMENT ON TABLE appointment_call_details IS 'How one call happens when its coach set it for that call alone; it replaces the coach''s call_details as a whole. Written only by set_appointment_call_details.';

CREATE TABLE appointment_notes (
    appointment_id bigint PRIMARY KEY REFERENCES appointments (id) ON DELETE CASCADE,
    note           text NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT appointment_note_valid CHECK (call_text_problem(note, 1000) IS NULL)
);
COMMENT ON TABLE appointment_notes IS 'The client''s note for the coach about one call ("I''d like to talk about sleep"). Seen by the call''s client, its coach and admins only. Written only by set_appointment_note.';
