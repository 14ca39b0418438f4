-- officehours rules: mail through a transactional outbox (tables in migration 0006). A trigger on
-- appointment_history writes the mail about each change in the change's own transaction; mailers
-- claim due rows with FOR UPDATE SKIP LOCKED and mark them sent or failed.
--
-- One clock: every time written or compared here is clock(), the rules' clock (now() unless the
-- transaction set officehours.now). Claims compare with it, so mail stamped with now() while the
-- rules ran on another clock would fall due at a time no claim sees.

CREATE OR REPLACE FUNCTION reminder_at(p_start timestamptz, p_lead interval, p_changed_at timestamptz)
    RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    -- A call booked or moved later than the lead before it would otherwise get no reminder, or
    -- one right beside its booking mail: halfway to the call is when a reminder helps, as long
    -- as it comes early enough to act on (a quarter of the lead, and 15 minutes at the least).
    RETURN CASE
        WHEN p_lead IS NULL OR p_lead <= INTERVAL '0' THEN NULL
        WHEN p_start - p_lead > p_changed_at THEN p_start - p_lead
        WHEN (p_start - p_changed_at) / 2 >= greatest(p_lead / 4, INTERVAL '15 minutes')
            THEN p_changed_at + (p_start - p_changed_at) / 2
    END;
COMMENT ON FUNCTION reminder_at(timestamptz, interval, timestamptz) IS 'When the reminder of a call starting at p_start, booked or moved at p_changed_at, is due: p_lead before the call; for a change later than that, halfway between the change and the call when that leaves at least a quarter of the lead and 15 minutes; NULL for no reminder (a lead of zero, or too late for one).';

CREATE OR REPLACE FUNCTION mail_enqueue() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    a appointments;
    remind_at timestamptz;
BEGIN
    SELECT * INTO a FROM appointments WHERE id = NEW.appointment_id;
    -- Older mail about this call that no mailer holds right now is out of date: a calendar would
    -- ignore its lower SEQUENCE and a person would be misled by it. A row a mailer holds is being
    -- sent; the mailer supersedes it itself if that attempt fails (mail_attempt_failed). Nothing
    -- is older than a first revision (a new booking): no mail has a revision below 1
    -- (mail_outbox_revision_positive), so a booking skips the look.
    IF NEW.revision > 1 THEN
        UPDATE mail_outbox SET state = 'superseded', finished_at = clock()
        WHERE id IN (SELECT o.id FROM mail_outbox o
                     WHERE o.appointment_id = NEW.appointment_id AND o.state = 'pending'
                       AND o.revision < NEW.revision
                     FOR UPDATE SKIP LOCKED);
    END IF;
    IF NEW.action <> 'cancelled' THEN
        remind_at := reminder_at(lower(NEW.during), rule_duration('reminder_lead', a.coach_id),
                                 clock());
    END IF;
    -- The mail about the change, for client and coach, and their reminders when one is due, in
    -- one statement. The calls of one series changed in one transaction (book_series,
    -- cancel_series) are one message per person: their change mail shares a batch.
    INSERT INTO mail_outbox (history_id, appointment_id, revision, kind, recipient, recipient_id,
                             due_at, next_attempt_at, batch)
    SELECT NEW.id, a.id, NEW.revision, m.kind, m.recipient, m.recipient_id, m.due, m.due, m.batch
    FROM (VALUES (NEW.action::text::mail_kind, 'client'::mail_recipient, a.client_id, clock(),
                  a.series || '/' || pg_current_xact_id()::text),
                 (NEW.action::text::mail_kind, 'coach', a.coach_id, clock(),
                  a.series || '/' || pg_current_xact_id()::text),
                 ('reminder', 'client', a.client_id, remind_at, NULL),
                 ('reminder', 'coach', a.coach_id, remind_at, NULL))
         AS m(kind, recipient, recipient_id, due, batch)
    WHERE m.due IS NOT NULL;
    PERFORM pg_notify('officehours_mail', '');
    RETURN NULL;
END $$;
COMMENT ON FUNCTION mail_enqueue() IS 'Writes the mail about one change (client and coach), schedules or drops the reminders, supersedes out-of-date pending mail of the call, and wakes the mailers (NOTIFY officehours_mail on commit).';
CREATE OR REPLACE TRIGGER appointment_history_mail AFTER INSERT ON appointment_history
    FOR EACH ROW EXECUTE FUNCTION mail_enqueue();

