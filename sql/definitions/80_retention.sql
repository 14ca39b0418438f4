-- officehours rules: retention. Nothing that is over grows without bound: prune() deletes
-- finished mail after mail_kept, and calls (with their history and mail) that ended more than
-- calls_kept ago, but never one a client may still be shown (history_shown); CalDAV tombstones
-- after caldav_changes_kept, raising their calendar's sync_floor so a sync token that would
-- need them is refused (DAV:valid-sync-token) and its client syncs again; and sign-in counters
-- once their scope's forget_after has passed, when they no longer count; and password links
-- account_links_kept after they were used, replaced or expired, with their finished mail.

CREATE OR REPLACE FUNCTION prune(p_batch integer DEFAULT 10000, OUT mail bigint, OUT calls bigint,
                                 OUT changes bigint, OUT sign_ins bigint, OUT links bigint)
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    mail_before timestamptz := clock() - rule_duration('mail_kept', NULL);
    changes_before timestamptz := clock() - rule_duration('caldav_changes_kept', NULL);
    links_before timestamptz := clock() - rule_duration('account_links_kept', NULL);
    over bigint[];
    collections bigint[];
    -- The longest history any coach shows wins over calls_kept.
    calls_before timestamptz := clock() - greatest(
        rule_duration('calls_kept', NULL),
        (SELECT max(duration_value) FROM business_rules WHERE name = 'history_shown'));
    doomed bigint[];
BEGIN
    mail := 0;
    calls := 0;
    changes := 0;
    sign_ins := 0;
    links := 0;
    -- One pruner at a time (serve runs it on every host): the others have nothing to do.
    IF NOT pg_try_advisory_xact_lock(hashtextextended('officehours.prune', 0)) THEN
        RETURN;
    END IF;
    WITH gone AS (
        DELETE FROM mail_outbox WHERE id IN (
            SELECT id FROM mail_outbox
            WHERE state <> 'pending' AND finished_at < mail_before
            ORDER BY id LIMIT p_batch)
        RETURNING 1)
    SELECT count(*) INTO mail FROM gone;

    -- Tombstones: their calendars' rows are locked first, in id order, as every writer of a
    -- calendar does (bump_revision) before it logs a change, so pruning never deadlocks with a
    -- write; a tombstone a write brought back to life meanwhile is no longer one, and stays.
    SELECT array_agg(id ORDER BY id) INTO collections FROM (
        SELECT id FROM caldav_collections WHERE id IN (
            SELECT DISTINCT collection_id FROM (
                SELECT collection_id FROM caldav_changes
                WHERE deleted AND changed_at < changes_before
                ORDER BY changed_at LIMIT p_batch) AS due)
        ORDER BY id FOR UPDATE) AS locked;
    IF collections IS NOT NULL THEN
        WITH doomed AS (
            SELECT collection_id, href FROM caldav_changes
            WHERE collection_id = ANY (collections) AND deleted AND changed_at < changes_before
            ORDER BY changed_at LIMIT p_batch),
        gone AS (
            DELETE FROM caldav_changes x USING doomed d
            WHERE x.collection_id = d.collection_id AND x.href = d.href
              AND x.deleted AND x.changed_at < changes_before
            RETURNING x.collection_id, x.revision),
        floors AS (
            UPDATE caldav_collections c SET sync_floor = greatest(c.sync_floor, g.top)
            FROM (SELECT collection_id, max(revision) AS top FROM gone GROUP BY collection_id) AS g
            WHERE c.id = g.collection_id)
        SELECT count(*) INTO changes FROM gone;
    END IF;

    -- A counter whose last failure is older than its scope's forget_after counts for nothing
    -- (sign_in_wait ignores it, sign_in_failed starts again at 1), so it goes.
    WITH gone AS (
        DELETE FROM sign_in_counters c USING sign_in_limits l
        WHERE l.scope = c.scope AND c.last_failure_at <= clock() - l.forget_after
          AND (c.scope, c.key) IN (
              SELECT s.scope, s.key FROM sign_in_counters s
              JOIN sign_in_limits sl ON sl.scope = s.scope
              WHERE s.last_failure_at <= clock() - sl.forget_after
              ORDER BY s.last_failure_at LIMIT p_batch)
        RETURNING 1)
    SELECT count(*) INTO sign_ins FROM gone;

    -- Password links that are over (used, replaced or expired) since account_links_kept, unless
    -- their mail is still pending (a mailer may hold it while a newer link was made). A link
    -- that still works is never over. The mail goes first: its foreign key has no cascade.
    SELECT array_agg(id) INTO over FROM (
        SELECT l.id FROM account_links l
        WHERE least(l.expires_at, coalesce(l.used_at, l.revoked_at, l.expires_at)) < links_before
          AND NOT EXISTS (SELECT FROM account_mail m WHERE m.link_id = l.id AND m.state = 'pending')
        ORDER BY least(l.expires_at, coalesce(l.used_at, l.revoked_at, l.expires_at)), l.id
        LIMIT p_batch FOR UPDATE SKIP LOCKED) AS due;
    IF over IS NOT NULL THEN
        DELETE FROM account_mail WHERE link_id = ANY (over) AND state <> 'pending';
        WITH gone AS (
            DELETE FROM account_links l WHERE l.id = ANY (over)
              AND NOT EXISTS (SELECT FROM account_mail m WHERE m.link_id = l.id)
            RETURNING 1)
        SELECT count(*) INTO links FROM gone;
    END IF;

    SELECT array_agg(id) INTO doomed FROM (
        SELECT id FROM appointments WHERE upper(during) < calls_before
        ORDER BY id LIMIT p_batch FOR UPDATE) AS old;
    IF doomed IS NULL THEN
        RETURN;
    END IF;
    -- refuse_delete lets this transaction through, and only for the rows below.
    PERFORM set_config('officehours.pruning', 'on', true);
    DELETE FROM mail_outbox WHERE appointment_id = ANY (doomed);
    DELETE FROM appointment_history WHERE appointment_id = ANY (doomed);
    DELETE FROM appointments WHERE id = ANY (doomed);
    GET DIAGNOSTICS calls = ROW_COUNT;
    PERFORM set_config('officehours.pruning', 'off', true);
END $$;
COMMENT ON FUNCTION prune(integer) IS 'Deletes up to p_batch finished outbox rows older than mail_kept, up to p_batch calls that ended longer ago than calls_kept and history_shown (with their history and mail), up to p_batch CalDAV tombstones older than caldav_changes_kept (raising the sync_floor of their calendars) up to p_batch sign-in counters past their forget_after, and up to p_batch password links (with their finished mail) used, replaced or expired longer ago than account_links_kept, never one still valid or with pending mail; returns how many of each. Call it until all are below p_batch. Safe from many hosts: one runs at a time, the others return at once.';
