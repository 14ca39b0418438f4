-- officehours 0054: why a call was cancelled or moved, and an index for listing every call.
--
-- A coach or admin who cancels or moves a call may say why; the reason is stored with the
-- history row of that change (cancel() and move() hand it to the history trigger) and goes
-- into the client's mail. Admins list every booking by start (/admin/bookings), keyset-paged:
-- appointments_starts_token serves that order and range without a scan of every row. It is on a
-- stored column rather than on lower(during): the app's role reads through row-level security,
-- and PostgreSQL uses an index condition under it only when every function in it is leakproof,
-- which lower(anyrange) is not (a condition on lower(during) becomes a filter over every row).

CREATE FUNCTION is_change_reason(reason text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN length(reason) BETWEEN 1 AND 500
        AND reason !~ ('^[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]'
                       '|[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]$')
        AND reason !~ ('[\x01-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e'
                       '\u2066-\u2069\ufeff\ufff9-\ufffb]');
COMMENT ON FUNCTION is_change_reason(text) IS 'True when the text is an acceptable reason for cancelling or moving a call: 1 to 500 characters on one line, no white space at either end, no control characters, line or paragraph separators, text-direction marks, byte order mark or interlinear annotations (the same characters is_display_name refuses: the reason goes into mail).';

ALTER TABLE appointment_history ADD COLUMN reason text
    CONSTRAINT appointment_history_reason_sane CHECK (is_change_reason(reason));
COMMENT ON COLUMN appointment_history.reason IS 'Why the call was cancelled or moved, as the person who did it said (NULL: no reason given, and for bookings).';

ALTER TABLE appointments ADD COLUMN starts timestamptz GENERATED ALWAYS AS (lower(during)) STORED;
COMMENT ON COLUMN appointments.starts IS 'When the call starts: lower(during), stored so that an index on it serves queries run under row-level security.';
CREATE INDEX appointments_starts_token ON appointments (starts, token);