CREATE OR REPLACE FUNCTION mail_batch_rows(p_id bigint) RETURNS SETOF bigint
    LANGUAGE sql STABLE
    BEGIN ATOMIC
        SELECT o.id FROM mail_outbox o, mail_outbox f
        WHERE f.id = p_id AND o.state = 'pending'
          AND (o.id = f.id OR (o.batch = f.batch AND o.recipient = f.recipient));
    END;
COMMENT ON FUNCTION mail_batch_rows(bigint) IS 'The pending outbox rows that go out in one message with row p_id: itself, and the pending rows of its batch for the same recipient.';

CREATE OR REPLACE FUNCTION mail_claim()
    RETURNS TABLE (public_id text, kind mail_kind, recipient mail_recipient, attempts integer,
                   token text, revision integer, changed_at timestamptz,
                   starts timestamptz, ends timestamptz,
                   previous_starts timestamptz, previous_ends timestamptz,
                   coach_name text, coach_email text, coach_tz text,
                   client_name text, client_email text, client_tz text,
                   changed_by_name text, changed_by_role text, reason text)
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    first_id bigint;
BEGIN
    -- A reminder is for before the call: one still due when its call has started (the mailer
    -- or the mail server was away) is dropped, never sent late.
    UPDATE mail_outbox SET state = 'superseded', finished_at = clock()
    WHERE id IN (SELECT o.id FROM mail_outbox o JOIN appointment_history h ON h.id = o.history_id
                 WHERE o.state = 'pending' AND o.kind = 'reminder' AND o.next_attempt_at <= clock()
                   AND lower(h.during) <= clock()
                 FOR UPDATE OF o SKIP LOCKED);
    SELECT o.id INTO first_id FROM mail_outbox o
    WHERE o.state = 'pending' AND o.next_attempt_at <= clock()
      -- Mail about one call goes out in the order of its changes: a row another mailer is
      -- sending right now (the only way an older one can still be pending) goes first.
      AND NOT EXISTS (
          SELECT 1 FROM mail_outbox older
          WHERE older.appointment_id = o.appointment_id AND older.state = 'pending'
            AND older.recipient = o.recipient AND older.id <> o.id
            AND (older.revision < o.revision
                 OR (older.revision = o.revision AND older.kind <> 'reminder' AND o.kind = 'reminder')))
      -- A batch is claimed through its first row only, so that no two mailers split it.
      AND NOT EXISTS (
          SELECT 1 FROM mail_outbox earlier
          WHERE o.batch IS NOT NULL AND earlier.batch = o.batch AND earlier.recipient = o.recipient
            AND earlier.state = 'pending' AND earlier.id < o.id)
    ORDER BY o.next_attempt_at, o.id
    LIMIT 1
    FOR UPDATE OF o SKIP LOCKED;
    IF first_id IS NULL THEN
        RETURN;
    END IF;
    -- The rest of its batch: no other mailer claims these (they are not first), so waiting for
    -- a lock here waits only for a trigger superseding one of them.
    PERFORM 1 FROM mail_outbox o
    WHERE o.id IN (SELECT mail_batch_rows(first_id)) FOR UPDATE;
    RETURN QUERY
        SELECT o.public_id, o.kind, o.recipient, o.attempts, a.token, h.revision, h.at,
               lower(h.during), upper(h.during), lower(h.previous_during), upper(h.previous_during),
               coach.display_name, coach.email, coach.time_zone,
               client.display_name, client.email, client.time_zone,
               changer.display_name, changer.role::text, h.reason
        FROM mail_outbox o
        JOIN appointment_history h ON h.id = o.history_id
        JOIN appointments a ON a.id = o.appointment_id
        JOIN users coach ON coach.id = a.coach_id
        JOIN users client ON client.id = a.client_id
        LEFT JOIN users changer ON changer.id = h.actor_id
        WHERE o.id IN (SELECT mail_batch_rows(first_id))
        ORDER BY lower(h.during), o.id;
