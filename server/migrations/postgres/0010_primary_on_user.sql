-- A user's primary channel is a column of the user's row (primary_channel), where it was a flag
-- on each channel under a partial unique index. One column holds one id, so "one primary channel
-- per user" holds by the schema's shape. And making a channel primary, the most common write,
-- is now one write of one row that no index covers: PostgreSQL keeps the new version on the
-- same page without touching an index (a heap-only update). The flag cost two channel rows
-- rewritten, each with a new entry in each of the table's indexes, since a column in an index's
-- predicate rules heap-only updates out. The user's row is also the lock that every write for
-- the user takes, so make-primary locks and writes one row in one statement.
--
-- Reads join the user's row and compare ids. A pointer to a channel deleted since points to
-- nothing, so the user has no primary channel then, as after deleting a primary channel;
-- cc_delete_channel clears it anyway.

ALTER TABLE users ADD COLUMN primary_channel UUID;
UPDATE users u SET primary_channel = c.id
FROM contact_channels c
WHERE c.project_id = u.project_id AND c.user_id = u.id AND c.is_primary;
DROP INDEX contact_channels_one_primary;
ALTER TABLE contact_channels DROP COLUMN is_primary;
-- Room on each page for the new version of an updated row, which a heap-only update needs.
ALTER TABLE users SET (fillfactor = 90);

-- As in migration 0006 (the cap), with the primary channel named on the user's row.
CREATE OR REPLACE FUNCTION cc_create_channel(
    p_project TEXT, p_user UUID, p_id UUID, p_value TEXT,
    p_used_for_auth BOOLEAN, p_is_verified BOOLEAN, p_is_primary BOOLEAN, p_cap INTEGER)
