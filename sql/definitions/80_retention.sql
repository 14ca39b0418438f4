-- officehours rules: retention. Nothing that is over grows without bound: prune() deletes
-- finished mail after mail_kept, and calls (with their history and mail) that ended more than
-- calls_kept ago, but never one a client may still be shown (history_shown).

CREATE OR REPLACE FUNCTION prune(p_batch integer DEFAULT 10000, OUT mail bigint, OUT calls bigint)
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    mail_before timestamptz := clock() - rule_duration('mail_kept', NULL);
    -- The longest history any coach shows wins over calls_kept.
    calls_before timestamptz := clock() - greatest(
        rule_duration('calls_kept', NULL),
        (SELECT max(duration_value) FROM business_rules WHERE name = 'history_shown'));
    doomed bigint[];
BEGIN
    mail := 0;
    calls := 0;
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
COMMENT ON FUNCTION prune(integer) IS 'Deletes up to p_batch finished outbox rows older than mail_kept, and up to p_batch calls that ended longer ago than calls_kept and history_shown, with their history and mail; returns how many of each. Call it until both are 0. Safe from many hosts: one runs at a time, the others return at once.';