END $$;
COMMENT ON FUNCTION mail_claim() IS 'Drops due reminders of calls that have started (superseded), then locks the next due mail no other mailer holds (FOR UPDATE SKIP LOCKED) until the transaction ends, and returns what it takes to render it: the change (revision, times, when, who made it and the reason they gave; NULL names the owner: an operator or the system) and both parties as they are now; a batch (calls of a series changed together) gives a row per call, by start, the first row''s public id naming the message. No row when nothing is due.';

CREATE OR REPLACE FUNCTION mail_sent(p_public_id text) RETURNS void
    LANGUAGE sql VOLATILE
    BEGIN ATOMIC
        UPDATE mail_outbox SET state = 'sent', attempts = attempts + 1, finished_at = clock(),
                               last_error = NULL
        WHERE id IN (SELECT mail_batch_rows(m.id) FROM mail_outbox m
                     WHERE m.public_id = p_public_id AND m.state = 'pending');
    END;
COMMENT ON FUNCTION mail_sent(text) IS 'Marks a claimed mail sent (with the rest of its batch: one message); the mailer commits it right after the SMTP server accepted the message.';

CREATE OR REPLACE FUNCTION mail_attempt_failed(p_public_id text, p_error text, p_retry_in interval,
                                    p_give_up boolean DEFAULT false)
    RETURNS mail_state
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    named mail_outbox;
    o mail_outbox;
    settled mail_state;
    result mail_state;
BEGIN
    SELECT * INTO named FROM mail_outbox m WHERE m.public_id = p_public_id AND m.state = 'pending';
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- Every row of the message's batch shares its attempt; each settles on its own (a call
    -- changed meanwhile is superseded, the others keep their turn).
    FOR o IN
        UPDATE mail_outbox m SET attempts = m.attempts + 1, last_error = left(p_error, 2000)
        WHERE m.id IN (SELECT mail_batch_rows(named.id)) RETURNING *
    LOOP
        IF EXISTS (SELECT 1 FROM mail_outbox n WHERE n.appointment_id = o.appointment_id
                   AND n.revision > o.revision) THEN
            settled := 'superseded';
        ELSIF p_give_up OR o.attempts >= o.max_attempts THEN
            settled := 'failed';
        ELSE
            settled := 'pending';
        END IF;
        IF settled = 'pending' THEN
            UPDATE mail_outbox SET next_attempt_at = clock() + p_retry_in WHERE id = o.id;
        ELSE
            UPDATE mail_outbox SET state = settled, finished_at = clock() WHERE id = o.id;
        END IF;
        IF o.id = named.id THEN
            result := settled;
        END IF;
    END LOOP;
    RETURN result;
END $$;
COMMENT ON FUNCTION mail_attempt_failed(text, text, interval, boolean) IS 'Records a failed attempt of a claimed mail (and of the rest of its batch): each row is retried after p_retry_in, given up (failed) after max_attempts or at once with p_give_up (a permanent error), or superseded when its call changed meanwhile. Returns the new state of the named row.';

-- What operators and admins see of the outbox: `officehours mailer status` (as the owner) and the
-- admin page /admin/mail (as officehours_app, which may not read mail_outbox itself, for an admin).
CREATE OR REPLACE FUNCTION mail_require_reader() RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
BEGIN
    -- The role that called: inside the SECURITY DEFINER functions below current_user is the
    -- owner, but the caller's SET ROLE (officehours_app for the website) still shows.
    IF NOT (current_actor_is_admin()
            OR has_table_privilege(CASE current_setting('role') WHEN 'none' THEN session_user::text
                                   ELSE current_setting('role') END, 'mail_outbox', 'SELECT')) THEN
        RAISE EXCEPTION 'Only an admin may see the mail outbox.' USING ERRCODE = 'OH007';
    END IF;
END $$;
COMMENT ON FUNCTION mail_require_reader() IS 'Raises forbidden (OH007) unless the acting user is an admin or the calling role may read mail_outbox itself (the owner: the command line, operators).';

-- Both outboxes in the columns the reports read: the mail of calls (mail_outbox) and the
-- password-link mail (account_mail, 56_account_links.sql), never a link or its secret. For the
-- owner only: the report functions below are what others get.
CREATE OR REPLACE VIEW outbox_report AS
SELECT 'calls'::text AS outbox, o.id, o.public_id, o.kind::text AS kind,
       o.recipient::text AS recipient, o.recipient_id AS user_id, o.state, o.attempts,
       o.last_error, o.finished_at, o.next_attempt_at