RETURNS TABLE (status TEXT, seq BIGINT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM 1 FROM users u WHERE u.project_id = p_project AND u.id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'user', NULL::BIGINT;
        RETURN;
    END IF;
    -- Checked first so that breaking both uniqueness rules reports the per-user one.
    IF EXISTS (SELECT 1 FROM contact_channels c
               WHERE c.project_id = p_project AND c.user_id = p_user AND c.type = 'email'
                 AND c.value = p_value) THEN
        RETURN QUERY SELECT 'value_taken', NULL::BIGINT;
        RETURN;
    END IF;
    IF (SELECT count(*) FROM contact_channels c
        WHERE c.project_id = p_project AND c.user_id = p_user) >= p_cap THEN
        RETURN QUERY SELECT 'limit', NULL::BIGINT;
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(1, cc_insert_lock(p_project));
    RETURN QUERY
    INSERT INTO contact_channels
        (project_id, user_id, id, type, value, used_for_auth, is_verified)
    VALUES (p_project, p_user, p_id, 'email', p_value, p_used_for_auth, p_is_verified)
    RETURNING 'ok', seq;
    IF p_is_primary THEN
        UPDATE users u SET primary_channel = p_id
        WHERE u.project_id = p_project AND u.id = p_user;
    END IF;
END $$;

-- ChannelChanges::apply (server/src/store/mod.rs) in PL/pgSQL: a NULL change keeps the field;
-- a new value must not be held by the user elsewhere; becoming primary replaces the user's
-- primary channel; nothing is written when nothing changes. The conformance check `updates` and
-- `update_function_follows_the_rule` hold the two to the same answers.
CREATE OR REPLACE FUNCTION cc_update_channel(
    p_project TEXT, p_user UUID, p_id UUID, p_value TEXT,
    p_used_for_auth BOOLEAN, p_is_verified BOOLEAN, p_is_primary BOOLEAN)
RETURNS TABLE (status TEXT, seq BIGINT, id UUID, user_id UUID, value TEXT,
               used_for_auth BOOLEAN, is_verified BOOLEAN, is_primary BOOLEAN)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    cur contact_channels;
    primary_id UUID;
    was_primary BOOLEAN;
    nxt_value TEXT;
    nxt_auth BOOLEAN;
    nxt_verified BOOLEAN;
    nxt_primary BOOLEAN;
BEGIN
    -- Make-primary alone, the common PATCH: one statement finds the channel, then locks and
    -- writes the user's row. Nothing is written when the channel is primary already.
    IF p_is_primary AND p_value IS NULL AND p_used_for_auth IS NULL AND p_is_verified IS NULL THEN
        UPDATE users u SET primary_channel = p_id
        FROM contact_channels c
        WHERE u.project_id = p_project AND u.id = p_user
          AND c.project_id = p_project AND c.user_id = p_user AND c.id = p_id
          AND u.primary_channel IS DISTINCT FROM p_id
        RETURNING c.* INTO cur;
        IF FOUND THEN
            RETURN QUERY SELECT 'ok', cur.seq, cur.id, cur.user_id, cur.value,
                                cur.used_for_auth, cur.is_verified, TRUE;
            RETURN;
        END IF;
        -- Primary already, or no such user or channel: the general path tells which.
    END IF;
    SELECT u.primary_channel INTO primary_id FROM users u
    WHERE u.project_id = p_project AND u.id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'user', NULL::BIGINT, NULL::UUID, NULL::UUID, NULL::TEXT,
                            NULL::BOOLEAN, NULL::BOOLEAN, NULL::BOOLEAN;
        RETURN;
    END IF;
    SELECT * INTO cur FROM contact_channels c
    WHERE c.project_id = p_project AND c.user_id = p_user AND c.id = p_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'channel', NULL::BIGINT, NULL::UUID, NULL::UUID, NULL::TEXT,
                            NULL::BOOLEAN, NULL::BOOLEAN, NULL::BOOLEAN;
        RETURN;
    END IF;
    was_primary := primary_id IS NOT DISTINCT FROM p_id;
    nxt_value := COALESCE(p_value, cur.value);
    nxt_auth := COALESCE(p_used_for_auth, cur.used_for_auth);
    nxt_verified := COALESCE(p_is_verified, cur.is_verified);
    nxt_primary := COALESCE(p_is_primary, was_primary);
    IF nxt_value <> cur.value AND EXISTS (
        SELECT 1 FROM contact_channels c
        WHERE c.project_id = p_project AND c.user_id = p_user AND c.type = 'email'
          AND c.value = nxt_value AND c.id <> p_id) THEN
        RETURN QUERY SELECT 'value_taken', NULL::BIGINT, NULL::UUID, NULL::UUID, NULL::TEXT,
                            NULL::BOOLEAN, NULL::BOOLEAN, NULL::BOOLEAN;
        RETURN;
    END IF;
    IF (nxt_value, nxt_auth, nxt_verified)
       IS DISTINCT FROM (cur.value, cur.used_for_auth, cur.is_verified) THEN
        -- Every column is set: PostgreSQL compares old and new values itself, so an unchanged
        -- indexed column does not stop a heap-only update.
        UPDATE contact_channels c
        SET value = nxt_value, used_for_auth = nxt_auth, is_verified = nxt_verified
        WHERE c.seq = cur.seq;
    END IF;
    IF nxt_primary <> was_primary THEN
        UPDATE users u SET primary_channel = CASE WHEN nxt_primary THEN p_id END
        WHERE u.project_id = p_project AND u.id = p_user;
    END IF;
    RETURN QUERY SELECT 'ok', cur.seq, cur.id, cur.user_id, nxt_value,
                        nxt_auth, nxt_verified, nxt_primary;
END $$;

CREATE OR REPLACE FUNCTION cc_delete_channel(p_project TEXT, p_user UUID, p_id UUID)
RETURNS TEXT
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM users u WHERE u.project_id = p_project AND u.id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'user';
    END IF;
    DELETE FROM contact_channels c
    WHERE c.project_id = p_project AND c.user_id = p_user AND c.id = p_id;
    IF NOT FOUND THEN
        RETURN 'channel';
    END IF;
    UPDATE users u SET primary_channel = NULL
    WHERE u.project_id = p_project AND u.id = p_user AND u.primary_channel = p_id;
    RETURN 'ok';
END $$;

-- As in migration 0004, with is_primary read from the user's row.
CREATE OR REPLACE FUNCTION cc_list_page(
    p_project TEXT, p_user UUID, p_channel UUID, p_after BIGINT, p_limit BIGINT)
RETURNS TABLE (seq BIGINT, id UUID, user_id UUID, value TEXT,
               used_for_auth BOOLEAN, is_verified BOOLEAN, is_primary BOOLEAN)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM pg_advisory_xact_lock(1, cc_insert_lock(p_project));
    IF p_user IS NOT NULL THEN
        RETURN QUERY
        SELECT c.seq, c.id, c.user_id, c.value, c.used_for_auth, c.is_verified,
               COALESCE(c.id = u.primary_channel, FALSE)
        FROM users u
        LEFT JOIN contact_channels c
          ON c.project_id = u.project_id AND c.user_id = u.id
             AND (p_channel IS NULL OR c.id = p_channel) AND c.seq > p_after
        WHERE u.project_id = p_project AND u.id = p_user
        ORDER BY c.seq
        LIMIT p_limit;
    ELSIF p_channel IS NOT NULL THEN
        RETURN QUERY
        SELECT c.seq, c.id, c.user_id, c.value, c.used_for_auth, c.is_verified,
               COALESCE(c.id = u.primary_channel, FALSE)
        FROM contact_channels c
        JOIN users u ON u.project_id = c.project_id AND u.id = c.user_id
        WHERE c.project_id = p_project AND c.id = p_channel AND c.seq > p_after
        ORDER BY c.seq
        LIMIT p_limit;
    ELSE
        RETURN QUERY
        SELECT c.seq, c.id, c.user_id, c.value, c.used_for_auth, c.is_verified,
               COALESCE(c.id = u.primary_channel, FALSE)
        FROM contact_channels c
        JOIN users u ON u.project_id = c.project_id AND u.id = c.user_id
        WHERE c.project_id = p_project AND c.seq > p_after
        ORDER BY c.seq
        LIMIT p_limit;
    END IF;
END $$;