FROM mail_outbox o
UNION ALL
SELECT 'accounts', m.id, m.public_id, m.kind::text, NULL, m.user_id, m.state, m.attempts,
       m.last_error, m.finished_at, m.next_attempt_at
FROM account_mail m;
COMMENT ON VIEW outbox_report IS 'What the mail reports show of both outboxes: outbox ''calls'' (mail_outbox) or ''accounts'' (account_mail, password links: recipient is NULL, the link is not shown), with each mail''s public id, kind, recipient, state, attempts, last error and times.';

CREATE OR REPLACE FUNCTION outbox_named(p_outbox text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_outbox IS NULL OR p_outbox NOT IN ('calls', 'accounts') THEN
        RAISE EXCEPTION 'There is no outbox "%": ask for calls or accounts.', left(p_outbox, 60)
            USING ERRCODE = '22023';
    END IF;
    RETURN p_outbox;
END $$;
COMMENT ON FUNCTION outbox_named(text) IS 'The outbox a report asks for, ''calls'' or ''accounts''; raises invalid_parameter_value for anything else.';

CREATE OR REPLACE FUNCTION mail_counts(p_outbox text DEFAULT 'calls')
    RETURNS TABLE (state mail_state, mails bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    wanted text := outbox_named(p_outbox);
    since timestamptz := clock() - INTERVAL '1 day';
BEGIN
    PERFORM mail_require_reader();
    -- What is wrong now and what happened lately, never a count of all the mail kept: pending
    -- mail that is due (the backlog, through the index of pending mail by when it is due) and
    -- the mail finished in the last day (through the index of finished mail by when).
    RETURN QUERY
        WITH finished AS (
            SELECT r.state, count(*) AS mails FROM outbox_report r
            WHERE r.outbox = wanted AND r.state <> 'pending' AND r.finished_at > since
            GROUP BY r.state),
        due AS (
            SELECT 'pending'::mail_state AS state, count(*) AS mails FROM outbox_report r
            WHERE r.outbox = wanted AND r.state = 'pending' AND r.next_attempt_at <= clock())
        SELECT s.state, coalesce(f.mails, d.mails, 0)
        FROM unnest(enum_range(NULL::mail_state)) AS s (state)
        LEFT JOIN finished f ON f.state = s.state
        LEFT JOIN due d ON d.state = s.state
        ORDER BY s.state;
END $$;
COMMENT ON FUNCTION mail_counts(text) IS 'For one outbox (''calls'' or ''accounts'': outbox_report), every state with a count (zero included): for pending the mail that is due and not yet sent, for the others the mail that finished so in the last day. For an admin or the owner; raises forbidden (OH007) for anyone else.';

CREATE OR REPLACE FUNCTION mail_errors(p_limit integer DEFAULT 10, p_outbox text DEFAULT 'calls')
    RETURNS TABLE (public_id text, kind text, recipient text, recipient_slug text,
                   state mail_state, attempts integer, last_error text,
                   finished_at timestamptz, next_attempt_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    wanted text := outbox_named(p_outbox);
BEGIN
    PERFORM mail_require_reader();
    RETURN QUERY
        SELECT r.public_id, r.kind, r.recipient, u.slug, r.state, r.attempts, r.last_error,
               r.finished_at, CASE WHEN r.state = 'pending' THEN r.next_attempt_at END
        FROM outbox_report r JOIN users u ON u.id = r.user_id
        WHERE r.outbox = wanted AND r.last_error IS NOT NULL AND r.state IN ('failed', 'pending')
        ORDER BY coalesce(r.finished_at, r.next_attempt_at) DESC, r.id DESC
        LIMIT least(greatest(coalesce(p_limit, 10), 0), 100);
END $$;
COMMENT ON FUNCTION mail_errors(integer, text) IS 'The latest mails of one outbox (''calls'' or ''accounts'': outbox_report) that failed for good or wait for a retry, with their last error, newest first (at most 100), never a password link or its secret; for an admin or the owner; raises forbidden (OH007) for anyone else.';
